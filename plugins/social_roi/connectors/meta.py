"""Meta Graph API: Facebook Page posts (with lifetime insights inline), Instagram media (with
insights), the daily account insights of our Page and Instagram account (followers, views,
reach), Marketing API ad insights (daily, ad level, split by publisher platform), and the
leads of the Page's instant forms (lead ads), landed with the e-mail hashed and nothing else
personal, and the direct messages of the day to our Page (Messenger) and Instagram account
(Conversations API), landed as ids, times and direction only: never their text, names or
e-mail relay addresses.

Ads insights come from an async report run (create, poll, page the result) over the last 28
days: Meta keeps revising a day's conversions for that long, so every run re-pulls the window
and lands each day in its own partition, replacing the previous version (``Entity.restated_days``).

Metric names are the current "views" family; Meta answers the deprecated impressions/fans names
with an invalid-metric error (api_shapes.md §1.3). Numbers in ads insights arrive as strings and
are landed as such: staging casts them. Throttling arrives as HTTP 400 with codes 4/17/32/613 or
80000-80014, so "HTTP 400" alone is not a permanent error here.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.auth import APIKeyAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import Response

from social_roi.connectors.base import Entity, SourceConfig, paged, request, rest_client
from social_roi.errors import SourceError
from social_roi.pii import email_sha256

log = logging.getLogger(__name__)

SOURCE = "meta"
CONN_ID = "meta_graph"

POST_METRICS = ("post_media_view", "post_total_media_view_unique", "post_clicks",
                "post_reactions_by_type_total")
def post_fields(metrics: tuple[str, ...] = POST_METRICS) -> str:
    insights = [f"insights.metric({','.join(metrics)})"] if metrics else []
    return ",".join(("id", "created_time", "message", "permalink_url", "status_type", "shares",
                     "comments.summary(true).limit(0)", *insights))

IG_MEDIA_FIELDS = ("id,caption,timestamp,media_type,media_product_type,permalink,"
                   "like_count,comments_count")
IG_MEDIA_METRICS = ("views", "reach", "saved", "shares")
AD_FIELDS = ("account_id,account_currency,campaign_id,campaign_name,adset_id,adset_name,ad_id,"
             "ad_name,impressions,reach,clicks,inline_link_clicks,spend,actions,action_values")
# Meta revises ads insights for 28 days (late-attributed conversions): every run re-pulls them.
AD_RESTATEMENT_DAYS = 28
ASYNC_DONE, ASYNC_FAILED = "Job Completed", ("Job Failed", "Job Skipped")
AD_NUMBERS = ("impressions", "reach", "clicks", "inline_link_clicks", "spend")

THROTTLE_CODES = {4, 17, 32, 613}
INVALID_METRIC = "must be a valid insights metric"  # Meta's (#100) answer to a retired metric
TIMESTAMP = pa.timestamp("us", tz="UTC")

PAGE_POSTS = Entity("page_posts", pa.schema([
    pa.field("post_id", pa.string(), nullable=False),
    pa.field("page_id", pa.string(), nullable=False),
    pa.field("created_time", TIMESTAMP, nullable=False),
    ("message", pa.string()), ("permalink_url", pa.string()), ("status_type", pa.string()),
    ("shares_count", pa.int64()), ("comments_count", pa.int64()),
    *((metric, pa.int64()) for metric in POST_METRICS[:3]),
    ("post_reactions_by_type_total", pa.string()),  # JSON object {"like": n, "love": n, ...}
]), "post_id")

IG_MEDIA = Entity("ig_media", pa.schema([
    pa.field("media_id", pa.string(), nullable=False),
    pa.field("ig_user_id", pa.string(), nullable=False),
    pa.field("created_time", TIMESTAMP, nullable=False),
    ("caption", pa.string()), ("media_type", pa.string()), ("media_product_type", pa.string()),
    ("permalink", pa.string()), ("like_count", pa.int64()), ("comments_count", pa.int64()),
    *((metric, pa.int64()) for metric in IG_MEDIA_METRICS),
]), "media_id")

AD_INSIGHTS = Entity("ad_insights", pa.schema([
    pa.field("date_start", pa.date32(), nullable=False),
    pa.field("date_stop", pa.date32(), nullable=False),
    pa.field("account_id", pa.string(), nullable=False),
    ("account_currency", pa.string()),
    ("campaign_id", pa.string()), ("campaign_name", pa.string()),
    ("adset_id", pa.string()), ("adset_name", pa.string()),
    pa.field("ad_id", pa.string(), nullable=False), ("ad_name", pa.string()),
    pa.field("publisher_platform", pa.string(), nullable=False),
    *((number, pa.string()) for number in AD_NUMBERS),
    ("actions", pa.string()),  # JSON list [{"action_type": ..., "value": "..."}]
    ("action_values", pa.string()),  # the same, with the conversions' value (account currency)
]), "ad_id", restated_days=AD_RESTATEMENT_DAYS, day_field="date_start")

LEAD_FIELDS = "id,created_time,ad_id,adset_id,campaign_id,form_id,platform,field_data"
FORM_LEADS = Entity("form_leads", pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("form_id", pa.string(), nullable=False),
    pa.field("created_time", TIMESTAMP, nullable=False),
    ("ad_id", pa.string()), ("adset_id", pa.string()), ("campaign_id", pa.string()),
    ("platform", pa.string()),  # fb | ig
    ("email_sha256", pa.string()),  # pii.email_sha256 of the answer; the address never lands
]), "lead_id")

# Account insights: per own account and day, the follower total at the day's end, the views of
# its content and the people reached (decision 43). Requests per platform: (metric_type, the
# metrics asked together -> their column). Instagram serves its account `views` only as a
# total_value (one number for the since/until range, here the run's day): asked with the time
# series, it fails the whole request. Meta stamps a daily value with end_time = the next day at
# 07:00 UTC (Pacific midnight): the value belongs to the day before its end_time. A metric Meta
# retires lands NULL (answered_metrics), so no metric column is required.
ACCOUNT_REQUESTS: dict[str, tuple[tuple[str | None, dict[str, str]], ...]] = {
    "facebook": ((None, {"page_follows": "followers", "page_media_view": "views",
                         "page_total_media_view_unique": "reach"}),),
    "instagram": ((None, {"follower_count": "followers", "reach": "reach"}),
                  ("total_value", {"views": "views"})),
}
ACCOUNT_INSIGHTS = Entity("account_insights", pa.schema([
    pa.field("platform", pa.string(), nullable=False),
    pa.field("account_id", pa.string(), nullable=False),
    pa.field("date", pa.date32(), nullable=False),
    ("followers", pa.int64()), ("views", pa.int64()), ("reach", pa.int64()),
]), "platform")

# Direct messages: one row per message sent on the run's day in a conversation with our Page
# (platform=messenger) or Instagram account (platform=instagram). The Conversations API has no
# time filter: conversations come most recently updated first, each with its messages newest
# first (a nested edge with its own paging). The sender is a page-scoped id (PSID / IGSID):
# pseudonymous, and the only personal field landed.
DM_PLATFORMS = ("messenger", "instagram")
DIRECT_MESSAGES = Entity("direct_messages", pa.schema([
    pa.field("message_id", pa.string(), nullable=False),
    pa.field("conversation_id", pa.string(), nullable=False),
    pa.field("platform", pa.string(), nullable=False),  # messenger | instagram, as requested
    pa.field("account_id", pa.string(), nullable=False),  # our Page / Instagram account
    pa.field("created_time", TIMESTAMP, nullable=False),
    pa.field("sender_id", pa.string(), nullable=False),  # PSID / IGSID, or account_id
    pa.field("is_from_page", pa.bool_(), nullable=False),  # sent by us (account_id)
    pa.field("is_conversation_start", pa.bool_(), nullable=False),  # its conversation's first
]), "message_id")

ENTITIES = (PAGE_POSTS, IG_MEDIA, AD_INSIGHTS, FORM_LEADS, ACCOUNT_INSIGHTS, DIRECT_MESSAGES)


def is_throttled(response: Response | None, _exc: BaseException | None) -> bool:
    """Meta signals throttling in the error body, mostly with HTTP 400 (never 429)."""
    if response is None or response.status_code not in (400, 403, 500):
        return False
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return False
    code = error.get("code")
    return bool(
        code in THROTTLE_CODES
        or (isinstance(code, int) and 80000 <= code <= 80014)
        or error.get("is_transient") is True
    )


def throttle_wait(response: Response) -> float | None:
    """How long Meta says a throttled caller must wait: the longest
    ``estimated_time_to_regain_access`` (minutes) in ``X-Business-Use-Case-Usage`` (api_shapes.md
    §1.5), on a throttling answer only; None when it says nothing (exponential backoff then)."""
    if not is_throttled(response, None):
        return None
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage") or "{}")
        minutes = max((float(entry.get("estimated_time_to_regain_access") or 0)
                       for entries in usage.values() for entry in entries), default=0.0)
    except (ValueError, TypeError, AttributeError):
        return None
    return minutes * 60 if minutes > 0 else None


def is_auth_error(response: Response) -> bool:
    """Code 190: the token is expired or revoked. Fail fast and say which connection to renew."""
    try:
        return (response.json().get("error") or {}).get("code") == 190
    except ValueError:
        return False


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    client = rest_client(
        config,
        auth=APIKeyAuth(name="access_token", api_key=config.token, location="query"),
        paginator=JSONLinkPaginator(next_url_path="paging.next"),
        retry_condition=is_throttled,
        throttle_wait=throttle_wait,
    )
    version = config.extra.get("api_version", "v24.0")
    limit = int(config.extra.get("page_size", 100))
    start = datetime.combine(day, time(), tzinfo=UTC)
    window = {"since": int(start.timestamp()), "until": int((start + timedelta(days=1)).timestamp())}

    def get(entity: Entity, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return list(paged(client, SOURCE, entity.name, day, f"/{version}/{path}",
                          params=params, data_selector="data", auth_error=is_auth_error,
                          conn_id=config.conn_id))

    page_id = config.require("page_id")
    _, posts = answered_metrics(PAGE_POSTS, day, POST_METRICS, lambda metrics: get(
        PAGE_POSTS, f"{page_id}/posts", {"fields": post_fields(metrics), "limit": limit, **window}))

    ig_user_id = config.require("ig_user_id")
    media = get(IG_MEDIA, f"{ig_user_id}/media",
                {"fields": IG_MEDIA_FIELDS, "limit": limit, **window})
    media_metrics = IG_MEDIA_METRICS
    for item in media:  # insights are a separate edge per media object
        def insights(names: tuple[str, ...], media_id: str = item["id"]) -> list[dict[str, Any]]:
            if not names:
                return []
            try:
                return get(IG_MEDIA, f"{media_id}/insights", {"metric": ",".join(names)})
            except SourceError as exc:
                reason = insights_unavailable(exc)
                if reason is None:
                    raise
                log.warning("meta/ig_media %s record=%s: Meta has no insights for this media (%s); "
                            "its metrics land as NULL", day, media_id, reason)
                return []

        media_metrics, metrics = answered_metrics(IG_MEDIA, day, media_metrics, insights)
        item["insights"] = {"data": metrics}

    account = config.require("ad_account_id")
    days = AD_INSIGHTS.days(day)
    job = _report_job(client, config, day, f"/{version}", f"act_{account}/insights", {
        "level": "ad", "time_increment": 1, "fields": AD_FIELDS, "breakdowns": "publisher_platform",
        "time_range": json.dumps({"since": days[0].isoformat(), "until": days[-1].isoformat()}),
    })
    ads = get(AD_INSIGHTS, f"{job}/insights", {"limit": limit})
    created = json.dumps([
        {"field": "time_created", "operator": "GREATER_THAN", "value": window["since"] - 1},
        {"field": "time_created", "operator": "LESS_THAN", "value": window["until"]},
    ])
    leads = [
        lead
        for form in get(FORM_LEADS, f"{page_id}/leadgen_forms", {"fields": "id", "limit": limit})
        for lead in get(FORM_LEADS, f"{form['id']}/leads",
                        {"fields": LEAD_FIELDS, "filtering": created, "limit": limit})
    ]
    accounts = []
    for platform, account_id in (("facebook", page_id), ("instagram", ig_user_id)):
        answers = []
        for metric_type, columns in ACCOUNT_REQUESTS[platform]:
            params = {"period": "day", **window, **({"metric_type": metric_type} if metric_type else {})}

            def account_insights(names: tuple[str, ...], account_id: str = account_id,
                                 params: dict[str, Any] = params) -> list[dict[str, Any]]:
                return get(ACCOUNT_INSIGHTS, f"{account_id}/insights",
                           {"metric": ",".join(names), **params}) if names else []

            answers += answered_metrics(ACCOUNT_INSIGHTS, day, tuple(columns), account_insights)[1]
        accounts += _account_rows(platform, account_id, day, answers)

    def lazily(path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Records of ``path`` (or a `next` URL), each page fetched only when reached."""
        return paged(client, SOURCE, DIRECT_MESSAGES.name, day, path, params=params,
                     data_selector="data", auth_error=is_auth_error, conn_id=config.conn_id)

    end = start + timedelta(days=1)
    fields = f"id,updated_time,messages.limit({limit}){{id,created_time,from}}"
    direct_messages = []
    for platform, account in zip(DM_PLATFORMS, (page_id, ig_user_id), strict=True):
        for conversation in lazily(f"/{version}/{page_id}/conversations",
                                   {"platform": platform, "fields": fields, "limit": limit}):
            updated = parse_time(conversation.get("updated_time"))
            if updated is not None and updated < start:
                break  # this and every later conversation were last active before the day
            direct_messages += _messages_of_day(conversation, platform, account, start, end, lazily)
    return {
        ACCOUNT_INSIGHTS.name: accounts,
        PAGE_POSTS.name: [_post_row(post, page_id) for post in posts],
        IG_MEDIA.name: [_media_row(item, ig_user_id) for item in media],
        AD_INSIGHTS.name: [_ad_row(row) for row in ads],
        FORM_LEADS.name: [_lead_row(lead) for lead in leads],
        DIRECT_MESSAGES.name: direct_messages,
    }


