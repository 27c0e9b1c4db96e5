"""LinkedIn Marketing API (versioned ``/rest``, api_shapes.md §3): our organization's posts with
their lifetime share statistics, the Page's daily follower gains, and LinkedIn Ads' daily
creative analytics with the campaign's name and the ad account's currency.

Every request carries ``LinkedIn-Version: YYYYMM`` (an active monthly version: the connection's
``api_version``, default ``DEFAULT_VERSION``; LinkedIn sunsets a version after about a year and
answers 426 NONEXISTENT_VERSION) and ``X-Restli-Protocol-Version: 2.0.0``. Rest.li 2.0 values
(``List(…)``, ``(start:(year:…))``) are written into the query string here: their parentheses,
commas and colons stay literal while the URNs inside ``List()`` are percent-encoded, which no
generic URL encoder does (LinkedIn answers 400 ILLEGAL_ARGUMENT to either of the usual encodings).

Quotas are daily, per application and per member, and reset at midnight UTC; LinkedIn's 429 has
no Retry-After. The client backs off exponentially on its own (``base.rest_client``) and a 429
that outlasts every retry fails the task as an exhausted quota naming the connection and the
reset. adAnalytics takes at most 20 ``fields`` per request and does not page: the metrics are
asked for in chunks and merged on (pivot values, date range); it is re-pulled over 30 days, as
conversions keep arriving for the day they are credited to. Money arrives as decimal strings
and is landed as such (staging casts it); counts are numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import quote

import pyarrow as pa
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import (
    BasePaginator,
    JSONResponseCursorPaginator,
    SinglePagePaginator,
)
from requests import Request, Response

from social_roi.connectors.base import (
    EXTRA_FIELD,
    EXTRA_FIELDS,
    Entity,
    SourceConfig,
    paged,
    request,
    rest_client,
    unknown_fields,
)

SOURCE = "linkedin"
CONN_ID = "linkedin"

DEFAULT_VERSION = "202609"
QUOTA_RESET = "at midnight UTC (LinkedIn's daily application and member quotas)"
PAGE_SIZE = 50  # posts per page (the Posts API allows up to 100)
URNS_PER_REQUEST = 50  # URNs in one List(…): keeps the query string well under LinkedIn's ~4 KB
MAX_FIELDS = 20  # adAnalytics' limit per request, dateRange and pivotValues included
# LinkedIn credits a conversion to the day of the click or view (post-click window 30 days by
# default) and reports it when it happens: a day's conversions keep growing. Each run re-pulls the
# last 30 days of ad analytics and replaces their partitions (base.Entity.restated_days).
AD_RESTATEMENT_DAYS = 30
TIMESTAMP = pa.timestamp("us", tz="UTC")

# What the connector knows of each API record; anything else is schema drift, kept in
# extra_fields (base.EXTRA_FIELDS).
POST_KEYS = {
    "id", "author", "commentary", "visibility", "distribution", "content", "lifecycleState",
    "lifecycleStateInfo", "isReshareDisabledByAuthor", "createdAt", "publishedAt", "lastModifiedAt",
    "contentLandingPage", "contentCallToActionLabel", "adContext", "reshareContext", "container",
}
SHARE_STATISTICS = {  # totalShareStatistics -> landed column
    "impressionCount": "impression_count", "uniqueImpressionsCount": "unique_impressions_count",
    "clickCount": "click_count", "likeCount": "like_count", "commentCount": "comment_count",
    "shareCount": "share_count", "engagement": "engagement",
}
STATISTICS_KEYS = {"totalShareStatistics", "share", "ugcPost", "organizationalEntity", "timeRange"}
LIFETIME_ONLY = {"shareMentionsCount", "commentMentionsCount"}  # organization-level totals only
FOLLOWER_KEYS = {"timeRange", "followerGains", "organizationalEntity"}
AD_METRICS = {  # adAnalytics field -> landed column
    "impressions": "impressions", "clicks": "clicks", "landingPageClicks": "landing_page_clicks",
    "costInLocalCurrency": "cost_in_local_currency", "reactions": "reactions",
    "externalWebsiteConversions": "external_website_conversions", "oneClickLeads": "one_click_leads",
    "conversionValueInLocalCurrency": "conversion_value_in_local_currency",
}
AD_KEYS = {"dateRange", "pivotValues"}

POSTS = Entity("posts", pa.schema([
    pa.field("post_id", pa.string(), nullable=False),  # urn:li:share:… or urn:li:ugcPost:…
    pa.field("author", pa.string(), nullable=False),
    pa.field("published_at", TIMESTAMP, nullable=False),
    ("created_at", TIMESTAMP), ("last_modified_at", TIMESTAMP),
    ("lifecycle_state", pa.string()), ("visibility", pa.string()), ("feed_distribution", pa.string()),
    ("commentary", pa.string()),
    ("article_url", pa.string()),  # the link the post shares (content.article.source)
    # lifetime share statistics, as of the extraction
    ("impression_count", pa.int64()), ("unique_impressions_count", pa.int64()),
    ("click_count", pa.int64()), ("like_count", pa.int64()), ("comment_count", pa.int64()),
    ("share_count", pa.int64()), ("engagement", pa.float64()),
    EXTRA_FIELD,
]), "post_id")

FOLLOWER_STATISTICS = Entity("follower_statistics", pa.schema([
    pa.field("organizational_entity", pa.string(), nullable=False),
    pa.field("time_range_start", pa.date32(), nullable=False),  # the day (UTC) of the gains
    pa.field("organic_follower_gain", pa.int64(), nullable=False),  # net of unfollows: may be < 0
    pa.field("paid_follower_gain", pa.int64(), nullable=False),
    EXTRA_FIELD,
]), "time_range_start")

AD_ANALYTICS = Entity("ad_analytics", pa.schema([
    pa.field("date_range_start", pa.date32(), nullable=False),  # the day (UTC) of the row
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("currency", pa.string(), nullable=False),  # the ad account's: money is in it
    pa.field("campaign_id", pa.string(), nullable=False),
    ("campaign_name", pa.string()), ("campaign_objective", pa.string()),
    pa.field("creative_id", pa.string(), nullable=False),
    ("impressions", pa.int64()), ("clicks", pa.int64()), ("landing_page_clicks", pa.int64()),
    ("reactions", pa.int64()),
    ("cost_in_local_currency", pa.string()),  # decimal string, as the API sends it
    ("external_website_conversions", pa.int64()), ("one_click_leads", pa.int64()),
    ("conversion_value_in_local_currency", pa.string()),
    EXTRA_FIELD,
]), "creative_id", restated_days=AD_RESTATEMENT_DAYS, day_field="date_range_start")

ENTITIES = (POSTS, FOLLOWER_STATISTICS, AD_ANALYTICS)


class RestliOffsetPaginator(BasePaginator):
    """``start``/``count`` paging: a next page while ``paging.links`` has ``rel: next`` (or, without
    links, while ``start + count < paging.total``, or while pages come back full)."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count, self.start = count, 0

    def init_request(self, request: Request) -> None:
        request.params = {**(request.params or {}), "start": self.start, "count": self.count}

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        paging = response.json().get("paging") or {}
        self.start = int(paging.get("start", self.start)) + self.count
        links = paging.get("links")
        if links:
            self._has_next_page = any(link.get("rel") == "next" for link in links)
        elif paging.get("total") is not None:
            self._has_next_page = self.start < int(paging["total"])
        else:
            self._has_next_page = len(data or []) >= self.count

    def update_request(self, request: Request) -> None:
        request.params["start"] = self.start


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    api = _Api(config, day)
    organization = _organization_urn(config.require("organization_id"))
    posts = api.posts(organization)
    statistics = api.share_statistics(organization, [post["id"] for post in posts])
    gains = api.follower_gains(organization)
    ads = api.ad_analytics(config.require("ad_account_id"))
    return {
        POSTS.name: [_post_row(post, statistics.get(post["id"])) for post in posts],
        FOLLOWER_STATISTICS.name: [_follower_row(element) for element in gains],
        AD_ANALYTICS.name: ads,
    }


