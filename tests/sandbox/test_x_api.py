"""The sandbox's X API v2: documented shapes, paging, the 30-day rule, rate limits, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import requests

from social_roi.sandbox import catalog
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.x_api import DEFAULT_LIMITS

from .conftest import SMALL, TOKEN

TWEETS = f"/2/users/{catalog.X_USER_ID}/tweets"
USER = f"/2/users/{catalog.X_USER_ID}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def x(small_world):
    with SandboxServer(small_world, token=TOKEN) as srv:
        yield srv


def get(srv, path, **params):
    return requests.get(srv.base_url + path, params=params, headers=AUTH)


def test_timeline_pages_with_next_token_until_it_is_gone(x, small_world):
    posts = sorted((p for p in small_world.posts if p.platform == "x"),
                   key=lambda p: (p.created_ts, p.post_id), reverse=True)
    seen, token, pages = [], None, 0
    while True:
        params = {"max_results": 5, "tweet.fields": "created_at,public_metrics"}
        body = get(x, TWEETS, **params, **({"pagination_token": token} if token else {})).json()
        pages += 1
        seen += [t["id"] for t in body.get("data", [])]
        assert body["meta"]["result_count"] == len(body.get("data", []))
        token = body["meta"].get("next_token")
        if token is None:
            break
    assert seen == [p.post_id for p in posts] and pages == -(-len(posts) // 5)  # newest first


def test_a_tweet_has_the_documented_fields_and_a_t_co_link(x, small_world):
    start = f"{SMALL.dates[1]}T00:00:00Z"
    end = f"{SMALL.dates[2]}T00:00:00Z"
    body = get(x, TWEETS, start_time=start, end_time=end,
               **{"tweet.fields": "created_at,public_metrics,non_public_metrics,entities"}).json()
    tweet = body["data"][0]
    assert set(tweet) == {"id", "text", "edit_history_tweet_ids", "created_at", "public_metrics",
                          "non_public_metrics", "entities"}
    assert set(tweet["public_metrics"]) == {"retweet_count", "reply_count", "like_count",
                                            "quote_count", "bookmark_count", "impression_count"}
    assert set(tweet["non_public_metrics"]) == {"impression_count", "url_link_clicks",
                                                "user_profile_clicks"}
    [url] = tweet["entities"]["urls"]
    assert tweet["text"][url["start"]:url["end"]] == url["url"] and url["url"].startswith("https://t.co/")
    assert f"utm_content={tweet['id']}" in url["expanded_url"]
    assert start <= tweet["created_at"] < end
    assert body["meta"]["newest_id"] == tweet["id"]


def test_an_empty_window_has_no_data_key(x):
    body = get(x, TWEETS, start_time="2020-01-01T00:00:00Z", end_time="2020-01-02T00:00:00Z").json()
    assert body == {"meta": {"result_count": 0}}


@pytest.mark.parametrize("params", [{"max_results": 4}, {"max_results": 101},
                                    {"tweet.fields": "nonsense"}, {"start_time": "2026-10-01"},
                                    {"pagination_token": "forged"}])
def test_invalid_parameters_are_a_400_naming_them(x, params):
    r = get(x, TWEETS, **params)
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert list(body["errors"][0]["parameters"]) == list(params)


def test_non_public_metrics_leave_posts_older_than_30_days_out(x):
    x.x.clock.set(SMALL.start + timedelta(days=31))
    public = get(x, TWEETS, max_results=100, **{"tweet.fields": "created_at"}).json()["data"]
    private = get(x, TWEETS, max_results=100, **{"tweet.fields": "organic_metrics"}).json()["data"]
    cutoff = (SMALL.start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert {t["id"] for t in private} == {t["id"] for t in public if t["created_at"] >= cutoff}
    assert len(private) < len(public)
    assert all("organic_metrics" in t for t in private)


def test_every_answer_carries_its_rate_limit_window_and_the_last_call_is_refused(x):
    x.x.set_rate_limit("tweets", 2, 60)
    first, second, third = (get(x, TWEETS) for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [200, 200, 429]
    assert [r.headers["x-rate-limit-remaining"] for r in (first, second, third)] == ["1", "0", "0"]
    assert {r.headers["x-rate-limit-limit"] for r in (first, second, third)} == {"2"}
    reset = int(third.headers["x-rate-limit-reset"])
    now = parsedate_to_datetime(third.headers["Date"]).timestamp()
    assert 0 < reset - now <= 61
    assert third.json() == {"title": "Too Many Requests", "type": "about:blank", "status": 429,
                            "detail": "Too Many Requests"}
    assert get(x, USER).status_code == 200, "windows are per endpoint"
    x.x.set_rate_limit("tweets", *DEFAULT_LIMITS["tweets"])


def test_a_wrong_token_gets_the_documented_401(x):
    r = requests.get(x.base_url + USER, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == {"title": "Unauthorized", "type": "about:blank", "status": 401,
                        "detail": "Unauthorized"}


def test_the_clock_dates_answers_and_sets_what_is_visible(x, small_world):
    assert parsedate_to_datetime(get(x, USER).headers["Date"]) >= SMALL.end
    day = SMALL.dates[2]
    x.x.clock.set(datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=1))
    user = get(x, USER, **{"user.fields": "public_metrics"}).json()["data"]
    followers = small_world.followers[("x", SMALL.dates[1])][0]
    assert user["public_metrics"]["followers_count"] == followers  # the end of the day before
    newest = get(x, TWEETS, **{"tweet.fields": "created_at"}).json()["data"][0]["created_at"]
    assert newest < f"{day}T01:00:00", "no Post from the future"


def test_an_unknown_user_is_a_partial_error_with_http_200(x):
    r = get(x, "/2/users/1500000000000000999")
    assert r.status_code == 200 and "data" not in r.json()
    assert r.json()["errors"][0]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
