"""Brandwatch routes: mention shape, date windows, page/pageSize paging and its 10,000 cap,
cursor paging, errors, and mentions per brand/day/sentiment = truth."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import timedelta

import pandas as pd
import pytest
import requests

from social_roi.sandbox import catalog
from social_roi.sandbox.brandwatch import PAGING_CAP, QUERY_GROUP_ID
from social_roi.sandbox.faults import brandwatch_rate_limit
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import World

from .conftest import DEFAULT, TOKEN

MENTIONS = f"/projects/{catalog.LISTENING_PROJECT_ID}/data/mentions"
QUERY_IDS = [b.query_id for b in catalog.LISTENING_BRANDS]
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BW_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def window(day, days: int = 1) -> dict:
    end = day + timedelta(days=days)
    return {"startDate": f"{day}T00:00:00.000+0000", "endDate": f"{end}T00:00:00.000+0000"}


def all_pages(server, http, params: dict) -> tuple[list[dict], list[dict]]:
    pages, page = [], 0
    while True:
        r = http.get(server.base_url + MENTIONS, params={**params, "page": page})
        assert r.status_code == 200, r.text
        pages.append(r.json())
        if len(pages[-1]["results"]) < params["pageSize"]:
            return [m for p in pages for m in p["results"]], pages
        page += 1


def test_mentions_per_brand_day_and_sentiment_equal_truth(server, world, http):
    mentions, _ = all_pages(server, http, {"queryGroupId": QUERY_GROUP_ID, "pageSize": 5000,
                                           **window(DEFAULT.start_date, DEFAULT.days)})
    name_to_brand = {b.query_name: b.brand for b in catalog.LISTENING_BRANDS}
    got = pd.DataFrame({"date": [m["date"][:10] for m in mentions],
                        "brand": [name_to_brand[m["queryName"]] for m in mentions],
                        "sentiment": [m["sentiment"] for m in mentions]}).value_counts().sort_index()
    truth = world.truth["mentions"]
    want = (truth.assign(date=truth.date.astype(str))[["date", "brand", "sentiment"]]
            .value_counts().sort_index())
    assert got.to_dict() == want.to_dict() and len(mentions) == len(truth) > 1000


def test_mention_shape_uses_the_real_field_names(server, http):
    r = http.get(server.base_url + MENTIONS, params={"queryId": QUERY_IDS[0], "pageSize": 50,
                                                     **window(DEFAULT.start_date)})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"resultsTotal", "resultsPage", "resultsPageSize",
                                                  "results", "nextCursor"} - (
        set() if body["resultsTotal"] > 50 else {"nextCursor"})
    assert (body["resultsPage"], body["resultsPageSize"]) == (0, 50)
    m = body["results"][0]
    for name in ("id", "guid", "resourceId", "queryId", "queryName", "date", "added", "title",
                 "snippet", "url", "domain", "pageType", "sentiment", "author", "reachEstimate",
                 "engagementScore", "countryCode", "language"):
        assert name in m, name
    assert BW_TIME.fullmatch(m["date"]) and BW_TIME.fullmatch(m["added"]) and m["added"] > m["date"]
    assert isinstance(m["queryId"], int) and m["queryId"] == QUERY_IDS[0]
    assert {x["sentiment"] for x in body["results"]} <= {"positive", "negative", "neutral"}
    assert catalog.COMPANY in m["snippet"]
    tweets = [x for x in body["results"] if x["pageType"] == "twitter"]
    assert all(x["domain"] == "x.com" and x["guid"] == x["resourceId"] for x in tweets)


def test_multi_brand_documents_are_one_mention_per_query(world):
    truth = world.truth["mentions"]
    shared = truth[truth.resource_id.duplicated(keep=False)]
    assert len(shared) > 0 and truth.mention_id.is_unique
    per_doc = shared.groupby("resource_id")
    assert (per_doc.brand.nunique() == per_doc.size()).all()  # never twice the same brand
    assert (per_doc.is_our_brand.sum() == 1).all()  # comparisons: us against one rival


def test_windows_are_half_open_and_paging_returns_each_mention_once(server, world, http):
    seen = []
    for day in DEFAULT.dates[:3]:
        mentions, pages = all_pages(server, http, {"queryId": QUERY_IDS, "pageSize": 7,
                                                   "orderBy": "date", "orderDirection": "asc",
                                                   **window(day)})
        assert {m["date"][:10] for m in mentions} == {str(day)}
        assert [m["date"] for m in mentions] == sorted(m["date"] for m in mentions)
        assert {p["resultsTotal"] for p in pages} == {len(mentions)}
        assert [("nextCursor" in p) for p in pages] == [(i + 1) * 7 < len(mentions)
                                                        for i in range(len(pages))]
        seen += [m["id"] for m in mentions]
    truth = world.truth["mentions"]
    assert sorted(seen) == sorted(truth[truth.date.isin(DEFAULT.dates[:3])].mention_id)


def test_cursor_paging_matches_page_paging(server, http):
    params = {"queryId": QUERY_IDS, "pageSize": 40, **window(DEFAULT.start_date, 3)}
    by_page, _ = all_pages(server, http, params)
    by_cursor, cursor = [], None
    while True:
        body = http.get(server.base_url + MENTIONS,
                        params={**params, **({"cursor": cursor} if cursor else {})}).json()
        by_cursor += body["results"]
        cursor = body.get("nextCursor")
        if cursor is None:
            break
    assert [m["id"] for m in by_cursor] == [m["id"] for m in by_page]


def test_filters_and_count(server, http):
    params = {"queryId": QUERY_IDS[1], **window(DEFAULT.start_date, 7)}
    total = http.get(server.base_url + MENTIONS + "/count", params=params).json()["mentionsCount"]
    parts = [http.get(server.base_url + MENTIONS + "/count",
                      params={**params, "sentiment": s}).json()["mentionsCount"]
             for s in ("positive", "neutral", "negative")]
    assert sum(parts) == total > 0 and all(parts)
    tweets = http.get(server.base_url + MENTIONS,
                      params={**params, "pageType": "twitter", "pageSize": 5000}).json()["results"]
    assert tweets and {m["pageType"] for m in tweets} == {"twitter"}


def test_queries_route(server, http):
    body = http.get(f"{server.base_url}/projects/{catalog.LISTENING_PROJECT_ID}/queries").json()
    assert [q["name"] for q in body["results"]] == [b.query_name for b in catalog.LISTENING_BRANDS]
    assert body["resultsPage"] == -1


def test_page_paging_stops_at_ten_thousand_mentions(world):
    """A busy day (the demo world is too quiet): the same mention cloned past the cap."""
    first = world.mentions[0]
    crowded = World(world.config, [], [], [], [], [], [], [], [], [
        dataclasses.replace(first, mention_id=str(int(first.mention_id) + i),
                            published_ms=first.published_ms + i)
        for i in range(PAGING_CAP + 50)])
    with SandboxServer(crowded, token=TOKEN) as srv:
        params = {"queryGroupId": QUERY_GROUP_ID, "pageSize": 5000, **window(DEFAULT.start_date)}
        ok = requests.get(srv.base_url + MENTIONS, params={**params, "page": 1}, headers=AUTH)
        assert ok.status_code == 200 and ok.json()["resultsTotal"] == PAGING_CAP + 50
        refused = requests.get(srv.base_url + MENTIONS, params={**params, "page": 2}, headers=AUTH)
        assert refused.status_code == 400
        assert "limit of 10000 mentions" in refused.json()["errors"][0]["message"]
        more = requests.get(srv.base_url + MENTIONS, headers=AUTH,
                            params={**params, "cursor": ok.json()["nextCursor"]})
        assert more.status_code == 200 and len(more.json()["results"]) == 50


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"startDate": "2026-10-01", "endDate": "2026-10-02"}, 400, "queryId or queryGroupId"),
        ({"queryId": QUERY_IDS[0], "endDate": "2026-10-02"}, 400, "startDate"),
        ({"queryId": QUERY_IDS[0], "startDate": "01/10/2026", "endDate": "2026-10-02"}, 400,
         "Invalid startDate"),
        ({"queryId": 42, "startDate": "2026-10-01", "endDate": "2026-10-02"}, 404, "Query 42 not found"),
        ({"queryId": QUERY_IDS[0], "startDate": "2026-10-01", "endDate": "2026-10-02",
          "pageSize": 5001}, 400, "pageSize"),
    ],
)
def test_bad_requests_get_brandwatch_errors(server, http, params, status, message):
    r = http.get(server.base_url + MENTIONS, params=params)
    assert r.status_code == status and message in r.json()["errors"][0]["message"]
    assert r.json()["errors"][0]["code"] == status


def test_bad_token_and_unknown_project(server, http):
    r = http.get(server.base_url + MENTIONS, headers={"Authorization": "Bearer nope"},
                 params={"queryId": QUERY_IDS[0], **window(DEFAULT.start_date)})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    r = http.get(f"{server.base_url}/projects/1/data/mentions", params={"queryId": QUERY_IDS[0]})
    assert r.status_code == 403


def test_rate_limit_fault_then_success(server, http):
    server.add_fault(MENTIONS, **brandwatch_rate_limit(retry_after=1))
    params = {"queryId": QUERY_IDS[0], **window(DEFAULT.start_date)}
    r = http.get(server.base_url + MENTIONS, params=params)
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    assert "Rate limit exceeded" in r.json()["errors"][0]["message"]
    time.sleep(1)
    assert http.get(server.base_url + MENTIONS, params=params).status_code == 200


def test_our_mentions_echo_our_activity(world):
    """More of our posts and ad impressions on a day, more mentions of us (not of rivals)."""
    truth = world.truth
    ours = truth["mentions"][truth["mentions"].is_our_brand].groupby("date").size()
    activity = truth["posts"].groupby("created_date").size().reindex(ours.index, fill_value=0)
    assert ours.corr(activity) > 0.3
    share = truth["mentions"].is_our_brand.mean()
    assert 0.3 <= share <= 0.5  # we are the most talked-about brand, but not the only one


def test_mentions_are_within_the_horizon_and_indexed_after_publication(world):
    m = world.truth["mentions"]
    assert ((m.published_at >= pd.Timestamp(DEFAULT.start)) & (m.added_at < pd.Timestamp(DEFAULT.end))).all()
    assert (m.added_at > m.published_at).all() and (m.date == m.published_at.dt.date).all()
    assert set(m.brand) == {b.brand for b in catalog.LISTENING_BRANDS}
    assert set(m[m.is_our_brand].brand) == {catalog.COMPANY}
    assert set(m.sentiment) == {"positive", "neutral", "negative"}
    assert m.page_type.nunique() >= 6


def test_oauth_token_grant(server):
    url = server.base_url + "/oauth/token"
    grant = {"grant_type": "api-password", "client_id": "brandwatch-api-client",
             "username": "analyst@example.com"}
    ok = requests.post(url, params={**grant, "password": TOKEN})
    assert ok.status_code == 200 and ok.json()["access_token"] == TOKEN
    assert ok.json()["token_type"] == "bearer"
    bad = requests.post(url, params={**grant, "password": "guess"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
