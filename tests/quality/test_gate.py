"""The gate passes clean data and stops each kind of bad data with a summary that names the
table, the expectation and an offending value."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from social_roi.quality.gate import GateFailed, GateResult, validate_landing, validate_marts
from social_roi.quality.suites import SuiteNotFound
from social_roi.settings import Paths
from tests.quality.gate_factories import (
    DAY,
    ENTITIES,
    build_marts,
    clean_rows,
    land,
    land_history,
    mart_rows,
    with_values,
)


def _landing_failure(paths: Paths) -> GateFailed:
    with pytest.raises(GateFailed) as caught:
        validate_landing(paths, DAY)
    return caught.value


def _mart_failure(paths: Paths) -> GateFailed:
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths)
    return caught.value


def test_clean_landing_passes_and_writes_results(clean_landing: Paths) -> None:
    result = validate_landing(clean_landing, DAY)

    assert isinstance(result, GateResult) and result.success
    assert result.suites_evaluated == len(ENTITIES) == 29
    assert result.expectations_evaluated > 50
    assert result.result_file == clean_landing.run_results / "landing" / "2026-10-01.json"
    written = json.loads(result.result_file.read_text())
    assert written["success"] is True and written["failures"] == []
    assert {s["suite"] for s in written["suites"]} == {
        "landing__meta_page_posts", "landing__meta_ig_media", "landing__meta_ad_insights",
        "landing__meta_form_leads", "landing__meta_account_insights", "landing__meta_direct_messages",
        "landing__linkedin_posts", "landing__linkedin_follower_statistics",
        "landing__linkedin_ad_analytics", "landing__ga4_events", "landing__ga4_data_api_traffic_daily",
        "landing__hubspot_contacts",
        "landing__hubspot_deals", "landing__hubspot_deal_contacts", "landing__hubspot_calls",
        "landing__hubspot_emails", "landing__hubspot_engagement_contacts", "landing__brandwatch_mentions",
        "landing__x_tweets", "landing__x_account_followers",
        "landing__salesforce_leads", "landing__salesforce_contacts", "landing__salesforce_opportunities",
        "landing__salesforce_opportunity_history", "landing__salesforce_opportunity_contact_roles",
        "landing__salesforce_campaigns", "landing__salesforce_campaign_members", "landing__salesforce_tasks",
        "landing__salesforce_email_messages",
    }
    rows = {s["suite"]: s["rows"] for s in written["suites"]}
    assert rows.pop("landing__meta_ad_insights") == 12 + 27 * 2  # the restated 28-day window
    assert rows.pop("landing__linkedin_ad_analytics") == 12 + 29 * 2  # and LinkedIn's 30 days
    assert set(rows.values()) == {12}


def test_empty_partitions_pass(paths: Paths) -> None:
    """A day with no activity lands empty files: that is arrival, not a failure."""
    for (source, entity), contract in ENTITIES.items():
        for partition_day in contract.days(DAY):
            land(paths, source, entity, partition_day, [])
    assert validate_landing(paths, DAY).success


def test_a_restated_row_in_another_days_partition_fails(clean_landing: Paths) -> None:
    """Inside the 28-day window but in the wrong partition: it would be counted twice or lost."""
    rows = clean_rows("meta", "ad_insights", DAY - timedelta(days=3), 2)
    rows[1].update(ad_id="ad_moved", date_start=DAY - timedelta(days=2), date_stop=DAY - timedelta(days=2))
    land(clean_landing, "meta", "ad_insights", DAY - timedelta(days=3), rows)

    [failure] = _landing_failure(clean_landing).result.failures
    assert failure.expectation == "expect_column_pair_values_to_be_equal"
    assert failure.table == "meta/ad_insights"


def test_negative_spend_fails(clean_landing: Paths) -> None:
    rows = clean_rows("meta", "ad_insights", DAY, 12)
    rows[3]["spend"] = "-5.00"
    land(clean_landing, "meta", "ad_insights", DAY, rows)

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert failure.table == "meta/ad_insights"
    assert failure.expectation == "expect_column_values_to_match_regex"
    assert failure.kwargs["column"] == "spend"
    assert list(failure.examples) == ["-5.00"]
    message = str(error)
    assert "meta/ad_insights" in message and "expect_column_values_to_match_regex" in message
    assert "'-5.00'" in message and "column='spend'" in message


@pytest.mark.parametrize(("source", "entity"), [("meta", "form_leads"), ("salesforce", "leads")])
def test_an_email_in_clear_fails_and_is_not_repeated_in_the_report(clean_landing: Paths, source,
                                                                    entity) -> None:
    rows = clean_rows(source, entity, DAY, 12)
    rows[5]["email_sha256"] = "jane.doe@example.com"  # a connector that forgot to hash
    land(clean_landing, source, entity, DAY, rows)

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.kwargs["column"]) == (f"{source}/{entity}", "email_sha256")
    assert "jane.doe" not in str(error) and "jane.doe" not in error.result.result_file.read_text()
    assert "withheld" in str(error)


def test_a_dm_sender_other_than_a_page_scoped_id_fails_and_is_withheld(clean_landing: Paths) -> None:
    rows = clean_rows("meta", "direct_messages", DAY, 12)
    rows[2]["sender_id"] = "jane.doe.1987"  # an Instagram username instead of the IGSID
    land(clean_landing, "meta", "direct_messages", DAY, rows)

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.kwargs["column"]) == ("meta/direct_messages", "sender_id")
    assert "jane.doe" not in str(error) and "withheld" in str(error)


def test_duplicate_post_ids_fail(clean_landing: Paths) -> None:
    rows = clean_rows("meta", "page_posts", DAY, 12)
    rows[5]["post_id"] = rows[4]["post_id"]
    land(clean_landing, "meta", "page_posts", DAY, rows)

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.expectation) == ("meta/page_posts",
                                                    "expect_column_values_to_be_unique")
    assert failure.observed == "2 of 12 rows unexpected"
    assert "'100_4'" in str(error)


def test_duplicate_ad_grain_fails_but_same_ad_on_two_platforms_passes(clean_landing: Paths) -> None:
    rows = clean_rows("meta", "ad_insights", DAY, 12)
    assert rows[0]["ad_id"] == rows[1]["ad_id"]  # one ad, two publisher platforms: fine
    rows[2]["publisher_platform"] = rows[3]["publisher_platform"]
    land(clean_landing, "meta", "ad_insights", DAY, rows)

    [failure] = _landing_failure(clean_landing).result.failures
    assert failure.expectation == "expect_compound_columns_to_be_unique"
    assert failure.examples[0]["ad_id"] == "ad_1"


def test_unknown_sentiment_and_duplicate_mention_fail(clean_landing: Paths) -> None:
    rows = clean_rows("brandwatch", "mentions", DAY, 12)
    rows[4]["sentiment"] = "mixed"
    rows[7]["mention_id"] = rows[6]["mention_id"]
    land(clean_landing, "brandwatch", "mentions", DAY, rows)

    failures = _landing_failure(clean_landing).result.failures
    by_type = {f.expectation: f for f in failures}
    assert set(by_type) == {"expect_column_values_to_be_in_set", "expect_column_values_to_be_unique"}
    assert list(by_type["expect_column_values_to_be_in_set"].examples) == ["mixed"]
    assert all(f.table == "brandwatch/mentions" for f in failures)


def test_account_reach_above_its_views_is_quarantined_but_an_unreported_metric_passes(
        clean_landing: Paths) -> None:
    """A retired metric lands NULL (decision 43): not a failure; more people reached than views
    is, on that record alone: engagement metrics quarantine it (decision 55)."""
    rows = clean_rows("meta", "account_insights", DAY, 12)
    rows[0].update(followers=None, views=None)
    rows[3]["reach"] = rows[3]["views"] + 1
    land(clean_landing, "meta", "account_insights", DAY, rows)

    result = validate_landing(clean_landing, DAY)

    assert result.success and result.quarantined_rows == 1
    held = _quarantined(clean_landing, "meta", "account_insights")
    assert held["account_id"] == ["acc3"]
    [reason] = json.loads(held["_reasons"][0])
    assert reason["expectation"] == "expect_column_pair_values_a_to_be_greater_than_b"
    assert reason["value"] == {"views": 503, "reach": 504}


def _quarantined(paths: Paths, source: str, entity: str) -> dict:
    from social_roi.quality.quarantine import quarantine_file

    return pq.read_table(quarantine_file(paths.landing, source, entity, DAY)).to_pydict()


def test_null_required_field_fails(clean_landing: Paths) -> None:
    rows = clean_rows("hubspot", "deals", DAY, 12)
    rows[7]["updated_at"] = None
    land(clean_landing, "hubspot", "deals", DAY, rows, check_contract=False)

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert failure.table == "hubspot/deals"
    assert failure.expectation == "expect_column_values_to_not_be_null"
    assert failure.kwargs == {"column": "updated_at"}
    assert "1 of 12 rows unexpected" in str(error)


def test_an_unknown_engagement_direction_fails(clean_landing: Paths) -> None:
    """Only inbound calls and incoming e-mails are inquiries: a direction the models do not know
    would drop out of the funnel unnoticed."""
    rows = clean_rows("hubspot", "emails", DAY, 12)
    rows[4]["hs_email_direction"] = "OUTGOING_EMAIL"
    land(clean_landing, "hubspot", "emails", DAY, rows)

    [failure] = _landing_failure(clean_landing).result.failures
    assert (failure.table, failure.expectation) == ("hubspot/emails", "expect_column_values_to_be_in_set")
    assert failure.kwargs["column"] == "hs_email_direction"


def test_an_unknown_salesforce_call_type_fails(clean_landing: Paths) -> None:
    """Only Inbound calls are inquiries: a CallType value the org added would drop out unnoticed."""
    rows = clean_rows("salesforce", "tasks", DAY, 12)
    rows[2]["call_type"] = "Inbound Callback"
    land(clean_landing, "salesforce", "tasks", DAY, rows)

    [failure] = _landing_failure(clean_landing).result.failures
    assert (failure.table, failure.expectation) == ("salesforce/tasks", "expect_column_values_to_be_in_set")
    assert failure.kwargs["column"] == "call_type"


@pytest.mark.parametrize(
    ("source", "entity", "column", "bad"),
    [
        ("meta", "page_posts", "created_time", datetime(2026, 10, 2, tzinfo=UTC)),  # = end: out
        ("meta", "ig_media", "created_time", datetime(2026, 9, 30, 23, 59, tzinfo=UTC)),
        ("meta", "ad_insights", "date_start", DAY + timedelta(days=1)),  # after the 28-day window
        ("linkedin", "posts", "published_at", datetime(2026, 9, 30, 23, 59, tzinfo=UTC)),
        ("linkedin", "follower_statistics", "time_range_start", DAY + timedelta(days=1)),
        ("linkedin", "ad_analytics", "date_range_start", DAY + timedelta(days=1)),
        ("meta", "direct_messages", "created_time", datetime(2026, 10, 2, 0, 0, 1, tzinfo=UTC)),
        ("meta", "account_insights", "date", DAY - timedelta(days=1)),
        ("hubspot", "contacts", "updated_at", datetime(2026, 10, 3, tzinfo=UTC)),
        # a HubSpot run re-reads lookback days: earlier changes are in, later ones are not
        ("hubspot", "calls", "updated_at", datetime(2026, 10, 2, 0, 0, 1, tzinfo=UTC)),
        ("ga4", "events", "event_date", "20261002"),
        ("ga4", "events", "event_timestamp", 1_790_000_000_000_000),  # 2026-09-21
        ("brandwatch", "mentions", "published_at", datetime(2026, 9, 30, 23, 0, tzinfo=UTC)),
        ("x", "tweets", "created_at", datetime(2026, 10, 2, 0, 0, 1, tzinfo=UTC)),
        ("x", "account_followers", "observed_at", datetime(2026, 10, 1, 23, 0, tzinfo=UTC)),
        ("salesforce", "opportunities", "system_modstamp", datetime(2026, 10, 2, tzinfo=UTC)),
    ],
)
def test_value_outside_the_interval_fails(clean_landing: Paths, source, entity, column,
                                          bad) -> None:
    rows = clean_rows(source, entity, DAY, 12)
    rows[2][column] = bad
    land(clean_landing, source, entity, DAY, rows)
    if (source, entity) in QUARANTINE:  # an engagement record: set aside, the day goes on
        assert validate_landing(clean_landing, DAY).quarantined_rows == 1
        assert json.loads(_quarantined(clean_landing, source, entity)["_reasons"][0])[0]["column"] == column
        return

    error = _landing_failure(clean_landing)

    [failure] = [f for f in error.result.failures  # a restated row also leaves its partition
                 if f.expectation != "expect_column_pair_values_to_be_equal"]
    assert (failure.table, failure.kwargs["column"]) == (f"{source}/{entity}", column)
    assert len(failure.examples) == 1
    assert f"{source}/{entity}" in str(error)



QUARANTINE = {("meta", "page_posts"), ("meta", "ig_media"), ("meta", "account_insights"),
              ("meta", "direct_messages"), ("linkedin", "posts"), ("linkedin", "follower_statistics"),
              ("ga4_data_api", "traffic_daily"), ("brandwatch", "mentions"), ("x", "tweets"),
              ("x", "account_followers")}


def test_interval_follows_the_day(clean_landing: Paths) -> None:
    """The same suites, fed another day's parameters, reject yesterday's data in today's slot
    and accept it in its own: no date is hard-coded."""
    next_day = DAY + timedelta(days=1)
    for source, entity in ENTITIES:
        land(clean_landing, source, entity, next_day, clean_rows(source, entity, DAY, 3))
    error = None
    with pytest.raises(GateFailed) as caught:
        validate_landing(clean_landing, next_day)
    error = caught.value
    failed = {f.table for f in error.result.failures}
    assert failed == {"meta/page_posts", "meta/ig_media", "meta/ad_insights", "meta/form_leads",
                      "meta/account_insights", "meta/direct_messages", "linkedin/posts",
                      "linkedin/follower_statistics", "linkedin/ad_analytics", "ga4/events",
                      "ga4_data_api/traffic_daily",
                      "brandwatch/mentions", "x/tweets", "x/account_followers",
                      }  # deal_contacts, engagement_contacts: no date; HubSpot and Salesforce
    # re-read lookback days (docs/decisions.md 44, 48): yesterday's changes belong in today's run
    assert validate_landing(clean_landing, DAY).success


def test_missing_partition_fails_by_name(clean_landing: Paths) -> None:
    partition = clean_landing.landing / "hubspot" / "deal_contacts" / "date=2026-10-01"
    (partition / "data.parquet").unlink()

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.expectation, failure.observed) == (
        "hubspot/deal_contacts", "partition_exists", "missing")
    assert str(partition) in str(error)
    written = json.loads(error.result.result_file.read_text())
    assert written["success"] is False
    assert written["failures"][0]["table"] == "hubspot/deal_contacts"


def test_missing_column_fails_without_crashing(clean_landing: Paths) -> None:
    from social_roi import landing

    table = landing.read_partition(clean_landing.landing, "meta", "page_posts", DAY)
    landing.write_partition(clean_landing.landing, "meta", "page_posts", DAY,
                            table.drop_columns(["post_id"]))

    failures = _landing_failure(clean_landing).result.failures
    by_type = {f.expectation: f for f in failures}
    assert by_type["expect_table_columns_to_match_set"].examples == ({"missing": ["post_id"]},)
    assert "does not exist" in by_type["expect_column_values_to_be_unique"].observed


def test_corrupt_partition_fails_by_name(clean_landing: Paths) -> None:
    partition = clean_landing.landing / "meta" / "ig_media" / "date=2026-10-01" / "data.parquet"
    partition.write_bytes(b"not parquet")

    [failure] = _landing_failure(clean_landing).result.failures
    assert (failure.table, failure.expectation) == ("meta/ig_media", "partition_readable")
    assert str(failure.observed).startswith("error: ")


def test_only_the_given_entities_are_validated(clean_landing: Paths) -> None:
    from social_roi.connectors import meta

    result = validate_landing(clean_landing, DAY, {"meta": [meta.PAGE_POSTS]})
    assert (result.suites_evaluated, result.suites[0].suite) == (1, "landing__meta_page_posts")
    # its own result file: a per-source run does not overwrite the whole day's
    assert result.result_file.name == "2026-10-01__meta.json"


def test_extra_landing_column_fails(clean_landing: Paths) -> None:
    import pyarrow as pa

    from social_roi import landing

    table = landing.read_partition(clean_landing.landing, "ga4", "events", DAY)
    table = table.append_column("surprise", pa.array([1] * table.num_rows))
    landing.write_partition(clean_landing.landing, "ga4", "events", DAY, table)

    [failure] = _landing_failure(clean_landing).result.failures
    assert failure.expectation == "expect_table_columns_to_match_set"
    assert "surprise" in str(failure.examples)


# --- marts -------------------------------------------------------------------------------------

def test_clean_marts_pass(clean_marts: Paths) -> None:
    result = validate_marts(clean_marts)
    assert result.success and result.suites_evaluated == 1
    assert result.result_file == clean_marts.run_results / "marts" / "marts.json"
    assert json.loads(result.result_file.read_text())["suites"][0]["rows"] == 40


def test_same_platform_and_campaign_in_two_channel_groups_is_not_a_duplicate(paths: Paths) -> None:
    rows = mart_rows(2)
    assert rows[0][:4] == (DAY, "Organic Social", "facebook", "camp 0")
    assert rows[1][:4] == (DAY, "Paid Social", "facebook", "camp 0")
    build_marts(paths, rows)
    assert validate_marts(paths).success


def test_duplicated_mart_key_fails(paths: Paths) -> None:
    rows = mart_rows(40)
    rows.append(rows[9])
    build_marts(paths, rows)

    error = _mart_failure(paths)

    [failure] = error.result.failures
    assert failure.table == "main_marts.fct_funnel_daily"
    assert failure.expectation == "expect_compound_columns_to_be_unique"
    assert failure.examples and failure.examples[0]["campaign"] == rows[9][3]
    assert "main_marts.fct_funnel_daily" in str(error) and rows[9][3] in str(error)


def test_negative_mart_count_fails(paths: Paths) -> None:
    rows = mart_rows(40)
    rows[6] = with_values(rows[6], leads=-3)
    build_marts(paths, rows)

    error = _mart_failure(paths)

    [failure] = error.result.failures
    assert (failure.expectation, failure.kwargs["column"]) == (
        "expect_column_values_to_be_between", "leads")
    assert list(failure.examples) == [-3]
    assert "column='leads'" in str(error) and "-3" in str(error)


def test_more_engaged_sessions_than_sessions_fails(paths: Paths) -> None:
    rows = mart_rows(40)
    rows[0] = with_values(rows[0], sessions=5, engaged_sessions=6)
    build_marts(paths, rows)

    [failure] = _mart_failure(paths).result.failures
    assert failure.expectation == "expect_column_pair_values_a_to_be_greater_than_b"


def test_more_new_conversations_than_direct_messages_fails(paths: Paths) -> None:
    rows = mart_rows(40)
    rows[1] = with_values(rows[1], direct_messages=2, new_conversations=3)
    build_marts(paths, rows)

    [failure] = _mart_failure(paths).result.failures
    assert failure.expectation == "expect_column_pair_values_a_to_be_greater_than_b"
    assert failure.kwargs["column_A"] == "direct_messages"


def test_followers_mart_with_more_reach_than_views_fails(paths: Paths) -> None:
    """fct_followers_daily: views and reach NULL where a platform reports none (X, LinkedIn);
    where both are known, reach <= views."""
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema main_marts; create table main_marts.fct_followers_daily as "
                    "select * from (values (date '2026-10-01', 'facebook', 1000, 5, 0.005, 900, 600), "
                    "(date '2026-10-01', 'instagram', 2000, 7, 0.0035, 300, 301), "
                    "(date '2026-10-01', 'x', 500, null, null, null, null)) as t(follower_date, platform, "
                    "followers, follower_growth, follower_growth_rate, views, reach)")
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths, ("fct_followers_daily",))
    [failure] = caught.value.result.failures
    assert (failure.expectation, failure.kwargs["column_A"]) == (
        "expect_column_pair_values_a_to_be_greater_than_b", "views")
    assert len(failure.examples) == 1


def test_more_customers_than_leads_is_allowed(paths: Paths) -> None:
    """Customers of a day come from older leads: no such rule."""
    rows = mart_rows(40)
    rows[0] = with_values(rows[0], leads=0, customers=4)
    build_marts(paths, rows)
    assert validate_marts(paths).success


def test_empty_or_missing_mart_fails_by_name(paths: Paths) -> None:
    error = _mart_failure(paths)  # no build database at all
    assert error.result.failures[0].observed == "build database missing"

    build_marts(paths, [])
    [failure] = _mart_failure(paths).result.failures
    assert failure.expectation == "expect_table_row_count_to_be_between"

    con = duckdb.connect(str(paths.build_db))
    con.execute("drop table main_marts.fct_funnel_daily")
    con.close()
    with pytest.raises(GateFailed, match=r"main_marts\.fct_funnel_daily .*observed 'missing'"):
        validate_marts(paths)


def test_a_mart_without_a_suite_is_a_configuration_error(clean_marts: Paths) -> None:
    with pytest.raises(SuiteNotFound, match="marts__fct_other"):
        validate_marts(clean_marts, tables=("fct_funnel_daily", "fct_other"))


def test_mart_gate_releases_the_build_database(clean_marts: Paths) -> None:
    """The gate reads and closes: dbt can write the build database again right after."""
    validate_marts(clean_marts)
    con = duckdb.connect(str(clean_marts.build_db))
    con.execute("create table main_marts.after_gate as select 1 as x")
    con.close()


def test_a_column_of_another_type_fails_by_name(clean_landing: Paths) -> None:
    """Types are the Arrow contract's: a count landed as text is named with both types."""
    import pyarrow as pa

    from social_roi import landing

    table = landing.read_partition(clean_landing.landing, "meta", "ig_media", DAY)
    index = table.schema.get_field_index("like_count")
    table = table.set_column(index, "like_count", table["like_count"].cast(pa.string()))
    landing.write_partition(clean_landing.landing, "meta", "ig_media", DAY, table)

    [failure] = _landing_failure(clean_landing).result.failures
    assert (failure.table, failure.expectation) == ("meta/ig_media", "partition_types_match_contract")
    assert failure.examples == ({"column": "like_count", "contract": "int64", "landed": "string"},)