class _Api:
    """The day's requests, each failing with the source, entity and day named."""

    def __init__(self, config: SourceConfig, day: date) -> None:
        self.config, self.day = config, day
        self.client: RESTClient = rest_client(
            config, auth=BearerTokenAuth(config.token),
            headers={"LinkedIn-Version": str(config.extra.get("api_version", DEFAULT_VERSION)),
                     "X-Restli-Protocol-Version": "2.0.0"})
        self.start = datetime.combine(day, time(), tzinfo=UTC)
        self.start_ms = int(self.start.timestamp() * 1000)
        self.end_ms = self.start_ms + 86_400_000

    def get(self, entity: Entity, path: str, **kwargs: Any):
        kwargs.setdefault("paginator", SinglePagePaginator())
        kwargs.setdefault("data_selector", "elements")
        return paged(self.client, SOURCE, entity.name, self.day, path, conn_id=self.config.conn_id,
                     auth_error=is_auth_error, quota_reset=QUOTA_RESET, **kwargs)

    def posts(self, organization: str) -> list[dict[str, Any]]:
        """Posts published on the day. The Posts API has no date filter: it lists the author's
        posts newest first by last modification, so paging stops at the first post last modified
        before the day (a post published on the day was modified on it or later)."""
        size = int(self.config.extra.get("page_size", PAGE_SIZE))
        found = []
        query = f"q=author&author={_encode(organization)}&sortBy=LAST_MODIFIED"
        for post in self.get(POSTS, f"/rest/posts?{query}", paginator=RestliOffsetPaginator(size)):
            modified, published = post.get("lastModifiedAt"), post.get("publishedAt")
            if _is_ms(modified) and modified < self.start_ms:
                break
            # a post without a usable publishedAt is kept: the contract check names it
            if not _is_ms(published) or self.start_ms <= published < self.end_ms:
                found.append(post)
        return sorted(found, key=lambda p: (str(p.get("publishedAt")), str(p.get("id"))))

    def share_statistics(self, organization: str, urns: list[str]) -> dict[str, dict[str, Any]]:
        """Lifetime statistics per post, asked for by URN (shares and ugcPosts separately)."""
        stats: dict[str, dict[str, Any]] = {}
        for param, kind in (("shares", "share"), ("ugcPosts", "ugcPost")):
            wanted = [urn for urn in urns if str(urn).startswith(f"urn:li:{kind}:")]
            for chunk in _chunks(wanted, URNS_PER_REQUEST):
                query = (f"q=organizationalEntity&organizationalEntity={_encode(organization)}"
                         f"&{param}={urn_list(chunk)}")
                for element in self.get(POSTS, f"/rest/organizationalEntityShareStatistics?{query}"):
                    stats[element.get(kind)] = element
        return stats

    def follower_gains(self, organization: str) -> list[dict[str, Any]]:
        interval = f"(timeRange:(start:{self.start_ms},end:{self.end_ms}),timeGranularityType:DAY)"
        query = (f"q=organizationalEntity&organizationalEntity={_encode(organization)}"
                 f"&timeIntervals={interval}")
        return [element for element in
                self.get(FOLLOWER_STATISTICS, f"/rest/organizationalEntityFollowerStatistics?{query}")
                if not _is_ms(start := (element.get("timeRange") or {}).get("start"))
                or self.start_ms <= start < self.end_ms]

    def ad_analytics(self, account_id: str) -> list[dict[str, Any]]:
        """Creative × day rows over the restatement window ending with the day, for the campaigns
        that could deliver in it; the metrics in chunks of at most 20 fields, merged on (pivot
        values, date range)."""
        account = request(self.client, SOURCE, AD_ANALYTICS.name, self.day, "GET",
                          f"/rest/adAccounts/{account_id}", conn_id=self.config.conn_id,
                          auth_error=is_auth_error, quota_reset=QUOTA_RESET)
        first = AD_ANALYTICS.days(self.day)[0]
        window_start_ms = int(datetime.combine(first, time(), tzinfo=UTC).timestamp() * 1000)
        campaigns = {
            f"urn:li:sponsoredCampaign:{c['id']}": c
            for c in self.get(AD_ANALYTICS, f"/rest/adAccounts/{account_id}/adCampaigns?q=search",
                              params={"pageSize": 1000},
                              paginator=JSONResponseCursorPaginator(
                                  cursor_path="metadata.nextPageToken", cursor_param="pageToken"))
            if _runs_on(c, window_start_ms, self.end_ms)
        }
        per_request = int(self.config.extra.get("fields_per_request", MAX_FIELDS)) - len(AD_KEYS)
        date_range = f"(start:{_ymd(first)},end:{_ymd(self.day)})"
        merged: dict[tuple, dict[str, Any]] = {}
        for chunk in _chunks(sorted(campaigns), URNS_PER_REQUEST):
            for metrics in _chunks(list(AD_METRICS), per_request):
                query = ("q=statistics&pivots=List(CAMPAIGN,CREATIVE)&timeGranularity=DAILY"
                         f"&dateRange={date_range}&campaigns={urn_list(chunk)}"
                         f"&fields={','.join([*sorted(AD_KEYS), *metrics])}")
                for element in self.get(AD_ANALYTICS, f"/rest/adAnalytics?{query}"):
                    key = (tuple(element.get("pivotValues") or ()), repr(element.get("dateRange")))
                    merged.setdefault(key, {}).update(element)
        rows = [_ad_row(element, account, campaigns) for element in merged.values()]
        return sorted(rows, key=lambda r: (str(r["date_range_start"]), str(r["campaign_id"]),
                                           str(r["creative_id"])))


