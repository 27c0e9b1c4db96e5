"""X API v2 shapes (api_shapes.md §4): our account's Post timeline with its metrics, and the
user object with the follower count.

Routes (prefix ``/2``):
  GET /2/users/{id}/tweets?start_time&end_time&max_results&pagination_token&tweet.fields&exclude
  GET /2/users/{id}?user.fields=public_metrics,created_at,...

What the documentation says, and this fake does:
* Paging: ``meta.next_token`` while more pages exist, sent back as ``pagination_token``; an empty
  window answers ``{"meta": {"result_count": 0}}`` without ``data``.
* ``max_results`` 5-100 (default 10); ``start_time`` inclusive, ``end_time`` exclusive, second
  granularity; only the 3,200 most recent Posts are reachable.
* ``non_public_metrics`` / ``organic_metrics`` / ``promoted_metrics`` exist only for Posts created
  in the last 30 days: when they are requested, "the results automatically adjust to only include
  Posts from the last 30 days" (docs.x.com, timelines integration guide). The filter applies to
  each page after paging, so a page can come back empty and still carry a ``next_token`` (the
  guide's documented edge case).
* Every answer carries ``x-rate-limit-limit``, ``x-rate-limit-remaining`` and
  ``x-rate-limit-reset`` (UTC epoch seconds) per endpoint and 15-minute window; the call after
  the last one of a window gets 429 ``Too Many Requests`` (problem+json) with the same headers.
  401 ``Unauthorized`` for a wrong token.
* Links in a Post's text are t.co short links; the tracked URL is ``entities.urls[].expanded_url``.

The X API answers "now": what is visible (Posts created before now, the 30-day window, the
follower count, rate-limit resets) follows ``XApi.clock``, which starts at the world's horizon end
(the world is served as it stands then, like every sandbox API) and runs at wall-clock speed;
``clock.set(moment)`` moves it (a test playing a daily schedule). Each answer's ``Date`` header
shows it, as a real server's shows its clock.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formatdate

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import (
    Clock,
    Request,
    Response,
    decode_cursor,
    encode_cursor,
    json_response,
)
from social_roi.sandbox.world import UTC, Post, World

PREFIX = "/2"
PROBLEMS = "https://api.twitter.com/2/problems"
NON_PUBLIC = ("non_public_metrics", "organic_metrics", "promoted_metrics")
NON_PUBLIC_DAYS = 30
TIMELINE_DEPTH = 3200
TWEET_FIELDS = (
    "article", "attachments", "author_id", "card_uri", "community_id", "context_annotations",
    "conversation_id", "created_at", "display_text_range", "edit_controls",
    "edit_history_tweet_ids", "entities", "geo", "id", "in_reply_to_user_id", "lang",
    "media_metadata", "non_public_metrics", "note_tweet", "organic_metrics", "possibly_sensitive",
    "promoted_metrics", "public_metrics", "referenced_tweets", "reply_settings", "scopes", "source",
    "text", "withheld",
)
USER_FIELDS = (
    "affiliation", "connection_status", "created_at", "description", "entities", "id", "location",
    "most_recent_tweet_id", "name", "pinned_tweet_id", "profile_banner_url", "profile_image_url",
    "protected", "public_metrics", "receives_your_dm", "subscription_type", "url", "username",
    "verified", "verified_type", "withheld",
)
ACCOUNT_CREATED_AT = "2012-03-14T09:21:40.000Z"
# Per endpoint, per user and 15-minute window (user context; tier-dependent in reality).
DEFAULT_LIMITS = {"tweets": (900, 900.0), "users": (900, 900.0)}


class XError(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body.get("detail"))
        self.status, self.body = status, body


def _invalid(parameter: str, value: str, message: str) -> XError:
    return XError(400, {
        "errors": [{"parameters": {parameter: [value]}, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}/invalid-request",
    })


@dataclass
class RateLimit:
    """One endpoint's window: ``limit`` calls, then 429 until ``reset``."""

    limit: int
    window_seconds: float
    window_start: float | None = None
    used: int = 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        if self.window_start is None or now >= self.window_start + self.window_seconds:
            self.window_start, self.used = now, 0
        allowed = self.used < self.limit
        self.used += allowed
        reset = math.ceil(self.window_start + self.window_seconds)
        return allowed, {"x-rate-limit-limit": str(self.limit),
                         "x-rate-limit-remaining": str(self.limit - self.used),
                         "x-rate-limit-reset": str(reset)}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _parse_time(name: str, value: str | None) -> float | None:
    if value in (None, ""):
        return None
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z", value):
        raise _invalid(name, value, f"Invalid '{name}':'{value}'. '{name}' must be a valid RFC 3339 "
                       "date-time, e.g. 2026-10-01T00:00:00Z.")
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _short_link(post: Post) -> str:
    """A stable t.co-style link per Post (X wraps every URL in its shortener)."""
    digest = hashlib.sha256(post.landing_url.encode()).digest()
    return "https://t.co/" + base64.b64encode(digest, altchars=b"Zq").decode()[:10]