@pytest.mark.parametrize("today", [4, 0])
def test_a_day_with_a_tenth_of_the_usual_volume_or_nothing_fails(clean_landing: Paths, today) -> None:
    land_history(clean_landing, "brandwatch", "mentions", [38, 44, 40, 41, 39, 40, 42])
    land(clean_landing, "brandwatch", "mentions", DAY, clean_rows("brandwatch", "mentions", DAY, today))

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.expectation, failure.check) == (
        "brandwatch/mentions", "expect_table_row_count_to_be_between", "volume")
    assert failure.observed == today
    assert (f"brandwatch/mentions landed {today} rows on 2026-10-01 against a trailing median of 40 "
            "a day over the 7 landed days before") in str(error)
    assert "at least 5 needed" in str(error)  # 90 % fewer than 40 is 4 or fewer
    written = json.loads(error.result.result_file.read_text())
    [suite] = [s for s in written["suites"] if s["suite"] == "landing__brandwatch_mentions"]
    assert suite["arrival"]["trailing_median"] == 40 and suite["arrival"]["volume_min_rows"] == 5


def test_a_drop_of_less_than_ninety_percent_passes(clean_landing: Paths) -> None:
    land_history(clean_landing, "brandwatch", "mentions", [38, 44, 40, 41, 39, 40, 42])
    land(clean_landing, "brandwatch", "mentions", DAY, clean_rows("brandwatch", "mentions", DAY, 5))
    assert validate_landing(clean_landing, DAY).success


