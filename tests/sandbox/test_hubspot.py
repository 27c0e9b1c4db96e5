"""HubSpot routes: search/list paging and caps, record shape, associations, revenue = truth."""

from __future__ import annotations

import re
from datetime import timedelta

import pandas as pd
import requests

from .conftest import DEFAULT

CONTACT_PROPS = [
    "email",
    "ga_client_id",
    "app_user_id",
    "hs_facebook_click_id",
    "li_fat_id",
    "hs_analytics_source_data_1",
    "hs_analytics_source_data_2",
    "lifecyclestage",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "hs_analytics_source",
    "hs_analytics_source_data_1",
]
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def search(server, http, otype: str, body: dict) -> tuple[list[dict], list[dict]]:
    pages, after = [], None
    while True:
        r = http.post(
            f"{server.base_url}/crm/v3/objects/{otype}/search",
            json={**body, **({"after": after} if after else {})},
        )
        assert r.status_code == 200, r.text
        pages.append(r.json())
        after = pages[-1].get("paging", {}).get("next", {}).get("after")
        if after is None:
            return [x for p in pages for x in p["results"]], pages


def platform_of(props: dict) -> str:
    if props["utm_source"]:
        return props["utm_source"]
    if props["hs_analytics_source"] == "PAID_SOCIAL":  # an ad lead form synced without UTMs
        return props["hs_analytics_source_data_1"].lower()
    if props["hs_analytics_source"] == "OFFLINE":  # created from a call or an e-mail
        return "offline"
    return "google" if props["hs_analytics_source"] == "ORGANIC_SEARCH" else "direct"


def test_won_revenue_per_platform_from_api_equals_truth(server, world, http):
    won_filter = {
        "filterGroups": [
            {"filters": [{"propertyName": "hs_is_closed_won", "operator": "EQ", "value": "true"}]}
        ],
        "properties": ["amount", "dealstage", "closedate", "deal_currency_code"],
        "limit": 50,
    }
    deals, _ = search(server, http, "deals", won_filter)
    links = http.post(
        f"{server.base_url}/crm/v4/associations/deals/contacts/batch/read",
        json={"inputs": [{"id": d["id"]} for d in deals]},
    )
    assert links.status_code == 200 and links.json()["status"] == "COMPLETE"
    contact_of = {r["from"]["id"]: r["to"][0]["toObjectId"] for r in links.json()["results"]}
    contacts, _ = search(server, http, "contacts", {"properties": CONTACT_PROPS, "limit": 200})
    platform = {c["id"]: platform_of(c["properties"]) for c in contacts}

    revenue: dict[str, float] = {}
    for d in deals:
        assert d["properties"]["dealstage"] == "closedwon"
        assert d["properties"]["deal_currency_code"] == "USD"
        p = platform[contact_of[d["id"]]]
        revenue[p] = revenue.get(p, 0.0) + float(d["properties"]["amount"])
    truth = world.truth["customers"].groupby("platform").amount.sum()
    assert revenue == {k: float(v) for k, v in truth.items()} and len(deals) >= 10


def test_leads_per_platform_and_day_from_api_equal_truth(server, world, http):
    contacts, _ = search(
        server, http, "contacts", {"properties": [*CONTACT_PROPS, "createdate"], "limit": 200}
    )
    got = (
        pd.Series(
            1,
            index=pd.MultiIndex.from_tuples(
                [(c["properties"]["createdate"][:10], platform_of(c["properties"])) for c in contacts]
            ),
        )
        .groupby(level=[0, 1])
        .sum()
        .sort_index()
    )
    truth = world.truth["contacts"]
    want = truth.groupby([truth.lead_date.astype(str), "platform"]).size().sort_index()
    assert got.to_dict() == want.to_dict()
    by_id = truth.set_index("contact_id")
    for c in contacts:
        t = by_id.loc[c["id"]]
        # the landing URL's click id goes to its platform's property (fbclid / li_fat_id)
        c["properties"]["click_id"] = c["properties"]["hs_facebook_click_id"] or c["properties"]["li_fat_id"]
        for prop, column in (("ga_client_id", "ga_client_id"), ("app_user_id", "app_user_id"),
                             ("click_id", "click_id")):
            assert c["properties"][prop] == (None if pd.isna(t[column]) else t[column])
        assert c["properties"]["lifecyclestage"] == t.lifecyclestage
        campaign = c["properties"]["utm_campaign"] or (
            c["properties"]["hs_analytics_source_data_2"]
            if c["properties"]["hs_analytics_source"] == "PAID_SOCIAL" else None)
        assert campaign == (t.campaign if isinstance(t.campaign, str) else None)


