"""GA4 Data API (v1beta ``runReport``): the property's daily traffic as GA4 itself reports it, for
the aggregate engagement figures and to cross-check the sessionised export
(``fct_web_reconciliation_daily``).

A source of its own (connection ``ga4_data_api``), not a second connection of ``ga4``: the
export and the API have different credentials and quotas, and a property may have only one of
them. Each is switched on by its own connection (decision 35); the reconciliation shows the side
that is missing as unknown (NULL).

What this connector does about the API (api_shapes.md §5.1, decision 45):
* One report per day: ``dateRanges`` = the run's day; dimensions ``date``,
  ``sessionDefaultChannelGroup``, ``sessionSource``, ``sessionMedium``, ``sessionCampaignName``;
  metrics ``sessions``, ``engagedSessions``, ``keyEvents`` (never ``conversions``: GA4 renamed it
  and refuses the old name with 400 INVALID_ARGUMENT), ``userEngagementDuration``, ``totalUsers``,
  ``screenPageViews``. Ordered by every dimension, so that pages do not overlap.
* Paging: ``offset`` / ``limit`` (the connection's ``page_size``, at most 250,000) until
  ``rowCount``, the query's total; the rows read must add up to it, else GA4 was still processing
  the day while it was read and the day fails (rerun it).
* Values are strings in the API and land as strings: staging casts them.
* Quotas (no Retry-After): a 429 RESOURCE_EXHAUSTED for hourly tokens is waited for, from
  ``quota_wait_seconds`` (default 30) doubling up to ``max_retry_delay``, ``max_attempts`` tries;
  still exhausted, the day fails as a transient error and Airflow retries it later. The daily
  tokens return at midnight Pacific time: that 429 fails the task at once
  (``SourceQuotaExhausted``). 5xx are retried by the shared client.
* 401 UNAUTHENTICATED / 403 PERMISSION_DENIED fail at once naming the connection; 400
  INVALID_ARGUMENT (an unknown metric or dimension) fails at once with GA4's message.
* The report's ``metadata`` (time zone, thresholding, data lost to an "(other)" row) is landed
  on every row and written to the day's status file: a thresholded day does not reconcile.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import HTTPError, RequestException, Response

from social_roi.connectors.base import Entity, SourceConfig, http_error, rest_client
from social_roi.errors import SourceAuthError, SourceError, SourceQuotaExhausted, SourceRequestRefused

log = logging.getLogger(__name__)

SOURCE = "ga4_data_api"
CONN_ID = "ga4_data_api"

# (API name, landing column)
DIMENSIONS = (
    ("date", "report_date"),
    ("sessionDefaultChannelGroup", "session_default_channel_group"),
    ("sessionSource", "session_source"),
    ("sessionMedium", "session_medium"),
    ("sessionCampaignName", "session_campaign_name"),
)
METRICS = (
    ("sessions", "sessions"),
    ("engagedSessions", "engaged_sessions"),
    ("keyEvents", "key_events"),
    ("userEngagementDuration", "user_engagement_duration"),
    ("totalUsers", "total_users"),
    ("screenPageViews", "screen_page_views"),
)
PAGE_SIZE, MAX_PAGE_SIZE = 100_000, 250_000
QUOTA_WAIT_SECONDS = 30.0
QUOTA_RESET = "at midnight Pacific time (America/Los_Angeles)"
_DAILY_QUOTA = re.compile(r"per day|tomorrow", re.IGNORECASE)
_SERVER_ERRORS = tuple(range(500, 600))  # 429 is retried here, not by the shared client
_UTC_ZONES = ("UTC", "Etc/UTC", "Etc/GMT", "GMT")

_S = pa.string()
TRAFFIC_DAILY = Entity("traffic_daily", pa.schema([
    pa.field("property_id", _S, nullable=False),
    *(pa.field(column, _S, nullable=False) for _name, column in DIMENSIONS + METRICS),
    ("time_zone", _S),  # the report's metadata, repeated on each row of the day
    ("subject_to_thresholding", pa.bool_()),
    ("data_loss_from_other_row", pa.bool_()),
]), "report_date")

ENTITIES = (TRAFFIC_DAILY,)


def is_auth_error(response: Response) -> bool:
    return response.status_code in (401, 403)


def fetch_day(config: SourceConfig, day: date, *,
              sleep: Callable[[float], None] = time.sleep) -> dict[str, list[dict[str, Any]]]:
    """Every row of the day's report. ``sleep`` waits out an hourly quota (tests pass a recorder)."""
    property_id = config.require("property_id")
    client = rest_client(config, auth=BearerTokenAuth(config.token), retry_statuses=_SERVER_ERRORS)
    path = f"/v1beta/properties/{property_id}:runReport"
    limit = min(int(config.extra.get("page_size", PAGE_SIZE)), MAX_PAGE_SIZE)
    body = {
        "dateRanges": [{"startDate": day.isoformat(), "endDate": day.isoformat()}],
        "dimensions": [{"name": name} for name, _column in DIMENSIONS],
        "metrics": [{"name": name} for name, _column in METRICS],
        "orderBys": [{"dimension": {"dimensionName": name}} for name, _column in DIMENSIONS],
        "keepEmptyRows": False,
        "returnPropertyQuota": True,
    }
    rows: list[dict[str, Any]] = []
    offset, totals = 0, []
    while True:
        page = _run_report(client, config, day, path, {**body, "offset": str(offset), "limit": str(limit)},
                           sleep)
        _check_headers(page, day)
        metadata = page.get("metadata") or {}
        rows.extend(_row(property_id, record, metadata) for record in page.get("rows") or [])
        totals.append(int(page.get("rowCount") or 0))  # omitted when the day has no data
        offset += limit
        if offset >= totals[-1]:
            break
    if len(set(totals)) > 1 or len(rows) != totals[-1]:
        raise SourceError(SOURCE, TRAFFIC_DAILY.name, day,
                          f"the report changed while it was paged (rowCount {' then '.join(map(str, totals))}"
                          f", {len(rows)} rows read): GA4 was still processing the day; rerun it")
    _warn_about(rows, day)
    quota = page.get("propertyQuota") or {}
    log.info("%s %s: %d rows in %d page(s); property tokens left this hour %s, today %s", SOURCE, day,
             len(rows), len(totals), quota.get("tokensPerHour", {}).get("remaining", "?"),
             quota.get("tokensPerDay", {}).get("remaining", "?"))
    return {TRAFFIC_DAILY.name: rows}


