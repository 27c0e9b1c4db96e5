"""Social listening: Brandwatch Consumer Research mentions of the tracked brands' queries
(api_shapes.md §8.1), landed on the day they were published.

One request series per day asks for every tracked query at once (``queryId`` repeated, or the
connection's ``query_group_id``). Paging follows Brandwatch's ``nextCursor``, as its own client
does: page/pageSize paging refuses to go past 10,000 mentions per request, the cursor has no such
cap, so a busy day is read to its end without splitting. Brandwatch allows about 30 requests per
10 minutes, so pages are as large as the API allows (5,000) and paging stops at the first short
page, never on an extra empty one.

Landing keeps what the marts need and nothing personal: no author, name, avatar, URL (an X URL
carries the author's handle) or text; a mention stays traceable through its ids. A field outside
Brandwatch's documented field list is schema drift: it lands in ``extra_fields`` with its value
when that is a number, a flag or empty, and only as its type otherwise, because text in a mention
is a third party's and may be personal (decision 47).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from social_roi.connectors.base import (
    EXTRA_FIELD,
    EXTRA_FIELDS,
    Entity,
    SourceConfig,
    paged,
    rest_client,
    unknown_fields,
)

SOURCE = "brandwatch"
CONN_ID = "brandwatch"

PAGE_SIZE = 5000  # the API's maximum
TIMESTAMP = pa.timestamp("us", tz="UTC")

MENTIONS = Entity("mentions", pa.schema([
    pa.field("mention_id", pa.string(), nullable=False),
    ("resource_id", pa.string()),  # the document: one per post, shared by its brands' mentions
    pa.field("query_id", pa.int64(), nullable=False),
    pa.field("query_name", pa.string(), nullable=False),
    pa.field("published_at", TIMESTAMP, nullable=False),
    ("added_at", TIMESTAMP),
    pa.field("page_type", pa.string(), nullable=False),
    ("domain", pa.string()),
    pa.field("sentiment", pa.string(), nullable=False),
    ("language", pa.string()),
    ("country_code", pa.string()),
    ("reach_estimate", pa.int64()),
    ("impressions", pa.int64()),
    ("engagement_score", pa.int64()),
    EXTRA_FIELD,  # JSON: fields Brandwatch sent that MENTION_KNOWN does not name (text withheld)
]), "mention_id")

# Brandwatch's documented mention fields (api_shapes.md §8.1), landed or deliberately left out.
MENTION_KNOWN = {
    "id", "guid", "queryId", "queryName", "date", "added", "updated", "title", "snippet", "fullText",
    "url", "originalUrl", "domain", "pageType", "contentSource", "contentSourceName", "sentiment",
    "author", "fullname", "gender", "accountType", "authorVerifiedType", "avatarUrl", "country",
    "countryCode", "region", "city", "language", "reachEstimate", "impressions", "impact",
    "engagementScore", "likes", "replies", "reposts", "retweets", "monthlyVisitors", "dailyVisitors",
    "categories", "categoryDetails", "tags", "classifications", "emotion", "threadId", "threadURL",
    "resourceId", "mediaUrls", "assignment", "priority", "status", "checked",
}

ENTITIES = (MENTIONS,)


class ShortPageCursorPaginator(JSONResponseCursorPaginator):
    """``cursor=<nextCursor>`` paging that also stops at the first page shorter than the page
    size, as Brandwatch's client does: no request is spent on an empty page (the rate limit is
    tight)."""

    def __init__(self, page_size: int) -> None:
        super().__init__(cursor_path="nextCursor", cursor_param="cursor")
        self.page_size = page_size

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        super().update_state(response, data)
        if len(data or []) < self.page_size:
            self._has_next_page = False


def is_auth_error(response: Response) -> bool:
    """401: token refused; 403: the token's user cannot read this project."""
    return response.status_code in (401, 403)


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    page_size = int(config.extra.get("page_size", PAGE_SIZE))
    client = rest_client(config, auth=BearerTokenAuth(config.token),
                         paginator=ShortPageCursorPaginator(page_size))
    start = datetime.combine(day, time(), tzinfo=UTC)
    params = {**_query_params(config), "startDate": _bw_time(start),
              "endDate": _bw_time(start + timedelta(days=1)), "pageSize": page_size,
              "orderBy": "date", "orderDirection": "asc"}
    mentions = paged(client, SOURCE, MENTIONS.name, day,
                     f"/projects/{config.require('project_id')}/data/mentions", params=params,
                     data_selector="results", conn_id=config.conn_id, auth_error=is_auth_error)
    return {MENTIONS.name: [_mention_row(m) for m in mentions]}


def _query_params(config: SourceConfig) -> dict[str, Any]:
    """The tracked queries: a query group, or a list of query ids (JSON list or "1,2,3")."""
    if "query_group_id" in config.extra:
        return {"queryGroupId": config.extra["query_group_id"]}
    ids = config.extra.get("query_ids")
    if isinstance(ids, str):
        ids = [part.strip() for part in ids.split(",") if part.strip()]
    if not ids:
        config.require("query_ids")  # raises, naming the connection and the missing key
    return {"queryId": [int(i) for i in ids]}


def _bw_time(moment: datetime) -> str:
    """2026-10-01T00:00:00.000+0000 (milliseconds, UTC)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_time(value: str | None) -> datetime | None:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z") if value else None


def _mention_row(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "mention_id": None if m.get("id") is None else str(m["id"]),
        "resource_id": m.get("resourceId"),
        "query_id": m.get("queryId"),
        "query_name": m.get("queryName"),
        "published_at": parse_time(m.get("date")),
        "added_at": parse_time(m.get("added")),
        "page_type": m.get("pageType"),
        "domain": m.get("domain"),
        "sentiment": m.get("sentiment"),
        "language": m.get("language"),
        "country_code": m.get("countryCode"),
        "reach_estimate": m.get("reachEstimate"),
        "impressions": m.get("impressions"),
        "engagement_score": m.get("engagementScore"),
        EXTRA_FIELDS: {name: _withheld_if_text(value)
                       for name, value in unknown_fields(m, MENTION_KNOWN).items()},
    }


def _withheld_if_text(value: Any) -> Any:
    """A drifted field's value as landed: numbers, flags and nulls as they are; anything that
    is or holds text only as its JSON type, since it may be personal."""
    if value is None or isinstance(value, bool | int | float):
        return value
    kind = {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)
    return f"<{kind}: not landed>"
