"""X API v2: our account's Posts of the day with their public and non-public metrics
(``GET /2/users/{id}/tweets``), and the account's follower count (``GET /2/users/{id}``).

X's quirks, and what this connector does about them (api_shapes.md §4, decision log):
* Paging is ``meta.next_token`` → ``pagination_token``; a page can be empty and still carry a
  token, so paging stops only when the token is gone.
* Non-public metrics (link clicks, profile clicks) exist only for Posts created in the last 30
  days, and asking for them makes the timeline silently leave older Posts out. They are asked for
  only on the part of the day's window that is inside those 30 days (with an hour to spare),
  measured on X's clock (the answers' ``Date``), and land NULL for the rest: no Post is lost.
* Metrics are lifetime totals as of the extraction (``observed_at``); rerunning a day refreshes
  them, and a rerun after the 30 days keeps the non-public metrics landed before (``sticky``):
  a backfill never turns known link clicks into NULL.
* The follower count exists only "now": it stands for the end of the run's day when the run
  observes it during the following day (a scheduled run); a later rerun cannot restate that day
  and keeps what was landed (``land_day``: rows ``None``).
* ``x-rate-limit-*`` headers: a used-up window is waited for until ``x-rate-limit-reset``
  (``base.RateLimitAdapter``), never longer than the connection's ``max_retry_delay``.
* Links in a Post's text are t.co short links: the tracked URL (with its UTMs) is
  ``entities.urls[].expanded_url``, landed as ``expanded_urls``.
* Fields X adds that the contract does not know are kept as JSON in ``extra_fields`` and named
  in a warning; counts are JSON integers, so a count of another type fails the day naming the Post.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator, SinglePagePaginator
from requests import Response

from social_roi.connectors.base import (
    EXTRA_FIELD,
    EXTRA_FIELDS,
    Entity,
    RateLimitHeaders,
    SourceConfig,
    pages,
    rest_client,
    unknown_fields,
)
from social_roi.errors import SourceError

log = logging.getLogger(__name__)

SOURCE = "x"
CONN_ID = "x"

PAGE_SIZE = 100  # max_results: 5-100
NON_PUBLIC_DAYS = 30
NON_PUBLIC_MARGIN = timedelta(hours=1)  # the run's own duration: a Post must not age out mid-run
RATE_LIMIT = RateLimitHeaders(remaining="x-rate-limit-remaining", reset="x-rate-limit-reset")
TIMESTAMP = pa.timestamp("us", tz="UTC")

PUBLIC_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count",
                  "impression_count")
NON_PUBLIC_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks")
TWEET_FIELDS = ("created_at", "author_id", "lang", "entities", "public_metrics")
TWEET_KNOWN = ("id", "text", "edit_history_tweet_ids", *TWEET_FIELDS[:-1],
               *(f"public_metrics.{m}" for m in PUBLIC_METRICS),
               *(f"non_public_metrics.{m}" for m in NON_PUBLIC_METRICS))
USER_METRICS = ("followers_count", "following_count", "tweet_count", "listed_count")
USER_KNOWN = ("id", "name", "username", "created_at",
              *(f"public_metrics.{m}" for m in (*USER_METRICS, "like_count", "media_count")))

TWEETS = Entity("tweets", pa.schema([
    pa.field("tweet_id", pa.string(), nullable=False),
    pa.field("author_id", pa.string(), nullable=False),
    pa.field("created_at", TIMESTAMP, nullable=False),
    ("text", pa.string()),
    ("lang", pa.string()),
    ("expanded_urls", pa.string()),  # JSON list: the URLs behind the text's t.co links
    # public_metrics: any Post, any age; the four engagement counts are always sent
    *(pa.field(m, pa.int64(), nullable=m in ("bookmark_count", "impression_count"))
      for m in PUBLIC_METRICS),
    # non_public_metrics: Posts of the last 30 days only, NULL after that
    ("non_public_impression_count", pa.int64()),
    ("url_link_clicks", pa.int64()),
    ("user_profile_clicks", pa.int64()),
    pa.field("observed_at", TIMESTAMP, nullable=False),  # X's clock when the metrics were read
    EXTRA_FIELD,  # JSON: fields X sent that this contract does not name
]), "tweet_id", sticky=("non_public_impression_count", "url_link_clicks", "user_profile_clicks"))

ACCOUNT_FOLLOWERS = Entity("account_followers", pa.schema([
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("date", pa.date32(), nullable=False),  # the day whose end the count stands for
    pa.field("followers_count", pa.int64(), nullable=False),
    ("following_count", pa.int64()),
    ("tweet_count", pa.int64()),
    ("listed_count", pa.int64()),
    pa.field("observed_at", TIMESTAMP, nullable=False),
    EXTRA_FIELD,
]), "account_id")

ENTITIES = (TWEETS, ACCOUNT_FOLLOWERS)


def is_auth_error(response: Response) -> bool:
    """401: the token is refused; 403: it may not read this (an app-only token asking for
    non-public metrics, an app outside a project)."""
    return response.status_code in (401, 403)


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]] | None]:
    user_id = config.require("user_id")
    client = rest_client(
        config,
        auth=BearerTokenAuth(config.token),
        paginator=JSONResponseCursorPaginator(cursor_path="meta.next_token",
                                              cursor_param="pagination_token"),
        rate_limit=RATE_LIMIT,
    )
    user, observed_at = _user(client, config, day, user_id)
    start = datetime.combine(day, time(), tzinfo=UTC)
    end = start + timedelta(days=1)
    # X's 30-day horizon for non-public metrics, on X's clock, to the second X filters by
    horizon = observed_at - timedelta(days=NON_PUBLIC_DAYS) + NON_PUBLIC_MARGIN
    horizon = min(max(horizon.replace(microsecond=0) + timedelta(seconds=1), start), end)
    if str(config.extra.get("non_public_metrics", True)).lower() in ("false", "0", "no"):
        horizon = end  # an app-only token: public metrics only
    tweets = [
        _tweet_row(tweet, page_observed)
        for lo, hi, non_public in ((start, horizon, False), (horizon, end, True)) if lo < hi
        for tweet, page_observed in _timeline(client, config, day, user_id, lo, hi, non_public)
    ]
    # end_time is documented both as inclusive and as exclusive: keep the day's Posts only
    tweets = [t for t in tweets if t["created_at"] is None or start <= t["created_at"] < end]
    return {
        TWEETS.name: tweets,
        ACCOUNT_FOLLOWERS.name: _followers_rows(user, day, observed_at),
    }


def _user(client: RESTClient, config: SourceConfig, day: date,
          user_id: str) -> tuple[dict[str, Any], datetime]:
    """The account (its follower count) and X's clock at the start of the run."""
    [page] = list(pages(client, SOURCE, ACCOUNT_FOLLOWERS.name, day, f"/2/users/{user_id}",
                        params={"user.fields": "public_metrics,created_at"}, data_selector="$",
                        paginator=SinglePagePaginator(), conn_id=config.conn_id,
                        auth_error=is_auth_error))
    body = page.response.json()
    if "data" not in body:
        raise SourceError(SOURCE, ACCOUNT_FOLLOWERS.name, day,
                          f"the connection's user_id {user_id} was refused: "
                          f"{json.dumps(body.get('errors') or body)[:300]}")
    return body["data"], _server_time(page.response)