def day_details(rows_by_entity: dict[str, list[dict[str, Any]] | None]) -> dict[str, Any]:
    """The report's metadata, for the status file: a thresholded day or one with data folded into
    an "(other)" row does not reconcile with the export."""
    rows = rows_by_entity.get(TRAFFIC_DAILY.name) or []
    return {
        "time_zone": rows[0]["time_zone"] if rows else None,
        "subject_to_thresholding": any(r["subject_to_thresholding"] for r in rows),
        "data_loss_from_other_row": any(r["data_loss_from_other_row"] for r in rows),
    }


def _run_report(client: RESTClient, config: SourceConfig, day: date, path: str, body: dict,
                sleep: Callable[[float], None]) -> dict:
    """One page, waiting out an hourly quota; every other failure becomes a named error."""
    base_wait = float(config.extra.get("quota_wait_seconds", QUOTA_WAIT_SECONDS))
    attempt = 0
    while True:
        attempt += 1
        try:
            response = client.request(path, method="POST", json=body)
            response.raise_for_status()
            return response.json()
        except HTTPError as exc:
            response = exc.response
            if response is None or response.status_code not in (400, 403, 429):
                raise http_error(SOURCE, TRAFFIC_DAILY.name, day, response, config.conn_id,
                                 is_auth_error) from exc
            message = _google_message(response)
            if response.status_code == 403:
                raise SourceAuthError(
                    SOURCE, TRAFFIC_DAILY.name, day,
                    f"PERMISSION_DENIED: the account of the Airflow connection '{config.conn_id}' "
                    f"cannot read property {config.require('property_id')} (give it the Viewer "
                    f"role on the property, or fix the connection's property_id). API said: {message}",
                ) from exc
            if response.status_code == 400:
                raise SourceRequestRefused(
                    SOURCE, TRAFFIC_DAILY.name, day,
                    f"GA4 refused the report request (INVALID_ARGUMENT) of the Airflow connection "
                    f"'{config.conn_id}': {message}",
                ) from exc
            if _DAILY_QUOTA.search(message):
                raise SourceQuotaExhausted(
                    SOURCE, TRAFFIC_DAILY.name, day,
                    f"the daily quota of the Airflow connection '{config.conn_id}' is used up: it "
                    f"resets {QUOTA_RESET}; rerun the day after that. API said: {message}",
                ) from exc
            if attempt >= config.max_attempts:
                raise SourceError(
                    SOURCE, TRAFFIC_DAILY.name, day,
                    f"the hourly quota of the Airflow connection '{config.conn_id}' stayed exhausted "
                    f"through {attempt} attempts (it returns within the hour; Airflow retries the "
                    f"task later). API said: {message}",
                ) from exc
            wait = min(config.max_retry_delay, base_wait * 2 ** (attempt - 1))
            log.warning("%s: GA4 quota exhausted (%s): waiting %.0f s before attempt %d of %d",
                        config.conn_id, message, wait, attempt + 1, config.max_attempts)
            sleep(wait)
        except RequestException as exc:
            raise SourceError(SOURCE, TRAFFIC_DAILY.name, day,
                              f"API unreachable after retries: {exc}") from exc


