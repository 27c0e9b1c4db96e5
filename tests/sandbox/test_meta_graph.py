"""Meta Graph routes: shapes, cursor paging, metric validation, and totals equal to the truth."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests

from social_roi.sandbox import catalog

from .conftest import DEFAULT, TOKEN

POSTS = f"/v24.0/{catalog.PAGE_ID}/posts"
MEDIA = f"/v24.0/{catalog.IG_USER_ID}/media"
ADS = f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights"
POST_FIELDS = (
    "id,created_time,message,permalink_url,status_type,shares,"
    "comments.summary(true).limit(0),"
    "insights.metric(post_media_view,post_total_media_view_unique,post_clicks,"
    "post_reactions_by_type_total)"
)
AD_FIELDS = (
    "account_currency,account_id,campaign_id,campaign_name,adset_id,adset_name,ad_id,"
    "ad_name,impressions,reach,clicks,inline_link_clicks,spend,cpc,ctr,actions"
)
WINDOW = {"since": DEFAULT.start_ts, "until": DEFAULT.end_ts}


def walk(server, path: str, **params) -> tuple[list[dict], list[dict]]:
    """Follow paging.next like a connector; returns (records, raw pages)."""
    url, pages = server.base_url + path, []
    params = {"access_token": TOKEN, **params}
    while url:
        r = requests.get(url, params=params, timeout=10)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        url, params = pages[-1].get("paging", {}).get("next"), None
        assert len(pages) < 1000
    return [rec for page in pages for rec in page["data"]], pages


def values(record: dict) -> dict:
    return {m["name"]: m["values"][0]["value"] for m in record["insights"]["data"]}


def test_page_posts_walk_returns_each_post_once_with_truthful_metrics(server, world):
    posts, pages = walk(server, POSTS, fields=POST_FIELDS, limit=7, **WINDOW)
    truth = world.truth["posts"].query("platform == 'facebook'").set_index("post_id")
    ids = [p["id"] for p in posts]
    assert len(ids) == len(set(ids)) == len(truth) and set(ids) == set(truth.index)
    assert all("next" in p["paging"] for p in pages[:-1]) and "next" not in pages[-1]["paging"]
    assert all(len(p["data"]) == 7 for p in pages[:-1])
    times = [p["created_time"] for p in posts]
    assert times == sorted(times, reverse=True)  # newest first
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", t) for t in times)

    for p in posts:
        t, v = truth.loc[p["id"]], values(p)
        assert p["id"].startswith(f"{catalog.PAGE_ID}_")
        assert v["post_media_view"] == t.views and v["post_total_media_view_unique"] == t.reach
        assert v["post_clicks"] == t.link_clicks
        assert sum(v["post_reactions_by_type_total"].values()) == t.reactions
        assert set(v["post_reactions_by_type_total"]) <= {"like", "love", "wow", "haha", "sad", "angry"}
        assert p["comments"] == {
            "data": [],
            "summary": {"order": "chronological", "total_count": int(t.comments), "can_comment": True},
        }
        assert p.get("shares", {"count": 0})["count"] == t.shares
        assert ("shares" in p) == (t.shares > 0)  # omitted when nobody shared, like Meta
        assert f"utm_content={p['id']}" in p["message"] and "utm_source=facebook" in p["message"]
        metric = p["insights"]["data"][0]
        assert (
            metric["period"] == "lifetime" and metric["id"] == f"{p['id']}/insights/{metric['name']}/lifetime"
        )


def test_since_until_selects_the_posts_created_in_the_window(server, world):
    day = DEFAULT.dates[4]
    since = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    posts, _ = walk(server, POSTS, fields="id,created_time", since=since, until=since + 86400)
    truth = world.truth["posts"].query("platform == 'facebook' and created_date == @day")
    assert sorted(p["id"] for p in posts) == sorted(truth.post_id) and len(truth) > 0


def test_before_cursor_goes_back_a_page(server):
    first = requests.get(server.base_url + POSTS, params={"access_token": TOKEN, "limit": 3}).json()
    second = requests.get(first["paging"]["next"]).json()
    back = requests.get(second["paging"]["previous"]).json()
    assert back["data"] == first["data"]
    assert "previous" not in first["paging"]


def test_instagram_media_and_insights_match_truth(server, world, http):
    media, _ = walk(
        server,
        MEDIA,
        limit=25,
        fields="id,caption,timestamp,media_type,media_product_type,permalink,like_count,comments_count",
        **WINDOW,
    )
    truth = world.truth["posts"].query("platform == 'instagram'").set_index("post_id")
    assert sorted(m["id"] for m in media) == sorted(truth.index)
    for m in media[:15]:
        t = truth.loc[m["id"]]
        assert m["like_count"] == t.reactions and m["comments_count"] == t.comments
        assert (
            m["media_type"] in ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")
            and "utm_content=" + m["id"] in m["caption"]
        )
        r = http.get(
            f"{server.base_url}/v24.0/{m['id']}/insights",
            params={"metric": "views,reach,saved,shares,likes,comments"},
        )
        got = {d["name"]: d["values"][0]["value"] for d in r.json()["data"]}
        assert got == {
            "views": t.views,
            "reach": t.reach,
            "saved": t.saves,
            "shares": t.shares,
            "likes": t.reactions,
            "comments": t.comments,
        }


def test_ads_insights_rows_are_strings_and_sum_to_truth(server, world):
    rows, pages = walk(
        server,
        ADS,
        level="ad",
        time_increment=1,
        fields=AD_FIELDS,
        limit=50,
        breakdowns="publisher_platform",
        time_range=json.dumps({"since": str(DEFAULT.start_date), "until": str(DEFAULT.dates[-1])}),
    )
    truth = world.truth["ad_daily"].query("platform != 'linkedin'")  # LinkedIn Ads: its own API
    assert len(rows) == len(truth) and len(pages) == -(-len(truth) // 50)
    numeric = ("impressions", "reach", "clicks", "inline_link_clicks", "spend", "cpc", "ctr")
    for row in rows:
        assert all(isinstance(row[k], str) for k in numeric if k in row)
        assert all(isinstance(a["value"], str) for a in row.get("actions", []))
        assert row["date_start"] == row["date_stop"] and row["account_currency"] == "USD"
        assert row["publisher_platform"] in ("facebook", "instagram")
        assert float(row["spend"]) >= 0
    assert sum(float(r["spend"]) for r in rows) == pytest.approx(truth.spend.sum(), abs=0.005)
    assert sum(int(r["inline_link_clicks"]) for r in rows) == truth.link_clicks.sum()
    assert sum(int(r["impressions"]) for r in rows) == truth.impressions.sum()
    actions = {
        "lead": "platform_leads",
        "link_click": "link_clicks",
        "landing_page_view": "landing_page_views",
        "post_reaction": "post_reactions",
    }
    for action, column in actions.items():
        served = sum(
            int(a["value"]) for r in rows for a in r.get("actions", []) if a["action_type"] == action
        )
        assert served == truth[column].sum(), action
    keys = {(r["ad_id"], r["date_start"]) for r in rows}
    assert keys == {(a, str(d)) for a, d in zip(truth.ad_id, truth.date, strict=True)}
    by_platform = truth.groupby("platform").link_clicks.sum()
    for platform, clicks in by_platform.items():
        assert (
            sum(int(r["inline_link_clicks"]) for r in rows if r["publisher_platform"] == platform) == clicks
        )


def test_ads_insights_campaign_level_and_whole_range(server, world, http):
    r = http.get(
        server.base_url + ADS,
        params={
            "level": "campaign",
            "fields": "campaign_name,spend,ad_id",
            "limit": 100,
            "time_range": json.dumps({"since": str(DEFAULT.start_date), "until": str(DEFAULT.dates[-1])}),
        },
    )
    rows = r.json()["data"]
    truth = world.truth["ad_daily"].query("platform != 'linkedin'").groupby("campaign_name").spend.sum()
    assert {x["campaign_name"]: round(float(x["spend"]), 2) for x in rows} == {
        k: round(v, 2) for k, v in truth.items()
    }
    assert all("ad_id" not in x and x["date_start"] == str(DEFAULT.start_date) for x in rows)


@pytest.mark.parametrize(
    "path,params",
    [
        (POSTS, {"fields": "id,insights.metric(post_impressions_unique,post_clicks)"}),
        (POSTS, {"fields": "id,insights.metric(post_impressions)"}),
        ("facebook", {"metric": "page_fans"}),
        ("facebook", {"metric": "post_clicks,post_impressions_organic_unique"}),
        ("instagram", {"metric": "impressions,reach"}),
        ("instagram", {"metric": "plays"}),
    ],
)
def test_deprecated_metrics_are_an_invalid_metric_error(server, world, http, path, params):
    if not path.startswith("/"):  # the insights edge of one post / media of that platform
        path = f"/v24.0/{next(p.post_id for p in world.posts if p.platform == path)}/insights"
    r = http.get(server.base_url + path, params=params)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["message"] == "(#100) The value must be a valid insights metric"
    assert error["code"] == 100 and error["type"] == "OAuthException" and error["fbtrace_id"]


PAGE_INSIGHTS = f"/v24.0/{catalog.PAGE_ID}/insights"
IG_INSIGHTS = f"/v24.0/{catalog.IG_USER_ID}/insights"


def _day_window(day) -> dict:
    start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
    return {"since": start, "until": start + 86400}


def test_page_insights_serve_follows_views_and_reach_per_day(server, world, http):
    """page_follows, page_media_view and page_total_media_view_unique: one value per day of the
    range, stamped with the next day's 07:00 UTC, equal to the truth of that day."""
    days = DEFAULT.dates[3:6]
    start, end = _day_window(days[0])["since"], _day_window(days[-1])["until"]
    r = http.get(server.base_url + PAGE_INSIGHTS, params={
        "metric": "page_follows,page_media_view,page_total_media_view_unique", "period": "day",
        "since": start, "until": end})
    assert r.status_code == 200, r.text
    by_name = {m["name"]: m for m in r.json()["data"]}
    assert list(by_name) == ["page_follows", "page_media_view", "page_total_media_view_unique"]
    truth = world.truth["account_insights"].query("platform == 'facebook'").set_index("date")
    followers = world.truth["followers"].query("platform == 'facebook'").set_index("date")
    for name, expected in (("page_follows", followers.followers), ("page_media_view", truth.views),
                           ("page_total_media_view_unique", truth.reach)):
        metric = by_name[name]
        assert metric["period"] == "day" and metric["id"] == f"{catalog.PAGE_ID}/insights/{name}/day"
        assert [v["end_time"] for v in metric["values"]] == [
            f"{d + timedelta(days=1):%Y-%m-%d}T07:00:00+0000" for d in days]
        assert [v["value"] for v in metric["values"]] == [int(expected[d]) for d in days]
    assert all(v["value"] > 0 for v in by_name["page_media_view"]["values"])