def _timeline(client: RESTClient, config: SourceConfig, day: date, user_id: str,
              start: datetime, end: datetime, non_public: bool):
    """(Post, X's clock) of every Post created in ``[start, end)``, every page."""
    fields = (*TWEET_FIELDS, "non_public_metrics") if non_public else TWEET_FIELDS
    params = {
        "start_time": _x_time(start), "end_time": _x_time(end),
        "max_results": int(config.extra.get("page_size", PAGE_SIZE)),
        "tweet.fields": ",".join(fields), "exclude": "retweets,replies",
    }
    for page in pages(client, SOURCE, TWEETS.name, day, f"/2/users/{user_id}/tweets",
                      params=params, data_selector="data", conn_id=config.conn_id,
                      auth_error=is_auth_error):
        errors = page.response.json().get("errors")
        if errors:  # HTTP 200 with partial errors: never drop Posts silently
            raise SourceError(SOURCE, TWEETS.name, day,
                              f"X left Posts out of the timeline: {json.dumps(errors)[:500]}")
        observed_at = _server_time(page.response)
        for tweet in page:
            yield tweet, observed_at


def _server_time(response: Response) -> datetime:
    """X's clock: the answer's Date (the 30-day window and "now" are X's, not ours)."""
    try:
        return parsedate_to_datetime(response.headers["Date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError):
        return datetime.now(UTC)  # a server that does not date its answers: ours is all we have


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """X timestamps look like 2026-10-02T21:46:51.000Z."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _tweet_row(tweet: dict[str, Any], observed_at: datetime) -> dict[str, Any]:
    public = tweet.get("public_metrics") or {}
    private = tweet.get("non_public_metrics") or {}
    urls = ((tweet.get("entities") or {}).get("urls")) or []
    return {
        "tweet_id": tweet.get("id"),
        "author_id": tweet.get("author_id"),
        "created_at": parse_time(tweet.get("created_at")),
        "text": tweet.get("text"),
        "lang": tweet.get("lang"),
        "expanded_urls": json.dumps([u.get("expanded_url") or u.get("url") for u in urls]),
        **{metric: public.get(metric) for metric in PUBLIC_METRICS},
        "non_public_impression_count": private.get("impression_count"),
        "url_link_clicks": private.get("url_link_clicks"),
        "user_profile_clicks": private.get("user_profile_clicks"),
        "observed_at": observed_at,
        EXTRA_FIELDS: unknown_fields(tweet, TWEET_KNOWN),
    }


def _followers_rows(user: dict[str, Any], day: date,
                    observed_at: datetime) -> list[dict[str, Any]] | None:
    """X keeps no follower history. The count read during the day after the run's day stands for
    that day's end; any other run cannot tell it (``None``: keep what the scheduled run landed)."""
    if observed_at.date() != day + timedelta(days=1):
        log.warning("x/account_followers day=%s: X only tells today's follower count (its clock "
                    "says %s): the day's count is kept as landed, or stays unobserved",
                    day, observed_at.isoformat())
        return None
    metrics = user.get("public_metrics") or {}
    row = {
        "account_id": user.get("id"),
        "date": day,
        "followers_count": metrics.get("followers_count"),
        **{m: metrics.get(m) for m in USER_METRICS[1:]},
        "observed_at": observed_at,
        EXTRA_FIELDS: unknown_fields(user, USER_KNOWN),
    }
    return [row]
