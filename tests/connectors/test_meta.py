from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pandas as pd
import pyarrow.parquet as pq
import pytest

from social_roi import landing
from social_roi.connectors import meta
from social_roi.connectors.base import land_day
from social_roi.errors import SchemaViolation, SourceAuthError, SourceError
from social_roi.pii import email_sha256
from social_roi.sandbox import catalog
from social_roi.sandbox.faults import meta_throttle

from .conftest import requests_to

DAY = date(2026, 10, 2)
POSTS_PATH = f"/v24.0/{catalog.PAGE_ID}/posts"


def meta_truth(world, table: str):
    """The truth of Meta's platforms (the world also runs LinkedIn ads)."""
    frame = world.truth[table]
    return frame[frame.platform.isin(catalog.META_PLATFORMS)]


def test_lands_posts_media_and_ads_matching_the_ground_truth(config, world, tmp_path):
    counts = land_day(meta, config("meta_graph"), DAY, tmp_path)

    truth = world.truth["posts"]
    fb = truth[(truth.platform == "facebook") & (truth.created_date == DAY)]
    ig = truth[(truth.platform == "instagram") & (truth.created_date == DAY)]
    meta_ads = meta_truth(world, "ad_daily")
    ads = meta_ads[meta_ads.date == DAY]
    window = meta_ads.date.between(DAY - timedelta(days=27), DAY)  # restated
    leads = world.truth["form_leads"][world.truth["form_leads"].date == DAY]
    dms = world.truth["direct_messages"][world.truth["direct_messages"].date == DAY]
    assert counts == {"page_posts": len(fb), "ig_media": len(ig), "ad_insights": int(window.sum()),
                      "form_leads": len(leads), "account_insights": 2, "direct_messages": len(dms)}
    accounts = landing.read_partition(tmp_path, "meta", "account_insights", DAY).to_pandas()
    followers = meta_truth(world, "followers")
    insights = world.truth["account_insights"]
    expected = followers[followers.date == DAY].merge(insights[insights.date == DAY], on=["platform", "date"])
    assert (accounts.set_index("platform")[["followers", "views", "reach"]].sort_index().to_dict("index")
            == expected.set_index("platform")[["followers", "views", "reach"]].sort_index().to_dict("index"))
    assert dict(zip(accounts.platform, accounts.account_id, strict=True)) == {
        "facebook": catalog.PAGE_ID, "instagram": catalog.IG_USER_ID}
    assert (accounts.date == DAY).all()
    assert len(fb) and len(ig) and len(ads)

    posts = landing.read_partition(tmp_path, "meta", "page_posts", DAY).to_pandas()
    assert sorted(posts.post_id) == sorted(fb.post_id)
    assert posts.post_media_view.sum() == fb.views.sum()
    reactions = sum(sum(json.loads(r).values()) for r in posts.post_reactions_by_type_total)
    assert reactions == fb.reactions.sum()

    media = landing.read_partition(tmp_path, "meta", "ig_media", DAY).to_pandas()
    assert media.like_count.sum() == ig.reactions.sum()
    assert media.views.sum() == ig.views.sum()

    insights = landing.read_partition(tmp_path, "meta", "ad_insights", DAY).to_pandas()
    assert insights.spend.map(type).eq(str).all(), "numbers are landed as the API's strings"
    assert insights.spend.astype(float).sum() == pytest.approx(ads.spend.sum(), abs=0.005)
    assert set(insights.publisher_platform) <= {"facebook", "instagram"}