def test_search_paging_returns_each_record_once_and_stops(server, world, http):
    contacts, pages = search(
        server,
        http,
        "contacts",
        {"sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}], "limit": 37},
    )
    ids = [c["id"] for c in contacts]
    assert len(ids) == len(set(ids)) == len(world.truth["contacts"])
    assert ids == sorted(ids, key=int)
    assert all("paging" in p for p in pages[:-1]) and "paging" not in pages[-1]
    assert {p["total"] for p in pages} == {len(ids)}


def test_modified_windows_partition_the_records(server, world, http):
    """Each record has one lastmodifieddate in the horizon: daily windows find each exactly once."""
    seen: list[str] = []
    for day in DEFAULT.dates:
        start = int(pd.Timestamp(day, tz="UTC").timestamp() * 1000)
        end = int(pd.Timestamp(day + timedelta(days=1), tz="UTC").timestamp() * 1000)
        deals, _ = search(
            server,
            http,
            "deals",
            {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(start)},
                            {"propertyName": "hs_lastmodifieddate", "operator": "LT", "value": str(end)},
                        ]
                    }
                ],
                "limit": 200,
            },
        )
        for d in deals:
            assert start <= pd.Timestamp(d["properties"]["hs_lastmodifieddate"]).value // 10**6 < end
        seen += [d["id"] for d in deals]
    assert sorted(seen) == sorted(world.truth["deals"].deal_id)


def test_record_shape_strings_and_requested_properties_only(server, http):
    contacts, _ = search(
        server, http, "contacts", {"properties": ["email", "hs_lifecyclestage_customer_date"], "limit": 200}
    )
    for c in contacts:
        assert set(c) == {"id", "properties", "createdAt", "updatedAt", "archived"}
        assert c["archived"] is False
        assert set(c["properties"]) == {
            "email",
            "hs_lifecyclestage_customer_date",
            "hs_object_id",
            "createdate",
            "lastmodifieddate",
        }
        assert all(v is None or isinstance(v, str) for v in c["properties"].values())
        assert ISO_MS.fullmatch(c["createdAt"]) and c["updatedAt"] == c["properties"]["lastmodifieddate"]
    assert any(c["properties"]["hs_lifecyclestage_customer_date"] is None for c in contacts)
    deals, _ = search(server, http, "deals", {"properties": ["amount", "hs_is_closed_won"], "limit": 200})
    assert {d["properties"]["hs_is_closed_won"] for d in deals} == {"true", "false"}
    assert all(re.fullmatch(r"\d+\.\d\d", d["properties"]["amount"]) for d in deals)
    assert all("hs_lastmodifieddate" in d["properties"] for d in deals)


def test_search_limits_and_the_10k_cap(server, http):
    r = http.post(f"{server.base_url}/crm/v3/objects/contacts/search", json={"after": "10000", "limit": 10})
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    r = http.post(f"{server.base_url}/crm/v3/objects/contacts/search", json={"limit": 201})
    assert r.status_code == 400 and r.json()["status"] == "error" and r.json()["correlationId"]
    r = http.post(f"{server.base_url}/crm/v3/objects/contacts/search", json={"after": "9990", "limit": 10})
    assert r.status_code == 200 and r.json()["results"] == []
    r = http.post(
        f"{server.base_url}/crm/v3/objects/deals/search",
        json={
            "filterGroups": [
                {"filters": [{"propertyName": "createdate", "operator": "SOMETIMES", "value": "1"}]}
            ]
        },
    )
    assert r.status_code == 400