def test_sparse_entities_and_short_histories_do_not_alarm(clean_landing: Paths) -> None:
    """Posts: 0–5 a day, median under the rule's minimum of 10; mentions: two days of history."""
    land_history(clean_landing, "meta", "page_posts", [3, 1, 4, 2, 5, 1, 2])
    land(clean_landing, "meta", "page_posts", DAY, [])
    land_history(clean_landing, "brandwatch", "mentions", [40, 41])
    land(clean_landing, "brandwatch", "mentions", DAY, [])
    assert validate_landing(clean_landing, DAY).success


def test_days_without_a_connection_are_not_history(clean_landing: Paths) -> None:
    """A source switched on today after weeks without its connection: no partitions before,
    no volume rule (skipped days land no partition, only their status)."""
    from social_roi.connectors import listening
    from social_roi.connectors.base import skip_not_configured

    for back in range(1, 8):
        skip_not_configured(listening, DAY - timedelta(days=back), clean_landing.landing, "no connection")
    land(clean_landing, "brandwatch", "mentions", DAY, clean_rows("brandwatch", "mentions", DAY, 1))
    assert validate_landing(clean_landing, DAY).success


def test_a_stale_source_fails(clean_landing: Paths) -> None:
    """Account insights arrive every day (max_age_days 1): none for three days is a stale feed,
    although two rows a day are too few for the volume rule."""
    land_history(clean_landing, "meta", "account_insights", [2, 2, 2, 0, 0])
    land(clean_landing, "meta", "account_insights", DAY, [])

    error = _landing_failure(clean_landing)

    [failure] = error.result.failures
    assert (failure.table, failure.check) == ("meta/account_insights", "freshness")
    assert ("stale: meta/account_insights landed no rows on 2026-10-01, none since 2026-09-28 "
            "(3 days; at most 1 allowed)") in str(error)


