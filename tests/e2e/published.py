"""The published marts checked against the sandbox world's ground truth, for a pipeline that ran
the last three days of the 30-day world (``RUN_DAYS``): shared by the ``dag.test`` end-to-end test
and the real-scheduler one (tests/e2e/test_scheduler_postgres.py)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from social_roi import pii
from social_roi.connectors import hubspot, linkedin, meta
from social_roi.pipeline import MARTS
from social_roi.sandbox.world import WorldConfig
from tests.dbt.test_personal_data import EMAIL, PHONE
from tests.money import spend_usd

WORLD = WorldConfig(seed=42, start_date=date(2026, 10, 1), days=30)
RUN_DAYS = [WORLD.start_date + timedelta(days=d) for d in range(WORLD.days - 3, WORLD.days)]
# every run re-pulls Meta ads over the restatement window: the runs land these days' ads
AD_DAYS = [d for d in WORLD.dates if d >= meta.AD_INSIGHTS.days(RUN_DAYS[0])[0]]
# and HubSpot over its lookback: deals won in the days before the first run land too
CRM_DAYS = [d for d in WORLD.dates if d >= RUN_DAYS[0] - timedelta(days=hubspot.LOOKBACK_DAYS)]
CHECKS = (
    "check_leads_and_revenue_per_platform_match_ground_truth",
    "check_pipeline_stages_per_platform_match_ground_truth",
    "check_sessions_spend_and_post_views_match_ground_truth",
    "check_direct_messages_match_ground_truth",
    "check_roi_media_cost_and_revenue_tie_out_to_ground_truth",
    "check_brand_mentions_by_day_platform_and_sentiment_match_ground_truth",
    "check_no_personal_data_is_published",
)


def mart(serving_db: Path) -> pd.DataFrame:
    with duckdb.connect(str(serving_db), read_only=True) as con:
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


def check_leads_and_revenue_per_platform_match_ground_truth(serving_db: Path, truth):
    funnel = in_window(mart(serving_db).assign(funnel_date=lambda f: f.funnel_date.dt.date),
                       "funnel_date")
    sales_leads = truth["contacts"][truth["contacts"].partner_type.isna()]  # not partner inquiries
    leads = in_window(sales_leads, "lead_date").groupby("platform").size()
    won = in_window(truth["customers"], "won_date").groupby("platform").amount.sum()
    assert leads.sum() > 0 and won.sum() > 0, "the window must hold leads and won deals"
    assert by_platform(funnel.groupby("platform").leads.sum()) == by_platform(leads)
    assert by_platform(funnel.groupby("platform").revenue_usd.sum()) == by_platform(won)


def check_pipeline_stages_per_platform_match_ground_truth(serving_db: Path, truth):
    """MQLs, SQLs, opportunities and pipeline amount land on their own days, credited to the
    platform that brought the person."""
    funnel = in_window(mart(serving_db).assign(funnel_date=lambda f: f.funnel_date.dt.date),
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


def check_sessions_spend_and_post_views_match_ground_truth(serving_db: Path, truth):
    funnel = mart(serving_db).assign(funnel_date=lambda f: f.funnel_date.dt.date)
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


def check_direct_messages_match_ground_truth(serving_db: Path, truth):
    """People's messages to our Page and Instagram account, per day and platform, published."""
    funnel = mart(serving_db).assign(funnel_date=lambda f: f.funnel_date.dt.date)
    got = funnel[funnel.direct_messages > 0].groupby(["funnel_date", "platform"]).direct_messages.sum()
    inbound = in_window(truth["direct_messages"], "date").query("not is_from_page")
    assert len(inbound) > 0 and got.to_dict() == inbound.groupby(["date", "platform"]).size().to_dict()


def check_roi_media_cost_and_revenue_tie_out_to_ground_truth(serving_db: Path, truth):
    """The published ROI mart (through the gate) against the sandbox's truth: media cost is the
    ad spend of the days the runs landed (each platform's restatement window; LinkedIn's EUR
    converted at the seed's rates) under every model; first- and last-touch revenue is the
    revenue won in the days HubSpot's runs read (with their lookback); and every model carries
    the same total cost, the costs mart's."""
    with duckdb.connect(str(serving_db), read_only=True) as con:
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


def check_brand_mentions_by_day_platform_and_sentiment_match_ground_truth(serving_db: Path, truth):
    with duckdb.connect(str(serving_db), read_only=True) as con:
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


def check_no_personal_data_is_published(serving_db: Path, truth):
    """Every text column of every published mart: no e-mail address, no phone-like string, none
    of the world's addresses and not their bare SHA-256 (docs/decisions.md 48)."""
    emails = set(truth["contacts"].email)
    forbidden = emails | {pii.email_sha256(e) for e in emails}
    scanned = 0
    with duckdb.connect(str(serving_db), read_only=True) as con:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        for table, column in columns:
            values = {v for (v,) in con.execute(
                f'select distinct "{column}" from "{table}" where "{column}" is not null').fetchall()}
            scanned += len(values)
            leaks = sorted(v for v in values if v in forbidden or EMAIL.search(v) or PHONE.search(v))
            assert not leaks, f"{table}.{column}: {leaks[:3]}"
    assert scanned > 100 and {t for t, _ in columns} >= set(MARTS)


def check_all(serving_db: Path, truth) -> None:
    """Every check above, on one serving database."""
    for name in CHECKS:
        globals()[name](serving_db, truth)
