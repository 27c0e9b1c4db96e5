"""Meta Graph API v24.0 shapes: Page posts, Instagram media and insights, ads insights (§1, §2).

Routes (prefix ``/v24.0``):
  GET /{page_id}/posts|published_posts|feed   GET /{post_id}  GET /{post_id}/insights
  GET /{ig_user_id}/media                      GET /{media_id} GET /{media_id}/insights
  GET /act_{account_id}/insights               GET /{page_id} GET /{ig_user_id} GET /act_{account_id}
  GET /{page_id}/leadgen_forms                 GET /{form_id}  GET /{form_id}/leads?filtering=[...]
  GET /{page_id}/insights?metric=page_follows,page_media_view,page_total_media_view_unique&period=day
  GET /{ig_user_id}/insights?metric=follower_count,reach&period=day
  GET /{ig_user_id}/insights?metric=views,reach&period=day&metric_type=total_value
  POST /act_{account_id}/insights (async job) -> GET /{report_run_id} -> GET /{report_run_id}/insights
  GET /{page_id}/conversations?platform=messenger|instagram  GET /{conversation_id}
  GET /{conversation_id}/messages

Ads insights answer "as of now", and the sandbox's now is the end of the last day asked for: a
day's "lead" action grows while Meta keeps attributing delayed conversions to it (restatement),
so a later re-pull of the same day sees more (``AdDay.platform_leads_as_of``).

Conversations API (Messenger Platform "Conversations API" guide; Graph reference Page
Conversations, Conversation, Conversation Messages). Documented: ``/{page-id}/conversations``
with ``platform=messenger|instagram`` (Instagram through the linked Page, Facebook Login) and an
optional ``user_id`` (the person's PSID / IGSID) listing ``id`` and ``updated_time`` (the time of
the last message); no time-based paging on this endpoint (no since/until), only cursors;
``messages`` is an edge of the conversation, also requested as a field with its own sub-fields
(``messages{id,created_time,from,to}``); a message has ``id``, ``created_time``, ``from``, ``to``
and ``message``; ``participants`` lists the person and the Page (``id``, plus ``name`` and
``email`` on Messenger, ``username`` on Instagram); only the 20 most recent messages of an
Instagram conversation can be read in detail; permissions ``pages_messaging`` (Messenger),
``instagram_manage_messages`` (+ instagram_basic, pages_manage_metadata). Convention (observed in
clients, not stated in the guide): conversations come most recently updated first, messages
newest first; timestamps are ``+0000`` strings like every Graph datetime (the guide's sample
writes "UNIX-TIMESTAMP"); a nested edge pages like any edge (``paging.cursors`` and a ``next``
URL to ``/{conversation-id}/messages``); 25 items per page by default. The sandbox world has no
message text (it would be personal data): ``message`` is served empty, as Meta serves an
attachment-only message.
"""

from __future__ import annotations

import json
import re
import threading
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Request, Response, decode_cursor, encode_cursor, json_response, trace_id
from social_roi.sandbox.world import UTC, AdDay, Conversation, DirectMessage, FormLead, Post, World

PREFIX = "/v24.0"
ACT = f"act_{C.AD_ACCOUNT_ID}"
INVALID_METRIC = "(#100) The value must be a valid insights metric"

# Removed by Meta in 2024-2026 (api_shapes.md §1.3, §2.2): asking for them is an error.
_DEPRECATED = re.compile(
    r"^(post_impressions.*|page_impressions.*|page_posts_impressions.*|page_fans.*"
    r"|page_fan_adds.*|impressions|plays|video_views|clips_replays_count"
    r"|ig_reels_aggregated_all_plays_count|engagement|carousel_album_.*"
    r"|taps_forward|taps_back|exits)$"
)