def test_one_silent_day_of_a_daily_feed_is_not_yet_stale(clean_landing: Paths) -> None:
    land_history(clean_landing, "meta", "account_insights", [2, 2, 2, 2])
    land(clean_landing, "meta", "account_insights", DAY, [])
    assert validate_landing(clean_landing, DAY).success


def test_a_failing_run_builds_data_docs_named_in_the_summary_and_the_result_file(
        clean_landing: Paths) -> None:
    rows = clean_rows("meta", "ad_insights", DAY, 12)
    rows[3]["spend"] = "-5.00"
    land(clean_landing, "meta", "ad_insights", DAY, rows)

    error = _landing_failure(clean_landing)

    index = error.result.data_docs
    assert index == clean_landing.run_results / "landing" / "2026-10-01.docs" / "index.html"
    assert f"Data Docs: {index}" in str(error)
    assert json.loads(error.result.result_file.read_text())["data_docs"] == str(index)
    listing = index.read_text()
    assert listing.count("<tr class=") == len(ENTITIES) and listing.count("<tr class=failed>") == 1
    page = (index.parent / "landing__meta_ad_insights.html").read_text()
    assert "Great Expectations" in page and "spend" in page and "-5.00" in page
    assert len(list(index.parent.glob("*.html"))) == len(ENTITIES) + 1


