"""GA4 export files: BigQuery JSON and Parquet shape, coherence with ads/posts/CRM, consent-mode
pings, Google-style errors."""

from __future__ import annotations

import io
import json
from collections import Counter

import pandas as pd
import pyarrow.parquet as pq
import pytest
import requests

from social_roi.sandbox import catalog

from .conftest import SMALL

BASE = f"/ga4/export/analytics_{catalog.GA4_PROPERTY_ID}"


def params(event: dict) -> dict:
    out = {}
    for p in event["event_params"]:
        v = p["value"]
        out[p["key"]] = v["string_value"] if v["string_value"] is not None else int(v["int_value"])
    return out


@pytest.fixture(scope="module")
def export(small_server, http) -> dict[str, list[dict]]:
    """Every daily file of the small world, parsed."""
    files = {}
    for day in SMALL.dates:
        r = http.get(f"{small_server.base_url}{BASE}/events_{day:%Y%m%d}.jsonl")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/x-ndjson")
        files[f"{day:%Y%m%d}"] = [json.loads(line) for line in r.text.splitlines()]
    return files


@pytest.fixture(scope="module")
def consented(export) -> dict[str, list[dict]]:
    """The events of visitors who granted analytics storage: those with a client id."""
    return {day: [e for e in events if e["user_pseudo_id"] is not None] for day, events in export.items()}


def test_bigquery_json_shape(export):
    for day, events in export.items():
        assert events and all(e["event_date"] == day for e in events)
        stamps = [int(e["event_timestamp"]) for e in events]
        assert stamps == sorted(stamps)
        for e in events[:400]:
            assert isinstance(e["event_timestamp"], str)
            if e["user_pseudo_id"] is None:  # a cookieless ping: checked on its own below
                assert e["privacy_info"]["analytics_storage"] == "No"
                continue
            assert e["privacy_info"]["analytics_storage"] == "Yes"
            # a login shows on the events after the landing page view, never on the first hits
            assert e["user_id"] is None or e["event_name"] not in ("first_visit", "session_start")
            assert e["platform"] == "WEB" and e["stream_id"] == catalog.GA4_STREAM_ID
            assert isinstance(e["user_first_touch_timestamp"], str)
            assert e["session_traffic_source_last_click"]["cross_channel_campaign"]["source"]
            for p in e["event_params"]:
                v = p["value"]
                assert set(v) == {"string_value", "int_value", "float_value", "double_value"}
                assert sum(x is not None for x in v.values()) == 1
                assert v["int_value"] is None or isinstance(v["int_value"], str)
            if e["event_name"] == "session_start":  # ga_session_id = session start, unix seconds
                assert params(e)["ga_session_id"] == int(e["event_timestamp"]) // 10**6
            upid = e["user_pseudo_id"].split(".")
            assert len(upid) == 2 and all(x.isdigit() for x in upid)


def test_sessions_and_leads_match_truth(consented, small_world):
    export = consented
    sessions = small_world.truth["sessions"]
    starts = {
        (e["user_pseudo_id"], params(e)["ga_session_id"]): e
        for events in export.values()
        for e in events
        if e["event_name"] == "session_start"
    }
    assert set(starts) == set(zip(sessions.user_pseudo_id, sessions.ga_session_id, strict=True))
    for row in sessions.itertuples():
        e = starts[(row.user_pseudo_id, row.ga_session_id)]
        ps = params(e)
        assert ps["ga_session_number"] >= 1 and ps.get("source") == (
            None if row.platform == "direct" else row.source
        )
        assert ps.get("content") == (row.content if isinstance(row.content, str) else None)
    leads = {
        (e["user_pseudo_id"], params(e)["ga_session_id"]): params(e)["form_name"]
        for events in export.values()
        for e in events
        if e["event_name"] == "generate_lead"
    }
    # a partner inquiry is a form too, but not a sales lead: it has its own truth table
    inquiries = sessions[sessions.has_partner_inquiry]
    assert {k for k, form in leads.items() if form == "partner_inquiry"} == set(
        zip(inquiries.user_pseudo_id, inquiries.ga_session_id, strict=True)
    )
    leads = {k: form for k, form in leads.items() if form != "partner_inquiry"}
    assert set(leads) == set(
        zip(
            sessions[sessions.has_lead].user_pseudo_id, sessions[sessions.has_lead].ga_session_id, strict=True
        )
    )
    assert set(leads.values()) <= {"demo_request", "ebook_download", "contact_us"}
    page_views = Counter(
        (e["user_pseudo_id"], params(e)["ga_session_id"])
        for events in export.values()
        for e in events
        if e["event_name"] == "page_view"
    )
    assert [
        page_views[k] for k in zip(sessions.user_pseudo_id, sessions.ga_session_id, strict=True)
    ] == sessions.page_views.tolist()


