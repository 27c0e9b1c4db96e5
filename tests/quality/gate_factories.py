"""Clean, hand-made landing partitions (real connector contracts) and a small build database,
which each gate test then spoils in exactly one way."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from social_roi import landing
from social_roi.connectors import CONNECTORS
from social_roi.connectors.base import to_table
from social_roi.settings import REPO_ROOT, Paths

DAY = date(2026, 10, 1)
ENTITIES = {(source, e.name): e for source, module in CONNECTORS.items() for e in module.ENTITIES}


def _at(day: date, i: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=17 * i % 86_400)


def clean_rows(source: str, entity: str, day: date, n: int) -> list[dict[str, Any]]:
    """``n`` valid rows of one entity for ``day``."""
    make = {
        ("meta", "page_posts"): lambda i: {
            "post_id": f"100_{i}", "page_id": "100", "created_time": _at(day, i),
            "message": f"post {i}", "shares_count": i % 7, "comments_count": i % 5,
            "post_media_view": 100 + i, "post_total_media_view_unique": 80 + i,
            "post_clicks": i % 11, "post_reactions_by_type_total": json.dumps({"like": i % 3}),
        },
        ("meta", "ig_media"): lambda i: {
            "media_id": f"17_{i}", "ig_user_id": "17", "created_time": _at(day, i),
            "media_type": "IMAGE", "like_count": i % 9, "comments_count": i % 4,
            "views": 50 + i, "reach": 40 + i, "saved": i % 2, "shares": i % 3,
        },
        ("meta", "ad_insights"): lambda i: {
            "date_start": day, "date_stop": day, "account_id": "act_1",
            "account_currency": "USD", "campaign_id": f"c{i % 4}", "campaign_name": f"camp {i % 4}",
            "ad_id": f"ad_{i // 2}", "publisher_platform": ("facebook", "instagram")[i % 2],
            "impressions": str(1000 + i), "reach": str(900 + i), "clicks": str(i % 30),
            "inline_link_clicks": str(i % 20), "spend": f"{i % 50}.{i % 100:02d}",
            "actions": json.dumps([{"action_type": "link_click", "value": str(i % 20)}]),
            "action_values": json.dumps([{"action_type": "lead", "value": f"{i % 3 * 40}.00"}]),
        },
        ("meta", "account_insights"): lambda i: {
            "platform": ("facebook", "instagram")[i % 2], "account_id": f"acc{i}", "date": day,
            "followers": 1000 + i, "views": 500 + i, "reach": None if i % 5 == 4 else 300 + i,
        },
        ("meta", "form_leads"): lambda i: {
            "lead_id": f"99{i}", "form_id": "88", "created_time": _at(day, i), "ad_id": f"ad_{i}",
            "platform": ("fb", "ig")[i % 2], "email_sha256": f"{i:064x}",
        },
        ("meta", "direct_messages"): lambda i: {
            "message_id": f"m_{i}", "conversation_id": f"t_{i // 3}",
            "platform": ("messenger", "instagram")[i // 3 % 2], "account_id": ("100", "17")[i // 3 % 2],
            "created_time": _at(day, i),
            "sender_id": ("100", "17")[i // 3 % 2] if i % 3 == 1 else f"66{i // 3}",
            "is_from_page": i % 3 == 1, "is_conversation_start": i % 3 == 0,
        },
        ("ga4", "events"): lambda i: {
            "event_date": day.strftime("%Y%m%d"),
            "event_timestamp": int(_at(day, i).timestamp() * 1_000_000) + i,
            "event_name": ("session_start", "page_view", "user_engagement")[i % 3],
            "event_params": [{"key": "ga_session_id", "value": {"int_value": i // 3}}],
            "user_pseudo_id": f"u{i // 3}",
            "traffic_source": {"name": "spring", "medium": "social", "source": "facebook"},
        },
        ("ga4_data_api", "traffic_daily"): lambda i: {
            "property_id": "350000001", "report_date": day.strftime("%Y%m%d"),
            "session_default_channel_group": ("Organic Social", "Paid Social", "Direct")[i % 3],
            "session_source": ("facebook", "instagram", "(direct)")[i % 3],
            "session_medium": ("social", "paid_social", "(none)")[i % 3],
            "session_campaign_name": f"camp {i}", "sessions": str(10 + i), "engaged_sessions": str(5 + i),
            "key_events": str(i % 3), "user_engagement_duration": str(600 + 7 * i),
            "total_users": str(9 + i), "screen_page_views": str(20 + i), "time_zone": "Etc/UTC",
            "subject_to_thresholding": False, "data_loss_from_other_row": False,
        },
        ("hubspot", "contacts"): lambda i: {
            "contact_id": str(500 + i), "created_at": _at(day, i) - timedelta(days=3),
            "updated_at": _at(day, i), "archived": False, "email": f"p{i}@example.com",
            "lifecyclestage": "lead", "utm_source": "facebook",
        },
        ("hubspot", "deals"): lambda i: {
            "deal_id": str(900 + i), "created_at": _at(day, i) - timedelta(days=10),
            "updated_at": _at(day, i), "archived": False, "amount": f"{1000 + i}.50",
            "dealstage": "closedwon",
        },
        ("hubspot", "deal_contacts"): lambda i: {
            "deal_id": str(900 + i), "contact_id": str(500 + i), "association_type_id": 3,
            "association_category": "HUBSPOT_DEFINED",
        },
        ("linkedin", "posts"): lambda i: {
            "post_id": f"urn:li:share:738000000000000{i:04d}", "author": "urn:li:organization:1",
            "published_at": _at(day, i), "created_at": _at(day, i), "lifecycle_state": "PUBLISHED",
            "commentary": f"post {i}", "article_url": f"https://example.com/?utm_content=urn%3Ali%3Ashare%3A{i}",
            "impression_count": 500 + i, "unique_impressions_count": 300 + i, "click_count": i % 9,
            "like_count": i % 7, "comment_count": i % 3, "share_count": i % 2, "engagement": 0.02,
        },
        ("linkedin", "follower_statistics"): lambda i: {
            "organizational_entity": f"urn:li:organization:{100 + i}", "time_range_start": day,
            "organic_follower_gain": i % 5 - 1, "paid_follower_gain": i % 3,
        },
        ("linkedin", "ad_analytics"): lambda i: {
            "date_range_start": day, "account_id": "512", "currency": "EUR", "campaign_id": f"7{i % 3}",
            "campaign_name": f"camp {i % 3}", "creative_id": f"14{i}", "impressions": 1000 + i,
            "clicks": 10 + i % 5, "landing_page_clicks": 8 + i % 3, "reactions": i % 4,
            "cost_in_local_currency": f"{i % 50}.{i % 100:02d}", "external_website_conversions": i % 2,
            "one_click_leads": 0, "conversion_value_in_local_currency": f"{i % 2 * 50}",
        },
        ("hubspot", "calls"): lambda i: {
            "call_id": str(4600 + i), "created_at": _at(day, i), "updated_at": _at(day, i),
            "archived": False, "hs_timestamp": _at(day, i).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "hs_call_direction": ("INBOUND", "OUTBOUND")[i % 2], "hs_call_status": "COMPLETED",
            "hs_call_duration": str(60_000 * (i % 9)),
        },
        ("hubspot", "emails"): lambda i: {
            "email_id": str(4700 + i), "created_at": _at(day, i), "updated_at": _at(day, i),
            "archived": False, "hs_timestamp": _at(day, i).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "hs_email_direction": ("INCOMING_EMAIL", "EMAIL", "FORWARDED_EMAIL")[i % 3],
        },
        ("hubspot", "engagement_contacts"): lambda i: {
            "engagement_type": ("calls", "emails")[i % 2], "engagement_id": str(4600 + 100 * (i % 2) + i),
            "contact_id": str(500 + i), "association_type_id": (194, 198)[i % 2],
            "association_category": "HUBSPOT_DEFINED",
        },
        ("salesforce", "leads"): lambda i: {
            "id": f"00QHz0000000{i:03d}AAA", "email_sha256": f"{i:064x}", "lead_source": "Paid Social",
            "is_deleted": False, "created_date": _at(day, i) - timedelta(days=3),
            "system_modstamp": _at(day, i), "utm_source__c": "facebook",
        },
        ("salesforce", "contacts"): lambda i: {
            "id": f"003Hz0000000{i:03d}AAA", "email_sha256": f"{i:064x}", "is_deleted": False,
            "created_date": _at(day, i), "system_modstamp": _at(day, i),
        },
        ("salesforce", "opportunities"): lambda i: {
            "id": f"006Hz0000000{i:03d}AAA", "stage_name": "Closed Won", "amount": 1000.5 + i,
            "is_closed": True, "is_won": True, "probability": 100.0, "is_deleted": False,
            "created_date": _at(day, i) - timedelta(days=10), "system_modstamp": _at(day, i),
        },
        ("salesforce", "opportunity_history"): lambda i: {
            "id": f"008Hz0000000{i:03d}AAA", "opportunity_id": f"006Hz0000000{i:03d}AAA",
            "stage_name": "Closed Won", "is_deleted": False, "created_date": _at(day, i),
            "system_modstamp": _at(day, i),
        },
        ("salesforce", "opportunity_contact_roles"): lambda i: {
            "id": f"00KHz0000000{i:03d}AAA", "opportunity_id": f"006Hz0000000{i:03d}AAA",
            "contact_id": f"003Hz0000000{i:03d}AAA", "is_primary": True, "is_deleted": False,
            "created_date": _at(day, i), "system_modstamp": _at(day, i),
        },
        ("salesforce", "campaigns"): lambda i: {
            "id": f"701Hz0000000{i:03d}AAA", "name": f"camp {i}", "is_deleted": False,
            "created_date": _at(day, i) - timedelta(days=14), "system_modstamp": _at(day, i),
        },
        ("salesforce", "campaign_members"): lambda i: {
            "id": f"00vHz0000000{i:03d}AAA", "campaign_id": f"701Hz0000000{i % 3:03d}AAA",
            "lead_id": f"00QHz0000000{i:03d}AAA", "is_deleted": False,
            "created_date": _at(day, i), "system_modstamp": _at(day, i),
        },
        ("salesforce", "tasks"): lambda i: {
            "id": f"00THz0000000{i:03d}AAA", "who_id": f"00QHz0000000{i:03d}AAA",
            "task_subtype": ("Call", "Email")[i % 2], "call_type": ("Inbound", None)[i % 2],
            "call_duration_in_seconds": 60 * (i % 9) if i % 2 == 0 else None, "status": "Completed",
            "activity_date": day, "is_deleted": False, "created_date": _at(day, i),
            "system_modstamp": _at(day, i),
        },
        ("salesforce", "email_messages"): lambda i: {
            "id": f"02sHz0000000{i:03d}AAA", "activity_id": f"00THz0000000{i:03d}AAA",
            "incoming": i % 3 != 0, "message_date": _at(day, i), "is_deleted": False,
            "created_date": _at(day, i), "system_modstamp": _at(day, i),
        },
        ("brandwatch", "mentions"): lambda i: {
            "mention_id": str(2905000000000 + i), "resource_id": str(1975000000000000000 + i // 2),
            "query_id": 2001990001 + i % 2, "query_name": ("Acme - brand", "Rival - brand")[i % 2],
            "published_at": _at(day, i), "added_at": _at(day, i) + timedelta(minutes=5),
            "page_type": ("twitter", "news", "reddit")[i % 3], "domain": "x.com",
            "sentiment": ("positive", "neutral", "negative")[i % 3], "language": "en",
            "country_code": "US", "reach_estimate": 100 + i, "engagement_score": i % 4,
        },
        ("x", "tweets"): lambda i: {
            "tweet_id": str(1973000000000000000 + i), "author_id": "15", "created_at": _at(day, i),
            "text": f"post {i} https://t.co/abc{i}", "lang": "en",
            "expanded_urls": json.dumps([f"https://example.com/?utm_content={i}"]),
            "retweet_count": i % 4, "reply_count": i % 3, "like_count": 10 + i, "quote_count": i % 2,
            "bookmark_count": 0, "impression_count": 500 + i,
            # a Post older than 30 days at extraction has no non-public metrics
            "non_public_impression_count": None if i % 5 == 0 else 500 + i,
            "url_link_clicks": None if i % 5 == 0 else i % 6,
            "user_profile_clicks": None if i % 5 == 0 else i % 3,
            "observed_at": _at(day + timedelta(days=1), i),
        },
        ("x", "account_followers"): lambda i: {
            "account_id": f"15{i}", "date": day, "followers_count": 8900 + i, "following_count": 400,
            "tweet_count": 5000 + i, "listed_count": 80, "observed_at": _at(day + timedelta(days=1), i),
        },
    }[(source, entity)]
    return [make(i) for i in range(n)]


def land(paths: Paths, source: str, entity: str, day: date, rows: list[dict[str, Any]],
         *, check_contract: bool = True) -> Path:
    """Write a partition the way connectors do; ``check_contract=False`` writes rows the
    connector would refuse (a null required field), as a corrupt or hand-edited file would."""
    contract = ENTITIES[(source, entity)]
    if check_contract:
        table = to_table(source, contract, day, rows)
    else:
        relaxed = pa.schema([f.with_nullable(True) for f in contract.schema])
        table = pa.Table.from_pylist(rows, schema=relaxed)
    return landing.write_partition(paths.landing, source, entity, day, table)


def land_history(paths: Paths, source: str, entity: str, rows_per_day: list[int]) -> None:
    """The days before DAY, oldest first, with these row counts."""
    for back, n in zip(range(len(rows_per_day), 0, -1), rows_per_day, strict=True):
        day = DAY - timedelta(days=back)
        land(paths, source, entity, day, clean_rows(source, entity, day, n))


def land_all_clean(paths: Paths, day: date = DAY, n: int = 12) -> None:
    """``n`` rows of every entity on ``day``; a restated entity also gets the rest of its window
    (a few rows per earlier day), as its connector lands it."""
    for (source, entity), contract in ENTITIES.items():
        for partition_day in contract.days(day):
            rows = n if partition_day == day else 2
            land(paths, source, entity, partition_day, clean_rows(source, entity, partition_day, rows))


MEASURES = ("views", "reach", "follower_growth", "reactions", "comments", "shares", "saves", "link_clicks",
            "direct_messages", "new_conversations",
            "sessions", "engaged_sessions", "engagement_time_msec", "content_downloads",
            "demo_requests", "contact_requests", "phone_inquiries", "email_inquiries", "leads", "mqls",
            "sqls", "opportunities",
            "pipeline_usd", "customers", "revenue_usd", "spend_usd")
MART_COLUMNS = ("funnel_date", "channel_group", "platform", "campaign", *MEASURES)
MART_DDL = (
    "create schema if not exists main_marts;\n"
    "create or replace table main_marts.fct_funnel_daily (funnel_date date, channel_group varchar, "
    "platform varchar, campaign varchar, "
    + ", ".join(f"{m} {'double' if m.endswith('_usd') else 'bigint'}" for m in MEASURES) + ");"
)


def with_values(row: tuple, **changes: Any) -> tuple:
    """A mart row with some columns changed, by name."""
    assert set(changes) <= set(MART_COLUMNS)
    return tuple(changes.get(name, value) for name, value in zip(MART_COLUMNS, row, strict=True))


def mart_rows(n: int, day: date = DAY) -> list[tuple]:
    groups = (("Organic Social", "facebook"), ("Paid Social", "facebook"),
              ("Organic Social", "instagram"), ("Direct", "direct"))
    rows = []
    for i in range(n):
        group, platform = groups[i % 4]
        values = {m: i % (3 + k) for k, m in enumerate(MEASURES)}
        values.update(views=100 + i, sessions=20 + i % 7, engaged_sessions=10 + i % 7,
                      revenue_usd=float(i % 6) * 99.5, spend_usd=float(i % 10) * 3.25,
                      pipeline_usd=float(i % 4) * 250.0)
        values["new_conversations"] = values["direct_messages"] // 2  # opened by that day's messages
        rows.append((day - timedelta(days=i // 40), group, platform, f"camp {i % 40 // 4}",
                     *(values[m] for m in MEASURES)))
    return rows


def build_marts(paths: Paths, rows: list[tuple]) -> Path:
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(paths.build_db))
    try:
        con.execute(MART_DDL)
        if rows:
            con.executemany(f"insert into main_marts.fct_funnel_daily values "
                            f"({', '.join('?' * len(MART_COLUMNS))})", rows)
    finally:
        con.close()
    return paths.build_db


def make_paths(root: Path) -> Paths:
    return Paths(
        data_dir=root,
        landing=root / "landing",
        build_db=root / "build" / "build.duckdb",
        serving_db=root / "serving" / "serving.duckdb",
        dbt_project=REPO_ROOT / "dbt_project",
        expectations=REPO_ROOT / "expectations",
        run_results=root / "gate_results",
        dbt_target=root / "dbt_target",
    )