def answered_metrics(entity: Entity, day: date, metrics: tuple[str, ...],
                     call: Callable[[tuple[str, ...]], Any]) -> tuple[tuple[str, ...], Any]:
    """``call(metrics)``, and the metrics it was made with. Meta retires insight metrics every
    few months and then refuses the whole request with an invalid-metric error (api_shapes.md
    §1.3): the day must not fail for that. Each metric is then asked alone, the ones Meta still
    answers are kept, and the others land as NULL with a warning naming them."""
    try:
        return metrics, call(metrics)
    except SourceError as exc:
        if INVALID_METRIC not in str(exc):
            raise
    kept = tuple(m for m in metrics if _answered(call, m))
    log.warning("meta/%s %s: Meta refuses the insight metric(s) %s as invalid (retired?); they land "
                "as NULL until social_roi/connectors/meta.py asks for their successors",
                entity.name, day, ", ".join(m for m in metrics if m not in kept))
    return kept, call(kept)


def insights_unavailable(exc: SourceError) -> str | None:
    """Meta's reason when it refuses one media object's insights for good (api_shapes.md §2.2):
    a story seen by fewer than 5 people (#10 "Not enough viewers"), or media posted before the
    account became a business account (#100, subcode 2108006). That media's metrics are unknown,
    not the day's failure. Anything else (a permission #10 included) is None: a real error."""
    response = getattr(exc.__cause__, "response", None)
    try:
        error = (response.json() or {}).get("error") or {}
    except (AttributeError, ValueError):
        return None
    message = str(error.get("message") or "")
    if error.get("code") == 10 and "Not enough viewers" in message:
        return message
    if error.get("code") == 100 and error.get("error_subcode") == 2108006:
        return str(error.get("error_user_title") or message)
    return None


