"""The whole pipeline through Airflow: sandbox APIs → landing → gate → dbt → gate → publish.

Runs the real DAG with ``dag.test`` for the last days of a 30-day sandbox world (so deals won
in those days exist) and checks the published mart against the sandbox's ground truth.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import duckdb
import pandas as pd
import pytest
import requests

from social_roi import airflow_env, pii
from social_roi.connectors import hubspot, linkedin, meta
from social_roi.pipeline import MARTS
from social_roi.runner import RunFailed, run_days
from social_roi.sandbox import catalog
from social_roi.sandbox.connections import sandbox_session
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths
from tests.dbt.test_personal_data import EMAIL, PHONE
from tests.money import spend_usd

WORLD = WorldConfig(seed=42, start_date=date(2026, 10, 1), days=30)
RUN_DAYS = [WORLD.start_date + timedelta(days=d) for d in range(WORLD.days - 3, WORLD.days)]
# every run re-pulls Meta ads over the restatement window: the runs land these days' ads
AD_DAYS = [d for d in WORLD.dates if d >= meta.AD_INSIGHTS.days(RUN_DAYS[0])[0]]
# and HubSpot over its lookback: deals won in the days before the first run land too
CRM_DAYS = [d for d in WORLD.dates if d >= RUN_DAYS[0] - timedelta(days=hubspot.LOOKBACK_DAYS)]


@pytest.fixture(scope="module")
def paths() -> Paths:
    return Paths.from_env()


@pytest.fixture(scope="module")
def truth():
    return generate_world(WORLD).truth


@pytest.fixture(scope="module")
def sandbox(paths):
    home = airflow_env.configure(paths)
    airflow_env.ensure_metadata_db(home)
    with sandbox_session(WORLD, backoff_factor=0.01, max_retry_delay=2) as server:
        run_days(RUN_DAYS, paths.data_dir / "logs")
        yield server


def mart(paths: Paths) -> pd.DataFrame:
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return con.execute("select * from fct_funnel_daily order by all").df()


def in_window(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[frame[column].isin(RUN_DAYS)]


def landed_ads(truth) -> pd.DataFrame:
    """The ad-days the runs landed: every run re-pulls its platform's restatement window."""
    ads = truth["ad_daily"]
    first = {"linkedin": linkedin.AD_ANALYTICS.days(RUN_DAYS[0])[0]}
    start = ads.platform.map(lambda p: first.get(p, meta.AD_INSIGHTS.days(RUN_DAYS[0])[0]))
    return ads[(ads.date >= start) & (ads.date <= RUN_DAYS[-1])]


def by_platform(series: pd.Series) -> dict[str, float]:
    return {k: round(float(v), 2) for k, v in series.items() if v}


def test_leads_and_revenue_per_platform_match_ground_truth(sandbox, paths, truth):
    funnel = in_window(mart(paths).assign(funnel_date=lambda f: f.funnel_date.dt.date),
                       "funnel_date")
    sales_leads = truth["contacts"][truth["contacts"].partner_type.isna()]  # not partner inquiries
    leads = in_window(sales_leads, "lead_date").groupby("platform").size()
    won = in_window(truth["customers"], "won_date").groupby("platform").amount.sum()
    assert leads.sum() > 0 and won.sum() > 0, "the window must hold leads and won deals"
    assert by_platform(funnel.groupby("platform").leads.sum()) == by_platform(leads)
    assert by_platform(funnel.groupby("platform").revenue_usd.sum()) == by_platform(won)


def test_pipeline_stages_per_platform_match_ground_truth(sandbox, paths, truth):
    """MQLs, SQLs, opportunities and pipeline amount land on their own days, credited to the
    platform that brought the person."""
    funnel = in_window(mart(paths).assign(funnel_date=lambda f: f.funnel_date.dt.date),
                       "funnel_date")
    contacts = truth["contacts"]
    for column, stage in (("mqls", "mql_at"), ("sqls", "sql_at")):
        dated = contacts.assign(day=contacts[stage].dt.date)
        expected = in_window(dated, "day").groupby("platform").size()
        assert by_platform(funnel.groupby("platform")[column].sum()) == by_platform(expected), column
    deals = truth["deals"].assign(
        day=lambda d: d.created_at.dt.date,
        platform=lambda d: d.contact_id.map(contacts.set_index("contact_id").platform))
    opened = in_window(deals, "day")
    assert len(opened) > 0, "the window must hold new opportunities"
    assert by_platform(funnel.groupby("platform").opportunities.sum()) == by_platform(
        opened.groupby("platform").size())
    assert by_platform(funnel.groupby("platform").pipeline_usd.sum()) == by_platform(
        opened.groupby("platform").amount.sum())


