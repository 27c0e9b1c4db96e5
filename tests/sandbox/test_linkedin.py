"""The LinkedIn Marketing API of the sandbox: its shapes and numbers against the world's truth, and
the rules the real API enforces (version header, Rest.li 2.0 syntax, 20 fields, own organization)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from social_roi.sandbox import catalog
from social_roi.sandbox.faults import linkedin_expired_token, linkedin_throttle
from social_roi.sandbox.linkedin import current_version, urn_list

from .conftest import DEFAULT, TOKEN

ORG = "urn%3Ali%3Aorganization%3A" + catalog.LINKEDIN_ORG_ID
ACCOUNT = f"urn:li:sponsoredAccount:{catalog.LINKEDIN_AD_ACCOUNT_ID}"


@pytest.fixture(scope="module")
def li(server):
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {TOKEN}", "X-Restli-Protocol-Version": "2.0.0",
                            "LinkedIn-Version": current_version(DEFAULT)})

    def get(path: str, query: str = "", **headers):
        return session.get(f"{server.base_url}/rest{path}" + (f"?{query}" if query else ""),
                           headers=headers)

    yield get
    session.close()


def ms(day) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def ymd(day) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


def test_posts_walk_newest_first_with_offset_paging(li, world):
    truth = world.truth["posts"].query("platform == 'linkedin'")
    seen, start, pages = [], 0, 0
    while True:
        body = li("/posts", f"q=author&author={ORG}&sortBy=LAST_MODIFIED&count=25&start={start}").json()
        seen += body["elements"]
        pages += 1
        following = [link for link in body["paging"]["links"] if link["rel"] == "next"]
        if not following:
            break
        start = int(following[0]["href"].rsplit("start=", 1)[1])
    assert pages == -(-len(truth) // 25) and body["paging"]["total"] == len(truth)
    assert [p["id"] for p in seen] == list(truth.sort_values("created_at", ascending=False).post_id)
    post = seen[0]
    assert post["author"] == catalog.LINKEDIN_ORG_URN and post["lifecycleState"] == "PUBLISHED"
    assert "utm_content=urn%3Ali%3Ashare%3A" in post["content"]["article"]["source"]
    assert post["publishedAt"] == post["createdAt"] and isinstance(post["publishedAt"], int)


def test_share_statistics_per_post_equal_truth(li, world):
    truth = world.truth["posts"].query("platform == 'linkedin'").head(40).set_index("post_id")
    body = li("/organizationalEntityShareStatistics",
              f"q=organizationalEntity&organizationalEntity={ORG}&shares={urn_list(list(truth.index))}").json()
    stats = {e["share"]: e["totalShareStatistics"] for e in body["elements"]}
    assert set(stats) == set(truth.index)
    for urn, row in truth.iterrows():
        s = stats[urn]
        assert (s["impressionCount"], s["uniqueImpressionsCount"], s["likeCount"], s["commentCount"],
                s["shareCount"], s["clickCount"]) == (row.views, row.reach, row.reactions, row.comments,
                                                      row.shares, row.link_clicks)
        assert s["engagement"] == pytest.approx(
            (row.link_clicks + row.reactions + row.comments + row.shares) / row.views)
    lifetime = li("/organizationalEntityShareStatistics",
                  f"q=organizationalEntity&organizationalEntity={ORG}").json()["elements"]
    assert [e["totalShareStatistics"]["impressionCount"] for e in lifetime] == [
        world.truth["posts"].query("platform == 'linkedin'").views.sum()]


def test_statistics_of_a_share_that_is_not_ours_are_refused(li):
    answer = li("/organizationalEntityShareStatistics",
                f"q=organizationalEntity&organizationalEntity={ORG}&shares={urn_list(['urn:li:share:1'])}")
    assert answer.status_code == 403 and answer.json() == {
        "status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
        "message": "Unpermitted fields present in PARAMETER: Data Processing Exception while "
                   "processing fields [/shares[0]]"}
    other = li("/posts", "q=author&author=urn%3Ali%3Aorganization%3A1")
    assert other.status_code == 403 and other.json()["code"] == "ACCESS_DENIED"


def test_follower_gains_per_day_and_month_equal_truth(li, world):
    first, last = DEFAULT.start_date, DEFAULT.dates[-1]
    truth = world.truth["followers"].query("platform == 'linkedin'").set_index("date")
    for granularity in ("DAY", "MONTH"):
        bounds = f"start:{ms(first)},end:{ms(last + timedelta(days=1))}"
        interval = f"(timeRange:({bounds}),timeGranularityType:{granularity})"
        body = li("/organizationalEntityFollowerStatistics",
                  f"q=organizationalEntity&organizationalEntity={ORG}&timeIntervals={interval}").json()
        gains = {e["timeRange"]["start"]: e["followerGains"] for e in body["elements"]}
        net = sum(g["organicFollowerGain"] + g["paidFollowerGain"] for g in gains.values())
        assert net == (truth.new_followers - truth.lost_followers).sum(), granularity
    assert len(gains) == 1  # the last granularity asked, MONTH: October is one month
    dotted = li("/organizationalEntityFollowerStatistics",
                f"q=organizationalEntity&organizationalEntity={ORG}&timeIntervals.timeGranularityType=DAY"
                f"&timeIntervals.timeRange.start={ms(first)}"
                f"&timeIntervals.timeRange.end={ms(first) + 86_400_000}")
    [element] = dotted.json()["elements"]  # Airbyte's dotted form is accepted too
    assert element["followerGains"]["organicFollowerGain"] == world.linkedin_follower_gains[first][0]
    total = li(f"/networkSizes/{catalog.LINKEDIN_ORG_URN}", "edgeType=COMPANY_FOLLOWED_BY_MEMBER").json()
    assert total == {"firstDegreeSize": int(truth.followers.loc[last])}


def test_campaigns_cursor_paging(li, world):
    first = li(f"/adAccounts/{catalog.LINKEDIN_AD_ACCOUNT_ID}/adCampaigns", "q=search&pageSize=1").json()
    token = first["metadata"]["nextPageToken"]
    second = li(f"/adAccounts/{catalog.LINKEDIN_AD_ACCOUNT_ID}/adCampaigns",
                f"q=search&pageSize=1&pageToken={token}").json()
    assert second["metadata"] == {}
    names = [c["name"] for c in first["elements"] + second["elements"]]
    assert names == [c[0] for c in catalog.LINKEDIN_AD_CAMPAIGNS]
    active = li(f"/adAccounts/{catalog.LINKEDIN_AD_ACCOUNT_ID}/adCampaigns",
                "q=search&search=(status:(values:List(ACTIVE)))").json()["elements"]
    assert [c["status"] for c in active] == ["ACTIVE"]  # the e-book campaign ended on day 26
    account = li(f"/adAccounts/{catalog.LINKEDIN_AD_ACCOUNT_ID}").json()
    assert account["currency"] == catalog.LINKEDIN_AD_CURRENCY == "EUR"


def test_ad_analytics_equal_truth_daily_and_in_total(li, world):
    truth = world.truth["ad_daily"].query("platform == 'linkedin'")
    dates = f"(start:{ymd(DEFAULT.start_date)},end:{ymd(DEFAULT.dates[-1])})"
    fields = ("dateRange,pivotValues,impressions,clicks,landingPageClicks,costInLocalCurrency,"
              "externalWebsiteConversions,conversionValueInLocalCurrency,reactions")
    daily = li("/adAnalytics", f"q=statistics&pivots=List(CAMPAIGN,CREATIVE)&timeGranularity=DAILY"
               f"&dateRange={dates}&accounts={urn_list([ACCOUNT])}&fields={fields}").json()
    assert daily["paging"]["links"] == [] and len(daily["elements"]) == len(truth)  # no paging
    rows = daily["elements"]
    assert all(isinstance(r["costInLocalCurrency"], str) and isinstance(r["impressions"], int) for r in rows)
    assert sum(float(r["costInLocalCurrency"]) for r in rows) == pytest.approx(truth.spend.sum(), abs=0.005)
    assert sum(r["landingPageClicks"] for r in rows) == truth.link_clicks.sum()
    assert sum(r["externalWebsiteConversions"] for r in rows) == truth.platform_leads.sum()
    assert sum(float(r["conversionValueInLocalCurrency"]) for r in rows) == pytest.approx(
        truth.conversion_value.sum())
    assert {tuple(r["pivotValues"]) for r in rows} == {
        (f"urn:li:sponsoredCampaign:{c}", f"urn:li:sponsoredCreative:{a}")
        for c, a in zip(truth.campaign_id, truth.ad_id, strict=True)}
    whole = li("/adAnalytics", f"q=analytics&pivot=CAMPAIGN&timeGranularity=ALL&dateRange={dates}"
               f"&campaigns={urn_list(sorted({r['pivotValues'][0] for r in rows}))}").json()["elements"]
    assert sorted(whole[0]) == ["clicks", "dateRange", "impressions", "pivotValues"]  # no fields: defaults
    assert sum(r["impressions"] for r in whole) == truth.impressions.sum() and len(whole) == 2


@pytest.mark.parametrize(("query", "fragment"), [
    ("shares=List(urn:li:share:1)", "URNs inside List() must be URL-encoded"),
    ("shares=List%28urn%3Ali%3Ashare%3A1%29", "expected List("),
])
def test_rest_li_values_must_be_literal_with_encoded_urns(li, query, fragment):
    answer = li("/organizationalEntityShareStatistics",
                f"q=organizationalEntity&organizationalEntity={ORG}&{query}")
    assert answer.status_code == 400 and answer.json()["code"] == "ILLEGAL_ARGUMENT"
    assert fragment in answer.json()["message"]


def test_at_most_twenty_fields_and_only_known_ones(li):
    base = (f"q=analytics&pivot=CREATIVE&timeGranularity=DAILY&dateRange=(start:{ymd(DEFAULT.start_date)})"
            f"&accounts={urn_list([ACCOUNT])}")
    too_many = li("/adAnalytics", base + "&fields=" + ",".join(["impressions"] * 21))
    assert too_many.status_code == 400 and "maximum is 20" in too_many.json()["message"]
    assert li("/adAnalytics", base + "&fields=" + ",".join(["impressions"] * 20)).status_code == 200
    unknown = li("/adAnalytics", base + "&fields=pivotValues,impressionz")
    assert unknown.status_code == 400 and "impressionz" in unknown.json()["message"]


def test_versions_headers_and_tokens(li):
    query = f"q=author&author={ORG}"
    missing = li("/posts", query, **{"LinkedIn-Version": ""})
    assert missing.status_code == 400 and missing.json()["code"] == "VERSION_MISSING"
    sunset = li("/posts", query, **{"LinkedIn-Version": "202401"})
    assert sunset.status_code == 426 and sunset.json() == {
        "status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 20240101 is not active"}
    assert li("/posts", query, **{"LinkedIn-Version": current_version(DEFAULT) + "01"}).status_code == 200
    protocol = li("/posts", query, **{"X-Restli-Protocol-Version": ""})
    assert protocol.status_code == 400 and "X-Restli-Protocol-Version" in protocol.json()["message"]
    refused = li("/posts", query, Authorization="Bearer nope")
    assert refused.status_code == 401 and refused.json()["serviceErrorCode"] == 65600


def test_throttling_and_expiry_faults(li, server):
    throttle = linkedin_throttle()
    server.add_fault("/rest/posts", **throttle)
    answer = li("/posts", f"q=author&author={ORG}")
    assert answer.status_code == 429 and "Retry-After" not in answer.headers
    assert answer.json()["message"] == "Resource level throttle limit for calls to this resource is reached."
    server.add_fault("/rest/posts", **linkedin_expired_token())
    assert li("/posts", f"q=author&author={ORG}").json()["code"] == "EXPIRED_ACCESS_TOKEN"
    assert li("/posts", f"q=author&author={ORG}").status_code == 200