def test_passing_runs_build_data_docs_only_when_asked(clean_landing: Paths, monkeypatch) -> None:
    assert validate_landing(clean_landing, DAY).data_docs is None
    assert not (clean_landing.run_results / "landing" / "2026-10-01.docs").exists()
    monkeypatch.setenv("SOCIAL_ROI_DATA_DOCS", "always")
    result = validate_landing(clean_landing, DAY)
    assert result.data_docs is not None and "passed" in result.data_docs.read_text()


def test_every_landing_suite_declares_its_policy_and_money_blocks() -> None:
    from social_roi.quality.quarantine import policy_of
    from social_roi.quality.suites import landing_suite_name, load_suite
    from social_roi.settings import REPO_ROOT

    policies = {key: policy_of(load_suite(REPO_ROOT / "expectations", landing_suite_name(*key)))
                for key in ENTITIES}
    assert {key for key, policy in policies.items() if policy == "quarantine"} == QUARANTINE
    money = {key for key, contract in ENTITIES.items()
             if any(word in name for name in contract.schema.names
                    for word in ("spend", "amount", "cost", "revenue", "value"))}
    assert money and all(policies[key] == "block" for key in money)
    assert all(ENTITIES[key].restated_days == 1 for key in QUARANTINE)


def _landed_rows(paths: Paths, source: str, entity: str) -> int:
    """As dbt's sources read the landing zone (dbt_project.yml): the quarantine is not there."""
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet('{paths.landing}/{source}/{entity}/"
                           "date=*/data.parquet', hive_partitioning = true)").fetchone()[0]