def test_list_endpoint_cursor_walk(server, world, http):
    url, params, ids, pages = f"{server.base_url}/crm/v3/objects/deals", {"limit": 500}, [], 0
    while url:
        body = http.get(url, params=params).json()
        assert len(body["results"]) <= 100  # the list endpoint caps pages at 100
        ids += [d["id"] for d in body["results"]]
        url, params, pages = body.get("paging", {}).get("next", {}).get("link"), None, pages + 1
    assert sorted(ids) == sorted(world.truth["deals"].deal_id) and len(ids) == len(set(ids))
    assert pages == -(-len(ids) // 100)


def test_association_batch_limits_and_misses(server, world, http):
    url = f"{server.base_url}/crm/v4/associations/deals/contacts/batch/read"
    r = http.post(url, json={"inputs": [{"id": str(i)} for i in range(1001)]})
    assert r.status_code == 400 and r.json()["category"] == "VALIDATION_ERROR"
    deal = world.deals[0]
    r = http.post(url, json={"inputs": [{"id": deal.deal_id}, {"id": "42"}]})
    assert r.status_code == 207
    body = r.json()
    assert body["results"] == [
        {
            "from": {"id": deal.deal_id},
            "to": [
                {
                    "toObjectId": deal.contact.contact_id,
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "label": None}],
                }
            ],
        }
    ]
    assert body["numErrors"] == 1 and body["errors"][0]["context"] == {"fromObjectId": ["42"]}


def test_auth_errors_and_rate_limit_headers(server, http):
    r = requests.post(
        f"{server.base_url}/crm/v3/objects/contacts/search",
        json={},
        headers={"Authorization": "Bearer wrong"},
    )
    assert r.status_code == 401 and r.json()["category"] == "INVALID_AUTHENTICATION"
    r = requests.get(f"{server.base_url}/crm/v3/objects/contacts")
    assert r.status_code == 401
    ok = http.get(f"{server.base_url}/crm/v3/objects/contacts", params={"limit": 1})
    for resp in (r, ok):
        assert int(resp.headers["X-HubSpot-RateLimit-Daily"]) == 250000
        assert int(resp.headers["X-HubSpot-RateLimit-Secondly-Remaining"]) >= 0
        assert "X-HubSpot-RateLimit-Remaining" in resp.headers
    r = http.get(f"{server.base_url}/crm/v3/objects/contacts/1")
    assert r.status_code == 404 and r.json()["category"] == "OBJECT_NOT_FOUND"
    r = http.get(f"{server.base_url}/crm/v9/whatever")
    assert r.status_code == 404 and r.json()["status"] == "error"


def test_calls_and_emails_are_engagements_associated_with_their_contact(server, world, http):
    """Calls and e-mails search like any object; their v4 contact associations are the truth's, and
    a call logged without a contact has none (a 207 'no associations' entry, not a failure)."""
    truth = world.truth["engagements"].set_index("engagement_id")
    for otype, direction in (("calls", "hs_call_direction"), ("emails", "hs_email_direction")):
        records, _ = search(server, http, otype, {"properties": ["hs_timestamp", direction], "limit": 200})
        expected = truth[truth.object_type == otype]
        assert sorted(r["id"] for r in records) == sorted(expected.index) and len(records) > 0
        for r in records:
            assert r["properties"][direction] == expected.loc[r["id"], "direction"]
            assert (pd.Timestamp(r["properties"]["hs_timestamp"]) == expected.loc[r["id"], "occurred_at"])
            assert r["createdAt"] == r["properties"]["hs_createdate"]
        r = http.post(f"{server.base_url}/crm/v4/associations/{otype}/contacts/batch/read",
                      json={"inputs": [{"id": i} for i in expected.index]})
        body = r.json()
        got = {x["from"]["id"]: x["to"][0]["toObjectId"] for x in body["results"]}
        assert {x["to"][0]["associationTypes"][0]["typeId"] for x in body["results"]} == {
            "calls": {194}, "emails": {198}}[otype]
        linked = expected.contact_id.dropna()
        assert got == linked.to_dict()
        unlinked = set(expected.index) - set(linked.index)
        assert {e["context"]["fromObjectId"][0] for e in body.get("errors", [])} == unlinked
        assert r.status_code == (207 if unlinked else 200)
    assert truth[truth.object_type == "calls"].contact_id.isna().any()


def test_engagements_carry_personal_data_only_when_asked(server, http):
    calls, _ = search(server, http, "calls", {"limit": 5})
    assert set(calls[0]["properties"]) == {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}
    calls, _ = search(server, http, "calls", {"properties": ["hs_call_from_number"], "limit": 5})
    assert all(c["properties"]["hs_call_from_number"].startswith("+1555") for c in calls)