def test_ads_come_from_an_async_report_run_over_the_restatement_window(config, server, world, tmp_path):
    """POST creates the run, GET polls it until "Job Completed", then its insights are paged;
    every day of the 28-day window gets its own partition (empty before the world began)."""
    server.clear_requests()
    land_day(meta, config("meta_graph", page_size=2), DAY, tmp_path)
    calls = [(m, p) for m, p in server.requests if p.startswith("/v24.0/act_") or "/10499" in p]
    act = f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights"
    assert calls[0] == ("POST", act) and act not in [p for m, p in calls[1:]]
    polls = [p for m, p in calls if m == "GET" and not p.endswith("/insights")]
    pages = [p for m, p in calls if m == "GET" and p.endswith("/insights")]
    assert len(polls) == 2, "one 'Job Running' answer, then 'Job Completed'"
    truth = meta_truth(world, "ad_daily")
    rows_in_window = int(truth.date.between(DAY - timedelta(days=27), DAY).sum())
    assert len(pages) == -(-rows_in_window // 2)  # pages of 2 rows
    days = sorted(p.parent.name for p in (tmp_path / "meta" / "ad_insights").glob("date=*/data.parquet"))
    assert len(days) == 28 and days[-1] == f"date={DAY}" and days[0] == f"date={DAY - timedelta(days=27)}"
    for day in (DAY - timedelta(days=1), DAY):
        landed = landing.read_partition(tmp_path, "meta", "ad_insights", day).to_pandas()
        assert (landed.date_start == day).all() and len(landed) == int((truth.date == day).sum())
    assert landing.read_partition(tmp_path, "meta", "ad_insights", DAY - timedelta(days=5)).num_rows == 0


def _reported_leads(tmp_path, day) -> int:
    frame = landing.read_partition(tmp_path, "meta", "ad_insights", day).to_pandas()
    return sum(int(a["value"]) for actions in frame.actions.dropna() for a in json.loads(actions)
               if a["action_type"] == "lead")


def test_a_later_run_restates_earlier_days_and_keeps_one_version_of_each(config, world, tmp_path):
    """Meta attributes late conversions to past days: the run of the day after re-pulls the
    window and replaces each day's partition with the grown counts."""
    first, last = world.config.dates[0], world.config.dates[-1]
    rows = [r for r in world.ad_days if r.day == first and r.ad.platform in catalog.META_PLATFORMS]
    assert sum(r.platform_leads_as_of(first) for r in rows) < sum(r.platform_leads_as_of(last) for r in rows)
    land_day(meta, config("meta_graph"), first, tmp_path)
    assert _reported_leads(tmp_path, first) == sum(r.platform_leads_as_of(first) for r in rows)
    land_day(meta, config("meta_graph"), last, tmp_path)
    assert _reported_leads(tmp_path, first) == sum(r.platform_leads_as_of(last) for r in rows)
    files = [f.name for f in (tmp_path / "meta" / "ad_insights" / f"date={first}").iterdir()]
    assert files == [landing.FILE_NAME]
    values = landing.read_partition(tmp_path, "meta", "ad_insights", first).to_pandas().action_values
    value = sum(float(a["value"]) for v in values.dropna() for a in json.loads(v))
    assert value == pytest.approx(_reported_leads(tmp_path, first) * catalog.LEAD_CONVERSION_VALUE)


def test_a_failed_report_run_fails_the_day_and_writes_nothing(config, server, tmp_path):
    server.add_fault("/v24.0/10499", 200, times=1, method="GET",
                     body={"id": "1", "async_status": "Job Failed", "async_percent_completion": 0})
    with pytest.raises(SourceError, match="ended 'Job Failed'"):
        land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert not (tmp_path / "meta").exists()


def test_lead_form_leads_land_with_the_email_hashed_and_nothing_else_personal(config, world, tmp_path):
    """Every instant-form lead of every day lands once; the e-mail only as the SHA-256 of its
    normalised form (people type it in any case, with spaces), which equals the hash of the CRM
    contact's address; no address, name or company reaches the landing zone."""
    truth = world.truth["form_leads"]
    contacts = world.truth["contacts"].set_index("contact_id")
    landed = []
    for day in sorted(set(truth.date)):
        land_day(meta, config("meta_graph"), day, tmp_path)
        landed.append(landing.read_partition(tmp_path, "meta", "form_leads", day).to_pandas())
    leads = pd.concat(landed).set_index("lead_id")
    assert sorted(leads.index) == sorted(truth.lead_id) and len(leads) > 0
    assert any(f.email != f.email.strip().lower() for f in world.form_leads)  # typed sloppily
    truth = truth.set_index("lead_id").loc[leads.index]
    assert (leads.ad_id == truth.ad_id).all() and (leads.created_time == truth.created_at).all()
    synced = truth.contact_id.notna()
    crm = contacts.loc[truth.contact_id[synced], "email"].map(email_sha256)
    assert (leads.email_sha256[synced].values == crm.values).all()
    text = leads.astype(str).to_string()
    assert "@" not in text and not any(contacts.email.str.split("@").str[0].map(text.__contains__))


def _land_direct_messages(config, days, root, **extra) -> pd.DataFrame:
    frames = []
    for day in days:
        land_day(meta, config("meta_graph", **extra), day, root)
        frames.append(landing.read_partition(root, "meta", "direct_messages", day).to_pandas())
    return pd.concat(frames, ignore_index=True)


def test_direct_messages_land_on_their_day_with_ids_and_direction_only(config, world, tmp_path):
    """Every message of every day lands once, on the day it was sent, with who sent it (the
    person's page-scoped id or our account) and whether it opened its conversation, including
    conversations that go on over several days and threads the page opened itself; no name,
    username or e-mail relay address reaches the landing zone."""
    truth = world.truth["direct_messages"]
    assert (truth.groupby("conversation_id").date.nunique() > 1).any(), "the test needs long threads"
    assert (truth.is_conversation_start & truth.is_from_page).any(), "and page-started threads"
    landed = _land_direct_messages(config, world.config.dates, tmp_path)
    assert landed.message_id.is_unique and sorted(landed.message_id) == sorted(truth.message_id)
    landed = landed.set_index("message_id").loc[truth.message_id]
    assert (landed.created_time.values == truth.sent_at.values).all()
    assert (landed.platform.map({"messenger": "facebook", "instagram": "instagram"}).values
            == truth.platform.values).all()
    assert (landed.is_from_page.values == truth.is_from_page.values).all()
    assert (landed.is_conversation_start.values == truth.is_conversation_start.values).all()
    assert (landed.conversation_id.values == truth.conversation_id.values).all()
    people = ~truth.is_from_page.values
    assert (landed.sender_id.values[people] == truth.person_id.values[people]).all()
    ours = landed[landed.is_from_page]
    assert (ours.sender_id == ours.account_id).all()
    assert set(landed.account_id) == {catalog.PAGE_ID, catalog.IG_USER_ID}
    text = landed.astype(str).to_string()
    names = {c.person_name for c in world.conversations}
    assert "@" not in text and not any(name in text for name in names)


def test_direct_messages_page_through_conversations_and_nested_messages(config, server, world,
                                                                       tmp_path):
    """Pages of two: the conversation list and each conversation's messages (a nested edge with
    its own `next`) are followed, and the walk stops at the first conversation last active
    before the day instead of reading the whole inbox."""
    day = world.config.dates[-2]
    path = f"/v24.0/{catalog.PAGE_ID}/conversations"
    expected = _land_direct_messages(config, [day], tmp_path / "whole")
    lists, nested = requests_to(server, path), requests_to(server, "/v24.0/t_")
    paged_ = _land_direct_messages(config, [day], tmp_path / "paged", page_size=2)
    assert paged_.message_id.is_unique and len(expected) > 0
    assert sorted(paged_.message_id) == sorted(expected.message_id)
    assert requests_to(server, "/v24.0/t_") > nested, "nested messages were paged"
    truth = world.truth["direct_messages"]
    whole_inbox = sum(-(-n // 2) for n in truth.groupby("platform").conversation_id.nunique())
    assert 2 <= requests_to(server, path) - lists < whole_inbox


def test_a_failing_message_page_fails_the_day_and_lands_nothing(config, server, world, tmp_path):
    server.add_fault("/v24.0/t_", 500, times=50)
    with pytest.raises(SourceError) as failure:
        land_day(meta, config("meta_graph", page_size=2), world.config.dates[-1], tmp_path)
    assert "meta/direct_messages" in str(failure.value)
    assert not (tmp_path / "meta").exists()


def test_throttled_conversation_list_is_retried(config, server, tmp_path):
    path = f"/v24.0/{catalog.PAGE_ID}/conversations"
    server.add_fault(path, **meta_throttle(80001), times=2)
    before = requests_to(server, path)
    counts = land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert counts["direct_messages"] > 0
    assert requests_to(server, path) - before == 4  # 2 throttled + messenger + instagram


def test_cursor_paging_returns_every_post_once(config, server, world, tmp_path):
    before = requests_to(server, POSTS_PATH)
    land_day(meta, config("meta_graph", page_size=1), DAY, tmp_path)
    posts = landing.read_partition(tmp_path, "meta", "page_posts", DAY).to_pandas()
    truth = world.truth["posts"]
    n_fb = int(((truth.platform == "facebook") & (truth.created_date == DAY)).sum())
    assert n_fb >= 2, "the test needs several pages"
    assert posts.post_id.is_unique and len(posts) == n_fb
    assert requests_to(server, POSTS_PATH) - before == n_fb  # one page per post, no extra call


def test_rerunning_a_day_replaces_its_partition(config, tmp_path):
    first = land_day(meta, config("meta_graph"), DAY, tmp_path)
    second = land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert first == second
    assert pq.read_table(landing.partition_file(tmp_path, "meta", "page_posts", DAY)).num_rows \
        == first["page_posts"]
    files = list((tmp_path / "meta" / "page_posts").glob("date=*/*"))
    assert [f.name for f in files if f.is_file()] == [landing.FILE_NAME]


def test_throttling_http_400_is_retried_until_success(config, server, tmp_path):
    throttle = {"error": {"message": "(#17) User request limit reached", "type": "OAuthException",
                          "is_transient": True, "code": 17, "error_subcode": 2446079,
                          "fbtrace_id": "AbC"}}
    server.add_fault(POSTS_PATH, 400, times=2, body=throttle)
    before = requests_to(server, POSTS_PATH)
    counts = land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert counts["page_posts"] > 0
    assert requests_to(server, POSTS_PATH) - before == 3


def test_server_error_is_retried(config, server, tmp_path):
    server.add_fault(POSTS_PATH, 503, times=1)
    counts = land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert counts["page_posts"] > 0


def test_persistent_failure_fails_the_day_and_keeps_the_previous_files(config, server, tmp_path):
    land_day(meta, config("meta_graph"), DAY, tmp_path)
    posts_file = landing.partition_file(tmp_path, "meta", "page_posts", DAY)
    before = posts_file.read_bytes()
    server.add_fault(f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights", 500, times=10)
    with pytest.raises(SourceError) as failure:
        land_day(meta, config("meta_graph"), DAY, tmp_path)
    assert "meta/ad_insights" in str(failure.value) and "2026-10-02" in str(failure.value)
    assert posts_file.read_bytes() == before, "nothing of the failed day was rewritten"


def test_expired_token_fails_fast_naming_the_connection(config, server, tmp_path):
    before = requests_to(server, POSTS_PATH)
    started = time.perf_counter()
    with pytest.raises(SourceAuthError) as failure:
        land_day(meta, config("meta_graph", token="wrong-token-5e1f"), DAY, tmp_path)
    assert "renew the Airflow connection 'meta_graph'" in str(failure.value)
    assert "wrong-token-5e1f" not in str(failure.value), "the token is never echoed"
    assert requests_to(server, POSTS_PATH) - before == 1, "auth errors are not retried"
    assert time.perf_counter() - started < 2
    assert not (tmp_path / "meta").exists()


def test_a_record_missing_a_required_field_is_named(config, server, tmp_path):
    bad = {"data": [{"id": "101000000000001_999", "message": "no created_time here"}],
           "paging": {"cursors": {"before": "a", "after": "b"}}}
    server.add_fault(POSTS_PATH, 200, times=1, body=bad)
    with pytest.raises(SchemaViolation) as failure:
        land_day(meta, config("meta_graph"), DAY, tmp_path)
    message = str(failure.value)
    assert "meta/page_posts" in message and "101000000000001_999" in message
    assert "created_time" in message


@pytest.mark.parametrize(("retired", "entity", "column"), [
    ("post_clicks", "page_posts", "post_clicks"),
    ("saved", "ig_media", "saved"),
])
def test_a_metric_meta_retires_lands_null_with_a_warning_and_the_day_goes_on(
        config, server, world, tmp_path, caplog, retired, entity, column):
    """Meta answers a retired metric with "(#100) The value must be a valid insights metric" for
    the whole request: the connector keeps the metrics still answered and names the other."""
    server.meta.retired.add(retired)
    try:
        counts = land_day(meta, config("meta_graph"), DAY, tmp_path)
    finally:
        server.meta.retired.clear()
    landed = landing.read_partition(tmp_path, "meta", entity, DAY).to_pandas()
    assert counts[entity] == len(landed) > 0
    assert landed[column].isna().all()
    other = {"page_posts": "post_media_view", "ig_media": "views"}[entity]
    assert landed[other].notna().all() and landed[other].sum() > 0
    assert any(retired in r.getMessage() and "invalid" in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")


@pytest.mark.parametrize(("retired", "platform", "column"), [
    ("page_follows", "facebook", "followers"),
    ("views", "instagram", "views"),
])
def test_a_retired_account_metric_lands_null_and_the_rest_of_the_account_lands(
        config, server, world, tmp_path, caplog, retired, platform, column):
    """Followers, views and reach of one account come in one request (two for Instagram): a
    metric Meta retires fails its request, the connector asks again without it, lands it NULL
    with a warning naming it, and keeps the other metrics of both accounts."""
    server.meta.retired.add(retired)
    try:
        land_day(meta, config("meta_graph"), DAY, tmp_path)
    finally:
        server.meta.retired.clear()
    landed = landing.read_partition(tmp_path, "meta", "account_insights", DAY).to_pandas()
    landed = landed.set_index("platform")[["followers", "views", "reach"]]
    assert sorted(landed.index) == ["facebook", "instagram"]
    assert pd.isna(landed.loc[platform, column])
    followers = meta_truth(world, "followers")
    truth = followers[followers.date == DAY].merge(world.truth["account_insights"], on=["platform", "date"])
    truth = truth.set_index("platform")[["followers", "views", "reach"]]
    truth.loc[platform, column] = None
    assert landed.astype("Float64").equals(truth.astype("Float64").loc[landed.index])
    assert any(retired in r.getMessage() and "account_insights" in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")


@pytest.mark.parametrize(("minutes", "waited"), [(0.02, 2), (60, 3)])  # 1.2 s → 2 s; 1 h → the cap
def test_a_throttle_waits_as_long_as_meta_says(config, server, tmp_path, minutes, waited):
    """Meta's usage header says when a throttled caller regains access (minutes); the retry waits
    that long, capped at the connection's max_retry_delay (3 s here), instead of backing off."""
    throttle = {"error": {"message": "(#80001) There have been too many calls to this Page account.",
                          "type": "OAuthException", "code": 80001, "fbtrace_id": "AbC"}}
    usage = {catalog.PAGE_ID: [{"type": "pages", "call_count": 100, "total_cputime": 40,
                                "total_time": 40, "estimated_time_to_regain_access": minutes}]}
    server.add_fault(POSTS_PATH, 400, times=1, body=throttle,
                     headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    before = requests_to(server, POSTS_PATH)
    started = time.perf_counter()
    counts = land_day(meta, config("meta_graph"), DAY, tmp_path)
    elapsed = time.perf_counter() - started
    assert counts["page_posts"] > 0 and requests_to(server, POSTS_PATH) - before == 2
    assert waited <= elapsed < waited + 2.5


def _ig_media_of(world, day: date) -> list[str]:
    posts = world.truth["posts"]
    return sorted(posts[(posts.platform == "instagram") & (posts.created_date == day)].post_id)


def test_media_without_insights_land_null_metrics_and_the_day_goes_on(config, server, world, tmp_path,
                                                                     caplog):
    """Meta answers an unavailable media's insights with an empty `data` list, a story seen by too
    few people with #10 "Not enough viewers", media older than the business account with #100 /
    2108006 (api_shapes.md §2.2): those media land with NULL metrics (unknown, not 0)."""
    day = next(d for d in world.config.dates if len(_ig_media_of(world, d)) >= 3)
    empty, few_viewers, too_old = _ig_media_of(world, day)[:3]
    server.add_fault(f"/v24.0/{empty}/insights", 200, body={"data": []})
    server.add_fault(f"/v24.0/{few_viewers}/insights", 400, body={"error": {
        "message": "(#10) Not enough viewers for the media to show insights", "type": "OAuthException",
        "code": 10, "fbtrace_id": "AbC"}})
    server.add_fault(f"/v24.0/{too_old}/insights", 400, body={"error": {
        "message": "Invalid parameter", "type": "OAuthException", "code": 100,
        "error_subcode": 2108006, "is_transient": False,
        "error_user_title": "Media posted before business account conversion", "fbtrace_id": "AbD"}})
    land_day(meta, config("meta_graph"), day, tmp_path)
    media = landing.read_partition(tmp_path, "meta", "ig_media", day).to_pandas().set_index("media_id")
    unknown = [empty, few_viewers, too_old]
    assert media.loc[unknown, list(meta.IG_MEDIA_METRICS)].isna().all().all()
    assert media.loc[unknown, "like_count"].notna().all(), "fields of the media itself still land"
    rest = media.drop(index=unknown)
    truth = world.truth["posts"].set_index("post_id").loc[rest.index]
    assert (rest.views == truth.views).all() and (rest.reach == truth.reach).all()
    warnings = " ".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert f"record={few_viewers}" in warnings and "Not enough viewers" in warnings
    assert f"record={too_old}" in warnings and "business account conversion" in warnings


def test_a_permission_error_on_media_insights_fails_the_day(config, server, world, tmp_path):
    """#10 is also "Application does not have permission": that is no missing data, it is a
    token without instagram_manage_insights, and must stop the day."""
    day = next(d for d in world.config.dates if _ig_media_of(world, d))
    server.add_fault(f"/v24.0/{_ig_media_of(world, day)[0]}/insights", 400, body={"error": {
        "message": "(#10) Application does not have permission for this action",
        "type": "OAuthException", "code": 10, "fbtrace_id": "AbE"}})
    with pytest.raises(SourceError, match=r"meta/ig_media day=.*does not have permission"):
        land_day(meta, config("meta_graph"), day, tmp_path)
    assert not (tmp_path / "meta" / "ig_media").exists()
