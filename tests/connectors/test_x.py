"""The X connector against the sandbox's X API (a busier world than the shared one: X pages hold
at least 5 Posts, and paging needs days with more)."""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import pyarrow.parquet as pq
import pytest
import requests

from social_roi import landing
from social_roi.connectors import x
from social_roi.connectors.base import SourceConfig, land_day
from social_roi.errors import SchemaViolation, SourceAuthError, SourceError
from social_roi.sandbox import catalog
from social_roi.sandbox.faults import x_server_error
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.wire import encode_cursor
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.sandbox.x_api import DEFAULT_LIMITS

from .conftest import TOKEN, requests_to

WORLD = WorldConfig(seed=7, start_date=date(2026, 10, 1), days=3, scale=5)
DAY = date(2026, 10, 2)
TWEETS = f"/2/users/{catalog.X_USER_ID}/tweets"
USER = f"/2/users/{catalog.X_USER_ID}"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@pytest.fixture(scope="module")
def x_world():
    return generate_world(WORLD)


@pytest.fixture(scope="module")
def x_server(x_world):
    with SandboxServer(x_world, token=TOKEN) as srv:
        yield srv


@pytest.fixture(scope="module", autouse=True)
def _warm(x_server, tmp_path_factory):
    """One run before the timed tests, so that first-use imports do not count as waiting."""
    config = SourceConfig("x", x_server.base_url, TOKEN, {"user_id": catalog.X_USER_ID})
    land_day(x, config, DAY, tmp_path_factory.mktemp("warm"))


@pytest.fixture(autouse=True)
def _fresh_x(x_server):
    """Every test starts at the day after DAY (a scheduled run), with X's usual windows."""
    def reset():
        x_server.clear_faults()
        for endpoint, (limit, window) in DEFAULT_LIMITS.items():
            x_server.x.set_rate_limit(endpoint, limit, window)
        x_server.x.clock.set(midnight(DAY + timedelta(days=1)) + timedelta(minutes=5))

    reset()
    yield
    reset()


@pytest.fixture
def x_config(x_server):
    def make(token: str = TOKEN, max_retry_delay: float = 3, **extra) -> SourceConfig:
        return SourceConfig("x", x_server.base_url, token, {"user_id": catalog.X_USER_ID, **extra},
                            max_attempts=4, backoff_factor=0.01, max_retry_delay=max_retry_delay)

    return make


def truth_of(world, day: date):
    posts = world.truth["posts"]
    return posts[(posts.platform == "x") & (posts.created_date == day)].set_index("post_id")


def landed(root, entity: str, day: date = DAY):
    return landing.read_partition(root, "x", entity, day).to_pandas()


def test_lands_the_days_posts_and_followers_matching_the_truth(x_config, x_world, tmp_path):
    counts = land_day(x, x_config(), DAY, tmp_path)

    truth = truth_of(x_world, DAY)
    assert counts == {"tweets": len(truth), "account_followers": 1} and len(truth) > 10
    tweets = landed(tmp_path, "tweets").set_index("tweet_id").loc[truth.index]
    assert (tweets.like_count == truth.reactions).all()
    assert (tweets.reply_count == truth.comments).all()
    assert (tweets.retweet_count + tweets.quote_count == truth.shares).all()
    assert (tweets.impression_count == truth.views).all()
    assert (tweets.url_link_clicks == truth.link_clicks).all()
    assert (tweets.author_id == catalog.X_USER_ID).all()
    assert tweets.created_at.between(midnight(DAY), midnight(DAY + timedelta(days=1))).all()
    # the text carries a t.co link; the tracked URL (utm_content = the Post's id) is kept
    urls = tweets.expanded_urls.map(json.loads)
    assert all(f"utm_content={tid}" in u[0] for tid, u in urls.items())
    assert tweets.text.str.contains("https://t.co/").all()

    [followers] = landed(tmp_path, "account_followers").to_dict("records")
    truth_followers = x_world.truth["followers"]
    expected = truth_followers[(truth_followers.platform == "x") & (truth_followers.date == DAY)]
    assert followers["followers_count"] == expected.followers.item()
    assert followers["date"] == DAY and followers["account_id"] == catalog.X_USER_ID