def test_instagram_account_views_only_as_a_total_value(server, world, http):
    """Instagram's account `views` is served only with metric_type=total_value: one
    `total_value` for the range; asked as a time series, Meta refuses the whole request.
    `reach` comes either way, `follower_count` only as a time series."""
    day = DEFAULT.dates[4]
    truth = world.truth["account_insights"].query("platform == 'instagram'").set_index("date").loc[day]
    r = http.get(server.base_url + IG_INSIGHTS, params={
        "metric": "views,reach", "period": "day", "metric_type": "total_value", **_day_window(day)})
    assert r.status_code == 200, r.text
    answered = {m["name"]: m for m in r.json()["data"]}
    assert {name: m["total_value"] for name, m in answered.items()} == {
        "views": {"value": int(truth.views)}, "reach": {"value": int(truth.reach)}}
    assert all("values" not in m for m in answered.values())

    r = http.get(server.base_url + IG_INSIGHTS, params={
        "metric": "follower_count,reach", "period": "day", **_day_window(day)})
    assert r.status_code == 200, r.text
    series = {m["name"]: [v["value"] for v in m["values"]] for m in r.json()["data"]}
    followers = world.truth["followers"].query("platform == 'instagram'").set_index("date").followers
    assert series == {"follower_count": [int(followers[day])], "reach": [int(truth.reach)]}

    two_days = {"since": _day_window(day)["since"], "until": _day_window(day)["until"] + 86400}
    r = http.get(server.base_url + IG_INSIGHTS, params={
        "metric": "views", "period": "day", "metric_type": "total_value", **two_days})
    views = world.truth["account_insights"].query("platform == 'instagram'").set_index("date").views
    assert r.json()["data"][0]["total_value"]["value"] == int(views[day] + views[DEFAULT.dates[5]])

    should = "(#100) The following metrics ({}) should be specified with parameter metric_type={}"
    for params, message in (
        ({"metric": "reach,views"}, should.format("views", "total_value")),
        ({"metric": "views", "metric_type": "time_series"}, should.format("views", "total_value")),
        ({"metric": "follower_count", "metric_type": "total_value"},
         should.format("follower_count", "time_series")),
    ):
        r = http.get(server.base_url + IG_INSIGHTS, params={"period": "day", **params, **_day_window(day)})
        assert r.status_code == 400
        error = r.json()["error"]
        assert (error["code"], error["type"], error["message"]) == (100, "OAuthException", message)


