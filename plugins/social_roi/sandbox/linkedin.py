"""LinkedIn Marketing API (versioned ``/rest``) shapes: organization posts, share and follower
statistics, ad accounts, campaigns and ad analytics (api_shapes.md §3).

Routes (prefix ``/rest``):
  GET /posts?q=author&author=<org urn>&sortBy=LAST_MODIFIED|CREATED&start=&count=
  GET /organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=<org urn>
      [&shares=List(urn%3Ali%3Ashare%3A…)][&ugcPosts=List(…)]          (lifetime statistics)
  GET /organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=<org urn>
      [&timeIntervals=(timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY|MONTH)]
  GET /networkSizes/<org urn>?edgeType=COMPANY_FOLLOWED_BY_MEMBER
  GET /adAccounts/{id}      GET /adAccounts/{id}/adCampaigns?q=search&pageSize=&pageToken=
  GET /adAnalytics?q=analytics&pivot=CREATIVE | q=statistics&pivots=List(CAMPAIGN,CREATIVE)
      &timeGranularity=DAILY|MONTHLY|ALL&dateRange=(start:(year:…,month:…,day:…),end:(…))
      &campaigns=List(urn%3Ali%3AsponsoredCampaign%3A…)|accounts=List(…)|creatives=List(…)&fields=…

What the real API insists on, the sandbox does too: a ``LinkedIn-Version: YYYYMM`` header of an
active version (missing: 400 VERSION_MISSING; sunset or unknown: 426 NONEXISTENT_VERSION),
``X-Restli-Protocol-Version: 2.0.0``, Rest.li 2.0 values with literal ``List(…)``/``(…)``
syntax and percent-encoded URN colons inside them (anything else: 400 ILLEGAL_ARGUMENT), at most
20 ``fields`` per adAnalytics request (without ``fields`` only impressions and clicks come back),
no paging on adAnalytics, offset paging (``start``/``count``, ``paging.links``) on posts, cursor
paging (``pageToken``, ``metadata.nextPageToken``) on campaigns, statistics only for our own
organization's shares (403 ACCESS_DENIED otherwise). Conversions are credited to the day of the
click or view and keep arriving for days: a day asked for again later shows more (as Meta's
restatement; ``AdDay.platform_leads_as_of`` on the date range's last day). Money (``costInLocalCurrency``,
``conversionValueInLocalCurrency``) is a decimal string; counts are numbers. Throttling (HTTP 429,
no Retry-After) and expired tokens are injected as faults (``faults.linkedin_throttle``,
``faults.linkedin_expired_token``).

Error bodies ``{"status", "serviceErrorCode", "code", "message"}``: 401, 403, 426 and 429 as
verified in public reports; the texts of the 400s (missing version, bad Rest.li syntax, too many
fields) follow the same shape, their wording is this sandbox's. Not served: time-bound *share*
statistics (the daily split of a post's engagement is not modelled) and demographic pivots.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, unquote

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Request, Response, decode_cursor, encode_cursor, json_response, trace_id
from social_roi.sandbox.world import AdDay, Post, World, WorldConfig

PREFIX = "/rest"
ORG = C.LINKEDIN_ORG_URN
ACCOUNT_URN = f"urn:li:sponsoredAccount:{C.LINKEDIN_AD_ACCOUNT_ID}"
GROUP_URN = f"urn:li:sponsoredCampaignGroup:{C.LINKEDIN_CAMPAIGN_GROUP_ID}"
MAX_FIELDS = 20
ACTIVE_VERSIONS = 12  # LinkedIn supports a monthly version for about a year
DAY_MS = 86_400_000

# adAnalytics metrics the sandbox models: name -> value of a group of creative-days, as reported
# on the day after `as_of` (conversions credited to a day keep arriving for a while)
_MONEY = {"costInLocalCurrency", "conversionValueInLocalCurrency"}


def _post_click(rows: list[AdDay], as_of: date) -> int:
    return sum(min(r.true_leads, r.platform_leads_as_of(as_of)) for r in rows)


METRICS = {
    "impressions": lambda rows, as_of: sum(r.impressions for r in rows),
    "clicks": lambda rows, as_of: sum(r.clicks for r in rows),
    "landingPageClicks": lambda rows, as_of: sum(r.link_clicks for r in rows),
    "costInLocalCurrency": lambda rows, as_of: sum(r.spend for r in rows),
    "externalWebsiteConversions": lambda rows, as_of: sum(r.platform_leads_as_of(as_of) for r in rows),
    "externalWebsitePostClickConversions": _post_click,
    "externalWebsitePostViewConversions": lambda rows, as_of: (
        sum(r.platform_leads_as_of(as_of) for r in rows) - _post_click(rows, as_of)),
    "conversionValueInLocalCurrency": lambda rows, as_of: sum(
        r.conversion_value_as_of(as_of) or 0.0 for r in rows),
    "oneClickLeads": lambda rows, as_of: 0,  # no Lead Gen Form campaigns in this account
    "oneClickLeadFormOpens": lambda rows, as_of: 0,
    "reactions": lambda rows, as_of: sum(r.post_reactions for r in rows),
    "likes": lambda rows, as_of: sum(r.post_reactions for r in rows),
}
ANALYTICS_FIELDS = {"dateRange", "pivotValues", *METRICS}
ENTITY_PIVOTS = ("ACCOUNT", "CAMPAIGN_GROUP", "CAMPAIGN", "CREATIVE")


class LinkedInError(Exception):
    def __init__(self, status: int, code: str, message: str, service_code: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.service_code = status, code, message, service_code

    def body(self) -> dict:
        body: dict = {"status": self.status}
        if self.service_code is not None:
            body["serviceErrorCode"] = self.service_code
        return {**body, "code": self.code, "message": self.message}


def illegal(message: str) -> LinkedInError:
    return LinkedInError(400, "ILLEGAL_ARGUMENT", message)


# ---- versions ------------------------------------------------------------------------------------


def current_version(cfg: WorldConfig) -> str:
    """The newest version on the world's 'today' (its horizon end): what a client should send."""
    return f"{cfg.end:%Y%m}"