def is_auth_error(response: Response) -> bool:
    """401: token expired or revoked; 403: the member lacks the scope or the Page/account role."""
    return response.status_code in (401, 403)


def urn_list(urns: list[str]) -> str:
    """Rest.li 2.0 ``List(urn%3Ali%3A…,…)``: literal syntax, percent-encoded URNs."""
    return "List(" + ",".join(_encode(urn) for urn in urns) + ")"


def _ymd(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def _encode(value: str) -> str:
    return quote(str(value), safe="")


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), max(1, size))]


def _organization_urn(value: str) -> str:
    return value if value.startswith("urn:li:") else f"urn:li:organization:{value}"


def _runs_on(campaign: dict[str, Any], start_ms: int, end_ms: int) -> bool:
    """A campaign can deliver on the day unless its run schedule ended before or starts after."""
    schedule = campaign.get("runSchedule") or {}
    starts, ends = schedule.get("start"), schedule.get("end")
    return (starts is None or starts < end_ms) and (ends is None or ends > start_ms)


def _is_ms(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ms_time(value: Any) -> Any:
    """Epoch milliseconds as a UTC time; anything else is passed on for the contract to name."""
    return datetime.fromtimestamp(value / 1000, UTC) if _is_ms(value) else value


def _ms_day(value: Any) -> Any:
    return _ms_time(value).date() if _is_ms(value) else value


def _post_row(post: dict[str, Any], statistics: dict[str, Any] | None) -> dict[str, Any]:
    totals = (statistics or {}).get("totalShareStatistics") or {}
    article = ((post.get("content") or {}).get("article") or {})
    return {
        "post_id": post.get("id"),
        "author": post.get("author"),
        "published_at": _ms_time(post.get("publishedAt")),
        "created_at": _ms_time(post.get("createdAt")),
        "last_modified_at": _ms_time(post.get("lastModifiedAt")),
        "lifecycle_state": post.get("lifecycleState"),
        "visibility": post.get("visibility"),
        "feed_distribution": (post.get("distribution") or {}).get("feedDistribution"),
        "commentary": post.get("commentary"),
        "article_url": article.get("source"),
        # no statistics element for the post: unknown, not zero
        **{column: totals.get(field) for field, column in SHARE_STATISTICS.items()},
        EXTRA_FIELDS: {
            **unknown_fields(post, POST_KEYS),
            **unknown_fields(statistics, STATISTICS_KEYS, "statistics."),
            **unknown_fields(totals, SHARE_STATISTICS.keys() | LIFETIME_ONLY, "totalShareStatistics."),
        },
    }


def _follower_row(element: dict[str, Any]) -> dict[str, Any]:
    gains = element.get("followerGains") or {}
    return {
        "organizational_entity": element.get("organizationalEntity"),
        "time_range_start": _ms_day((element.get("timeRange") or {}).get("start")),
        "organic_follower_gain": gains.get("organicFollowerGain"),
        "paid_follower_gain": gains.get("paidFollowerGain"),
        EXTRA_FIELDS: {
            **unknown_fields(element, FOLLOWER_KEYS),
            **unknown_fields(gains, {"organicFollowerGain", "paidFollowerGain"}, "followerGains."),
        },
    }


def _ad_row(element: dict[str, Any], account: dict[str, Any],
            campaigns: dict[str, dict[str, Any]]) -> dict[str, Any]:
    pivots = list(element.get("pivotValues") or [])
    campaign_urn, creative_urn = [*pivots, None, None][:2]
    campaign = campaigns.get(campaign_urn) or {}
    start = (element.get("dateRange") or {}).get("start") or {}
    try:
        day = date(start["year"], start["month"], start["day"])
    except (KeyError, TypeError, ValueError):
        day = None
    return {
        "date_range_start": day,
        "account_id": None if account.get("id") is None else str(account["id"]),
        "currency": account.get("currency"),
        "campaign_id": _urn_id(campaign_urn),
        "campaign_name": campaign.get("name"),
        "campaign_objective": campaign.get("objectiveType"),
        "creative_id": _urn_id(creative_urn),
        **{column: element.get(field) for field, column in AD_METRICS.items()},
        EXTRA_FIELDS: unknown_fields(element, AD_KEYS | AD_METRICS.keys()),
    }


def _urn_id(urn: str | None) -> str | None:
    return urn.rsplit(":", 1)[-1] if urn else None