FB_POST_METRICS = {
    "post_media_view": (
        "Lifetime Post Media Views",
        "Lifetime: The number of times your post was on screen.",
        lambda p: p.views,
    ),
    "post_total_media_view_unique": (
        "Lifetime Post Total Media Views Unique",
        "Lifetime: The number of people who saw your post at least once.",
        lambda p: p.reach,
    ),
    # All clicks on these link posts are link clicks (no photo/video to open), so post_clicks
    # equals the post's link clicks, i.e. the sessions it started.
    "post_clicks": (
        "Lifetime Post Clicks",
        "Lifetime: The number of clicks anywhere in your post.",
        lambda p: p.link_clicks,
    ),
    "post_clicks_by_type": (
        "Lifetime Post Clicks by Type",
        "Lifetime: The number of clicks anywhere in your post, by type.",
        lambda p: {"link clicks": p.link_clicks} if p.link_clicks else {},
    ),
    "post_reactions_by_type_total": (
        "Lifetime Total post Reactions by Type.",
        "Lifetime: Total post reactions by type.",
        lambda p: {k: v for k, v in p.reactions_by_type.items() if v},
    ),
}
IG_MEDIA_METRICS = {
    "views": ("Views", "The number of times your media was played or displayed.", lambda p: p.views),
    "reach": ("Reach", "The number of unique accounts that viewed your media.", lambda p: p.reach),
    "saved": ("Saves", "The number of saves of your media.", lambda p: p.saves),
    "shares": ("Shares", "The number of shares of your media.", lambda p: p.shares),
    "likes": ("Likes", "The number of likes on your media.", lambda p: p.reactions),
    "comments": ("Comments", "The number of comments on your media.", lambda p: p.comments),
    "total_interactions": (
        "Interactions",
        "The number of likes, saves, comments and shares on your media.",
        lambda p: p.reactions + p.saves + p.comments + p.shares,
    ),
}
AD_FIELDS = (
    "account_currency",
    "account_id",
    "account_name",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "objective",
    "buying_type",
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "inline_link_clicks",
    "spend",
    "cpc",
    "cpm",
    "ctr",
    "actions",
    "action_values",
    "date_start",
    "date_stop",
)
# An async insights job (§1.7) reports "Job Running" on this many polls before it completes.
ASYNC_POLLS_BEFORE_DONE = 1
ASYNC_JOB_ID_BASE = 1049937379600000
_LEVEL_FIELDS = {"account": 0, "campaign": 1, "adset": 2, "ad": 3}
_FIELD_LEVEL = {
    "campaign_id": 1,
    "campaign_name": 1,
    "objective": 1,
    "adset_id": 2,
    "adset_name": 2,
    "ad_id": 3,
    "ad_name": 3,
}


class GraphError(Exception):
    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        type_: str = "OAuthException",
        transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.subcode, self.type_, self.transient = subcode, type_, transient


def error_body(
    code: int,
    message: str,
    fbtrace_id: str,
    *,
    subcode: int | None = None,
    type_: str = "OAuthException",
    transient: bool | None = None,
) -> dict:
    err: dict = {"message": message, "type": type_}
    if transient is not None:
        err["is_transient"] = transient
    err["code"] = code
    if subcode is not None:
        err["error_subcode"] = subcode
    err["fbtrace_id"] = fbtrace_id
    return {"error": err}


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def graph_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(spec: str) -> list[tuple[str, dict[str, str]]]:
    """Split a Graph `fields` list: ``a,b.summary(true).limit(0),insights.metric(x,y)``."""
    items, depth, cur = [], 0, ""
    for ch in spec:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        nested = re.search(r"\{(.*)\}", item)
        item = re.sub(r"\{.*\}", "", item)  # a sub-field selection comes back as mods["fields"]
        name, _, rest = item.partition(".")
        mods = dict(re.findall(r"(\w+)\(([^()]*)\)", rest))
        if nested:
            mods["fields"] = nested.group(1)
        out.append((name.strip(), mods))
    return out


def _unix(value: str | None, default: int) -> int:
    if value in (None, ""):
        return default
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(400, 100, f"(#100) Invalid parameter: cannot parse time '{value}'") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _metric(obj_id: str, name: str, title: str, description: str, value) -> dict:
    return {
        "name": name,
        "period": "lifetime",
        "values": [{"value": value}],
        "title": title,
        "description": description,
        "id": f"{obj_id}/insights/{name}/lifetime",
    }


def _metrics(obj: Post, names: list[str], catalog: dict, retired: set[str]) -> list[dict]:
    if not names:
        raise GraphError(400, 100, "(#100) The parameter metric is required")
    for name in names:
        if _DEPRECATED.match(name) or name in retired or name not in catalog:
            raise GraphError(400, 100, INVALID_METRIC)
    return [_metric(obj.post_id, n, catalog[n][0], catalog[n][1], catalog[n][2](obj)) for n in names]


# Account-level daily metrics the fake serves (§1.3, §2.3): (title, description, the day's value
# from World.followers / World.account_insights, the metric types it is served as). Instagram's
# account `views` is a total-value metric only: asked without metric_type=total_value, Meta
# refuses the whole request; `reach` is served both ways, `follower_count` as a time series only.
TIME_SERIES, TOTAL_VALUE = "time_series", "total_value"


def _followers(world: World, platform: str, day: date) -> int:
    return world.followers[(platform, day)][0]


def _views(world: World, platform: str, day: date) -> int:
    return world.account_insights[(platform, day)][0]


def _reach(world: World, platform: str, day: date) -> int:
    return world.account_insights[(platform, day)][1]


ACCOUNT_METRICS = {
    "facebook": {
        "page_follows": ("Daily Page Follows", "Daily: The number of people who follow your Page.",
                         _followers, (TIME_SERIES,)),
        "page_media_view": ("Daily Media Views",
                            "Daily: The number of times your content was played or displayed.",
                            _views, (TIME_SERIES,)),
        "page_total_media_view_unique": ("Daily Total Media Views Unique",
                                         "Daily: The number of people who saw your content at least once.",
                                         _reach, (TIME_SERIES,)),
    },
    "instagram": {
        "follower_count": ("Follower Count", "Total number of followers", _followers, (TIME_SERIES,)),
        "reach": ("Accounts reached", "The number of unique accounts that have seen your content.",
                  _reach, (TIME_SERIES, TOTAL_VALUE)),
        "views": ("Views", "The number of times your content was played or displayed.",
                  _views, (TOTAL_VALUE,)),
    },
}