def test_sessions_spend_and_post_views_match_ground_truth(sandbox, paths, truth):
    funnel = mart(paths).assign(funnel_date=lambda f: f.funnel_date.dt.date)
    sessions = in_window(truth["sessions"], "date").groupby(["date", "platform"]).size()
    got = funnel[funnel.sessions > 0].groupby(["funnel_date", "platform"]).sessions.sum()
    assert got.to_dict() == sessions.to_dict()
    spend = spend_usd(landed_ads(truth)).sum()  # LinkedIn's EUR converted
    assert funnel.spend_usd.sum() == pytest.approx(spend, abs=0.01)
    posts = in_window(truth["posts"], "created_date")
    connected = posts[posts.platform.isin(["facebook", "instagram", "linkedin", "x"])]  # with a connector
    organic = funnel[funnel.channel_group == "Organic Social"]
    assert organic.reactions.sum() == connected.reactions.sum()
    for platform in ("linkedin", "x"):
        rows = organic[organic.platform == platform]
        assert rows.views.sum() == connected[connected.platform == platform].views.sum() > 0
    x_posts, x_rows = posts[posts.platform == "x"], organic[organic.platform == "x"]
    assert x_rows.link_clicks.sum() == x_posts.link_clicks.sum()


def test_direct_messages_match_ground_truth(sandbox, paths, truth):
    """People's messages to our Page and Instagram account, per day and platform, published."""
    funnel = mart(paths).assign(funnel_date=lambda f: f.funnel_date.dt.date)
    got = funnel[funnel.direct_messages > 0].groupby(["funnel_date", "platform"]).direct_messages.sum()
    inbound = in_window(truth["direct_messages"], "date").query("not is_from_page")
    assert len(inbound) > 0 and got.to_dict() == inbound.groupby(["date", "platform"]).size().to_dict()


def test_roi_media_cost_and_revenue_tie_out_to_ground_truth(sandbox, paths, truth):
    """The published ROI mart (through the gate) against the sandbox's truth: media cost is the
    ad spend of the days the runs landed (each platform's restatement window; LinkedIn's EUR
    converted at the seed's rates) under every model; first- and last-touch revenue is the
    revenue won in the days HubSpot's runs read (with their lookback); and every model carries
    the same total cost, the costs mart's."""
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        roi = con.execute("select attribution_model, sum(media_cost_usd) as media, "
                          "sum(total_cost_usd) as total, sum(attributed_revenue_usd) as revenue "
                          "from fct_roi_monthly group by all").df().set_index("attribution_model")
        [(costs,)] = con.execute("select sum(cost_usd) from fct_costs_monthly").fetchall()
    spend = spend_usd(landed_ads(truth)).sum()
    won = truth["customers"][truth["customers"].won_date.isin(CRM_DAYS)].amount.sum()
    assert len(roi) == 10 and spend > 0 and won > 0
    assert roi.media.round(2).tolist() == [round(spend, 2)] * 10
    assert roi.total.round(2).tolist() == [round(costs, 2)] * 10 and costs > spend
    assert roi.loc[["first_touch", "last_touch"], "revenue"].round(2).tolist() == [round(won, 2)] * 2


def test_brand_mentions_by_day_platform_and_sentiment_match_ground_truth(sandbox, paths, truth):
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        conversation = con.execute("select * from fct_brand_conversation_daily").df()
    conversation["conversation_date"] = conversation.conversation_date.dt.date
    got = (conversation.set_index(["conversation_date", "brand", "platform"])
           [["positive_mentions", "neutral_mentions", "negative_mentions"]]
           .rename(columns=lambda c: c.removesuffix("_mentions")).stack())
    mentions = in_window(truth["mentions"], "date").assign(
        platform=lambda m: m.page_type.replace({"twitter": "x"}))
    want = mentions.groupby(["date", "brand", "platform", "sentiment"]).size()
    assert want.sum() > 100, "the window must hold mentions"
    assert got[got > 0].sort_index().to_dict() == want.sort_index().to_dict()
    ours = mentions.groupby("date").is_our_brand.mean().round(4)
    served = conversation[conversation.is_our_brand].groupby("conversation_date").day_share_of_voice
    assert served.nunique().eq(1).all() and served.first().to_dict() == ours.to_dict()


