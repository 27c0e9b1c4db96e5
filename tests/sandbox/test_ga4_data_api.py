"""GA4 Data API runReport: the response shape, offset/limit and rowCount, GA4's errors and quota
answers, and agreement with the export files served from the same world (consent mode apart)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest
import requests

from social_roi.sandbox import catalog

from .conftest import SMALL, TOKEN

ROUTE = f"/v1beta/properties/{catalog.GA4_PROPERTY_ID}:runReport"
EXPORT = f"/ga4/export/analytics_{catalog.GA4_PROPERTY_ID}"
DIMENSIONS = ["date", "sessionDefaultChannelGroup", "sessionSource", "sessionMedium", "sessionCampaignName"]
METRICS = ["sessions", "engagedSessions", "keyEvents", "userEngagementDuration", "totalUsers",
           "screenPageViews"]


def body(first=SMALL.start_date, last=SMALL.dates[-1], dimensions=DIMENSIONS, metrics=METRICS, **more):
    return {"dateRanges": [{"startDate": str(first), "endDate": str(last)}],
            "dimensions": [{"name": d} for d in dimensions], "metrics": [{"name": m} for m in metrics],
            **more}


@pytest.fixture
def report(small_server, http):
    small_server.ga4_data_api.reset_quota()

    def post(payload: dict, *, path: str = ROUTE) -> requests.Response:
        return http.post(f"{small_server.base_url}{path}", json=payload)

    yield post
    small_server.ga4_data_api.quota_limits.update(tokensPerDay=200_000, tokensPerHour=40_000)
    small_server.ga4_data_api.reset_quota()


def test_response_shape_is_the_data_apis(report):
    r = report(body(returnPropertyQuota=True))
    assert r.status_code == 200
    answer = r.json()
    assert answer["kind"] == "analyticsData#runReport"
    assert [h["name"] for h in answer["dimensionHeaders"]] == DIMENSIONS
    assert answer["metricHeaders"] == [
        {"name": "sessions", "type": "TYPE_INTEGER"}, {"name": "engagedSessions", "type": "TYPE_INTEGER"},
        {"name": "keyEvents", "type": "TYPE_INTEGER"},
        {"name": "userEngagementDuration", "type": "TYPE_SECONDS"},
        {"name": "totalUsers", "type": "TYPE_INTEGER"}, {"name": "screenPageViews", "type": "TYPE_INTEGER"}]
    assert answer["metadata"] == {"currencyCode": "USD", "timeZone": "Etc/UTC"}
    assert answer["rowCount"] == len(answer["rows"]) > 20
    for row in answer["rows"]:
        values = [v["value"] for v in row["dimensionValues"] + row["metricValues"]]
        assert all(isinstance(v, str) for v in values)  # every value is a string
        assert len(row["dimensionValues"][0]["value"]) == 8  # date as YYYYMMDD
    channels = {row["dimensionValues"][1]["value"] for row in answer["rows"]}
    assert {"Organic Social", "Paid Social", "Organic Search", "Direct"} <= channels
    direct = [r for r in answer["rows"] if r["dimensionValues"][1]["value"] == "Direct"]
    assert {tuple(v["value"] for v in r["dimensionValues"][2:]) for r in direct} == {
        ("(direct)", "(none)", "(direct)")}
    quota = answer["propertyQuota"]
    assert quota["tokensPerDay"]["consumed"] > 0 and quota["tokensPerHour"]["remaining"] < 40_000


def test_row_count_is_the_querys_total_whatever_the_page(report):
    whole = report(body(orderBys=[{"dimension": {"dimensionName": d}} for d in DIMENSIONS])).json()
    pages, offset = [], 0
    while True:
        page = report(body(orderBys=[{"dimension": {"dimensionName": d}} for d in DIMENSIONS],
                           limit="7", offset=str(offset))).json()
        assert page["rowCount"] == whole["rowCount"]
        pages.append(page["rows"])
        offset += 7
        if offset >= page["rowCount"]:
            break
    assert [len(p) for p in pages[:-1]] == [7] * (len(pages) - 1) and 0 < len(pages[-1]) <= 7
    assert [r for p in pages for r in p] == whole["rows"]
    beyond = report(body(limit=5, offset=whole["rowCount"] + 3)).json()
    assert "rows" not in beyond and beyond["rowCount"] == whole["rowCount"]


def test_order_bys_and_the_default_order(report):
    default = report(body(dimensions=["sessionSource"], metrics=["sessions"])).json()["rows"]
    sessions = [int(r["metricValues"][0]["value"]) for r in default]
    assert sessions == sorted(sessions, reverse=True)  # the first metric, descending
    ordered = report(body(dimensions=["sessionSource"], metrics=["sessions"],
                          orderBys=[{"dimension": {"dimensionName": "sessionSource"}, "desc": True}])).json()
    sources = [r["dimensionValues"][0]["value"] for r in ordered["rows"]]
    assert sources == sorted(sources, reverse=True)


def test_no_data_omits_rows_and_row_count(report):
    answer = report(body(first="2027-01-01", last="2027-01-02")).json()
    assert "rows" not in answer and "rowCount" not in answer
    assert [h["name"] for h in answer["dimensionHeaders"]] == DIMENSIONS


@pytest.mark.parametrize(("payload", "message"), [
    (body(metrics=["sessions", "conversions"]), "Field conversions is not a valid metric."),
    (body(dimensions=["date", "sessionz"]), "Field sessionz is not a valid dimension."),
    (body(metrics=[]), "At least one metric is required."),
    (body(limit="0"), "limit must be positive"),
    (body(limit="many"), "Invalid value at 'limit'"),
    (body(first="2026-10-05", last="2026-10-01"), "start date"),
    (body(orderBys=[{"metric": {"metricName": "bounceRate"}}]), "OrderBy metric bounceRate"),
    ({"dimensions": [{"name": "date"}], "metrics": [{"name": "sessions"}]}, "dateRanges is required."),
])
def test_invalid_requests_are_invalid_argument(report, payload, message):
    r = report(payload)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT" and message in error["message"]


def test_authentication_and_permission_errors(small_server, report):
    url = f"{small_server.base_url}{ROUTE}"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = requests.post(url, json=body(), headers=headers)
        assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    r = report(body(), path="/v1beta/properties/999:runReport")
    assert r.status_code == 403 and r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert r.json()["error"]["message"].startswith("User does not have sufficient permissions")
    r = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 404 and r.json()["error"]["status"] == "NOT_FOUND"


def test_quota_tokens_run_out_hourly_then_daily(small_server, report):
    api = small_server.ga4_data_api
    api.quota_limits.update(tokensPerHour=20, tokensPerDay=40)
    assert [report(body()).status_code for _ in range(2)] == [200, 200]
    hourly = report(body())
    assert hourly.status_code == 429 and "Retry-After" not in hourly.headers
    assert hourly.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert "tokens per hour" in hourly.json()["error"]["message"]
    api.reset_quota("tokensPerHour")
    assert [report(body()).status_code for _ in range(2)] == [200, 200]
    daily = report(body())
    assert daily.status_code == 429
    assert daily.json()["error"]["message"] == (
        "Exhausted property tokens per day. These quota tokens will return tomorrow.")


def test_the_report_agrees_with_the_export_but_for_consent_denied_visits(report, http, small_server,
                                                                        small_world):
    """Sessions per day and channel: the export's consented session_starts plus the visits GA4
    models from cookieless pings; key events and page views: the export's events, pings included."""
    export = defaultdict(lambda: Counter())
    for day in SMALL.dates:
        r = http.get(f"{small_server.base_url}{EXPORT}/events_{day:%Y%m%d}.jsonl")
        for event in map(json.loads, r.text.splitlines()):
            last_click = event["session_traffic_source_last_click"]["cross_channel_campaign"]
            key = (event["event_date"], last_click["default_channel_group"])
            name = event["event_name"]
            consented = event["user_pseudo_id"] is not None
            export[key]["sessions"] += name == "session_start" and consented
            export[key]["cookieless_sessions"] += name == "session_start" and not consented
            export[key]["keyEvents"] += name == "generate_lead"
            export[key]["screenPageViews"] += name == "page_view"
    rows = report(body(dimensions=["date", "sessionDefaultChannelGroup"])).json()["rows"]
    api = {tuple(v["value"] for v in r["dimensionValues"]):
           dict(zip(METRICS, (float(v["value"]) for v in r["metricValues"]), strict=True)) for r in rows}
    assert set(api) == set(export)
    for key, counts in export.items():
        assert api[key]["sessions"] == counts["sessions"] + counts["cookieless_sessions"], key
        assert api[key]["keyEvents"] == counts["keyEvents"], key
        assert api[key]["screenPageViews"] == counts["screenPageViews"], key
    denied = small_world.truth["consent_denied_sessions"]
    assert sum(c["cookieless_sessions"] for c in export.values()) == len(denied) > 0
    assert sum(m["sessions"] for m in api.values()) == len(small_world.truth["sessions"]) + len(denied)
    engaged = small_world.truth["sessions"].is_engaged.sum() + denied.is_engaged.sum()
    assert sum(m["engagedSessions"] for m in api.values()) == engaged