# The Conversations API's `platform` parameter -> the world's platform.
DM_PLATFORMS = {"messenger": "facebook", "instagram": "instagram"}


def _participant(c: Conversation, *, person: bool) -> dict:
    """A participant as the API shows it: Messenger gives name and e-mail (a relay address),
    Instagram the username."""
    if c.platform == "facebook":
        if person:
            return {"name": c.person_name, "email": f"{c.person_id}@facebook.com", "id": c.person_id}
        return {"name": C.COMPANY, "email": f"{C.PAGE_ID}@facebook.com", "id": C.PAGE_ID}
    if person:
        return {"username": c.person_name, "id": c.person_id}
    return {"username": C.IG_USERNAME, "id": C.IG_USER_ID}


def _message(c: Conversation, m: DirectMessage, fields: list[str]) -> dict:
    sender = _participant(c, person=not m.from_page)
    recipient = _participant(c, person=m.from_page)
    values = {"id": m.message_id, "created_time": graph_time(m.created_ts), "from": sender,
              "to": {"data": [recipient]}, "message": ""}
    return _select(values, fields, "Message")


def _select(values: dict, fields: list[str], node_type: str) -> dict:
    """The requested fields of a node (its id always), or Graph's error for an unknown one."""
    for name in fields:
        if name not in values:
            raise GraphError(
                400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
            )
    return {"id": values["id"], **{name: values[name] for name in fields}}


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class MetaGraph:
    def __init__(self, world: World) -> None:
        self.world = world
        newest_first = sorted(world.posts, key=lambda p: (p.created_ts, p.post_id), reverse=True)
        self.fb_posts = [p for p in newest_first if p.platform == "facebook"]
        self.ig_media = [p for p in newest_first if p.platform == "instagram"]
        self.by_id = {p.post_id: p for p in self.fb_posts + self.ig_media}
        # one instant form per lead-generation campaign, its leads newest first (as Meta lists)
        self.forms: dict[str, tuple[str, list[FormLead]]] = {}
        for index, (name, _platform, objective, *_rest) in enumerate(C.AD_CAMPAIGNS, 1):
            if objective == "OUTCOME_LEADS":
                self.forms[str(C.LEAD_FORM_ID_BASE + index)] = (f"{name} - instant form", [])
        for lead in sorted(world.form_leads, key=lambda f: (f.created_ts, f.lead_id), reverse=True):
            self.forms[lead.form_id][1].append(lead)
        # metrics Meta retires from now on (tests add names here: the next deprecation wave)
        self.retired: set[str] = set()
        # async insights jobs: report_run_id -> [the job's parameters, polls so far]
        self.jobs: dict[str, list] = {}
        self._jobs_lock = threading.Lock()
        # conversations per `platform` parameter, the most recently updated first
        latest_first = sorted(world.conversations, key=lambda c: (c.updated_ts, c.conversation_id),
                              reverse=True)
        self.conversations = {param: [c for c in latest_first if c.platform == platform]
                              for param, platform in DM_PLATFORMS.items()}
        self.conversation_by_id = {c.conversation_id: c for c in latest_first}

    # ---- transport ---------------------------------------------------------------------------

    def handle(self, req: Request, token: str) -> Response:
        headers = {"X-App-Usage": _compact({"call_count": 1, "total_cputime": 1, "total_time": 1})}
        rest = req.path[len(PREFIX) :].strip("/")
        parts = rest.split("/") if rest else []
        node = parts[0] if parts else ""
        post = self.by_id.get(node)
        if node == ACT:
            buc = (C.AD_ACCOUNT_ID, "ads_insights")
            headers["x-fb-ads-insights-throttle"] = _compact(
                {"app_id_util_pct": 0, "acc_id_util_pct": 0, "ads_api_access_tier": "standard_access"}
            )
        elif node == C.IG_USER_ID or (post is not None and post.platform == "instagram"):
            buc = (C.IG_USER_ID, "instagram")
        else:
            buc = (C.PAGE_ID, "pages")
        headers["X-Business-Use-Case-Usage"] = _compact(
            {
                buc[0]: [
                    {
                        "type": buc[1],
                        "call_count": 1,
                        "total_cputime": 1,
                        "total_time": 1,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            }
        )
        try:
            given = req.arg("access_token") or req.bearer()
            if given != token:
                headers["WWW-Authenticate"] = (
                    'OAuth "Facebook Platform" "invalid_token" "Error validating access token"'
                )
                raise GraphError(
                    400,
                    190,
                    "Error validating access token: Session has expired on "
                    f"{self.world.config.end:%A, %d-%b-%y %H:%M:%S} PDT. The current time is "
                    "later than the expiry time.",
                    subcode=463,
                )
            if req.method == "POST" and parts == [ACT, "insights"]:
                body = self._create_job(req)
            elif req.method != "GET":
                raise GraphError(400, 100, "(#100) Unsupported request method", type_="GraphMethodException")
            elif node in self.jobs:
                body = self._job(req, node, parts[1:])
            else:
                body = self._route(req, parts)
            return json_response(200, body, headers)
        except GraphError as e:
            return json_response(
                e.status,
                error_body(
                    e.code, e.message, trace_id(req), subcode=e.subcode, type_=e.type_, transient=e.transient
                ),
                headers,
            )

    def _route(self, req: Request, parts: list[str]) -> dict:
        if not parts or len(parts) > 2:
            raise GraphError(404, 2500, f"Unknown path components: /{'/'.join(parts[1:] or parts)}")
        node, edge = parts[0], (parts[1] if len(parts) == 2 else None)
        if node == C.PAGE_ID:
            if edge is None:
                return self._fields(
                    req,
                    "id,name",
                    {
                        "id": C.PAGE_ID,
                        "name": C.COMPANY,
                        "username": "acmeanalytics",
                        "link": C.SITE,
                        "category": "Software",
                    },
                    "Page",
                )
            if edge in ("posts", "published_posts", "feed"):
                return self._list(req, self.fb_posts, self._post, default_fields="created_time,message,id")
            if edge == "insights":
                return self._account_insights(req, C.PAGE_ID, "facebook", ACCOUNT_METRICS["facebook"])
            if edge == "conversations":
                return self._conversations(req)
            if edge == "leadgen_forms":
                forms = [{"id": fid, "name": name, "status": "ACTIVE", "locale": "en_US",
                          "leads_count": len(leads)} for fid, (name, leads) in self.forms.items()]
                page, paging = paginate(req, forms, default_limit=25, max_limit=100)
                fields = [f for f, _ in parse_fields(req.arg("fields") or "id,name,status,locale")]
                body = {"data": [{k: v for k, v in f.items() if k in fields or k == "id"} for f in page]}
                return {**body, "paging": paging} if paging else body
            self._no_edge(edge, "Page")
        if node in self.forms:
            if edge == "leads":
                return self._leads(req, self.forms[node][1])
            if edge is None:
                return {"id": node, "name": self.forms[node][0], "status": "ACTIVE"}
            self._no_edge(edge, "LeadgenForm")
        if node == C.IG_USER_ID:
            if edge is None:
                return self._fields(
                    req, "id", {"id": C.IG_USER_ID, "username": C.IG_USERNAME, "name": C.COMPANY}, "IGUser"
                )
            if edge == "media":
                return self._list(req, self.ig_media, self._media, default_fields="id")
            if edge == "insights":
                return self._account_insights(req, C.IG_USER_ID, "instagram", ACCOUNT_METRICS["instagram"])
            self._no_edge(edge, "IGUser")
        if node == ACT:
            if edge is None:
                return self._fields(
                    req,
                    "id,account_id",
                    {
                        "id": ACT,
                        "account_id": C.AD_ACCOUNT_ID,
                        "name": C.AD_ACCOUNT_NAME,
                        "currency": C.CURRENCY,
                        "timezone_name": "Etc/GMT",
                        "account_status": 1,
                    },
                    "AdAccount",
                )
            if edge == "insights":
                return self._ads_insights(req)
            self._no_edge(edge, "AdAccount")
        conversation = self.conversation_by_id.get(node)
        if conversation is not None:
            if edge == "messages":
                return self._messages(req, conversation)
            if edge is None:
                return self._conversation(req, conversation,
                                          parse_fields(req.arg("fields") or "id,updated_time"))
            self._no_edge(edge, "Conversation")
        post = self.by_id.get(node)
        if post is None:
            raise GraphError(
                400,
                100,
                f"Unsupported get request. Object with ID '{node}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this "
                "operation. Please read the Graph API documentation at "
                "https://developers.facebook.com/docs/graph-api",
                subcode=33,
                type_="GraphMethodException",
            )
        catalog = FB_POST_METRICS if post.platform == "facebook" else IG_MEDIA_METRICS
        if edge == "insights":
            return {"data": _metrics(post, _split(req.arg("metric", "")), catalog, self.retired)}
        if edge is not None:
            self._no_edge(edge, "Post" if post.platform == "facebook" else "IGMedia")
        render = self._post if post.platform == "facebook" else self._media
        return render(
            post,
            parse_fields(
                req.arg("fields") or ("created_time,message,id" if post.platform == "facebook" else "id")
            ),
        )

    @staticmethod
    def _no_edge(edge: str, node_type: str):
        raise GraphError(
            404, 100, f"(#100) Tried accessing nonexisting field ({edge}) on node type ({node_type})"
        )

    @staticmethod
    def _fields(req: Request, default: str, values: dict, node_type: str) -> dict:
        return _select(values, [name for name, _mods in parse_fields(req.arg("fields") or default)],
                       node_type)

    # ---- edges -------------------------------------------------------------------------------

    def _list(self, req: Request, items: list[Post], render, default_fields: str) -> dict:
        since = _unix(req.arg("since"), -(2**62))
        until = _unix(req.arg("until"), 2**62)
        fields = parse_fields(req.arg("fields") or default_fields)
        window = [p for p in items if since <= p.created_ts < until]
        page, paging = paginate(req, window, default_limit=25, max_limit=100)
        body = {"data": [render(p, fields) for p in page]}
        if paging:
            body["paging"] = paging
        return body

    def _post(self, p: Post, fields: list[tuple[str, dict]]) -> dict:
        out: dict = {}
        for name, mods in fields:
            if name == "id":
                out["id"] = p.post_id
            elif name in ("created_time", "updated_time"):
                out[name] = graph_time(p.created_ts)
            elif name == "message":
                out["message"] = p.text
            elif name == "permalink_url":
                out["permalink_url"] = p.permalink
            elif name == "status_type":
                out["status_type"] = p.kind
            elif name == "is_published":
                out["is_published"] = True
            elif name == "from":
                out["from"] = {"name": C.COMPANY, "id": C.PAGE_ID}
            elif name == "shares":
                if p.shares:  # Meta omits `shares` when nobody shared
                    out["shares"] = {"count": p.shares}
            elif name == "comments":
                out["comments"] = {"data": []}
                if mods.get("summary") in ("true", "1", "total_count"):
                    out["comments"]["summary"] = {
                        "order": "chronological",
                        "total_count": p.comments,
                        "can_comment": True,
                    }
            elif name == "reactions":
                out["reactions"] = {"data": []}
                if mods.get("summary") in ("true", "1", "total_count"):
                    out["reactions"]["summary"] = {"total_count": p.reactions, "viewer_reaction": "NONE"}
            elif name == "insights":
                if "metric" not in mods:
                    raise GraphError(
                        400,
                        3001,
                        "No metric was specified to be fetched. Please "
                        "specify one or more comma separated metrics.",
                        subcode=1504028,
                    )
                names = _split(mods["metric"])
                out["insights"] = {"data": _metrics(p, names, FB_POST_METRICS, self.retired)}
            else:
                raise GraphError(
                    400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Post)"
                )
        out.setdefault("id", p.post_id)
        return out

    def _media(self, p: Post, fields: list[tuple[str, dict]]) -> dict:
        values = {
            "id": p.post_id,
            "caption": p.text,
            "timestamp": graph_time(p.created_ts),
            "media_type": p.kind,
            "media_product_type": p.product_type,
            "permalink": p.permalink,
            "shortcode": p.shortcode,
            "like_count": p.reactions,
            "comments_count": p.comments,
            "media_url": f"https://scontent.cdninstagram.example/v/{p.post_id}.jpg",
            "username": C.IG_USERNAME,
            "owner": {"id": C.IG_USER_ID},
            "is_comment_enabled": True,
        }
        out = {}
        for name, mods in fields:
            if name == "insights":
                names = _split(mods.get("metric", ""))
                out["insights"] = {"data": _metrics(p, names, IG_MEDIA_METRICS, self.retired)}
            elif name in values:
                out[name] = values[name]
            else:
                raise GraphError(
                    400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type (IGMedia)"
                )
        out.setdefault("id", p.post_id)
        return out

    # ---- account insights (followers, views, reach) ------------------------------------------

    def _account_insights(self, req: Request, obj_id: str, platform: str, catalog: dict) -> dict:
        """Daily account metrics (§1.3, §2.3) over the days in [since, until). As a time series
        (the default), one value per day stamped with end_time = the next day at 07:00 UTC (Meta's
        Pacific-midnight convention); with metric_type=total_value, one `total_value` per metric
        for the whole range (the sum of its days: Meta deduplicates reach over a range of several
        days, which the fake does not; over one day the two agree)."""
        names = _split(req.arg("metric", ""))
        if not names:
            raise GraphError(400, 3001, "No metric was specified to be fetched. Please specify one "
                             "or more comma separated metrics.", subcode=1504028)
        if req.arg("period", "day") != "day":
            raise GraphError(400, 100, "(#100) period must be day for these metrics")
        for name in names:
            if _DEPRECATED.match(name) or name in self.retired or name not in catalog:
                raise GraphError(400, 100, INVALID_METRIC)
        metric_type = req.arg("metric_type", TIME_SERIES)
        if metric_type not in (TIME_SERIES, TOTAL_VALUE):
            raise GraphError(400, 100, "(#100) param metric_type must be one of {time_series, total_value}")
        # Meta's words for a total-value metric asked as a time series; the same words the other
        # way round are the fake's convention (no sample of Meta's answer found)
        refused = [n for n in names if metric_type not in catalog[n][3]]
        if refused:
            other = TOTAL_VALUE if metric_type == TIME_SERIES else TIME_SERIES
            raise GraphError(400, 100, f"(#100) The following metrics ({','.join(refused)}) should be "
                             f"specified with parameter metric_type={other}")
        since = _unix(req.arg("since"), self.world.config.start_ts)
        until = _unix(req.arg("until"), self.world.config.end_ts)
        if until - since > 90 * 86400:
            raise GraphError(400, 100, "(#100) There cannot be more than 90 days between since and until")
        days = [d for d in self.world.config.dates
                if since <= int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) < until]
        data = []
        for name in names:
            title, description, value, _types = catalog[name]
            metric: dict = {"name": name, "period": "day"}
            if metric_type == TOTAL_VALUE:
                metric["total_value"] = {"value": sum(value(self.world, platform, d) for d in days)}
            else:
                metric["values"] = [{"value": value(self.world, platform, d),
                                     "end_time": f"{d + timedelta(days=1):%Y-%m-%d}T07:00:00+0000"}
                                    for d in days]
            data.append({**metric, "title": title, "description": description,
                         "id": f"{obj_id}/insights/{name}/day"})
        return {"data": data}

    # ---- direct messages (Conversations API) -------------------------------------------------

    def _conversations(self, req: Request) -> dict:
        """GET /{page_id}/conversations?platform=…: most recently updated first, cursor paging."""
        param = req.arg("platform", "messenger")
        if param not in DM_PLATFORMS:
            raise GraphError(400, 100, "(#100) param platform must be one of {MESSENGER, INSTAGRAM}")
        items = self.conversations[param]
        if req.arg("user_id"):
            items = [c for c in items if c.person_id == req.arg("user_id")]
        fields = parse_fields(req.arg("fields") or "id,updated_time")
        page, paging = paginate(req, items, default_limit=25, max_limit=100)
        body = {"data": [self._conversation(req, c, fields) for c in page]}
        return {**body, "paging": paging} if paging else body

    def _conversation(self, req: Request, c: Conversation, fields: list[tuple[str, dict]]) -> dict:
        person, account = _participant(c, person=True), _participant(c, person=False)
        out: dict = {}
        for name, mods in fields:
            if name == "id":
                out["id"] = c.conversation_id
            elif name == "updated_time":
                out["updated_time"] = graph_time(c.updated_ts)
            elif name == "message_count":
                out["message_count"] = len(c.messages)
            elif name == "unread_count":
                out["unread_count"] = 0
            elif name == "can_reply":
                out["can_reply"] = True
            elif name == "participants":
                out["participants"] = {"data": [person, account]}
            elif name == "messages":
                # the nested edge pages like the edge itself: its `next` is /{id}/messages
                query = [("access_token", req.arg("access_token")),
                         ("fields", mods.get("fields") or "id,created_time"),
                         ("limit", mods.get("limit") or "25")]
                edge = Request("GET", f"{PREFIX}/{c.conversation_id}/messages",
                               [(k, v) for k, v in query if v is not None], {}, b"", req.base_url)
                out["messages"] = self._messages(edge, c)
            else:
                raise GraphError(
                    400, 100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Conversation)"
                )
        out.setdefault("id", c.conversation_id)
        return out

    def _messages(self, req: Request, c: Conversation) -> dict:
        """GET /{conversation_id}/messages: newest first, cursor paging."""
        fields = [f for f, _ in parse_fields(req.arg("fields") or "id,created_time")]
        page, paging = paginate(req, c.messages[::-1], default_limit=25, max_limit=100)
        body = {"data": [_message(c, m, fields) for m in page]}
        return {**body, "paging": paging} if paging else body

    # ---- lead ads ------------------------------------------------------------------------------

    def _leads(self, req: Request, leads: list[FormLead]) -> dict:
        """GET /{form_id}/leads: `filtering` on time_created (GREATER_THAN / LESS_THAN, unix s)."""
        low, high = -(2**62), 2**62
        try:
            for f in json.loads(req.arg("filtering") or "[]"):
                if f["field"] != "time_created" or f["operator"] not in ("GREATER_THAN", "LESS_THAN"):
                    raise ValueError(f)
                if f["operator"] == "GREATER_THAN":
                    low = max(low, int(f["value"]) + 1)
                else:
                    high = min(high, int(f["value"]))
        except (ValueError, KeyError, TypeError):
            raise GraphError(400, 100, "(#100) Filtering field time_created with operation GREATER_THAN "
                             "or LESS_THAN and an integer value is required") from None
        window = [lead for lead in leads if low <= lead.created_ts < high]
        page, paging = paginate(req, window, default_limit=25, max_limit=500)
        fields = [f for f, _ in parse_fields(req.arg("fields") or "id,created_time,field_data")]
        body = {"data": [self._lead(lead, fields) for lead in page]}
        return {**body, "paging": paging} if paging else body

    @staticmethod
    def _lead(lead: FormLead, fields: list[str]) -> dict:
        ad = lead.ad
        answers = [{"name": "email", "values": [lead.email]}]
        if lead.contact is not None:
            c = lead.contact
            answers += [{"name": "full_name", "values": [f"{c.firstname} {c.lastname}"]},
                        {"name": "company_name", "values": [c.company]}]
        values = {
            "id": lead.lead_id, "created_time": graph_time(lead.created_ts),
            "ad_id": ad.ad_id, "ad_name": ad.name, "adset_id": ad.adset_id, "adset_name": ad.adset_name,
            "campaign_id": ad.campaign_id, "campaign_name": ad.campaign_name, "form_id": lead.form_id,
            "platform": {"facebook": "fb", "instagram": "ig"}[ad.platform], "is_organic": False,
            "field_data": answers,
        }
        return _select(values, fields, "Lead")

    # ---- ads insights ------------------------------------------------------------------------

    # ---- async insights jobs (§1.7): POST creates, GET /{id} polls, GET /{id}/insights reads ----

    def _create_job(self, req: Request) -> dict:
        """The job's parameters come in the form body (or the query, as Graph accepts both)."""
        params = [*req.query, *parse_qsl(req.body.decode("utf-8"), keep_blank_values=True)]
        params = [(k, v) for k, v in params if k != "access_token"]
        self._ads_insights(_with_query(req, params))  # invalid parameters fail at creation
        with self._jobs_lock:
            job_id = str(ASYNC_JOB_ID_BASE + len(self.jobs) + 1)
            self.jobs[job_id] = [params, 0]
        return {"report_run_id": job_id}

    def _job(self, req: Request, job_id: str, edge: list[str]) -> dict:
        params, polls = self.jobs[job_id]
        if edge == ["insights"]:
            if polls <= ASYNC_POLLS_BEFORE_DONE:
                raise GraphError(400, 100, "(#100) The report is not ready yet: poll the report run "
                                 "until async_status is Job Completed")
            paging = [(k, v) for k, v in req.query if k in ("limit", "after", "before")]
            return self._ads_insights(_with_query(req, [*params, *paging]))
        if edge:
            self._no_edge(edge[0], "AdReportRun")
        with self._jobs_lock:
            self.jobs[job_id][1] = polls = polls + 1
        done = polls > ASYNC_POLLS_BEFORE_DONE
        since, until = self._time_range(_with_query(req, params))
        return {
            "id": job_id,
            "account_id": C.AD_ACCOUNT_ID,
            "time_ref": 1700000000 + int(job_id) % 100000,
            "async_status": "Job Completed" if done else "Job Running",
            "async_percent_completion": 100 if done else 50,
            "date_start": since.isoformat(),
            "date_stop": until.isoformat(),
            **({"time_completed": 1700000060 + int(job_id) % 100000} if done else {}),
        }

    def _ads_insights(self, req: Request) -> dict:
        level = req.arg("level", "account")
        if level not in _LEVEL_FIELDS:
            raise GraphError(400, 100, "(#100) Param level must be one of {ad, adset, campaign, account}")
        depth = _LEVEL_FIELDS[level]
        fields = _split(req.arg("fields") or "date_start,date_stop")
        for f in fields:
            if f not in AD_FIELDS:
                raise GraphError(
                    400,
                    100,
                    f"(#100) {f} is not valid for fields param. please check "
                    "https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ "
                    "for all valid values",
                )
        breakdowns = _split(req.arg("breakdowns") or "")
        for b in breakdowns:
            if b != "publisher_platform":
                raise GraphError(
                    400, 100, "(#100) breakdowns[0] must be one of the following values: publisher_platform"
                )
        since, until = self._time_range(req)
        increment = req.arg("time_increment", "all_days")

        groups: dict[tuple, list[AdDay]] = {}
        for row in self.world.ad_days:
            if row.ad.platform not in C.META_PLATFORMS or not since <= row.day <= until:
                continue
            start, stop = _bucket(row.day, since, until, increment)
            ad = row.ad
            key_parts = (C.AD_ACCOUNT_ID, ad.campaign_id, ad.adset_id, ad.ad_id)[: depth + 1]
            key = (start, stop, key_parts, ad.platform if breakdowns else None)
            groups.setdefault(key, []).append(row)
        # Meta answers as of now; the sandbox's "now" is the end of the last day asked for, so
        # a day asked for again later shows its restated (grown) lead count
        rows = [
            self._ad_row(key, rs, fields, depth, bool(breakdowns), as_of=until)
            for key, rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][3] or ""))
        ]
        page, paging = paginate(req, rows, default_limit=25, max_limit=5000)
        body = {"data": page}
        if paging:
            body["paging"] = paging
        return body

    def _time_range(self, req: Request) -> tuple[date, date]:
        cfg = self.world.config
        raw = req.arg("time_range")
        if raw:
            try:
                tr = json.loads(raw)
                return date.fromisoformat(tr["since"]), date.fromisoformat(tr["until"])
            except (ValueError, KeyError, TypeError):
                raise GraphError(
                    400,
                    100,
                    "(#100) param time_range must be an object with keys "
                    "since and until in YYYY-MM-DD format",
                ) from None
        # Presets are relative to "today" = the horizon end (the world's present).
        today = cfg.start_date + timedelta(days=cfg.days)
        preset = req.arg("date_preset", "last_30d")
        if preset == "maximum":
            return cfg.start_date, today
        if preset == "today":
            return today, today
        if preset == "yesterday":
            return today - timedelta(days=1), today - timedelta(days=1)
        m = re.fullmatch(r"last_(\d+)d", preset)
        if not m:
            raise GraphError(
                400, 100, f"(#100) date_preset must be one of the supported presets, got {preset}"
            )
        return today - timedelta(days=int(m.group(1))), today - timedelta(days=1)

    @staticmethod
    def _ad_row(key: tuple, rows: list[AdDay], fields: list[str], depth: int, breakdown: bool,
                as_of: date) -> dict:
        start, stop, _ids, platform = key
        ad = rows[0].ad
        impressions = sum(r.impressions for r in rows)
        reach = sum(r.reach for r in rows)  # reach is not additive in reality; summed here
        clicks = sum(r.clicks for r in rows)
        link = sum(r.link_clicks for r in rows)
        spend = round(sum(r.spend for r in rows), 2)
        actions = [
            (name, sum(getattr(r, attr) for r in rows))
            for name, attr in (
                ("link_click", "link_clicks"),
                ("landing_page_view", "landing_page_views"),
                ("post_reaction", "post_reactions"),
            )
        ]
        leads = sum(r.platform_leads_as_of(as_of) for r in rows)
        actions.append(("lead", leads))
        values = {
            "account_currency": C.CURRENCY,
            "account_id": C.AD_ACCOUNT_ID,
            "account_name": C.AD_ACCOUNT_NAME,
            "campaign_id": ad.campaign_id,
            "campaign_name": ad.campaign_name,
            "objective": ad.objective,
            "adset_id": ad.adset_id,
            "adset_name": ad.adset_name,
            "ad_id": ad.ad_id,
            "ad_name": ad.name,
            "buying_type": "AUCTION",
            "impressions": str(impressions),
            "reach": str(reach),
            "frequency": f"{impressions / reach:.6f}" if reach else None,
            "clicks": str(clicks),
            "inline_link_clicks": str(link),
            "spend": f"{spend:.2f}",
            "cpc": f"{spend / clicks:.6f}" if clicks else None,
            "cpm": f"{spend / impressions * 1000:.6f}" if impressions else None,
            "ctr": f"{clicks / impressions * 100:.6f}" if impressions else None,
            "actions": [{"action_type": n, "value": str(v)} for n, v in actions if v] or None,
            "action_values": ([{"action_type": "lead", "value": f"{leads * C.LEAD_CONVERSION_VALUE:.2f}"}]
                              if leads else None),
        }
        out = {}
        for f in fields:
            if f in ("date_start", "date_stop") or _FIELD_LEVEL.get(f, 0) > depth:
                continue  # ids below the requested level do not exist in the row
            if values[f] is not None:  # Meta omits undefined ratios and empty action lists
                out[f] = values[f]
        out["date_start"] = start.isoformat()
        out["date_stop"] = stop.isoformat()
        if breakdown:
            out["publisher_platform"] = platform
        return out