def active_versions(cfg: WorldConfig) -> set[str]:
    year, month = cfg.end.year, cfg.end.month
    out = set()
    for _ in range(ACTIVE_VERSIONS):
        out.add(f"{year:04d}{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


# ---- Rest.li 2.0 query values ----------------------------------------------------------------------


def parse_restli(raw: str):
    """A Rest.li 2.0 value from its raw (still percent-encoded) query text: ``List(a,b)`` is a
    list, ``(k:v,…)`` an object, anything else a percent-decoded string. Structural characters
    must be literal and a URN's colons encoded, as LinkedIn's parser wants them."""
    value, end = _restli_value(raw, 0)
    if end != len(raw):
        raise illegal(f"Invalid Rest.li value: unexpected '{raw[end]}' at position {end} in '{raw}'")
    return value


def _restli_value(s: str, i: int):
    if s.startswith("List(", i):
        i, items = i + 5, []
        if i < len(s) and s[i] == ")":
            return items, i + 1
        while True:
            item, i = _restli_value(s, i)
            items.append(item)
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == ")":
                return items, i + 1
            else:
                where = f"'{s[i]}'" if i < len(s) else "the end"
                raise illegal(f"Invalid Rest.li list: unexpected {where} at position {i} in '{s}' "
                              "(URNs inside List() must be URL-encoded)")
    if s.startswith("(", i):
        i, obj = i + 1, {}
        if i < len(s) and s[i] == ")":
            return obj, i + 1
        while True:
            j = _scalar_end(s, i)
            if j >= len(s) or s[j] != ":":
                raise illegal(f"Invalid Rest.li object: expected ':' after '{s[i:j]}' in '{s}'")
            obj[unquote(s[i:j])], i = _restli_value(s, j + 1)
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == ")":
                return obj, i + 1
            else:
                raise illegal(f"Invalid Rest.li object: unexpected end in '{s}'")
    j = _scalar_end(s, i)
    return unquote(s[i:j]), j


def _scalar_end(s: str, i: int) -> int:
    while i < len(s) and s[i] not in "(),:":
        i += 1
    return i


def _raw_params(req: Request) -> dict[str, str]:
    """Query parameters with their values as sent (last one wins), keys decoded."""
    out: dict[str, str] = {}
    for part in req.raw_query.split("&"):
        if part:
            key, _, value = part.partition("=")
            out[unquote(key)] = value
    return out


def _structured(params: dict[str, str], name: str):
    """A Rest.li parameter, from ``name=(…)`` or the dotted form ``name.a.b=v`` (both accepted
    by LinkedIn; Airbyte sends the dotted one)."""
    if name in params:
        return parse_restli(params[name])
    dotted = {k[len(name) + 1:]: unquote(v) for k, v in params.items() if k.startswith(name + ".")}
    if not dotted:
        return None
    obj: dict = {}
    for path, value in dotted.items():
        node = obj
        *parents, leaf = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return obj


def _urn_list(params: dict[str, str], name: str) -> list[str] | None:
    if name not in params:
        return None
    value = parse_restli(params[name])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise illegal(f"Invalid value for param '{name}': expected List(…) of URNs, got '{params[name]}'")
    return value


def _int(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise illegal(f"Invalid {what}: '{value}'") from None


def _ms(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)


def _day_of(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, UTC).date()


# ---- the API -------------------------------------------------------------------------------------------


class LinkedIn:
    def __init__(self, world: World) -> None:
        self.world = world
        cfg = world.config
        self.active_versions = active_versions(cfg)
        self.today = cfg.end.date()
        posts = [p for p in world.posts if p.platform == "linkedin"]
        self.posts = sorted(posts, key=lambda p: (p.created_ts, p.post_id), reverse=True)
        self.by_urn = {p.post_id: p for p in posts}
        self.ads = [a for a in world.ads if a.platform == "linkedin"]
        self.ad_days = [r for r in world.ad_days if r.ad.platform == "linkedin"]
        self.campaigns = self._campaigns()

    # ---- transport ---------------------------------------------------------------------------------

    def handle(self, req: Request, token: str) -> Response:
        headers = {"X-RestLi-Protocol-Version": "2.0.0", "x-li-uuid": trace_id(req, 22)}
        try:
            if req.bearer() != token:
                raise LinkedInError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
            self._check_version(req)
            if req.headers.get("x-restli-protocol-version") != "2.0.0":
                raise illegal("Rest.li 2.0 query syntax requires the header X-Restli-Protocol-Version: 2.0.0")
            if req.method != "GET":
                raise LinkedInError(405, "METHOD_NOT_ALLOWED", f"{req.method} is not supported here")
            return json_response(200, self._route(req), headers)
        except LinkedInError as e:
            return json_response(e.status, e.body(), headers)

    def _check_version(self, req: Request) -> None:
        version = (req.headers.get("linkedin-version") or "").strip()
        if not version:
            raise LinkedInError(400, "VERSION_MISSING", "A version must be present. Please specify a "
                                "version by adding the LinkedIn-Version header.")
        if not version.isdigit() or len(version) not in (6, 8):
            raise LinkedInError(400, "INVALID_VERSION", f"Invalid version {version}: use YYYYMM")
        if version[:6] not in self.active_versions or (len(version) == 8 and version[6:] != "01"):
            full = version if len(version) == 8 else version + "01"
            raise LinkedInError(426, "NONEXISTENT_VERSION", f"Requested version {full} is not active")

    def _route(self, req: Request) -> dict:
        parts = [unquote(p) for p in req.path[len(PREFIX):].strip("/").split("/") if p]
        params = _raw_params(req)
        match parts:
            case ["posts"]:
                return self._posts(req, params)
            case ["organizationalEntityShareStatistics"]:
                return self._share_statistics(params)
            case ["organizationalEntityFollowerStatistics"]:
                return self._follower_statistics(params)
            case ["networkSizes", urn]:
                self._own_organization(urn, "networkSizes")
                if unquote(params.get("edgeType", "")) not in ("COMPANY_FOLLOWED_BY_MEMBER",
                                                               "CompanyFollowedByMember"):
                    raise illegal("edgeType must be COMPANY_FOLLOWED_BY_MEMBER")
                return {"firstDegreeSize": self._followers_on(self.today - timedelta(days=1))}
            case ["adAccounts", account]:
                self._own_account(account)
                return self._account()
            case ["adAccounts", account, "adCampaigns"]:
                self._own_account(account)
                return self._campaign_search(params)
            case ["adAnalytics"]:
                return self._analytics(params)
        raise LinkedInError(404, "NOT_FOUND", f"No resource at {req.path}")

    # ---- organic: posts and statistics ---------------------------------------------------------------

    def _own_organization(self, urn: str | None, param: str) -> None:
        if urn is None:
            raise illegal(f"Parameter '{param}' is required")
        if urn != ORG:
            raise LinkedInError(403, "ACCESS_DENIED", f"Not enough permissions to access: {param} "
                                f"{urn}. The member is not an administrator of this organization.", 100)

    def _posts(self, req: Request, params: dict[str, str]) -> dict:
        if unquote(params.get("q", "")) != "author":
            raise illegal("Finder 'q' must be 'author' for this resource")
        self._own_organization(unquote(params["author"]) if "author" in params else None, "author")
        start = _int(unquote(params.get("start", "0")), "start")
        count = _int(unquote(params.get("count", "10")), "count")
        if start < 0 or not 1 <= count <= 100:
            raise illegal("start must be >= 0 and count between 1 and 100")
        sort = unquote(params.get("sortBy", "LAST_MODIFIED"))
        if sort not in ("LAST_MODIFIED", "CREATED"):
            raise illegal(f"Invalid sortBy '{sort}': LAST_MODIFIED or CREATED")
        page = self.posts[start:start + count]  # never edited here: both orders are the same
        links = []
        if start > 0:
            links.append(self._link(req, "prev", max(0, start - count), count))
        if start + count < len(self.posts):
            links.append(self._link(req, "next", start + count, count))
        return {"paging": {"start": start, "count": count, "links": links, "total": len(self.posts)},
                "elements": [self._post(p) for p in page]}

    @staticmethod
    def _link(req: Request, rel: str, start: int, count: int) -> dict:
        kept = [p for p in req.raw_query.split("&") if p and p.split("=")[0] not in ("start", "count")]
        query = "&".join([*kept, f"count={count}", f"start={start}"])
        return {"type": "application/json", "rel": rel, "href": f"{req.path}?{query}"}

    @staticmethod
    def _post(p: Post) -> dict:
        ms = p.created_ts * 1000
        path = p.landing_url.split("?")[0][len(C.SITE):]
        return {
            "isReshareDisabledByAuthor": False,
            "createdAt": ms,
            "lifecycleState": "PUBLISHED",
            "lastModifiedAt": ms,
            "visibility": "PUBLIC",
            "publishedAt": ms,
            "author": ORG,
            "id": p.post_id,
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "content": {"article": {"source": p.landing_url,
                                    "title": C.PAGE_TITLES.get(path, C.COMPANY),
                                    "description": p.text.split(" http")[0]}},
            "commentary": p.text,
            "lifecycleStateInfo": {"isEditedByAuthor": False},
        }

    @staticmethod
    def _share_totals(posts: list[Post]) -> dict:
        impressions = sum(p.views for p in posts)
        clicks = sum(p.link_clicks for p in posts)
        likes = sum(p.reactions for p in posts)
        comments = sum(p.comments for p in posts)
        shares = sum(p.shares for p in posts)
        # engagement = (clicks + likes + comments + shares) / impressions, LinkedIn's own ratio
        engagement = (clicks + likes + comments + shares) / impressions if impressions else 0.0
        return {"uniqueImpressionsCount": sum(p.reach for p in posts), "shareCount": shares,
                "engagement": engagement, "clickCount": clicks, "likeCount": likes,
                "impressionCount": impressions, "commentCount": comments}

    def _share_statistics(self, params: dict[str, str]) -> dict:
        if unquote(params.get("q", "")) != "organizationalEntity":
            raise illegal("Finder 'q' must be 'organizationalEntity' for this resource")
        org = unquote(params["organizationalEntity"]) if "organizationalEntity" in params else None
        self._own_organization(org, "organizationalEntity")
        if _structured(params, "timeIntervals") is not None:
            raise illegal("This sandbox serves lifetime share statistics only (no timeIntervals)")
        elements = []
        for key, kind in (("shares", "share"), ("ugcPosts", "ugcPost")):
            for index, urn in enumerate(_urn_list(params, key) or []):
                post = self.by_urn.get(urn)
                if post is None or not urn.startswith(f"urn:li:{kind}:"):
                    raise LinkedInError(403, "ACCESS_DENIED", "Unpermitted fields present in "
                                        "PARAMETER: Data Processing Exception while processing fields "
                                        f"[/{key}[{index}]]", 100)
                elements.append({"totalShareStatistics": self._share_totals([post]), kind: urn,
                                 "organizationalEntity": ORG})
        if "shares" not in params and "ugcPosts" not in params:  # the organization's lifetime total
            totals = self._share_totals(self.posts)
            totals.update(shareMentionsCount=0, commentMentionsCount=0)
            elements.append({"totalShareStatistics": totals, "organizationalEntity": ORG})
        return {"paging": {"start": 0, "count": len(elements), "links": []}, "elements": elements}

    def _followers_on(self, day: date) -> int:
        known = [d for d in self.world.config.dates if d <= day]
        if not known:
            return round(C.LINKEDIN_FOLLOWERS_AT_START * self.world.config.scale)
        return self.world.followers[("linkedin", known[-1])][0]

    def _follower_statistics(self, params: dict[str, str]) -> dict:
        if unquote(params.get("q", "")) != "organizationalEntity":
            raise illegal("Finder 'q' must be 'organizationalEntity' for this resource")
        org = unquote(params["organizationalEntity"]) if "organizationalEntity" in params else None
        self._own_organization(org, "organizationalEntity")
        intervals = _structured(params, "timeIntervals")
        if intervals is None:
            return {"paging": {"start": 0, "count": 10, "links": []},
                    "elements": [self._lifetime_followers()]}
        try:
            granularity = intervals["timeGranularityType"]
            start = int(intervals["timeRange"]["start"])
            end = int(intervals["timeRange"].get("end", _ms(self.today)))
        except (KeyError, TypeError, ValueError):
            raise illegal("Invalid timeIntervals parameter: expected (timeRange:(start:<ms>,end:<ms>),"
                          "timeGranularityType:DAY|MONTH)") from None
        if granularity not in ("DAY", "MONTH") or end <= start:
            raise illegal("Invalid timeIntervals parameter: timeGranularityType DAY or MONTH, start < end")
        if start < _ms(self.today - timedelta(days=365)):
            raise illegal("Invalid timeIntervals parameter: data is kept for a rolling 12 months")
        buckets: dict[tuple[int, int], list[int]] = {}
        for day in self.world.config.dates:
            lo = _ms(day)
            if start <= lo and lo + DAY_MS <= end:
                if granularity == "DAY":
                    key = (lo, lo + DAY_MS)
                else:
                    first = day.replace(day=1)
                    key = (max(_ms(first), start), min(_ms((first + timedelta(days=32)).replace(day=1)), end))
                buckets.setdefault(key, [0, 0])
                organic, paid = self.world.linkedin_follower_gains[day]
                buckets[key][0] += organic
                buckets[key][1] += paid
        elements = [{"timeRange": {"start": lo, "end": hi},
                     "followerGains": {"organicFollowerGain": organic, "paidFollowerGain": paid},
                     "organizationalEntity": ORG}
                    for (lo, hi), (organic, paid) in sorted(buckets.items())]
        return {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}

    def _lifetime_followers(self) -> dict:
        """Demographic facets of today's followers (organic and paid rolled into organic, as
        LinkedIn reports them); the split is a fixed, plausible share per value."""
        total = self._followers_on(self.today - timedelta(days=1))

        def facet(key: str, shares: dict[str, float]) -> list[dict]:
            return [{key: value, "followerCounts": {"organicFollowerCount": math.floor(total * share),
                                                    "paidFollowerCount": 0}}
                    for value, share in shares.items()]

        return {
            "followerCountsByAssociationType": facet("associationType", {"EMPLOYEE": 0.02}),
            "followerCountsBySeniority": facet("seniority", {
                "urn:li:seniority:3": 0.31, "urn:li:seniority:4": 0.27, "urn:li:seniority:5": 0.18,
                "urn:li:seniority:6": 0.12, "urn:li:seniority:7": 0.07}),
            "followerCountsByGeoCountry": facet("geo", {
                "urn:li:geo:103644278": 0.46, "urn:li:geo:101165590": 0.14, "urn:li:geo:101282230": 0.08,
                "urn:li:geo:101174742": 0.08, "urn:li:geo:101452733": 0.06}),
            "organizationalEntity": ORG,
        }

    # ---- ads: account, campaigns, analytics -----------------------------------------------------------

    def _own_account(self, account: str) -> None:
        if account not in (C.LINKEDIN_AD_ACCOUNT_ID, ACCOUNT_URN):
            raise LinkedInError(403, "ACCESS_DENIED",
                                f"Not enough permissions to access: adAccounts {account}", 100)

    def _account(self) -> dict:
        return {"id": int(C.LINKEDIN_AD_ACCOUNT_ID), "name": C.LINKEDIN_AD_ACCOUNT_NAME,
                "currency": C.LINKEDIN_AD_CURRENCY, "status": "ACTIVE", "type": "BUSINESS",
                "reference": ORG, "test": False, "servingStatuses": ["RUNNABLE"],
                "notifiedOnCampaignOptimization": False, "version": {"versionTag": "4"}}

    def _campaigns(self) -> list[dict]:
        cfg = self.world.config
        out = []
        for name, objective, budget, _path, (first, last), _creatives in C.LINKEDIN_AD_CAMPAIGNS:
            ad = next((a for a in self.ads if a.campaign_name == name), None)
            if ad is None:  # a hand-built world without LinkedIn ads
                continue
            start = _ms(cfg.start_date + timedelta(days=first))
            schedule = {"start": start}
            if last is not None:
                schedule["end"] = _ms(cfg.start_date + timedelta(days=last))
            ended = last is not None and cfg.start_date + timedelta(days=last) <= self.today
            out.append({
                "id": int(ad.campaign_id), "account": ACCOUNT_URN, "campaignGroup": GROUP_URN,
                "name": name, "status": "COMPLETED" if ended else "ACTIVE", "type": "SPONSORED_UPDATES",
                "costType": "CPM", "objectiveType": objective, "format": "STANDARD_UPDATE",
                "dailyBudget": {"amount": f"{budget * cfg.scale:.2f}",
                                "currencyCode": C.LINKEDIN_AD_CURRENCY},
                "unitCost": {"amount": "38.00", "currencyCode": C.LINKEDIN_AD_CURRENCY},
                "runSchedule": schedule, "locale": {"country": "US", "language": "en"},
                "offsiteDeliveryEnabled": False, "version": {"versionTag": "2"},
            })
        return out

    def _campaign_search(self, params: dict[str, str]) -> dict:
        if unquote(params.get("q", "")) != "search":
            raise illegal("Finder 'q' must be 'search' for this resource")
        size = _int(unquote(params.get("pageSize", "100")), "pageSize")
        if not 1 <= size <= 1000:
            raise illegal("pageSize must be between 1 and 1000")
        statuses = None
        if "search" in params:
            search = parse_restli(params["search"])
            try:
                statuses = set(search["status"]["values"]) if "status" in search else None
            except (KeyError, TypeError):
                raise illegal("Invalid search: expected (status:(values:List(ACTIVE,…)))") from None
        campaigns = [c for c in self.campaigns if statuses is None or c["status"] in statuses]
        try:
            start = decode_cursor(unquote(params["pageToken"])) if "pageToken" in params else 0
        except ValueError:
            raise illegal("Invalid pageToken") from None
        page = campaigns[start:start + size]
        metadata = {}
        if start + size < len(campaigns):
            metadata["nextPageToken"] = encode_cursor(start + size)
        return {"elements": page, "metadata": metadata}

    def _analytics(self, params: dict[str, str]) -> dict:
        finder = unquote(params.get("q", ""))
        if finder == "analytics":
            pivot = unquote(params.get("pivot", ""))
            pivots = [pivot] if pivot else []
        elif finder == "statistics":
            pivots = _urn_list(params, "pivots") or []
            if len(pivots) > 3:
                raise illegal("At most 3 pivots are allowed with the statistics finder")
        else:
            raise illegal("Finder 'q' must be 'analytics' or 'statistics' for adAnalytics")
        if not pivots:
            raise illegal("Parameter 'pivot' (analytics) or 'pivots' (statistics) is required")
        for pivot in pivots:
            if pivot not in ENTITY_PIVOTS:
                raise illegal(f"Pivot {pivot} is not served by this sandbox (entity pivots only: "
                              f"{', '.join(ENTITY_PIVOTS)})")
        granularity = unquote(params.get("timeGranularity", ""))
        if granularity not in ("DAILY", "MONTHLY", "YEARLY", "ALL"):
            raise illegal("Parameter 'timeGranularity' must be DAILY, MONTHLY, YEARLY or ALL")
        first, last = self._date_range(params)
        fields = [f for f in unquote(params.get("fields", "")).split(",") if f]
        if len(fields) > MAX_FIELDS:
            raise illegal(f"Too many fields requested: {len(fields)}; the maximum is {MAX_FIELDS} "
                          "per request")
        for name in fields:
            if name not in ANALYTICS_FIELDS:
                raise illegal(f"Invalid field '{name}' in 'fields'")
        fields = fields or ["impressions", "clicks", "dateRange", "pivotValues"]
        rows = self._facet_rows(params)
        as_of = min(last or self.today, self.today - timedelta(days=1))  # asked on the day after
        groups: dict[tuple, list[AdDay]] = {}
        for row in rows:
            if not first <= row.day <= (last or self.today):
                continue
            if granularity == "DAILY":
                bucket = (row.day, row.day)
            elif granularity == "MONTHLY":
                month = row.day.replace(day=1)
                bucket = (max(month, first), min((month + timedelta(days=32)).replace(day=1)
                                                 - timedelta(days=1), last or self.today))
            else:
                bucket = (first, last or self.today)
            groups.setdefault((bucket, tuple(_pivot_value(p, row) for p in pivots)), []).append(row)
        elements = []
        for ((lo, hi), values), group in sorted(groups.items()):
            element: dict = {}
            for name in fields:
                if name == "dateRange":
                    element[name] = {"start": _ymd(lo), "end": _ymd(hi)}
                elif name == "pivotValues":
                    element[name] = list(values)
                elif name in _MONEY:
                    element[name] = _decimal(METRICS[name](group, as_of))
                else:
                    element[name] = METRICS[name](group, as_of)
            elements.append(element)
        return {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}

    def _date_range(self, params: dict[str, str]) -> tuple[date, date | None]:
        value = _structured(params, "dateRange")
        try:
            start = value["start"]
            first = date(int(start["year"]), int(start["month"]), int(start["day"]))
            end = value.get("end")
            last = date(int(end["year"]), int(end["month"]), int(end["day"])) if end else None
        except (KeyError, TypeError, ValueError):
            raise illegal("Parameter 'dateRange' is required: (start:(year:…,month:…,day:…),"
                          "end:(year:…,month:…,day:…))") from None
        if last is not None and last < first:
            raise illegal("Invalid dateRange: end is before start")
        return first, last

    def _facet_rows(self, params: dict[str, str]) -> list[AdDay]:
        facets = {name: _urn_list(params, name) for name in ("accounts", "campaignGroups", "campaigns",
                                                             "creatives")}
        given = {name: set(urns) for name, urns in facets.items() if urns is not None}
        if not given:
            raise illegal("One of accounts, campaignGroups, campaigns or creatives is required")
        rows = self.ad_days
        for name, urns in given.items():
            key = {"accounts": "ACCOUNT", "campaignGroups": "CAMPAIGN_GROUP", "campaigns": "CAMPAIGN",
                   "creatives": "CREATIVE"}[name]
            rows = [r for r in rows if _pivot_value(key, r) in urns]
        return rows


def _pivot_value(pivot: str, row: AdDay) -> str:
    return {
        "ACCOUNT": ACCOUNT_URN,
        "CAMPAIGN_GROUP": GROUP_URN,
        "CAMPAIGN": f"urn:li:sponsoredCampaign:{row.ad.campaign_id}",
        "CREATIVE": f"urn:li:sponsoredCreative:{row.ad.ad_id}",
    }[pivot]


def _ymd(d: date) -> dict:
    return {"month": d.month, "day": d.day, "year": d.year}


def _decimal(value: float) -> str:
    """LinkedIn's money: a decimal string (no exponent, no trailing zeros beyond the cents)."""
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def urn_list(urns: list[str]) -> str:
    """``List(urn%3Ali%3A…,…)``: how a client writes URNs into a Rest.li 2.0 query value."""
    return "List(" + ",".join(quote(u, safe="") for u in urns) + ")"