def test_one_bad_engagement_record_is_quarantined_and_the_rest_of_the_day_passes(
        clean_landing: Paths, caplog) -> None:
    rows = clean_rows("meta", "ig_media", DAY, 12)
    rows[7]["like_count"] = -3
    land(clean_landing, "meta", "ig_media", DAY, rows)

    result = validate_landing(clean_landing, DAY)

    assert result.success and result.quarantined_rows == 1
    assert _landed_rows(clean_landing, "meta", "ig_media") == 11
    held = _quarantined(clean_landing, "meta", "ig_media")
    assert (held["media_id"], held["_record_id"], held["_source"], held["_entity"], held["_day"]) == (
        ["17_7"], ["17_7"], ["meta"], ["ig_media"], [DAY])
    assert json.loads(held["_reasons"][0]) == [{
        "expectation": "expect_column_values_to_be_between", "column": "like_count",
        "value": {"like_count": -3}}]
    written = json.loads(result.result_file.read_text())
    assert written["success"] is True and written["quarantined_rows"] == 1
    [suite] = [s for s in written["suites"] if s["suite"] == "landing__meta_ig_media"]
    assert suite["quarantined"]["records"] == ["17_7"] and suite["rows"] == 11
    summary = result.summary()
    assert "1 record(s) quarantined" in summary and "meta/ig_media" in summary and "17_7" in summary
    assert any("quarantined 1 record(s) of meta/ig_media on 2026-10-01" in r.message for r in caplog.records)