def _google_message(response: Response) -> str:
    try:
        error = response.json()["error"]
        return f"{error.get('status', response.status_code)}: {error.get('message', '')}"
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


def _check_headers(page: dict, day: date) -> None:
    dimensions = [h.get("name") for h in page.get("dimensionHeaders") or []]
    metrics = [h.get("name") for h in page.get("metricHeaders") or []]
    if dimensions != [d for d, _ in DIMENSIONS] or metrics != [m for m, _ in METRICS]:
        raise SourceError(SOURCE, TRAFFIC_DAILY.name, day,
                          f"the report's headers {dimensions} / {metrics} are not the ones asked for")


def _row(property_id: str, record: dict, metadata: dict) -> dict[str, Any]:
    row: dict[str, Any] = {"property_id": property_id}
    for (_name, column), value in zip(DIMENSIONS, record.get("dimensionValues") or [], strict=False):
        row[column] = value.get("value")
    for (_name, column), value in zip(METRICS, record.get("metricValues") or [], strict=False):
        row[column] = value.get("value")
    row["time_zone"] = metadata.get("timeZone")
    row["subject_to_thresholding"] = bool(metadata.get("subjectToThresholding", False))
    row["data_loss_from_other_row"] = bool(metadata.get("dataLossFromOtherRow", False))
    return row


def _warn_about(rows: list[dict[str, Any]], day: date) -> None:
    details = day_details({TRAFFIC_DAILY.name: rows})
    if details["subject_to_thresholding"] or details["data_loss_from_other_row"]:
        log.warning("%s %s: GA4 thresholded the report or folded rows into '(other)' (%s): the day's "
                    "figures are lower than the export's and will not reconcile", SOURCE, day, details)
    if rows and details["time_zone"] not in _UTC_ZONES:
        log.warning("%s %s: the property's time zone is %s, not UTC: its days are not the "
                    "warehouse's UTC days", SOURCE, day, details["time_zone"])