def _bucket(day: date, since: date, until: date, increment: str) -> tuple[date, date]:
    if increment == "all_days":
        return since, until
    if increment == "monthly":
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return max(first, since), min(nxt - timedelta(days=1), until)
    try:
        n = int(increment)
    except ValueError:
        raise GraphError(400, 100, "(#100) time_increment must be all_days, monthly or 1-90") from None
    if not 1 <= n <= 90:
        raise GraphError(400, 100, "(#100) time_increment must be all_days, monthly or 1-90")
    k = (day - since).days // n
    start = since + timedelta(days=k * n)
    return start, min(start + timedelta(days=n - 1), until)


def _with_query(req: Request, query: list[tuple[str, str]]) -> Request:
    return Request(req.method, req.path, query, req.headers, b"", req.base_url)


def paginate(req: Request, items: list, *, default_limit: int, max_limit: int):
    """Graph cursor paging (§1.1): cursors point at the first/last item; `next` only when more."""
    try:
        limit = min(max_limit, max(1, int(req.arg("limit", str(default_limit)))))
        after, before = req.arg("after"), req.arg("before")
        if after:
            start = decode_cursor(after) + 1
            end = start + limit
        elif before:
            end = decode_cursor(before)
            start = max(0, end - limit)
        else:
            start, end = 0, limit
    except ValueError:
        raise GraphError(400, 100, "(#100) Invalid parameter: invalid cursor or limit") from None
    page = items[start:end]
    if not page:
        return [], None
    last = start + len(page) - 1
    paging: dict = {"cursors": {"before": encode_cursor(start), "after": encode_cursor(last)}}
    if start > 0:
        paging["previous"] = req.url_with(before=encode_cursor(start), after=None)
    if last + 1 < len(items):
        paging["next"] = req.url_with(after=encode_cursor(last), before=None)
    return page, paging