def test_publication_records_the_run_and_leaves_no_wal(sandbox, paths):
    assert not paths.serving_db.with_name(paths.serving_db.name + ".wal").exists()
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables")
                  .fetchall()}
    assert "fct_funnel_daily" in tables


def test_no_personal_data_is_published(sandbox, paths, truth):
    """Every text column of every published mart: no e-mail address, no phone-like string, none
    of the world's addresses and not their bare SHA-256 (docs/decisions.md 48)."""
    emails = set(truth["contacts"].email)
    forbidden = emails | {pii.email_sha256(e) for e in emails}
    scanned = 0
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        for table, column in columns:
            values = {v for (v,) in con.execute(
                f'select distinct "{column}" from "{table}" where "{column}" is not null').fetchall()}
            scanned += len(values)
            leaks = sorted(v for v in values if v in forbidden or EMAIL.search(v) or PHONE.search(v))
            assert not leaks, f"{table}.{column}: {leaks[:3]}"
    assert scanned > 100 and {t for t, _ in columns} >= set(MARTS)


def published_digests(paths: Paths) -> dict[str, str]:
    """A digest of every published table's sorted contents (`_publication` names the run)."""
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return {table: hashlib.sha256(repr(con.execute(
                    f"select * from {table} order by all").fetchall()).encode()).hexdigest()
                for table in MARTS}


def test_rerunning_a_day_gives_identical_marts(sandbox, paths):
    before = published_digests(paths)
    run_days(RUN_DAYS[-1:], paths.data_dir / "logs")
    assert published_digests(paths) == before


def _unix(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp())


def _served(sandbox, path: str, method: str = "GET", **params) -> dict:
    response = requests.request(method, f"{sandbox.base_url}{path}", params=params, timeout=10,
                                headers={"Authorization": f"Bearer {sandbox.token}"})
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("corruption", ["negative_spend", "duplicate_post"])
def test_bad_data_stops_publication_and_a_clean_rerun_recovers(sandbox, paths, truth,
                                                              corruption):
    posts = truth["posts"]
    post_days = set(posts[posts.platform == "instagram"].created_date)
    day = max(d for d in RUN_DAYS if corruption == "negative_spend" or d in post_days)
    served_before = paths.serving_db.read_bytes()
    if corruption == "negative_spend":
        # the run's ads come from an async report run: read what its result would be through a
        # report run of our own, and serve it spoiled as the next report run's result
        window = meta.AD_INSIGHTS.days(day)
        job = _served(sandbox, f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights", method="POST",
                      level="ad", time_increment=1, breakdowns="publisher_platform",
                      fields=meta.AD_FIELDS,
                      time_range=json.dumps({"since": str(window[0]), "until": str(window[-1])}))
        while _served(sandbox, f"/v24.0/{job['report_run_id']}")["async_status"] != "Job Completed":
            pass
        body = _served(sandbox, f"/v24.0/{job['report_run_id']}/insights", limit=5000)
        row = next(r for r in body["data"] if r["date_start"] == str(day))
        row["spend"] = "-12.50"
        path = f"/v24.0/{int(job['report_run_id']) + 1}/insights"
        suite, offending = "landing__meta_ad_insights", "-12.50"
    else:
        path = f"/v24.0/{catalog.IG_USER_ID}/media"
        body = _served(sandbox, path, limit=100, fields=meta.IG_MEDIA_FIELDS,
                       since=_unix(day), until=_unix(day + timedelta(days=1)))
        body["data"].append(dict(body["data"][0]))
        body.pop("paging", None)
        suite, offending = "landing__meta_ig_media", body["data"][0]["id"]
    sandbox.add_fault(path, 200, times=1, body=body)

    with pytest.raises(RunFailed) as failure:
        run_days([day], paths.data_dir / "logs")
    assert failure.value.failed_tasks == ["validate_landing"], "the connector let it through; " \
        "the gate stopped it"
    assert suite in str(failure.value) and offending in str(failure.value)
    assert paths.serving_db.read_bytes() == served_before, "nothing was published"

    run_days([day], paths.data_dir / "logs")  # the source is fixed: the rerun recovers
    assert mart(paths).shape[0] > 0