def test_a_quarantine_is_stable_on_rerun_and_recovers_after_a_fixed_extract(clean_landing: Paths) -> None:
    from social_roi.quality.quarantine import quarantine_file

    rows = clean_rows("meta", "ig_media", DAY, 12)
    rows[7]["like_count"] = -3
    land(clean_landing, "meta", "ig_media", DAY, rows)
    validate_landing(clean_landing, DAY)
    # the gate rerun alone: the same record set aside again, none lost, none doubled
    assert validate_landing(clean_landing, DAY).quarantined_rows == 1
    assert _landed_rows(clean_landing, "meta", "ig_media") == 11
    # the platform fixed its data and the day is extracted again
    land(clean_landing, "meta", "ig_media", DAY, clean_rows("meta", "ig_media", DAY, 12))
    assert validate_landing(clean_landing, DAY).quarantined_rows == 0
    assert _landed_rows(clean_landing, "meta", "ig_media") == 12
    assert not quarantine_file(clean_landing.landing, "meta", "ig_media", DAY).exists()


def test_a_corrected_suite_releases_the_quarantined_records(clean_landing: Paths, tmp_path) -> None:
    import dataclasses
    import shutil

    from social_roi.settings import REPO_ROOT

    rows = clean_rows("meta", "ig_media", DAY, 12)
    rows[7]["like_count"] = -3
    land(clean_landing, "meta", "ig_media", DAY, rows)
    validate_landing(clean_landing, DAY)
    relaxed = tmp_path / "expectations"
    shutil.copytree(REPO_ROOT / "expectations", relaxed)
    suite_file = relaxed / "suites" / "landing__meta_ig_media.json"
    raw = json.loads(suite_file.read_text())
    raw["expectations"] = [e for e in raw["expectations"] if e["kwargs"].get("column") != "like_count"]
    suite_file.write_text(json.dumps(raw))

    result = validate_landing(dataclasses.replace(clean_landing, expectations=relaxed), DAY)

    assert result.success and result.quarantined_rows == 0
    assert _landed_rows(clean_landing, "meta", "ig_media") == 12


def test_a_day_where_most_records_fail_blocks_even_under_quarantine(clean_landing: Paths) -> None:
    rows = clean_rows("meta", "ig_media", DAY, 12)
    for row in rows[:7]:
        row["like_count"] = -1
    land(clean_landing, "meta", "ig_media", DAY, rows)

    [failure] = _landing_failure(clean_landing).result.failures
    assert (failure.table, failure.kwargs["column"]) == ("meta/ig_media", "like_count")
    assert _landed_rows(clean_landing, "meta", "ig_media") == 12


def test_a_negative_spend_blocks_and_is_not_quarantined(clean_landing: Paths) -> None:
    from social_roi.quality.quarantine import FOLDER

    rows = clean_rows("meta", "ad_insights", DAY, 12)
    rows[3]["spend"] = "-5.00"
    land(clean_landing, "meta", "ad_insights", DAY, rows)

    error = _landing_failure(clean_landing)

    assert error.result.failures[0].table == "meta/ad_insights"
    assert not (clean_landing.landing / FOLDER).exists()


