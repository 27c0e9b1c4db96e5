"""The end-of-run summary reads the published marts and states what it read."""

from __future__ import annotations

import duckdb

from social_roi.report import (
    conversation_totals,
    direct_message_totals,
    format_conversation,
    format_direct_messages,
    format_identity,
    format_inquiries,
    format_roi,
    format_vanity_vs_value,
    identity_totals,
    inquiry_totals,
    post_extremes,
    roi_totals,
)


def test_identity_line_sums_the_mart_and_names_each_method(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_identity_match_daily as select * from (values
                (date '2026-10-01', 'ga4', 'linkedin', 100, 30, 0.3, 10, 15, 5, 0, 2),
                (date '2026-10-01', 'meta_lead_ads', 'facebook', 4, 3, 0.75, 0, 0, 0, 3, 0),
                (date '2026-10-02', 'ga4', 'direct', 96, 7, 0.0729, 7, 0, 0, 0, 60))
            t(match_date, data_source, platform, touchpoints, matched_touchpoints, match_rate,
              matched_by_user_id, matched_by_ga_client_id, matched_by_click_id,
              matched_by_hashed_email, suspected_bot_touchpoints)""")
    line = format_identity(identity_totals(db))
    assert line == ("Identity: 40 of 200 touchpoints (20.0%) belong to a known person (by login 17, "
                    "GA client id 15, click id 5, hashed e-mail 3); 62 suspected bot touchpoints "
                    "kept out of attribution.")


def test_vanity_line_contrasts_the_most_liked_post_with_the_most_lucrative(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_post_performance as select * from (values
                ('instagram', 'ig1', 1577, 0.0, 1, 7, 'linear'),
                ('facebook', 'fb1', 65, 24433.4, 141, 1, 'linear'),
                ('facebook', 'fb2', 120, 100.0, 100, 2, 'linear'))
            t(platform, post_id, engagements, attributed_revenue_usd, engagement_rank,
              revenue_rank, attribution_model)""")
    line = format_vanity_vs_value(post_extremes(db))
    assert line == ("Vanity vs value (linear attribution): the most engaging post (instagram ig1, "
                    "1,577 engagements) brought $0, revenue rank 7; the post that brought the most "
                    "revenue (facebook fb1, $24,433) ranks 141 on engagement with 65 engagements.")


def test_conversation_line_rederives_shares_and_net_sentiment_from_counts(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_brand_conversation_daily as select * from (values
                (date '2026-10-01', 'Acme', true, 'x', 6, 4, 1, 1),
                (date '2026-10-02', 'Acme', true, 'news', 0, 0, 0, 0),
                (date '2026-10-02', 'Rival', false, 'news', 3, 0, 1, 2),
                (date '2026-10-02', 'Other', false, 'news', 1, 1, 0, 0))
            t(conversation_date, brand, is_our_brand, platform, mentions, positive_mentions,
              neutral_mentions, negative_mentions)""")
    line = format_conversation(conversation_totals(db))
    # shares 6/10, 3/10, 1/10; ours (4 - 1) / 6 = +0.50; competitors (1 - 2) / 4 = -0.25
    assert line == ("Conversation: 10 mentions of 3 tracked brands; share of voice Acme 60.0%, "
                    "Rival 30.0%, Other 10.0%; net sentiment ours +0.50, competitors -0.25.")
    assert format_conversation([]) == "Conversation: no mention of any tracked brand yet."


def test_roi_line_counts_every_cost_under_one_model(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_roi_monthly as select * from (values
                ('linkedin', 'last_touch', 1000.0, 5000.0),
                ('linkedin', 'first_touch', 1000.0, 1.0),
                ('facebook', 'last_touch', 3000.0, 1500.0),
                ('(unallocated)', 'last_touch', 1000.0, 0.0),
                ('(unattributed)', 'last_touch', 0.0, 500.0))
            t(platform, attribution_model, total_cost_usd, attributed_revenue_usd)""")
    line = format_roi(roi_totals(db))
    assert line == ("ROI with every cost (last_touch attribution): $5,000 spent (media and non-media), "
                    "$7,000 attributed, ROI +40%; by platform: linkedin +400%, facebook -50%, "
                    "(unattributed) –, (unallocated) -100%.")
    assert format_roi([]) == "ROI with every cost: no cost recorded yet."


def test_direct_messages_line_sums_people_messages_per_platform(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_funnel_daily as select * from (values
                (date '2026-10-01', 'facebook', 3, 1),
                (date '2026-10-02', 'facebook', 2, 0),
                (date '2026-10-01', 'instagram', 7, 2),
                (date '2026-10-01', 'linkedin', 0, 0))
            t(funnel_date, platform, direct_messages, new_conversations)""")
    line = format_direct_messages(direct_message_totals(db))
    assert line == ("Direct messages: 12 received from people (instagram 7, facebook 5), 3 new "
                    "conversations opened by them.")
    assert format_direct_messages([]) == "Direct messages: none received yet."


def test_inquiries_line_splits_social_from_offline_and_unknown(tmp_path):
    db = tmp_path / "serving.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("""
            create table fct_funnel_daily as select * from (values
                (date '2026-10-01', 'Organic Social', 'linkedin', 3, 2),
                (date '2026-10-02', 'Organic Social', 'linkedin', 1, 0),
                (date '2026-10-01', 'Paid Social', 'facebook', 1, 1),
                (date '2026-10-01', 'Advocacy', 'x', 0, 1),
                (date '2026-10-01', 'Offline', 'offline', 2, 3),
                (date '2026-10-01', 'Other', '(unknown)', 2, 0),
                (date '2026-10-01', 'Direct', 'direct', 0, 4),
                (date '2026-10-01', 'Organic Search', 'google', 0, 0))
            t(funnel_date, channel_group, platform, phone_inquiries, email_inquiries)""")
    line = format_inquiries(inquiry_totals(db))
    # 9 calls + 11 e-mails; social: linkedin 6, facebook 2, x 1 = 9 of 20
    assert line == ("Inquiries: 9 calls and 11 e-mails; 45% from people social brought (linkedin 6, "
                    "facebook 2, x 1), 5 from people who first called or wrote (offline), 2 without "
                    "a contact.")
    assert format_inquiries([]) == "Inquiries: no phone or e-mail inquiry yet."