def _answered(call: Callable[[tuple[str, ...]], Any], metric: str) -> bool:
    try:
        call((metric,))
    except SourceError as exc:
        if INVALID_METRIC not in str(exc):
            raise
        return False
    return True


def _report_job(client, config: SourceConfig, day: date, prefix: str, path: str,
                params: dict[str, Any]) -> str:
    """Marketing API async insights (api_shapes.md §1.7): create the report run, poll it until
    Meta says it is complete, return its id (its rows are then paged from /{id}/insights)."""
    def call(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        return request(client, SOURCE, AD_INSIGHTS.name, day, method, f"{prefix}/{url}",
                       conn_id=config.conn_id, auth_error=is_auth_error, **kwargs)

    job_id = str(call("POST", path, data=params)["report_run_id"])
    wait = float(config.extra.get("async_poll_seconds", 2.0))  # doubles up to 30 s per poll
    deadline = time_module.monotonic() + float(config.extra.get("async_timeout_seconds", 3600))
    while True:
        status = call("GET", job_id)
        state, percent = status.get("async_status"), status.get("async_percent_completion")
        if state == ASYNC_DONE and percent == 100:
            return job_id
        if state in ASYNC_FAILED:
            raise SourceError(SOURCE, AD_INSIGHTS.name, day,
                              f"report run {job_id} ended '{state}': rerun the task")
        if time_module.monotonic() + wait > deadline:
            raise SourceError(SOURCE, AD_INSIGHTS.name, day,
                              f"report run {job_id} still '{state}' ({percent}%) at the timeout "
                              "(connection extra async_timeout_seconds)")
        log.info("meta/ad_insights %s: report run %s %s (%s%%), next poll in %.1f s",
                 day, job_id, state, percent, wait)
        time_module.sleep(wait)
        wait = min(wait * 2, 30.0)


def parse_time(value: str | None) -> datetime | None:
    """Graph timestamps look like 2026-10-01T16:00:01+0000."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z") if value else None


def _insight_values(record: dict[str, Any]) -> dict[str, Any]:
    """Lifetime insights: one value per metric. Unavailable metrics come back absent or with an
    empty list, and stay NULL (not 0: "unknown" is not "none")."""
    values = {}
    for metric in (record.get("insights") or {}).get("data") or []:
        points = metric.get("values") or []
        values[metric["name"]] = points[0].get("value") if points else None
    return values


def _post_row(post: dict[str, Any], page_id: str) -> dict[str, Any]:
    insights = _insight_values(post)
    reactions = insights.get("post_reactions_by_type_total")
    return {
        "post_id": post.get("id"),
        "page_id": page_id,
        "created_time": parse_time(post.get("created_time")),
        "message": post.get("message"),
        "permalink_url": post.get("permalink_url"),
        "status_type": post.get("status_type"),
        # Meta omits `shares` when nobody shared: absent means zero here.
        "shares_count": (post.get("shares") or {}).get("count", 0),
        "comments_count": ((post.get("comments") or {}).get("summary") or {}).get("total_count"),
        **{metric: insights.get(metric) for metric in POST_METRICS[:3]},
        "post_reactions_by_type_total": None if reactions is None else json.dumps(reactions),
    }


def _media_row(item: dict[str, Any], ig_user_id: str) -> dict[str, Any]:
    insights = _insight_values(item)
    return {
        "media_id": item.get("id"),
        "ig_user_id": ig_user_id,
        "created_time": parse_time(item.get("timestamp")),
        "caption": item.get("caption"),
        "media_type": item.get("media_type"),
        "media_product_type": item.get("media_product_type"),
        "permalink": item.get("permalink"),
        "like_count": item.get("like_count"),
        "comments_count": item.get("comments_count"),
        **{metric: insights.get(metric) for metric in IG_MEDIA_METRICS},
    }


def _ad_row(row: dict[str, Any]) -> dict[str, Any]:
    out = {field: row.get(field) for field in AD_INSIGHTS.schema.names}
    for key in ("date_start", "date_stop"):
        out[key] = date.fromisoformat(row[key]) if row.get(key) else None
    for key in ("actions", "action_values"):
        out[key] = json.dumps(row[key]) if row.get(key) is not None else None
    return out


def _lead_row(lead: dict[str, Any]) -> dict[str, Any]:
    answers = {a.get("name"): a.get("values") or [] for a in lead.get("field_data") or []}
    email = next(iter(answers.get("email") or []), None)
    return {
        "lead_id": lead.get("id"),
        "form_id": lead.get("form_id"),
        "created_time": parse_time(lead.get("created_time")),
        **{key: lead.get(key) for key in ("ad_id", "adset_id", "campaign_id", "platform")},
        "email_sha256": email_sha256(email),
    }


def _account_rows(platform: str, account_id: str, day: date,
                  metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per day of the account's answered metrics, and always one for the run's day (its
    metrics NULL when Meta reported none). A time series value belongs to the day before its
    end_time; a total value (Instagram's views) to the range asked for: the run's day."""
    columns = {name: column for _, names in ACCOUNT_REQUESTS[platform] for name, column in names.items()}
    rows: dict[date | None, dict[str, Any]] = {}

    def row(of: date | None) -> dict[str, Any]:
        return rows.setdefault(of, {"platform": platform, "account_id": account_id, "date": of,
                                    **dict.fromkeys(ACCOUNT_INSIGHTS.schema.names[3:])})

    row(day)
    for metric in metrics:
        column = columns.get(metric.get("name"))
        if column is None:
            continue
        if "total_value" in metric:
            row(day)[column] = (metric.get("total_value") or {}).get("value")
        for value in metric.get("values") or []:
            end = parse_time(value.get("end_time"))
            row((end - timedelta(days=1)).date() if end else None)[column] = value.get("value")
    return list(rows.values())


def _messages_of_day(
    conversation: dict[str, Any], platform: str, account_id: str, start: datetime, end: datetime,
    lazily: Callable[[str], Iterator[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The conversation's messages sent in [start, end), read newest first until one is older
    than the day (the nested edge's later pages through ``lazily``). A message is its
    conversation's start when nothing older exists."""
    edge = conversation.get("messages") or {}

    def newest_first() -> Iterator[dict[str, Any]]:
        yield from edge.get("data") or []
        if (edge.get("paging") or {}).get("next"):
            yield from lazily(edge["paging"]["next"])

    rows, older = [], False
    for message in newest_first():
        created = parse_time(message.get("created_time"))
        if created is not None and created < start:
            older = True
            break
        if created is None or created < end:  # a missing time fails the contract, by message id
            sender = (message.get("from") or {}).get("id")
            rows.append({
                "message_id": message.get("id"), "conversation_id": conversation.get("id"),
                "platform": platform, "account_id": account_id, "created_time": created,
                "sender_id": sender, "is_from_page": None if sender is None else sender == account_id,
                "is_conversation_start": False,
            })
    if rows and not older:
        rows[-1]["is_conversation_start"] = True
    return rows