def test_every_contact_comes_from_a_lead_session_in_the_export(consented, small_world, small_server, http):
    export = consented
    r = http.post(
        f"{small_server.base_url}/crm/v3/objects/contacts/search",
        json={"properties": ["ga_client_id", "utm_content", "createdate"], "limit": 200},
    )
    contacts = r.json()["results"]
    assert len(contacts) == len(small_world.truth["contacts"]) > 0
    leads = {
        e["user_pseudo_id"]: e
        for events in export.values()
        for e in events
        if e["event_name"] == "generate_lead"
    }
    visitors = {e["user_pseudo_id"] for events in export.values() for e in events}
    truth = small_world.truth["contacts"].set_index("contact_id")
    lead_sessions = small_world.truth["sessions"].query("has_lead").set_index("contact_id")
    form_leads = small_world.truth["form_leads"].dropna(subset=["contact_id"]).set_index("contact_id")
    assert len(form_leads) > 0
    engagements = small_world.truth["engagements"]
    from_inquiries = set(engagements[engagements.created_contact].contact_id)
    assert from_inquiries
    for c in contacts:
        client_id = c["properties"]["ga_client_id"]
        if c["id"] in from_inquiries:  # created from a call or an e-mail: no web visit, no form
            assert client_id is None and c["id"] not in lead_sessions.index
            continue
        if c["id"] in form_leads.index:  # an instant-form lead: synced after the form, no visit
            assert client_id is None and c["id"] not in lead_sessions.index
            synced = pd.Timestamp(c["properties"]["createdate"]) - pd.Timedelta(
                milliseconds=catalog.CRM_CLOCK_OFFSET_MS)
            assert synced > form_leads.loc[c["id"], "created_at"]
            continue
        if client_id is None:  # the form's hidden field stayed empty: the truth knows the browser
            assert pd.isna(truth.loc[c["id"], "ga_client_id"])
            client_id = lead_sessions.loc[c["id"], "user_pseudo_id"]
        assert client_id in visitors and client_id in leads
        lead = leads[client_id]
        # the CRM's clock runs behind GA4's by a fixed offset (clock skew between sources)
        assert (int(lead["event_timestamp"]) // 1000 + catalog.CRM_CLOCK_OFFSET_MS
                == pd.Timestamp(c["properties"]["createdate"]).value // 10**6)


def test_clicks_from_posts_and_ads_equal_tagged_sessions(export, small_world, small_server, http):
    tagged = [
        e
        for events in export.values()
        for e in events
        if e["event_name"] == "session_start" and e["collected_traffic_source"] is not None
    ]
    ads = http.get(
        f"{small_server.base_url}/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights",
        params={
            "level": "ad",
            "time_increment": 1,
            "limit": 500,
            "fields": "ad_id,inline_link_clicks",
            "time_range": json.dumps({"since": str(SMALL.start_date), "until": str(SMALL.dates[-1])}),
        },
    ).json()
    ad_clicks = sum(int(r["inline_link_clicks"]) for r in ads["data"])
    post_clicks = int(small_world.truth["posts"].link_clicks.sum())
    shares = small_world.truth["advocacy_shares"]
    advocacy = [
        e for e in tagged if e["collected_traffic_source"]["manual_medium"] == catalog.ADVOCACY_MEDIUM
    ]
    # an ambassador's tracked link: utm_content is the ambassador, one session per click
    assert Counter(e["collected_traffic_source"]["manual_content"] for e in advocacy) == {
        a: n for a, n in shares.groupby("ambassador_id").clicks.sum().items() if n
    }
    tagged = [e for e in tagged if e not in advocacy]
    linkedin_ads = small_world.truth["ad_daily"].query("platform == 'linkedin'")
    li_clicks = int(linkedin_ads.link_clicks.sum())
    assert len(tagged) == ad_clicks + li_clicks + post_clicks and ad_clicks > 0 and post_clicks > 0
    assert li_clicks > 0
    by_content = Counter(e["collected_traffic_source"]["manual_content"] for e in tagged)
    per_ad = Counter()
    for row in ads["data"]:
        per_ad[row["ad_id"]] += int(row["inline_link_clicks"])
    for ad, n in linkedin_ads.groupby("ad_id").link_clicks.sum().items():
        per_ad[ad] += n
    assert all(by_content[ad] == n for ad, n in per_ad.items())
    for p in small_world.posts:
        assert by_content[p.post_id] == p.link_clicks
    paid = [e for e in tagged if e["collected_traffic_source"]["manual_medium"] == "paid_social"]
    assert all(("li_fat_id=" if e["collected_traffic_source"]["manual_source"] == "linkedin" else "fbclid=")
               in params(e)["page_location"] for e in paid)
    assert all(
        e["session_traffic_source_last_click"]["cross_channel_campaign"]["default_channel_group"]
        == "Paid Social"
        for e in paid
    )


def test_collected_traffic_source_only_on_the_landing_hits(export):
    for events in export.values():
        for e in events:
            if e["collected_traffic_source"] is not None:
                assert e["event_name"] in ("session_start", "page_view")
                assert "utm_source=" in params(e)["page_location"]


def test_listing_and_missing_days(small_server, http):
    listing = http.get(f"{small_server.base_url}{BASE}/").json()
    names = [i["name"] for i in listing["items"]]
    assert names == [f"analytics_{catalog.GA4_PROPERTY_ID}/events_{d:%Y%m%d}.{ext}"
                     for d in SMALL.dates for ext in ("jsonl", "parquet")]
    r = http.get(f"{small_server.base_url}{BASE}/events_{SMALL.dates[-1].year + 1}0101.jsonl")
    assert r.status_code == 404
    error = r.json()["error"]
    assert (
        error["code"] == 404
        and error["status"] == "NOT_FOUND"
        and error["message"].startswith("No such object:")
    )
    r = http.get(f"{small_server.base_url}/ga4/export/analytics_999/events_20261001.jsonl")
    assert r.status_code == 404


def test_auth_errors_are_google_style(small_server):
    url = f"{small_server.base_url}{BASE}/events_{SMALL.start_date:%Y%m%d}.jsonl"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = requests.get(url, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_logins_carry_the_crm_user_id(consented, small_world):
    """user_id appears only in sessions the truth says were logged in, and is the contact's id."""
    sessions = small_world.truth["sessions"]
    logged = {
        (e["user_pseudo_id"], params(e)["ga_session_id"]): e["user_id"]
        for events in consented.values()
        for e in events
        if e["user_id"] is not None
    }
    truth = sessions[sessions.user_id.notna()]
    assert len(truth) > 0
    assert logged == dict(zip(zip(truth.user_pseudo_id, truth.ga_session_id, strict=True),
                              truth.user_id, strict=True))
    app_ids = small_world.truth["contacts"].set_index("app_user_id").contact_id
    assert (app_ids.loc[truth.user_id].values == truth.contact_id.values).all()


def test_consent_denied_visits_are_cookieless_pings(export, small_world):
    """Analytics storage denied: no client id, no session id or number, no user-scoped first
    touch; every page load sends first_visit and session_start again. One page per visit in the
    sandbox, so the pings of one visit are exactly one session_start's worth."""
    pings = [e for events in export.values() for e in events if e["user_pseudo_id"] is None]
    truth = small_world.truth["consent_denied_sessions"]
    assert len(pings) == truth.events.sum() > 0
    assert Counter(e["event_name"] for e in pings) == {
        "first_visit": len(truth), "session_start": len(truth), "page_view": len(truth),
        "user_engagement": len(truth)}
    for e in pings:
        assert {"ga_session_id", "ga_session_number"}.isdisjoint(params(e))
        assert e["user_id"] is None and e["traffic_source"] is None
        assert e["user_first_touch_timestamp"] is None
        group = e["session_traffic_source_last_click"]["cross_channel_campaign"]["default_channel_group"]
        assert group in ("Organic Search", "Direct")
    starts = [e for e in pings if e["event_name"] == "session_start"]
    assert Counter(params(e).get("medium", "(none)") for e in starts) == Counter(truth.medium)
    ends = [e for e in pings if e["event_name"] == "user_engagement"]
    assert sum(params(e)["session_engaged"] == "1" for e in ends) == truth.is_engaged.sum()


def test_the_parquet_file_holds_the_same_events_typed(export, small_server, http):
    day = SMALL.dates[1]
    r = http.get(f"{small_server.base_url}{BASE}/events_{day:%Y%m%d}.parquet")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.field("event_timestamp").type == "int64"  # BigQuery INT64, not a string
    assert table.schema.field("event_params").type.value_type.field("value").type.field(
        "int_value").type == "int64"
    rows = table.to_pylist()
    events = export[f"{day:%Y%m%d}"]
    assert len(rows) == len(events)
    assert [r["event_timestamp"] for r in rows] == [int(e["event_timestamp"]) for e in events]
    assert [r["user_pseudo_id"] for r in rows] == [e["user_pseudo_id"] for e in events]
    for row, event in zip(rows[:200], events[:200], strict=True):
        last_click = "session_traffic_source_last_click"
        assert row[last_click]["cross_channel_campaign"] == event[last_click]["cross_channel_campaign"]
        assert [p["value"]["int_value"] for p in row["event_params"]] == [
            None if p["value"]["int_value"] is None else int(p["value"]["int_value"])
            for p in event["event_params"]]


def test_a_drifted_file_adds_the_fields_and_changes_nothing_else(export, small_server):
    """``drifted``: the day's file after a GA4 schema change, in both formats: a new column
    (INT64: a string in NDJSON, int64 in Parquet), a new key inside a record where the record is
    there, and inside every element of a list."""
    day = SMALL.dates[1]
    events = export[f"{day:%Y%m%d}"]
    fields = {"session_id_v2": lambda e: 7 if e["event_name"] == "session_start" else None,
              "collected_traffic_source.manual_partner_id": "p-1",
              "event_params.value.json_value": "{}"}

    def without(event):
        event = {k: v for k, v in event.items() if k != "session_id_v2"}
        if event["collected_traffic_source"] is not None:
            event["collected_traffic_source"] = {k: v for k, v in event["collected_traffic_source"].items()
                                                 if k != "manual_partner_id"}
        event["event_params"] = [{"key": p["key"], "value": {k: v for k, v in p["value"].items()
                                                             if k != "json_value"}}
                                 for p in event["event_params"]]
        return event

    ndjson = [json.loads(line) for line in small_server.ga4.drifted(day, "jsonl", fields).splitlines()]
    assert [without(e) for e in ndjson] == events
    starts = [e for e in ndjson if e["event_name"] == "session_start"]
    assert starts and all(e["session_id_v2"] == "7" for e in starts)
    assert all(e["session_id_v2"] is None for e in ndjson if e["event_name"] != "session_start")
    tagged = [e for e in ndjson if e["collected_traffic_source"] is not None]
    assert tagged and all(e["collected_traffic_source"]["manual_partner_id"] == "p-1" for e in tagged)
    assert all(p["value"]["json_value"] == "{}" for e in ndjson for p in e["event_params"])

    table = pq.read_table(io.BytesIO(small_server.ga4.drifted(day, "parquet", fields)))
    assert table.schema.field("session_id_v2").type == "int64"
    assert table.schema.field("collected_traffic_source").type.field("manual_partner_id").type == "string"
    plain = pq.read_table(io.BytesIO(small_server.ga4.day_parquet(day)))
    assert table.drop_columns(["session_id_v2", "collected_traffic_source", "event_params"]).equals(
        plain.drop_columns(["collected_traffic_source", "event_params"]))
    rows = table.to_pylist()
    assert [r["session_id_v2"] for r in rows] == [7 if e["event_name"] == "session_start" else None
                                                  for e in events]
