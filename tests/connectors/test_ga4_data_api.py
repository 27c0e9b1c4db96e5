"""The GA4 Data API connector against the sandbox over HTTP: the report it asks for, offset/limit
paging up to rowCount, GA4's quota 429s (hourly: waited for, through an injected sleep; daily:
fail at once), refused credentials and permissions, and an invalid metric."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from social_roi import landing
from social_roi.connectors import ga4_data_api
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError, SourceError, SourceQuotaExhausted, SourceRequestRefused
from social_roi.sandbox import catalog
from social_roi.sandbox.faults import ga4_quota_exhausted

from .conftest import requests_to

DAY = date(2026, 10, 3)
ROUTE = f"/v1beta/properties/{catalog.GA4_PROPERTY_ID}:runReport"


@pytest.fixture(autouse=True)
def _fresh_quota(server):
    api = server.ga4_data_api
    limits = dict(api.quota_limits)
    api.reset_quota()
    yield
    api.quota_limits.update(limits)
    api.reset_quota()


def reports_sent(server) -> list[dict]:
    return list(server.ga4_data_api.reports)


def test_lands_the_days_report_as_strings_agreeing_with_the_world(config, server, world, tmp_path):
    counts = land_day(ga4_data_api, config("ga4_data_api"), DAY, tmp_path)
    table = landing.read_partition(tmp_path, "ga4_data_api", "traffic_daily", DAY)
    assert counts == {"traffic_daily": table.num_rows} and table.num_rows > 5
    assert all(table.schema.field(c).type == "string" for _n, c in ga4_data_api.METRICS)
    rows = table.to_pylist()
    assert {r["report_date"] for r in rows} == {"20261003"}
    assert {r["property_id"] for r in rows} == {catalog.GA4_PROPERTY_ID}
    assert {r["time_zone"] for r in rows} == {"Etc/UTC"}
    # GA4 counts every visit: the sessionisable ones and the consent-denied (modelled) ones
    truth = world.truth
    sessions = truth["sessions"][truth["sessions"].date == DAY]
    denied = truth["consent_denied_sessions"][truth["consent_denied_sessions"].date == DAY]
    assert len(denied) > 0
    assert sum(int(r["sessions"]) for r in rows) == len(sessions) + len(denied)
    engaged = sessions.is_engaged.sum() + denied.is_engaged.sum()
    assert sum(int(r["engaged_sessions"]) for r in rows) == engaged
    leads = sessions.has_lead.sum() + sessions.has_partner_inquiry.sum()
    assert sum(int(r["key_events"]) for r in rows) == leads > 0
    by_channel = Counter()
    for r in rows:
        by_channel[r["session_default_channel_group"]] += int(r["sessions"])
    organic = (sessions.medium == "organic").sum() + (denied.medium == "organic").sum()
    assert by_channel["Organic Search"] == organic
    status = json.loads(landing.status_file(tmp_path, "ga4_data_api", DAY).read_text())
    assert status["details"] == {"time_zone": "Etc/UTC", "subject_to_thresholding": False,
                                 "data_loss_from_other_row": False}


def test_asks_for_key_events_never_the_retired_conversions(config, server, tmp_path):
    server.ga4_data_api.reports.clear()
    land_day(ga4_data_api, config("ga4_data_api"), DAY, tmp_path)
    [body] = reports_sent(server)
    metrics = [m["name"] for m in body["metrics"]]
    assert "keyEvents" in metrics and "conversions" not in metrics
    assert body["dateRanges"] == [{"startDate": "2026-10-03", "endDate": "2026-10-03"}]
    assert [d["name"] for d in body["dimensions"]] == [
        "date", "sessionDefaultChannelGroup", "sessionSource", "sessionMedium", "sessionCampaignName"]
    assert body["returnPropertyQuota"] is True and body["offset"] == "0"


def test_pages_with_offset_and_limit_until_row_count(config, server, tmp_path):
    whole = ga4_data_api.fetch_day(config("ga4_data_api"), DAY)["traffic_daily"]
    server.ga4_data_api.reports.clear()
    paged = ga4_data_api.fetch_day(config("ga4_data_api", page_size=4), DAY)["traffic_daily"]
    assert paged == whole and len(whole) > 8
    bodies = reports_sent(server)
    assert [(b["offset"], b["limit"]) for b in bodies] == [
        (str(offset), "4") for offset in range(0, len(whole), 4)]  # ceil(rowCount / 4) pages
    keys = [tuple(r[c] for _n, c in ga4_data_api.DIMENSIONS) for r in paged]
    assert len(set(keys)) == len(keys) == len(whole)  # ordered by every dimension: no overlap


def test_page_size_is_capped_at_250000(config, server):
    server.ga4_data_api.reports.clear()
    ga4_data_api.fetch_day(config("ga4_data_api", page_size=1_000_000), DAY)
    assert [b["limit"] for b in reports_sent(server)] == ["250000"]


def test_a_day_without_data_lands_empty(config, tmp_path):
    """No data: GA4 omits rows and rowCount. Outside the world's month there is no traffic."""
    counts = land_day(ga4_data_api, config("ga4_data_api"), date(2027, 1, 1), tmp_path)
    assert counts == {"traffic_daily": 0}
    assert landing.read_partition(tmp_path, "ga4_data_api", "traffic_daily", date(2027, 1, 1)).num_rows == 0