class XApi:
    def __init__(self, world: World) -> None:
        self.world = world
        # newest first, as the timeline lists them
        self.tweets = sorted((p for p in world.posts if p.platform == "x"),
                             key=lambda p: (p.created_ts, p.post_id), reverse=True)
        self.clock = Clock(float(world.config.end_ts))
        self._limits: dict[str, RateLimit] = {}
        self._lock = threading.Lock()
        for endpoint, (limit, window) in DEFAULT_LIMITS.items():
            self.set_rate_limit(endpoint, limit, window)

    def set_rate_limit(self, endpoint: str, limit: int, window_seconds: float) -> None:
        """``endpoint`` is ``tweets`` (the timeline) or ``users`` (user lookup); a new window starts."""
        with self._lock:
            self._limits[endpoint] = RateLimit(limit, window_seconds)

    # ---- transport ---------------------------------------------------------------------------

    def handle(self, req: Request, token: str) -> Response:
        now = self.clock.now()
        headers = {"Date": formatdate(now, usegmt=True)}
        try:
            if req.bearer() != token:
                raise XError(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                   "detail": "Unauthorized"})
            parts = req.path[len(PREFIX):].strip("/").split("/")
            endpoint = "tweets" if len(parts) == 3 and parts[2] == "tweets" else "users"
            with self._lock:
                allowed, limit_headers = self._limits[endpoint].take(now)
            headers.update(limit_headers)
            if not allowed:
                raise XError(429, {"title": "Too Many Requests", "type": "about:blank", "status": 429,
                                   "detail": "Too Many Requests"})
            if req.method != "GET":
                raise XError(405, {"title": "Method Not Allowed", "type": "about:blank",
                                   "status": 405, "detail": "Method Not Allowed"})
            return json_response(200, self._route(req, parts, now), headers)
        except XError as e:
            response = json_response(e.status, e.body, headers)
            response.content_type = "application/problem+json"
            return response

    def _route(self, req: Request, parts: list[str], now: float) -> dict:
        if len(parts) in (2, 3) and parts[0] == "users":
            user_id = parts[1]
            if not user_id.isdigit():
                raise _invalid("id", user_id, f"The `id` query parameter value [{user_id}] does not "
                               "match ^[0-9]{1,19}$")
            if user_id != C.X_USER_ID:
                return {"errors": [{
                    "value": user_id, "detail": f"Could not find user with id: [{user_id}].",
                    "title": "Not Found Error", "resource_type": "user", "parameter": "id",
                    "resource_id": user_id, "type": f"{PROBLEMS}/resource-not-found"}]}
            if len(parts) == 2:
                return self._user(req, now)
            if parts[2] == "tweets":
                return self._timeline(req, now)
        raise XError(404, {"title": "Not Found", "type": "about:blank", "status": 404,
                           "detail": f"Sorry, that page does not exist: {req.path}"})

    # ---- user lookup -------------------------------------------------------------------------

    def followers_at(self, now: float) -> int:
        """The follower count at ``now``: the world's total at the end of the last complete day
        (the world's followers move at day boundaries)."""
        cfg = self.world.config
        last_day = datetime.fromtimestamp(now, UTC).date() - timedelta(days=1)
        if last_day < cfg.start_date:
            return round(C.FOLLOWERS_AT_START["x"] * cfg.scale)
        return self.world.followers[("x", min(last_day, cfg.dates[-1]))][0]

    def _user(self, req: Request, now: float) -> dict:
        fields = self._fields(req, "user.fields", USER_FIELDS)
        posted = sum(1 for p in self.tweets if p.created_ts <= now)
        values = {
            "id": C.X_USER_ID,
            "name": C.COMPANY,
            "username": C.X_USERNAME,
            "created_at": ACCOUNT_CREATED_AT,
            "description": "Marketing ROI you can prove. Attribution, funnels and social analytics.",
            "url": "https://t.co/acmeSITE01",
            "location": "San Francisco, CA",
            "protected": False,
            "verified": False,
            "verified_type": "none",
            "profile_image_url": "https://pbs.twimg.com/profile_images/1500000000/acme_normal.png",
            "public_metrics": {
                "followers_count": self.followers_at(now),
                "following_count": 412,
                "tweet_count": 5210 + posted,
                "listed_count": 87,
                "like_count": 1630,
                "media_count": 940,
            },
        }
        user = {"id": C.X_USER_ID, "name": C.COMPANY, "username": C.X_USERNAME}
        user.update({f: values[f] for f in fields if f in values})
        return {"data": user}

    # ---- the Post timeline -------------------------------------------------------------------

    def _timeline(self, req: Request, now: float) -> dict:
        raw_max = req.arg("max_results", "10") or "10"
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            raise _invalid("max_results", raw_max, f"The `max_results` query parameter value "
                           f"[{raw_max}] is not between 5 and 100")
        size = int(raw_max)
        fields = self._fields(req, "tweet.fields", TWEET_FIELDS)
        start = _parse_time("start_time", req.arg("start_time"))
        end = _parse_time("end_time", req.arg("end_time"))
        if start is not None and end is not None and start >= end:
            raise _invalid("start_time", req.arg("start_time") or "", "The `start_time` query "
                           "parameter value must be before the `end_time` query parameter value")
        for kind in _split(req.arg("exclude")):
            if kind not in ("retweets", "replies"):
                raise _invalid("exclude", kind, f"The `exclude` query parameter value [{kind}] is "
                               "not one of [retweets,replies]")
        visible = [p for p in self.tweets if p.created_ts <= now][:TIMELINE_DEPTH]
        window = [p for p in visible
                  if (start is None or p.created_ts >= start) and (end is None or p.created_ts < end)]
        token = req.arg("pagination_token")
        try:
            offset = decode_cursor(token) if token else 0
        except ValueError:
            raise _invalid("pagination_token", token or "", f"The `pagination_token` query "
                           f"parameter value [{token}] is not valid") from None
        page = window[offset:offset + size]
        if set(fields) & set(NON_PUBLIC):
            # only Posts of the last 30 days, filtered after paging (the documented edge case)
            page = [p for p in page if now - p.created_ts < NON_PUBLIC_DAYS * 86400]
        meta: dict = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = page[0].post_id, page[-1].post_id
        if offset + size < len(window):
            meta["next_token"] = encode_cursor(offset + size)
        if offset > 0:
            meta["previous_token"] = encode_cursor(max(0, offset - size))
        body: dict = {"data": [self._tweet(p, fields) for p in page]} if page else {}
        body["meta"] = meta
        return body

    def _fields(self, req: Request, param: str, allowed: tuple[str, ...]) -> list[str]:
        fields = _split(req.arg(param))
        for name in fields:
            if name not in allowed:
                raise _invalid(param, name, f"The `{param}` query parameter value [{name}] is not "
                               f"one of [{','.join(allowed)}]")
        return fields

    @staticmethod
    def _tweet(p: Post, fields: list[str]) -> dict:
        link = _short_link(p)
        text = p.text.replace(p.landing_url, link)
        at = text.index(link)
        urls = [{"start": at, "end": at + len(link), "url": link, "expanded_url": p.landing_url,
                 "display_url": (p.landing_url.split("://", 1)[1][:26] + "…")}]
        hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                    for m in re.finditer(r"#(\w+)", text)]
        quotes = p.shares // 4  # the world counts shares; X splits them into reposts and quotes
        public = {"retweet_count": p.shares - quotes, "reply_count": p.comments,
                  "like_count": p.reactions, "quote_count": quotes, "bookmark_count": p.saves,
                  "impression_count": p.views}
        profile_clicks = (p.reactions + p.comments) // 3
        values = {
            "id": p.post_id,
            "text": text,
            "edit_history_tweet_ids": [p.post_id],
            "created_at": _iso(p.created_ts),
            "author_id": C.X_USER_ID,
            "conversation_id": p.post_id,
            "lang": "en",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "entities": {"urls": urls, "hashtags": hashtags},
            "public_metrics": public,
            "non_public_metrics": {"impression_count": p.views, "url_link_clicks": p.link_clicks,
                                   "user_profile_clicks": profile_clicks},
            "organic_metrics": {"impression_count": p.views, "like_count": p.reactions,
                                "reply_count": p.comments, "retweet_count": public["retweet_count"],
                                "url_link_clicks": p.link_clicks,
                                "user_profile_clicks": profile_clicks},
        }
        tweet = {"id": p.post_id, "text": text, "edit_history_tweet_ids": [p.post_id]}
        # promoted_metrics: our Posts are not promoted, so X leaves the field out
        tweet.update({f: values[f] for f in fields if f in values})
        return tweet
