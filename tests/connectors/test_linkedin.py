"""LinkedIn connector against the live sandbox server: posts with their statistics, follower
gains and ad analytics equal the ground truth; Rest.li values, the version header and the 20-field
limit as LinkedIn wants them; offset paging; 429 without Retry-After backed off, then an exhausted
daily quota named; 5xx retried; expired tokens fail fast; nothing half-written; schema drift
kept and named; wrong types named."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import linkedin
from social_roi.connectors.base import land_day
from social_roi.errors import SchemaViolation, SourceAuthError, SourceError, SourceQuotaExhausted
from social_roi.sandbox import catalog
from social_roi.sandbox.faults import linkedin_expired_token, linkedin_server_error, linkedin_throttle

from .conftest import WORLD, requests_to

DAY = WORLD.start_date + timedelta(days=1)
POSTS = "/rest/posts"
ANALYTICS = "/rest/adAnalytics"


def linkedin_truth(world, table: str) -> pd.DataFrame:
    frame = world.truth[table]
    return frame[frame.platform == "linkedin"]


def read(tmp_path, entity: str, day=DAY) -> pd.DataFrame:
    return landing.read_partition(tmp_path, "linkedin", entity, day).to_pandas()


def test_lands_posts_followers_and_ads_matching_the_ground_truth(config, world, tmp_path):
    counts = land_day(linkedin, config("linkedin"), DAY, tmp_path)

    posts = linkedin_truth(world, "posts")
    posts = posts[posts.created_date == DAY].set_index("post_id")
    ads = linkedin_truth(world, "ad_daily")
    window = ads.date.between(DAY - timedelta(days=linkedin.AD_RESTATEMENT_DAYS - 1), DAY)
    assert counts == {"posts": len(posts), "follower_statistics": 1, "ad_analytics": int(window.sum())}
    assert len(posts) >= 2 and window.sum() > 0

    landed = read(tmp_path, "posts").set_index("post_id").loc[posts.index]
    for column, truth in (("impression_count", "views"), ("unique_impressions_count", "reach"),
                          ("like_count", "reactions"), ("comment_count", "comments"),
                          ("share_count", "shares"), ("click_count", "link_clicks")):
        assert (landed[column].values == posts[truth].values).all(), column
    assert (landed.published_at == posts.created_at).all()
    assert landed.article_url.str.contains("utm_content=urn%3Ali%3Ashare%3A").all()
    assert landed.extra_fields.isna().all()

    followers = read(tmp_path, "follower_statistics")
    truth = linkedin_truth(world, "followers").set_index("date").loc[DAY]
    assert (followers.time_range_start == DAY).all()
    gain = followers.organic_follower_gain + followers.paid_follower_gain
    assert gain.item() == truth.new_followers - truth.lost_followers

    day_ads = read(tmp_path, "ad_analytics")
    expected = ads[ads.date == DAY]
    assert sorted(day_ads.creative_id) == sorted(expected.ad_id)
    assert day_ads.cost_in_local_currency.map(type).eq(str).all(), "money lands as the API's strings"
    spend = day_ads.cost_in_local_currency.astype(float).sum()
    assert spend == pytest.approx(expected.spend.sum(), abs=0.005)
    assert (day_ads.currency == "EUR").all() and (day_ads.account_id == catalog.LINKEDIN_AD_ACCOUNT_ID).all()
    by_creative = day_ads.set_index("creative_id")
    expected = expected.set_index("ad_id").loc[by_creative.index]
    assert (by_creative.impressions.values == expected.impressions.values).all()
    assert (by_creative.landing_page_clicks.values == expected.link_clicks.values).all()
    assert (by_creative.campaign_name.values == expected.campaign_name.values).all()
    # conversions as LinkedIn reports them the day after DAY (more arrive later: restated)
    as_of = {r.ad.ad_id: r.platform_leads_as_of(DAY) for r in world.ad_days
             if r.ad.platform == "linkedin" and r.day == DAY}
    assert by_creative.external_website_conversions.to_dict() == as_of


def test_a_later_run_restates_the_conversions_of_earlier_days(config, world, tmp_path):
    """Every run re-pulls 30 days and replaces their partitions: after the last day's run each
    creative-day has the conversions LinkedIn reports then, and one version of each row."""
    for offset in range(WORLD.days):
        land_day(linkedin, config("linkedin"), WORLD.start_date + timedelta(days=offset), tmp_path)
    last = WORLD.dates[-1]
    landed = pd.concat(read(tmp_path, "ad_analytics", day) for day in WORLD.dates)
    assert not landed.duplicated(["creative_id", "date_range_start"]).any()
    rows = [r for r in world.ad_days if r.ad.platform == "linkedin"]
    assert len(landed) == len(rows)
    final = {(r.ad.ad_id, r.day): r.platform_leads_as_of(last) for r in rows}
    got = {(row.creative_id, row.date_range_start): row.external_website_conversions
           for row in landed.itertuples()}
    assert got == final and sum(final.values()) > 0
    value = {key: f"{n * catalog.LINKEDIN_CONVERSION_VALUE:.2f}".rstrip("0").rstrip(".")
             for key, n in final.items()}
    assert {(row.creative_id, row.date_range_start): row.conversion_value_in_local_currency
            for row in landed.itertuples()} == value
    partitions = sorted(p.name for p in (tmp_path / "linkedin" / "ad_analytics").glob("date=*"))
    assert len(partitions) == linkedin.AD_RESTATEMENT_DAYS + WORLD.days - 1


def test_rest_li_values_are_sent_literal_with_encoded_urns(config, server, tmp_path):
    """LinkedIn parses List(…) and (k:v) itself: parentheses, commas and colons literal, the URNs
    inside percent-encoded (either usual encoding gets a 400 ILLEGAL_ARGUMENT)."""
    assert linkedin.urn_list(["urn:li:share:1", "urn:li:ugcPost:2"]) \
        == "List(urn%3Ali%3Ashare%3A1,urn%3Ali%3AugcPost%3A2)"
    server.clear_requests()
    land_day(linkedin, config("linkedin"), DAY, tmp_path)
    queries = dict(server.queries)
    stats = queries["/rest/organizationalEntityShareStatistics"]
    assert "&shares=List(urn%3Ali%3Ashare%3A" in stats
    assert "organizationalEntity=urn%3Ali%3Aorganization%3A" in stats
    follow = queries["/rest/organizationalEntityFollowerStatistics"]
    start = int(datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC).timestamp() * 1000)
    interval = f"(timeRange:(start:{start},end:{start + 86_400_000}),timeGranularityType:DAY)"
    assert f"timeIntervals={interval}" in follow
    ads = queries[ANALYTICS]
    first = DAY - timedelta(days=linkedin.AD_RESTATEMENT_DAYS - 1)
    assert (f"dateRange=(start:(year:{first.year},month:{first.month},day:{first.day}),"
            f"end:(year:{DAY.year},month:{DAY.month},day:{DAY.day}))") in ads
    assert "pivots=List(CAMPAIGN,CREATIVE)" in ads and "campaigns=List(urn%3Ali%3AsponsoredCampaign%3A" in ads


def test_metrics_are_asked_in_chunks_of_at_most_twenty_fields_and_merged(config, server, tmp_path):
    server.clear_requests()
    whole = linkedin.fetch_day(config("linkedin"), DAY)["ad_analytics"]
    default = [q for path, q in server.queries if path == ANALYTICS]
    server.clear_requests()
    chunked = linkedin.fetch_day(config("linkedin", fields_per_request=5), DAY)["ad_analytics"]
    small = [q for path, q in server.queries if path == ANALYTICS]

    def fields(query: str) -> list[str]:
        return unquote(dict(p.split("=", 1) for p in query.split("&"))["fields"]).split(",")

    assert len(default) == 1 and len(fields(default[0])) <= linkedin.MAX_FIELDS
    assert len(small) == 3 and all(len(fields(q)) <= 5 for q in small)  # 8 metrics, 3 per request
    assert all({"dateRange", "pivotValues"} <= set(fields(q)) for q in small)
    assert chunked == whole and len(whole) > 0


def test_posts_are_paged_and_paging_stops_before_the_days_posts_run_out(config, server, world, tmp_path):
    """Newest first, one post a page: the walk stops at the first post modified before the day."""
    newest_first = sorted((p for p in world.posts if p.platform == "linkedin"),
                          key=lambda p: p.created_ts, reverse=True)
    day_start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC).timestamp()
    recent = sum(1 for p in newest_first if p.created_ts >= day_start)
    assert recent < len(newest_first), "the test needs an older post to stop at"
    before = requests_to(server, POSTS)
    counts = land_day(linkedin, config("linkedin", page_size=1), DAY, tmp_path)
    assert requests_to(server, POSTS) - before == recent + 1
    posts = read(tmp_path, "posts")
    assert posts.post_id.is_unique and len(posts) == counts["posts"] >= 2


def test_429_without_retry_after_is_backed_off_then_succeeds(config, server, tmp_path):
    throttle = linkedin_throttle()
    assert "Retry-After" not in throttle["headers"]
    server.add_fault(ANALYTICS, times=2, **throttle)
    before = requests_to(server, ANALYTICS)
    started = time.perf_counter()
    counts = land_day(linkedin, config("linkedin"), DAY, tmp_path)
    assert time.perf_counter() - started >= 0.01 + 0.02, "waited, exponentially, on its own"
    assert requests_to(server, ANALYTICS) - before == 3 and counts["ad_analytics"] > 0


def test_an_exhausted_daily_quota_fails_naming_the_connection_and_the_reset(config, server, tmp_path):
    server.add_fault(POSTS, times=10, **linkedin_throttle())
    before = requests_to(server, POSTS)
    with pytest.raises(SourceQuotaExhausted) as failure:
        land_day(linkedin, config("linkedin"), DAY, tmp_path)
    message = str(failure.value)
    assert "linkedin/posts day=2026-10-02" in message and "HTTP 429" in message
    assert "Airflow connection 'linkedin'" in message and "midnight UTC" in message
    assert requests_to(server, POSTS) - before == 4, "every attempt of the connection, no more"
    assert not (tmp_path / "linkedin").exists(), "nothing landed"


def test_an_exhausted_quota_fails_the_airflow_task_at_once():
    """Retrying within minutes cannot help a daily quota: the task fails instead of retrying."""
    from airflow.sdk.exceptions import AirflowFailException

    from social_roi.airflow_tasks import fail_fast_on

    with pytest.raises(AirflowFailException, match="midnight UTC"):
        with fail_fast_on():
            raise SourceQuotaExhausted("linkedin", "posts", DAY, "quota used up; resets at midnight UTC")


def test_server_errors_are_retried(config, server, tmp_path):
    server.add_fault("/rest/organizationalEntityFollowerStatistics", times=2, **linkedin_server_error(503))
    counts = land_day(linkedin, config("linkedin"), DAY, tmp_path)
    assert counts["follower_statistics"] == 1


def test_a_persistent_failure_fails_the_day_and_keeps_the_previous_files(config, server, tmp_path):
    land_day(linkedin, config("linkedin"), DAY, tmp_path)
    posts_file = landing.partition_file(tmp_path, "linkedin", "posts", DAY)
    before = posts_file.read_bytes()
    status = landing.status_file(tmp_path, "linkedin", DAY).read_text()
    server.add_fault(ANALYTICS, times=10, **linkedin_server_error(502))
    with pytest.raises(SourceError, match=r"linkedin/ad_analytics day=2026-10-02.*HTTP 502"):
        land_day(linkedin, config("linkedin"), DAY, tmp_path)
    assert posts_file.read_bytes() == before, "nothing of the failed day was rewritten"
    assert landing.status_file(tmp_path, "linkedin", DAY).read_text() == status


def test_an_expired_token_fails_fast_naming_the_connection(config, server, tmp_path):
    server.add_fault(POSTS, **linkedin_expired_token())
    before = requests_to(server, POSTS)
    with pytest.raises(SourceAuthError) as failure:
        land_day(linkedin, config("linkedin"), DAY, tmp_path)
    assert "renew the Airflow connection 'linkedin'" in str(failure.value)
    assert "EXPIRED_ACCESS_TOKEN" in str(failure.value)
    assert requests_to(server, POSTS) - before == 1, "auth errors are not retried"
    assert not (tmp_path / "linkedin").exists()


def test_a_refused_token_is_not_echoed(config, server, tmp_path):
    with pytest.raises(SourceAuthError) as failure:
        land_day(linkedin, config("linkedin", token="wrong-token-77aa"), DAY, tmp_path)
    assert "INVALID_ACCESS_TOKEN" in str(failure.value) and "wrong-token-77aa" not in str(failure.value)


def test_a_sunset_version_fails_with_linkedins_answer(config, tmp_path):
    with pytest.raises(SourceError, match=r"HTTP 426.*Requested version 20240101 is not active"):
        land_day(linkedin, config("linkedin", api_version="202401"), DAY, tmp_path)
    assert not (tmp_path / "linkedin").exists()


def _posts_page(world, **changes) -> dict:
    """The day's first post as the Posts API serves it, with ``changes`` applied."""
    post = next(p for p in world.posts if p.platform == "linkedin" and p.created_ts >= DAY_START)
    ms = post.created_ts * 1000
    element = {"id": post.post_id, "author": catalog.LINKEDIN_ORG_URN, "commentary": post.text,
               "visibility": "PUBLIC", "lifecycleState": "PUBLISHED", "createdAt": ms,
               "publishedAt": ms, "lastModifiedAt": ms,
               "content": {"article": {"source": post.landing_url}}, **changes}
    return {"paging": {"start": 0, "count": 10, "links": []}, "elements": [element]}


