"""The vanity-vs-value and reconciliation marts against the sandbox's ground truth (one month)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.dbt.conftest import inquiries_of, inquiry_truth
from tests.dbt.journeys import truth_totals
from tests.money import spend_usd, to_usd

CONNECTED = ("facebook", "instagram", "linkedin", "x")  # the organic platforms with a connector


def positive(series: pd.Series) -> dict:
    """The non-zero values of a series, as a dict (a missing cell and a 0 mean the same here)."""
    return {key: value for key, value in series.items() if value}


def read(build_db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(sql).df()


def test_post_performance_counts_each_posts_engagement_and_sessions(month_build):
    world, build_db = month_build
    posts = read(build_db, "select * from main_marts.fct_post_performance")
    posts = posts[posts.platform.isin(CONNECTED)]
    truth = world.truth["posts"]
    connected = truth[truth.platform.isin(CONNECTED)].set_index("post_id")
    assert sorted(posts.post_id) == sorted(connected.index)
    posts = posts.set_index("post_id").loc[connected.index]
    expected = connected.reactions + connected.comments + connected.shares + connected.saves
    assert (posts.engagements.values == expected.values).all()
    sessions = world.truth["sessions"]
    by_post = sessions[sessions.medium == "social"].groupby("content").size()
    assert (posts.sessions.values == by_post.reindex(connected.index, fill_value=0).values).all()
    assert posts.sessions.sum() > 0 and posts.attributed_leads.sum() > 0
    assert posts.sort_values("engagement_rank").platform.iloc[0] == "instagram"
    # LinkedIn's share statistics, and its posts' links (utm_content = the post's URN) tie its
    # sessions and leads to each post
    linkedin = connected.platform == "linkedin"
    for column in ("views", "reach", "reactions", "comments", "shares", "link_clicks"):
        assert (posts[linkedin][column].values == connected[linkedin][column].values).all(), column
    assert posts[linkedin].saves.isna().all()  # LinkedIn reports no saves: unknown, not 0
    assert posts[linkedin].sessions.sum() == by_post.reindex(connected[linkedin].index).sum() > 0
    assert posts[linkedin].attributed_leads.sum() > 0


def test_x_posts_have_their_exact_metrics_and_sessions(month_build):
    """X's mapping onto the post contract: views = impressions, reactions = likes, comments =
    replies, shares = reposts + quotes, saves = bookmarks, link clicks = url_link_clicks (every
    Post was extracted the day after it, well within X's 30 days); each click is a session."""
    world, build_db = month_build
    posts = read(build_db, "select * from main_marts.fct_post_performance where platform = 'x'")
    truth = world.truth["posts"]
    x = truth[truth.platform == "x"].set_index("post_id")
    posts = posts.set_index("post_id").loc[x.index]
    assert len(x) > 20
    for column in ("views", "reactions", "comments", "shares", "saves", "link_clicks"):
        assert (posts[column].values == x[column].values).all(), column
    assert posts.reach.isna().all(), "X reports no reach"
    sessions = world.truth["sessions"]
    x_sessions = sessions[(sessions.medium == "social") & (sessions.platform == "x")]
    assert posts.sessions.sum() == len(x_sessions) == x.link_clicks.sum()
    assert posts.sessions_with_lead.sum() == x_sessions.has_lead.sum()
    funnel = read(build_db, "select sum(views) as views, sum(reactions) as reactions, "
                            "sum(link_clicks) as link_clicks from main_marts.fct_funnel_daily "
                            "where platform = 'x' and channel_group = 'Organic Social'")
    assert funnel.iloc[0].to_dict() == {"views": x.views.sum(), "reactions": x.reactions.sum(),
                                        "link_clicks": x.link_clicks.sum()}
    ranking = read(build_db, "select * from main_marts.fct_platform_ranking where platform = 'x'")
    assert ranking.engagements.sum() == (x.reactions + x.comments + x.shares).sum()


def test_post_performance_attributes_pipeline_to_the_posts_in_each_deals_journey(month_build):
    """Pipeline per post under the performance model (linear), recomputed from the true journeys:
    every deal's amount, at its creation, shared over the contact's linked touches."""
    world, build_db = month_build
    posts = read(build_db, "select post_id, attribution_model, attributed_opportunities, "
                           "attributed_pipeline_usd from main_marts.fct_post_performance")
    assert set(posts.attribution_model) == {"linear"}
    deals = world.truth["deals"]
    opportunities = pd.DataFrame({"contact_id": deals.contact_id, "converted_at": deals.created_at,
                                  "value": deals.amount.astype(float)})
    expected = {post: value for (model, post), value in
                truth_totals(world.truth, opportunities, by="post_id").items()
                if model == "linear" and post in set(posts.post_id)}
    counts = {post: value for (model, post), value in
              truth_totals(world.truth, opportunities.assign(value=1.0), by="post_id").items()
              if model == "linear" and post in set(posts.post_id)}
    posts = posts.set_index("post_id")
    assert sum(expected.values()) > 0
    for post in posts.index:
        assert posts.attributed_pipeline_usd[post] == pytest.approx(expected.get(post, 0), abs=1e-6), post
        assert posts.attributed_opportunities[post] == pytest.approx(counts.get(post, 0), abs=1e-9), post


def test_platform_ranking_shows_the_planted_contrast(month_build):
    """The sandbox plants it: Instagram wins on engagement, LinkedIn on revenue."""
    world, build_db = month_build
    ranking = read(build_db, "select * from main_marts.fct_platform_ranking").set_index("platform")
    assert ranking.index.is_unique  # one month
    assert ranking.engagement_rank.idxmin() == "instagram"
    assert ranking.revenue_rank.idxmin() == "linkedin"
    assert ranking.rank_gap.instagram > 0 > ranking.rank_gap.linkedin
    won = world.truth["customers"].amount.sum()
    assert abs(ranking.attributed_revenue_usd.sum() - won) < 1e-6  # every won dollar, once


def test_reconciliation_puts_platform_claims_next_to_crm_leads(month_build):
    world, build_db = month_build
    mart = read(build_db, "select campaign, sum(platform_reported_leads) as claimed, "
                          "sum(crm_leads) as confirmed from main_marts.fct_conversion_reconciliation "
                          "group by all").set_index("campaign")
    ads = world.truth["ad_daily"]
    claimed = ads.groupby("campaign_name").platform_leads.sum()
    contacts = world.truth["contacts"]
    confirmed = contacts[contacts.campaign.isin(claimed.index)].groupby("campaign").size()
    assert mart.claimed.to_dict() == claimed.to_dict()
    assert mart.confirmed.to_dict() == confirmed.reindex(mart.index, fill_value=0).to_dict()
    assert (mart.claimed >= mart.confirmed).all() and mart.claimed.sum() > mart.confirmed.sum()


def test_cohorts_count_every_contact_once_and_each_stage_reached(month_build):
    world, build_db = month_build
    cohorts = read(build_db, "select * from main_marts.fct_funnel_cohorts")
    contacts = world.truth["contacts"][world.truth["contacts"].partner_type.isna()]  # the sales funnel
    assert cohorts.people.sum() == len(contacts) == cohorts.reached_lead.sum()
    for stage, column in (("mql", "mql_at"), ("sql", "sql_at"), ("opportunity", "opportunity_at"),
                          ("customer", "customer_at")):
        assert cohorts[f"reached_{stage}"].sum() == contacts[column].notna().sum(), stage
    linkedin = cohorts[cohorts.first_touch_platform == "linkedin"]
    assert (linkedin.customer_share > 0).any()


def test_followers_and_their_growth_equal_the_truth(month_build):
    """Meta and X report each day's total (growth from the day before); LinkedIn reports each
    day's gains and no total (growth on every day, total NULL). The views and reach of our
    Facebook Page and Instagram account are the world's, exactly, every day; X and LinkedIn
    report none (NULL)."""
    world, build_db = month_build
    mart = read(build_db, "select * from main_marts.fct_followers_daily order by all")
    truth = world.truth["followers"].sort_values(["date", "platform"])
    platforms = truth.platform.nunique()  # facebook, instagram and x report totals; linkedin gains
    assert len(mart) == len(truth) == platforms * world.config.days
    assert "x" in set(mart.platform), "X's daily readings, taken the day after each day"
    mart = mart.assign(follower_date=mart.follower_date.dt.date).set_index(
        ["follower_date", "platform"])
    truth = truth.assign(net=truth.new_followers - truth.lost_followers).set_index(["date", "platform"])
    totals = truth.index.get_level_values("platform") != "linkedin"
    assert (mart.loc[truth.index[totals]].followers.values == truth[totals].followers.values).all()
    assert mart.loc[truth.index[~totals]].followers.isna().all()
    growth = mart.dropna(subset=["follower_growth"])
    # a platform reporting totals has nothing to compare its first day with
    assert len(growth) == platforms * world.config.days - (platforms - 1)
    assert (growth.follower_growth.values == truth.loc[growth.index].net.values).all()

    insights = world.truth["account_insights"].set_index(["date", "platform"])
    assert len(insights) == 2 * world.config.days  # facebook and instagram, every day
    assert mart.loc[insights.index, ["views", "reach"]].astype("int64").equals(insights[["views", "reach"]])
    assert (insights.reach <= insights.views).all() and (insights.reach > 0).all()
    assert mart.drop(index=insights.index)[["views", "reach"]].isna().all().all()


def test_linkedin_funnel_spend_and_conversions_equal_the_truth(month_build):
    """LinkedIn's row of every funnel stage, exactly: organic posts and paid creatives (spend in
    EUR converted at the seed's rate of each day), sessions per channel, follower growth, leads,
    customers and revenue; and the conversions LinkedIn claims beside those the CRM confirms."""
    world, build_db = month_build
    funnel = read(build_db, "select * from main_marts.fct_funnel_daily where platform = 'linkedin'")
    funnel["funnel_date"] = funnel.funnel_date.dt.date
    truth = world.truth
    by_group = funnel.groupby(["funnel_date", "channel_group"]).sum(numeric_only=True)

    ads = truth["ad_daily"][truth["ad_daily"].platform == "linkedin"]
    paid = by_group.xs("Paid Social", level="channel_group")
    expected_spend = spend_usd(ads).groupby(ads.date).sum().round(2)
    assert (ads.currency == "EUR").all() and expected_spend.sum() > ads.spend.sum()
    assert positive(paid.spend_usd.round(2)) == positive(expected_spend)
    assert positive(paid.views) == positive(ads.groupby("date").impressions.sum())
    assert positive(paid.link_clicks) == positive(ads.groupby("date").link_clicks.sum())
    assert to_usd(100, "EUR", ads.date.iloc[0]) > 100  # the seed's EUR is worth more than a dollar

    posts = truth["posts"][truth["posts"].platform == "linkedin"]
    organic = by_group.xs("Organic Social", level="channel_group")
    assert positive(organic.views) == positive(posts.groupby("created_date").views.sum())
    assert organic.reactions.sum() == posts.reactions.sum()
    followers = truth["followers"][truth["followers"].platform == "linkedin"].set_index("date")
    assert organic.follower_growth.sum() == (followers.new_followers - followers.lost_followers).sum()

    sessions = truth["sessions"][truth["sessions"].platform == "linkedin"]
    groups = sessions.medium.map({"social": "Organic Social", "paid_social": "Paid Social",
                                  "advocacy": "Advocacy"})
    expected = sessions.groupby([sessions.date, groups]).size()
    assert positive(by_group.sessions) == positive(expected)

    contacts = truth["contacts"]
    leads = contacts[(contacts.platform == "linkedin") & contacts.partner_type.isna()]
    assert funnel.leads.sum() == len(leads)
    paid_leads = leads[leads.campaign.isin(set(ads.campaign_name))]
    assert paid.leads.sum() == len(paid_leads) > 0
    won = truth["customers"][truth["customers"].platform == "linkedin"]
    assert funnel.customers.sum() == len(won) > 0
    assert funnel.revenue_usd.sum() == pytest.approx(won.amount.sum())

    claims = read(build_db, "select campaign, sum(platform_reported_leads) as claimed, "
                            "sum(crm_leads) as crm from main_marts.fct_conversion_reconciliation "
                            "where platform = 'linkedin' group by all").set_index("campaign")
    claims = claims.loc[sorted(set(ads.campaign_name))]
    assert claims.claimed.to_dict() == ads.groupby("campaign_name").platform_leads.sum().to_dict()
    assert claims.crm.to_dict() == paid_leads.groupby("campaign").size().to_dict()


def test_partner_inquiries_by_type_and_day_match_truth(month_build):
    world, build_db = month_build
    mart = read(build_db, "select * from main_marts.fct_partner_inquiries")
    contacts = world.truth["contacts"]
    partners = contacts[contacts.partner_type.notna()]
    expected = partners.groupby(["lead_date", "partner_type"]).size()
    inquiries = mart.drop_duplicates("conversion_id")
    actual = inquiries.assign(day=inquiries.inquiry_date.dt.date).groupby(["day", "partner_type"]).size()
    assert len(partners) > 0 and actual.to_dict() == expected.to_dict()
    assert (mart.groupby("conversion_id").credit.sum() - 1).abs().max() < 1e-9
    # a linked inquiry's last touch is the session with the form, on the truth's platform
    linked = inquiries[inquiries.n_touches > 0].set_index("contact_id")
    truth_platform = partners.set_index("contact_id").platform.loc[linked.index]
    assert len(linked) > 0 and (linked.last_touch_platform == truth_platform).all()


def test_advocacy_sessions_and_leads_per_ambassador_match_truth(month_build):
    world, build_db = month_build
    mart = read(build_db, "select * from main_marts.fct_advocacy")
    sessions = world.truth["sessions"]
    advocacy = sessions[sessions.medium == "advocacy"]
    keys = ["date", "content", "platform"]
    expected = advocacy.groupby(keys).agg(sessions=("has_lead", "size"), leads=("has_lead", "sum"))
    actual = (mart.assign(date=mart.activity_date.dt.date, content=mart.ambassador_id)
              .set_index(keys).sort_index())
    assert actual.sessions.to_dict() == expected.sessions.to_dict()
    assert actual.last_click_leads.to_dict() == expected.leads.to_dict()
    assert actual.ambassador_name.notna().all() and mart.attributed_leads.sum() > 0
    shares = world.truth["advocacy_shares"]
    assert mart.sessions.sum() == shares.clicks.sum()


def test_direct_messages_per_day_and_platform_equal_the_truth(month_build):
    """The funnel counts every message a person sent (not the page's replies) and every
    conversation a person opened, on its UTC day, as organic social of the platform."""
    world, build_db = month_build
    mart = read(build_db, "select funnel_date, channel_group, platform, campaign, direct_messages, "
                          "new_conversations from main_marts.fct_funnel_daily "
                          "where direct_messages > 0 or new_conversations > 0")
    assert set(mart.channel_group) == {"Organic Social"} and set(mart.campaign) == {"(not set)"}
    mart["funnel_date"] = pd.to_datetime(mart.funnel_date).dt.date
    got = mart.groupby(["funnel_date", "platform"])[["direct_messages", "new_conversations"]].sum()
    truth = world.truth["direct_messages"]
    inbound = truth[~truth.is_from_page]
    expected = pd.DataFrame({
        "direct_messages": inbound.groupby(["date", "platform"]).size(),
        "new_conversations": inbound[inbound.is_conversation_start].groupby(["date", "platform"]).size(),
    }).fillna(0).astype("int64")
    expected.index.names = ["funnel_date", "platform"]
    assert got.sort_index().astype("int64").equals(expected.sort_index())
    assert 0 < got.direct_messages.sum() == len(inbound) < len(truth)  # the page's replies are out
    started_by_page = truth[truth.is_conversation_start & truth.is_from_page]
    assert len(started_by_page) > 0
    assert got.new_conversations.sum() == truth.conversation_id.nunique() - len(started_by_page)


def test_phone_and_email_inquiries_per_day_and_platform_equal_the_truth(month_build):
    """Every inbound call and incoming e-mail counts on its day (a second call the same day counts
    again), under its contact's lead platform: "offline" for people who first reached us this
    way, "(unknown)" for a call logged without a contact. Outbound calls and e-mails (follow-ups,
    forwarded threads) and would-be partners' inquiries are not counted."""
    world, build_db = month_build
    with duckdb.connect(str(build_db), read_only=True) as con:
        actual = inquiries_of(con)
    assert actual.to_dict("index") == inquiry_truth(world).to_dict("index")
    engagements, contacts = world.truth["engagements"], world.truth["contacts"]
    partners = contacts[contacts.partner_type.notna()].contact_id
    counted = engagements.is_inquiry & ~engagements.contact_id.isin(partners)
    inquiries = engagements[counted]
    # what makes the check bite: repeated calls, outbound and unlinked engagements, new contacts
    assert (inquiries.groupby(["contact_id", "date", "object_type"]).size() > 1).any()
    assert (~engagements.is_inquiry).sum() > counted.sum() > 0
    assert {"(unknown)", "offline", "linkedin", "facebook"} <= set(actual.index.get_level_values(1))
    assert (engagements.modified_at.dt.date != engagements.date).any()  # landed on a later day