def test_an_hourly_quota_429_is_waited_for_then_retried(config, server):
    server.add_fault(ROUTE, times=2, **ga4_quota_exhausted("hour"))
    waits: list[float] = []
    before = requests_to(server, ROUTE)
    rows = ga4_data_api.fetch_day(config("ga4_data_api", quota_wait_seconds=30), DAY,
                                  sleep=waits.append)["traffic_daily"]
    assert rows and requests_to(server, ROUTE) - before == 3
    assert waits == [3, 3]  # 30 s, then 60 s, each capped by the connection's max_retry_delay (3)


def test_quota_waits_double_from_quota_wait_seconds(config, server):
    server.add_fault(ROUTE, times=3, **ga4_quota_exhausted("hour"))
    waits: list[float] = []
    ga4_data_api.fetch_day(config("ga4_data_api", quota_wait_seconds=0.5), DAY, sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0]


def test_an_hourly_quota_exhausted_through_every_attempt_is_left_to_airflow(config, server):
    server.add_fault(ROUTE, times=10, **ga4_quota_exhausted("hour"))
    waits: list[float] = []
    with pytest.raises(SourceError) as failure:
        ga4_data_api.fetch_day(config("ga4_data_api"), DAY, sleep=waits.append)
    assert type(failure.value) is SourceError  # transient: Airflow retries the task later
    assert "hourly quota" in str(failure.value) and "ga4_data_api" in str(failure.value)
    assert "RESOURCE_EXHAUSTED" in str(failure.value)
    assert len(waits) == 3  # max_attempts 4


def test_the_daily_quota_fails_at_once_saying_when_it_resets(config, server):
    server.add_fault(ROUTE, times=1, **ga4_quota_exhausted("day"))
    waits: list[float] = []
    before = requests_to(server, ROUTE)
    with pytest.raises(SourceQuotaExhausted, match="midnight Pacific") as failure:
        ga4_data_api.fetch_day(config("ga4_data_api"), DAY, sleep=waits.append)
    assert waits == [] and requests_to(server, ROUTE) - before == 1
    assert "ga4_data_api" in str(failure.value) and "tokens per day" in str(failure.value)


def test_the_sandbox_property_quota_runs_out_like_ga4s(config, server):
    """Not an injected fault: the sandbox charges tokens per request against the property's
    quota. Paging through a small page size spends the hour's tokens mid-day."""
    server.ga4_data_api.quota_limits["tokensPerHour"] = 20  # two requests
    waits: list[float] = []

    def new_hour(seconds: float) -> None:
        waits.append(seconds)
        server.ga4_data_api.reset_quota("tokensPerHour")

    rows = ga4_data_api.fetch_day(config("ga4_data_api", page_size=4), DAY, sleep=new_hour)
    assert len(rows["traffic_daily"]) > 8 and len(waits) >= 1
    server.ga4_data_api.quota_limits["tokensPerDay"] = 0
    with pytest.raises(SourceQuotaExhausted):
        ga4_data_api.fetch_day(config("ga4_data_api"), DAY, sleep=new_hour)