def test_next_token_paging_fetches_every_page_once(x_config, x_server, x_world, tmp_path):
    n = len(truth_of(x_world, DAY))
    before = requests_to(x_server, TWEETS)
    land_day(x, x_config(page_size=5), DAY, tmp_path)
    tweets = landed(tmp_path, "tweets")
    assert n > 10, "the test needs three pages or more"
    assert tweets.tweet_id.is_unique and sorted(tweets.tweet_id) == sorted(truth_of(x_world, DAY).index)
    assert requests_to(x_server, TWEETS) - before == math.ceil(n / 5)


def test_a_page_that_is_empty_but_has_a_next_token_does_not_stop_paging(x_config, x_server,
                                                                         x_world, tmp_path):
    """The documented edge case: result_count 0 with a next_token (X filters after paging)."""
    x_server.add_fault(TWEETS, 200, body={"meta": {"result_count": 0, "next_token": encode_cursor(0)}})
    land_day(x, x_config(), DAY, tmp_path)
    assert sorted(landed(tmp_path, "tweets").tweet_id) == sorted(truth_of(x_world, DAY).index)


def test_only_the_days_window_lands_and_an_empty_day_is_an_empty_partition(x_config, x_server,
                                                                          x_world, tmp_path):
    x_server.x.clock.set(WORLD.end)
    for day in WORLD.dates:
        land_day(x, x_config(), day, tmp_path)
        assert sorted(landed(tmp_path, "tweets", day).tweet_id) == sorted(truth_of(x_world, day).index)
    quiet = WORLD.start_date - timedelta(days=3)  # before the account posted anything in the world
    assert land_day(x, x_config(), quiet, tmp_path)["tweets"] == 0
    assert landed(tmp_path, "tweets", quiet).empty


def test_a_used_up_window_is_waited_for_until_its_reset(x_config, x_server, x_world, tmp_path):
    """Two calls per 2-second window: the third page waits for x-rate-limit-reset instead of
    running into a 429."""
    pages_needed = math.ceil(len(truth_of(x_world, DAY)) / 5)
    assert pages_needed >= 3
    x_server.x.set_rate_limit("tweets", 2, 2.0)
    before = requests_to(x_server, TWEETS)
    started = time.perf_counter()
    land_day(x, x_config(page_size=5), DAY, tmp_path)
    waited = time.perf_counter() - started
    assert requests_to(x_server, TWEETS) - before == pages_needed, "no call was refused"
    windows = math.ceil(pages_needed / 2) - 1  # waits between windows
    assert windows * 1.0 <= waited <= windows * 3.0 + 1.0