DAY_START = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC).timestamp()


def test_an_unknown_new_field_is_kept_and_named(config, server, world, tmp_path, caplog):
    page = _posts_page(world, contentCertification={"isAiGenerated": False})
    server.add_fault(POSTS, 200, body=page)
    with caplog.at_level(logging.WARNING, logger="social_roi.connectors.base"):
        land_day(linkedin, config("linkedin"), DAY, tmp_path)
    [row] = read(tmp_path, "posts").to_dict("records")
    assert json.loads(row["extra_fields"]) == {"contentCertification": {"isAiGenerated": False}}
    assert row["impression_count"] > 0, "statistics still joined"
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "linkedin/posts day=2026-10-02" in warning and "contentCertification" in warning
    status = json.loads(landing.status_file(tmp_path, "linkedin", DAY).read_text())
    assert status["unknown_fields"] == {"posts": ["contentCertification"]}


def test_a_wrong_type_fails_naming_the_record_and_the_field(config, server, world, tmp_path):
    page = _posts_page(world, publishedAt="2026-10-02T18:00:00Z")
    server.add_fault(POSTS, 200, body=page)
    with pytest.raises(SchemaViolation) as failure:
        land_day(linkedin, config("linkedin"), DAY, tmp_path)
    message = str(failure.value)
    assert "linkedin/posts day=2026-10-02" in message and page["elements"][0]["id"] in message
    assert "published_at" in message and "str" in message
    assert not (tmp_path / "linkedin").exists()


def test_a_missing_required_field_is_named(config, server, tmp_path):
    start = int(DAY_START * 1000)
    body = {"paging": {"start": 0, "count": 10, "links": []},
            "elements": [{"organizationalEntity": catalog.LINKEDIN_ORG_URN,
                          "timeRange": {"start": start, "end": start + 86_400_000},
                          "followerGains": {"paidFollowerGain": 2}}]}
    server.add_fault("/rest/organizationalEntityFollowerStatistics", 200, body=body)
    with pytest.raises(SchemaViolation, match=r"linkedin/follower_statistics day=2026-10-02 "
                                              r"record=2026-10-02.*organic_follower_gain"):
        land_day(linkedin, config("linkedin"), DAY, tmp_path)


def test_missing_configuration_names_the_key(config, tmp_path):
    import dataclasses

    bad = dataclasses.replace(config("linkedin"), extra={"organization_id": catalog.LINKEDIN_ORG_ID})
    with pytest.raises(SourceError, match="missing 'ad_account_id'"):
        land_day(linkedin, bad, DAY, tmp_path)