@pytest.mark.parametrize(("path", "metric"), [
    (PAGE_INSIGHTS, "page_impressions"),
    (PAGE_INSIGHTS, "page_impressions_unique,page_media_view"),
    (PAGE_INSIGHTS, "page_fans"),
    (IG_INSIGHTS, "impressions"),
])
def test_retired_account_metrics_are_an_invalid_metric_error(server, http, path, metric):
    r = http.get(server.base_url + path, params={"metric": metric, "period": "day"})
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "(#100) The value must be a valid insights metric"


def test_conversations_latest_first_with_nested_message_paging(server, world, http):
    """Conversations API: one list per platform, most recently updated first; `messages` as a
    nested edge whose `next` continues at /{conversation-id}/messages; participants and senders
    carry the page-scoped ids; no message text exists."""
    truth = world.truth["direct_messages"]
    fields = "id,updated_time,participants,messages.limit(3){id,created_time,from,message}"
    for platform, param, account in (("facebook", "messenger", catalog.PAGE_ID),
                                     ("instagram", "instagram", catalog.IG_USER_ID)):
        threads, _ = walk(server, f"/v24.0/{catalog.PAGE_ID}/conversations", platform=param,
                          fields=fields, limit=10)
        expected = truth[truth.platform == platform]
        assert sorted(t["id"] for t in threads) == sorted(set(expected.conversation_id))
        updated = [t["updated_time"] for t in threads]
        assert updated == sorted(updated, reverse=True)
        longest = max(threads, key=lambda t: expected.conversation_id.eq(t["id"]).sum())
        messages = longest["messages"]["data"]
        url = longest["messages"]["paging"]["next"]
        assert f"/v24.0/{longest['id']}/messages?" in url
        while url:
            page = http.get(url).json()
            messages += page["data"]
            url = page.get("paging", {}).get("next")
        thread = expected[expected.conversation_id == longest["id"]]
        assert [m["id"] for m in messages] == thread.message_id.tolist()[::-1]
        assert {m["message"] for m in messages} == {""}
        senders = {m["from"]["id"] for m in messages}
        assert senders <= {account, thread.person_id.iloc[0]} and len(thread) > 3
        assert {p["id"] for p in longest["participants"]["data"]} == {account, thread.person_id.iloc[0]}
    messenger = truth[truth.platform == "facebook"].iloc[0]
    r = http.get(server.base_url + f"/v24.0/{catalog.PAGE_ID}/conversations",
                 params={"platform": "messenger", "user_id": messenger.person_id})
    assert [t["id"] for t in r.json()["data"]] == [messenger.conversation_id]
    r = http.get(server.base_url + f"/v24.0/{catalog.PAGE_ID}/conversations", params={"platform": "sms"})
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_bad_or_missing_token_is_oauth_error_190(server):
    for params, headers in [
        ({}, {}),
        ({"access_token": "expired"}, {}),
        ({}, {"Authorization": "Bearer nope"}),
    ]:
        r = requests.get(server.base_url + POSTS, params=params, headers=headers)
        assert r.status_code == 400
        error = r.json()["error"]
        assert error["code"] == 190 and error["error_subcode"] == 463
        assert error["type"] == "OAuthException"
        assert error["message"].startswith("Error validating access token:")
    ok = requests.get(server.base_url + POSTS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


def test_usage_headers_on_every_meta_response(server, http):
    posts = http.get(server.base_url + POSTS)
    ads = http.get(server.base_url + ADS, params={"level": "ad"})
    denied = requests.get(server.base_url + ADS)
    for r in (posts, ads, denied):
        assert json.loads(r.headers["X-App-Usage"])["call_count"] >= 0
    throttle = json.loads(ads.headers["x-fb-ads-insights-throttle"])
    assert throttle["acc_id_util_pct"] == 0
    assert catalog.AD_ACCOUNT_ID in json.loads(ads.headers["X-Business-Use-Case-Usage"])
    assert "x-fb-ads-insights-throttle" not in posts.headers


def test_unknown_routes_and_fields(server, http):
    r = http.get(server.base_url + f"/v24.0/{catalog.PAGE_ID}/nonexistent_edge")
    assert r.status_code == 404 and r.json()["error"]["code"] == 100
    r = http.get(server.base_url + "/v24.0/a/b/c")
    assert r.status_code == 404 and "Unknown path components" in r.json()["error"]["message"]
    r = http.get(server.base_url + "/v24.0/999999/posts")
    assert r.status_code == 400 and r.json()["error"]["error_subcode"] == 33
    r = http.get(server.base_url + POSTS, params={"fields": "id,bogus_field"})
    assert r.status_code == 400 and "bogus_field" in r.json()["error"]["message"]
    r = http.get(server.base_url + ADS, params={"fields": "spend,bogus"})
    assert r.status_code == 400 and "bogus is not valid for fields param" in r.json()["error"]["message"]