def test_a_429_waits_until_the_reset_and_is_then_retried(x_config, x_server, tmp_path):
    x_server.x.set_rate_limit("tweets", 1, 2.0)
    other_client = requests.get(x_server.base_url + TWEETS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert other_client.headers["x-rate-limit-remaining"] == "0"
    # what X says is left of the window, on its own clock (second granularity)
    reset_in = (int(other_client.headers["x-rate-limit-reset"])
                - parsedate_to_datetime(other_client.headers["Date"]).timestamp())
    before = requests_to(x_server, TWEETS)
    started = time.perf_counter()
    counts = land_day(x, x_config(), DAY, tmp_path)
    waited = time.perf_counter() - started
    assert counts["tweets"] > 0
    assert requests_to(x_server, TWEETS) - before == 2, "one 429, one retry after the reset"
    assert 1.0 <= reset_in <= 3.0
    assert reset_in - 1.0 <= waited <= reset_in + 1.0, "until the reset, not the 0.01 s backoff"


def test_a_reset_beyond_max_retry_delay_fails_the_day_after_bounded_waits(x_config, x_server,
                                                                           tmp_path):
    land_day(x, x_config(), DAY, tmp_path)
    before = landing.partition_file(tmp_path, "x", "tweets", DAY).read_bytes()
    x_server.x.set_rate_limit("tweets", 1, 600.0)
    requests.get(x_server.base_url + TWEETS, headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.perf_counter()
    with pytest.raises(SourceError, match=r"\[x/tweets day=2026-10-02\] HTTP 429"):
        land_day(x, x_config(max_retry_delay=0.3), DAY, tmp_path)
    assert time.perf_counter() - started < 3, "each wait is capped at max_retry_delay"
    assert landing.partition_file(tmp_path, "x", "tweets", DAY).read_bytes() == before


def test_server_errors_are_retried(x_config, x_server, tmp_path):
    x_server.add_fault(TWEETS, times=2, **x_server_error(503))
    before = requests_to(x_server, TWEETS)
    assert land_day(x, x_config(), DAY, tmp_path)["tweets"] > 0
    assert requests_to(x_server, TWEETS) - before == 3


def test_a_page_failing_after_its_retries_fails_the_day_and_writes_nothing(x_config, x_server,
                                                                           tmp_path):
    land_day(x, x_config(), DAY, tmp_path)
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    x_server.add_fault(TWEETS, times=10, **x_server_error(500))
    with pytest.raises(SourceError) as failure:
        land_day(x, x_config(page_size=5), DAY, tmp_path)
    assert "x/tweets" in str(failure.value) and "2026-10-02" in str(failure.value)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files


def test_a_refused_token_fails_fast_naming_the_connection(x_config, x_server, tmp_path):
    before = requests_to(x_server, "/2/")
    started = time.perf_counter()
    with pytest.raises(SourceAuthError) as failure:
        land_day(x, x_config(token="wrong-token-7c2d"), DAY, tmp_path)
    message = str(failure.value)
    assert "renew the Airflow connection 'x'" in message and "Unauthorized" in message
    assert "wrong-token-7c2d" not in message, "the token is never echoed"
    assert requests_to(x_server, "/2/") - before == 1, "auth errors are not retried"
    assert time.perf_counter() - started < 2
    assert not (tmp_path / "x").exists()


def test_an_unknown_user_id_is_named(x_config, tmp_path):
    with pytest.raises(SourceError, match=r"user_id 1500000000000000999 was refused.*Could not find user"):
        land_day(x, x_config(user_id="1500000000000000999"), DAY, tmp_path)


def test_non_public_metrics_only_within_30_days_and_no_post_is_lost(x_config, x_server, x_world,
                                                                    tmp_path):
    """X's clock 30 days and 17 hours after DAY began: Posts before 18:00 (30 days ago, with the
    hour of margin) are asked for without non-public metrics, the later ones with them."""
    x_server.x.clock.set(midnight(DAY) + timedelta(days=30, hours=17))
    before = requests_to(x_server, TWEETS)
    land_day(x, x_config(), DAY, tmp_path)
    assert requests_to(x_server, TWEETS) - before == 2, "the day's window is split at the horizon"

    truth = truth_of(x_world, DAY)
    tweets = landed(tmp_path, "tweets").set_index("tweet_id")
    assert sorted(tweets.index) == sorted(truth.index), "every Post of the day, old or not"
    old = tweets.created_at < midnight(DAY) + timedelta(hours=18)
    assert old.any() and (~old).any()
    assert tweets[old].url_link_clicks.isna().all() and tweets[old].user_profile_clicks.isna().all()
    recent = tweets[~old]
    assert (recent.url_link_clicks == truth.loc[recent.index].link_clicks).all()
    assert tweets.like_count.notna().all(), "public metrics have no age limit"


def test_a_backfill_after_30_days_keeps_the_non_public_metrics_landed_before(x_config, x_server,
                                                                             x_world, tmp_path):
    land_day(x, x_config(), DAY, tmp_path)
    x_server.x.clock.set(midnight(DAY) + timedelta(days=45))
    land_day(x, x_config(), DAY, tmp_path)
    truth = truth_of(x_world, DAY)
    tweets = landed(tmp_path, "tweets").set_index("tweet_id").loc[truth.index]
    assert (tweets.url_link_clicks == truth.link_clicks).all(), "not forgotten by the rerun"
    assert (tweets.observed_at >= midnight(DAY) + timedelta(days=45)).all(), "public ones refreshed"
    fresh = tmp_path / "fresh"
    land_day(x, x_config(), DAY, fresh)  # a first extraction that late has none
    assert landed(fresh, "tweets").url_link_clicks.isna().all()


def test_asking_the_sandbox_for_non_public_metrics_drops_older_posts(x_server):
    """What the connector avoids: the timeline silently leaves Posts older than 30 days out."""
    x_server.x.clock.set(midnight(DAY) + timedelta(days=30, hours=17))
    params = {"start_time": f"{DAY}T00:00:00Z", "end_time": f"{DAY + timedelta(days=1)}T00:00:00Z",
              "max_results": 100}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    public = requests.get(x_server.base_url + TWEETS, headers=headers,
                          params={**params, "tweet.fields": "public_metrics"}).json()
    private = requests.get(x_server.base_url + TWEETS, headers=headers,
                           params={**params, "tweet.fields": "non_public_metrics"}).json()
    assert 0 < private["meta"]["result_count"] < public["meta"]["result_count"]


def test_followers_land_only_when_the_run_follows_the_day_and_reruns_keep_them(x_config, x_server,
                                                                               tmp_path):
    first = land_day(x, x_config(), DAY, tmp_path)
    followers_file = landing.partition_file(tmp_path, "x", "account_followers", DAY)
    landed_bytes = followers_file.read_bytes()
    assert first["account_followers"] == 1

    x_server.x.clock.set(midnight(DAY) + timedelta(days=9))  # a backfill a week later
    again = land_day(x, x_config(), DAY, tmp_path)
    assert again == first
    assert followers_file.read_bytes() == landed_bytes, "the scheduled run's count stays"
    tweets = landed(tmp_path, "tweets")
    assert (tweets.observed_at >= midnight(DAY) + timedelta(days=9)).all(), "metrics are refreshed"

    other = DAY + timedelta(days=1)  # never run while it was current: unobserved, not missing
    assert land_day(x, x_config(), other, tmp_path)["account_followers"] == 0
    assert landed(tmp_path, "account_followers", other).empty
    status = json.loads(landing.status_file(tmp_path, "x", other).read_text())
    assert status["configured"] is True and status["rows"]["account_followers"] == 0


def _page(**changes) -> dict:
    tweet = {"id": "1973000000000000042", "text": "A post https://t.co/abc", "author_id": catalog.X_USER_ID,
             "edit_history_tweet_ids": ["1973000000000000042"], "created_at": f"{DAY}T15:00:00.000Z",
             "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0,
                                "bookmark_count": 0, "impression_count": 99}}
    tweet.update(changes)
    return {"data": [{k: v for k, v in tweet.items() if v is not None}], "meta": {"result_count": 1}}


def test_an_unknown_new_field_is_kept_and_named(x_config, x_server, tmp_path, caplog):
    body = _page(community_id="1600000000000000001")
    body["data"][0]["public_metrics"]["view_count"] = 120
    x_server.add_fault(TWEETS, 200, body=body)
    with caplog.at_level(logging.WARNING, logger="social_roi.connectors.base"):
        land_day(x, x_config(), DAY, tmp_path)
    [row] = landed(tmp_path, "tweets").to_dict("records")
    assert json.loads(row["extra_fields"]) == {"community_id": "1600000000000000001",
                                                 "public_metrics.view_count": 120}
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "x/tweets day=2026-10-02" in warning
    assert "community_id" in warning and "public_metrics.view_count" in warning
    # staging reads it: union_by_name keeps the column, extra_fields is part of the contract
    assert "extra_fields" in pq.read_schema(landing.contract_file(tmp_path, "x", "tweets")).names


def test_a_count_of_the_wrong_type_fails_naming_the_post(x_config, x_server, tmp_path):
    body = _page()
    body["data"][0]["public_metrics"]["like_count"] = "lots"
    x_server.add_fault(TWEETS, 200, body=body)
    with pytest.raises(SchemaViolation) as failure:
        land_day(x, x_config(), DAY, tmp_path)
    message = str(failure.value)
    assert "x/tweets day=2026-10-02 record=1973000000000000042" in message
    assert "like_count" in message and "'lots'" in message
    assert not (tmp_path / "x" / "tweets").exists()


def test_a_missing_required_field_is_named(x_config, x_server, tmp_path):
    x_server.add_fault(TWEETS, 200, body=_page(author_id=None))
    with pytest.raises(SchemaViolation,
                       match=r"x/tweets day=2026-10-02 record=1973000000000000042.*author_id"):
        land_day(x, x_config(), DAY, tmp_path)


def test_an_app_only_token_can_switch_non_public_metrics_off(x_config, x_server, tmp_path):
    before = requests_to(x_server, TWEETS)
    land_day(x, x_config(non_public_metrics="false"), DAY, tmp_path)
    tweets = landed(tmp_path, "tweets")
    assert len(tweets) > 0 and tweets.url_link_clicks.isna().all() and tweets.like_count.notna().all()
    assert requests_to(x_server, TWEETS) - before == 1