def test_server_errors_are_retried_by_the_shared_client(config, server):
    server.add_fault(ROUTE, 503, times=2, body={"error": {
        "code": 503, "status": "UNAVAILABLE", "message": "The service is currently unavailable."}})
    assert ga4_data_api.fetch_day(config("ga4_data_api"), DAY)["traffic_daily"]


@pytest.mark.parametrize("token", ["nope", ""])
def test_refused_credentials_fail_at_once_naming_the_connection(config, server, token, tmp_path):
    before = requests_to(server, ROUTE)
    with pytest.raises(SourceAuthError, match="ga4_data_api") as failure:
        land_day(ga4_data_api, config("ga4_data_api", token=token), DAY, tmp_path)
    assert "UNAUTHENTICATED" in str(failure.value)
    assert requests_to(server, ROUTE) - before == 1
    assert not (tmp_path / "ga4_data_api").exists()


def test_a_property_the_account_cannot_read_is_permission_denied(config, server, tmp_path):
    with pytest.raises(SourceAuthError) as failure:
        land_day(ga4_data_api, config("ga4_data_api", property_id="999"), DAY, tmp_path)
    message = str(failure.value)
    assert "PERMISSION_DENIED" in message and "ga4_data_api" in message and "Viewer" in message


def test_an_invalid_metric_fails_at_once_with_googles_message(config, server):
    """What GA4 answers when a request names a metric it does not know (`conversions`, since
    the rename to keyEvents): 400 INVALID_ARGUMENT, never retried."""
    body = {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": (
        "Field conversions is not a valid metric. For a list of valid dimensions and metrics, see "
        "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema ")}}
    server.add_fault(ROUTE, 400, times=5, body=body)
    before = requests_to(server, ROUTE)
    with pytest.raises(SourceRequestRefused) as failure:
        ga4_data_api.fetch_day(config("ga4_data_api"), DAY)
    assert "Field conversions is not a valid metric" in str(failure.value)
    assert "ga4_data_api" in str(failure.value) and requests_to(server, ROUTE) - before == 1


def test_a_report_that_changes_while_paged_fails_the_day(config, server):
    """rowCount grows between pages (GA4 still processing the day): the rows read do not add up."""
    first = ga4_data_api.fetch_day(config("ga4_data_api"), DAY)["traffic_daily"]
    page = {"dimensionHeaders": [{"name": n} for n, _c in ga4_data_api.DIMENSIONS],
            "metricHeaders": [{"name": n, "type": "TYPE_INTEGER"} for n, _c in ga4_data_api.METRICS],
            "rows": [{"dimensionValues": [{"value": r[c]} for _n, c in ga4_data_api.DIMENSIONS],
                      "metricValues": [{"value": r[c]} for _n, c in ga4_data_api.METRICS]}
                     for r in first[:4]],
            "rowCount": len(first) + 1, "metadata": {"timeZone": "Etc/UTC"}}
    server.add_fault(ROUTE, 200, times=1, body=page)
    with pytest.raises(SourceError, match="changed while it was paged"):
        ga4_data_api.fetch_day(config("ga4_data_api", page_size=4), DAY)


def test_thresholded_reports_are_flagged_on_the_rows_and_in_the_status(config, server, tmp_path):
    first = ga4_data_api.fetch_day(config("ga4_data_api"), DAY)["traffic_daily"]
    page = {"dimensionHeaders": [{"name": n} for n, _c in ga4_data_api.DIMENSIONS],
            "metricHeaders": [{"name": n, "type": "TYPE_INTEGER"} for n, _c in ga4_data_api.METRICS],
            "rows": [{"dimensionValues": [{"value": r[c]} for _n, c in ga4_data_api.DIMENSIONS],
                      "metricValues": [{"value": r[c]} for _n, c in ga4_data_api.METRICS]}
                     for r in first],
            "rowCount": len(first),
            "metadata": {"timeZone": "Etc/UTC", "subjectToThresholding": True}}
    server.add_fault(ROUTE, 200, times=1, body=page)
    land_day(ga4_data_api, config("ga4_data_api"), DAY, tmp_path)
    table = landing.read_partition(tmp_path, "ga4_data_api", "traffic_daily", DAY)
    assert set(table.column("subject_to_thresholding").to_pylist()) == {True}
    status = json.loads(landing.status_file(tmp_path, "ga4_data_api", DAY).read_text())
    assert status["details"]["subject_to_thresholding"] is True