def _roi_rows(n: int) -> list[dict]:
    """``n`` consistent ROI rows (docs/roi.md's formulas), computed here independently."""
    rows = []
    for i in range(n):
        media, other = 100.0 + i, 50.0 + 2 * i
        cost, revenue, leads, customers = media + other, 400.0 * (i % 3), 2.0 + i, 0.5 * (i % 2)
        cac = cost / customers if customers else None
        ltv = 900.0 if customers else None
        rows.append({
            "period_month": date(2026, 10, 1), "channel_group": "Paid Social", "platform": "facebook",
            "campaign": f"camp {i}", "attribution_model": "linear", "media_cost_usd": media,
            "non_media_cost_usd": other, "total_cost_usd": cost, "attributed_leads": leads,
            "attributed_mqls": 1.0, "attributed_sqls": 1.0, "attributed_opportunities": 1.0,
            "attributed_customers": customers, "attributed_pipeline_usd": 1000.0,
            "attributed_revenue_usd": revenue, "roi": (revenue - cost) / cost, "roas": revenue / media,
            "cpl_usd": cost / leads, "cost_per_opportunity_usd": cost, "cac_usd": cac,
            "gross_margin": 0.8, "ltv_usd": ltv, "ltv_to_cac": ltv / cac if cac else None,
            "payback_months": cac / (ltv / 12) if cac else None})
    return rows


def _build_roi(paths: Paths, rows: list[dict]) -> None:
    import pandas as pd

    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)  # noqa: F841 (read by DuckDB below)
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("create schema if not exists main_marts; "
                    "create or replace table main_marts.fct_roi_monthly as select * from frame")


def test_consistent_roi_passes_and_an_roi_that_does_not_follow_its_inputs_fails(paths: Paths) -> None:
    rows = _roi_rows(6)
    _build_roi(paths, rows)
    assert validate_marts(paths, ("fct_roi_monthly",)).success

    rows[4]["roi"] += 0.5  # e.g. a model that forgot the non-media costs in one place
    _build_roi(paths, rows)
    with pytest.raises(GateFailed):
        validate_marts(paths, ("fct_roi_monthly",))
    rows[4]["roi"] -= 0.5
    rows[2]["cac_usd"] = None  # CAC lost where there are customers: the check is on every ratio
    rows[2]["ltv_to_cac"] = None
    rows[4]["non_media_cost_usd"] += 1  # total no longer media + non-media
    _build_roi(paths, rows)
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths, ("fct_roi_monthly",))

    [failure] = caught.value.result.failures
    assert (failure.expectation, failure.check) == ("expect_column_values_to_be_null", "consistency")
    assert "roi * total_cost_usd" in failure.kwargs["row_condition"]
    assert failure.observed == "1 of 1 rows unexpected"
    assert failure.rows[0]["campaign"] == "camp 4"
    assert "camp 4" in str(caught.value)


def test_roi_missing_where_its_denominator_is_not_zero_fails(paths: Paths) -> None:
    rows = _roi_rows(6)
    rows[1]["roi"] = None
    _build_roi(paths, rows)
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths, ("fct_roi_monthly",))
    [failure] = caught.value.result.failures
    assert "roi != roi" in failure.kwargs["row_condition"] and failure.rows[0]["campaign"] == "camp 1"


def test_a_cohort_with_more_customers_than_opportunities_fails(paths: Paths) -> None:
    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    stages = ("lead", "mql", "sql", "opportunity", "customer")
    columns = ["cohort_month", "first_touch_channel_group", "first_touch_platform", "people",
               *[c for s in stages for c in (f"reached_{s}", f"{s}_share")],
               "median_days_touch_to_lead", "median_days_lead_to_mql", "median_days_mql_to_sql",
               "median_days_sql_to_opportunity", "median_days_opportunity_to_customer"]
    reached = {"linkedin": (40, 20, 10, 5, 2), "facebook": (30, 15, 8, 3, 4)}  # facebook: 4 > 3
    with duckdb.connect(str(paths.build_db)) as con:
        types = ", ".join(f"{c} {'varchar' if i < 3 else 'double'}" for i, c in enumerate(columns))
        con.execute(f"create schema main_marts; create table main_marts.fct_funnel_cohorts ({types})")
        for platform, counts in reached.items():
            values = ["2026-10-01", "Organic Social", platform, 50,
                      *[v for n in counts for v in (n, n / 50)], 1, 1, 1, 1, 1]
            con.execute(f"insert into main_marts.fct_funnel_cohorts values ({', '.join('?' * len(columns))})",
                        values)
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths, ("fct_funnel_cohorts",))
    [failure] = caught.value.result.failures
    assert (failure.kwargs["column_A"], failure.kwargs["column_B"]) == ("reached_opportunity",
                                                                        "reached_customer")
    assert failure.rows[0]["first_touch_platform"] == "facebook"
