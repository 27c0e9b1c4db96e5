"""The synthetic world: determinism, volumes, internal coherence, the planted thesis, truth files."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from social_roi.sandbox import catalog
from social_roi.sandbox.__main__ import main as cli
from social_roi.sandbox.world import TRUTH_SCHEMA, WorldConfig, generate_world, thesis_summary, write_truth

from .conftest import DEFAULT


def test_same_config_gives_identical_truth(world):
    again = generate_world(DEFAULT)
    for name, table in world.truth.items():
        pd.testing.assert_frame_equal(table, again.truth[name], obj=name)


def test_other_seed_gives_another_world(world):
    other = generate_world(WorldConfig(seed=43))
    assert not world.truth["sessions"].equals(other.truth["sessions"])
    assert set(world.truth["posts"].post_id) != set(other.truth["posts"].post_id)


def test_truth_tables_have_the_documented_columns(world):
    assert set(world.truth) == set(TRUTH_SCHEMA)
    for name, table in world.truth.items():
        assert list(table.columns) == list(TRUTH_SCHEMA[name]), name
        assert len(table) > 0, name
    assert str(world.truth["sessions"].started_at.dt.tz) == "UTC"
    assert isinstance(world.truth["contacts"].lead_date.iloc[0], date)


def test_volumes_at_scale_one(world):
    t = world.truth
    per_day = t["sessions"].groupby("date").size()
    assert 300 <= per_day.mean() <= 600
    assert 0.01 <= t["sessions"].has_lead.mean() <= 0.03
    assert len(t["customers"]) >= 10
    revenue = t["customers"].groupby("platform").amount.sum()
    assert revenue.get("facebook", 0) > 0 and revenue.get("linkedin", 0) > 0
    per_platform_day = t["posts"].groupby("platform").size() / DEFAULT.days
    assert 1.0 <= per_platform_day["facebook"] <= 3.5 and 2.0 <= per_platform_day["instagram"] <= 4.5
    campaigns = t["ad_daily"].groupby("platform").campaign_id.nunique()
    assert 2 <= campaigns.facebook + campaigns.instagram <= 3 and campaigns.linkedin == 2
    assert set(t["ad_daily"].groupby("platform").currency.first()) == {"USD", "EUR"}


def test_scale_multiplies_volumes_roughly_linearly(world):
    double = generate_world(WorldConfig(scale=2.0))
    ratio = len(double.truth["sessions"]) / len(world.truth["sessions"])
    assert 1.7 <= ratio <= 2.3
    spend = double.truth["ad_daily"].spend.sum() / world.truth["ad_daily"].spend.sum()
    assert 1.8 <= spend <= 2.2


def test_everything_is_cut_at_the_horizon_end(world):
    t = world.truth
    start, end = pd.Timestamp(DEFAULT.start), pd.Timestamp(DEFAULT.end)
    for table, cols in {
        "posts": ["created_at"],
        "sessions": ["started_at"],
        "contacts": ["created_at", "mql_at", "sql_at", "opportunity_at", "customer_at"],
        "deals": ["created_at", "closed_at"],
    }.items():
        for col in cols:
            values = t[table][col].dropna()
            assert ((values >= start) & (values < end)).all(), f"{table}.{col}"
    assert t["ad_daily"].date.between(DEFAULT.start_date, DEFAULT.dates[-1]).all()
    for session in world.sessions:  # no session spans a UTC midnight (nor the horizon end)
        days = {ts // 86_400_000_000 for ts, *_ in session.events}
        assert len(days) == 1


def test_truth_is_internally_coherent(world):
    t = world.truth
    posts, ads, sessions = t["posts"], t["ad_daily"], t["sessions"]
    assert (posts.reach <= posts.views).all()
    assert (ads.spend >= 0).all() and (ads.reach <= ads.impressions).all()
    assert (ads.link_clicks <= ads.clicks).all()
    fb = [p for p in world.posts if p.platform == "facebook"]
    assert all(sum(p.reactions_by_type.values()) == p.reactions for p in fb)
    assert set(fb[0].reactions_by_type) == {"like", "love", "wow", "haha", "sad", "angry"}
    assert (posts[posts.platform != "instagram"].saves == 0).all()

    # Every click is one tagged session, attributed to its post or ad.
    tagged = sessions[sessions.medium.isin(["social", "paid_social"])]
    assert len(tagged) == posts.link_clicks.sum() + ads.link_clicks.sum()
    by_content = tagged.groupby("content").size()
    assert by_content.reindex(posts.post_id, fill_value=0).tolist() == posts.link_clicks.tolist()
    assert sessions[~sessions.medium.isin(["social", "paid_social", "advocacy"])].content.isna().all()
    assert (
        sessions.groupby("user_pseudo_id").ga_session_id.nunique()
        == sessions.groupby("user_pseudo_id").size()
    ).all()

    # Contacts come from lead sessions (one per visitor), ad lead forms, or a call or an e-mail of
    # someone new to the CRM; deals and customers hang together.
    contacts, deals, customers = t["contacts"], t["deals"], t["customers"]
    assert contacts.ga_client_id.dropna().is_unique and contacts.email.is_unique
    leads = sessions[sessions.has_lead | sessions.has_partner_inquiry].set_index("contact_id")
    form_leads = t["form_leads"].dropna(subset=["contact_id"]).set_index("contact_id")
    assert leads.index.is_unique and form_leads.index.is_unique and len(form_leads) > 0
    inquirers = t["engagements"][t["engagements"].created_contact].contact_id
    assert sorted([*leads.index, *form_leads.index, *inquirers]) == sorted(contacts.contact_id)
    web = contacts[contacts.contact_id.isin(leads.index)]
    assert (leads.loc[web.contact_id].platform.values == web.platform.values).all()
    via_form = contacts.set_index("contact_id").loc[form_leads.index]
    assert (via_form.platform.values == form_leads.platform.values).all()
    skew = pd.Timedelta(milliseconds=catalog.CRM_CLOCK_OFFSET_MS)
    assert (via_form.created_at.values - skew > form_leads.created_at.values).all()  # synced later
    assert via_form.ga_client_id.isna().all() and via_form.app_user_id.isna().all()
    captured = contacts.dropna(subset=["ga_client_id"])
    assert 0 < len(captured) < len(contacts)  # some forms miss the client id
    assert (leads.loc[captured.contact_id].user_pseudo_id.values == captured.ga_client_id.values).all()
    assert (contacts.lead_date == contacts.created_at.dt.date).all()
    assert set(deals.contact_id) <= set(contacts.contact_id) and deals.contact_id.is_unique
    won = deals[deals.is_won]
    assert sorted(customers.deal_id) == sorted(won.deal_id)
    assert (won.dealstage == "closedwon").all() and won.closed_at.notna().all()
    assert set(contacts[contacts.lifecyclestage == "customer"].contact_id) == set(won.contact_id)
    by_contact = contacts.set_index("contact_id")
    assert (customers.platform.values == by_contact.loc[customers.contact_id].platform.values).all()
    assert (by_contact.loc[deals.contact_id].opportunity_at.values == deals.created_at.values).all()
    assert set(contacts.platform) <= {*catalog.ALL_LEAD_PLATFORMS, "offline"}  # offline: a call / e-mail


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_thesis_most_reactions_is_not_most_revenue(scale, world):
    w = world if scale == 1.0 else generate_world(WorldConfig(scale=scale))
    summary = thesis_summary(w)
    reactions, revenue = summary["reactions"], summary["revenue"]
    assert max(reactions, key=reactions.get) == "instagram"
    assert max(revenue, key=revenue.get) == "linkedin"
    # Among the platforms served in v1 (Meta): facebook earns more, instagram gets more reactions.
    assert revenue["facebook"] > revenue["instagram"]
    assert reactions["instagram"] > reactions["facebook"]


def test_short_world_still_has_leads():
    short = generate_world(WorldConfig(days=5))
    assert len(short.truth["contacts"]) > 0
    assert short.truth["sessions"].date.max() == date(2026, 10, 5)


def test_write_truth_keeps_types_even_for_empty_tables(tmp_path):
    tiny = generate_world(WorldConfig(days=2, scale=0.3))
    assert tiny.truth["customers"].empty  # nothing can be won within two days
    paths = write_truth(tiny, tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.parquet" for n in TRUTH_SCHEMA)
    customers = pq.read_table(tmp_path / "customers.parquet")
    assert str(customers.schema.field("won_date").type) == "date32[day]"
    assert str(customers.schema.field("amount").type) == "double"
    contacts = pq.read_table(tmp_path / "contacts.parquet")
    assert str(contacts.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert contacts.num_rows == len(tiny.truth["contacts"]) > 0


def test_cli_truth_writes_parquet(tmp_path, capsys):
    assert (
        cli(
            [
                "truth",
                "--out",
                str(tmp_path),
                "--days",
                "3",
                "--seed",
                "9",
                "--start",
                "2026-11-01",
                "--scale",
                "0.5",
            ]
        )
        == 0
    )
    sessions = pd.read_parquet(tmp_path / "sessions.parquet")
    assert set(sessions.date) == {date(2026, 11, 1) + timedelta(days=i) for i in range(3)}
    assert "reactions" in capsys.readouterr().err


def test_identity_signals(world):
    """People come back on a second browser and log in; forms capture click ids; some forms
    miss the client id, so only a login or a click id can link those people."""
    sessions, contacts = world.truth["sessions"], world.truth["contacts"]
    known = sessions.dropna(subset=["contact_id"])
    browsers = known.groupby("contact_id").user_pseudo_id.nunique()
    assert (browsers <= 2).all() and (browsers == 2).sum() > 10
    # a second browser logs in on its first session, so every one of them is identifiable
    lead_browser = known[known.has_lead | known.has_partner_inquiry].set_index("contact_id").user_pseudo_id
    second = known[known.user_pseudo_id.values != lead_browser.loc[known.contact_id].values]
    first_on_second = second.sort_values("started_at").groupby("user_pseudo_id").head(1)
    assert first_on_second.user_id.notna().all() and second.identifiable.all()
    assert not sessions[sessions.contact_id.isna()].identifiable.any()
    assert sessions[sessions.contact_id.isna()].user_id.isna().all()
    # a click id is captured from the lead session's landing URL
    lead = known[known.has_lead | known.has_partner_inquiry].set_index("contact_id")
    web = contacts[contacts.contact_id.isin(lead.index)]
    assert (web.click_id.fillna("") == lead.loc[web.contact_id].click_id.fillna("").values).all()
    assert contacts.click_id.notna().sum() > 10
    paid = sessions.dropna(subset=["click_id"])
    meta = paid.platform.isin(catalog.META_PLATFORMS)
    assert paid[meta].click_id.str.startswith("IwAR").all()  # fbclid
    assert paid[~meta].click_id.str.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}").all()  # li_fat_id
    assert set(paid[~meta].platform) == {"linkedin"}
    assert (sessions.click_id.notna() == (sessions.medium == "paid_social")).all()


def test_crm_clock_runs_behind_so_some_form_sessions_start_after_their_lead(world):
    """Clock skew between sources is part of the world: attribution must tolerate it."""
    sessions, contacts = world.truth["sessions"], world.truth["contacts"]
    lead = sessions[sessions.has_lead | sessions.has_partner_inquiry].set_index("contact_id")
    web = contacts[contacts.contact_id.isin(lead.index)].set_index("contact_id")
    late = lead.loc[web.index].started_at.values > web.created_at.values
    assert late.any() and not late.all()
    assert (lead.loc[web.index].started_at.values - web.created_at.values
            < pd.Timedelta(minutes=5)).all()  # within the warehouse's default tolerance


def test_partner_inquiries_and_advocacy_hang_together(world):
    t = world.truth
    sessions, contacts, shares = t["sessions"], t["contacts"], t["advocacy_shares"]
    # A partner inquiry is a contact of lifecycle stage "other" with a partner type, from a session
    # with the partner form; it never enters the sales funnel.
    inquiries = sessions[sessions.has_partner_inquiry]
    partners = contacts[contacts.partner_type.notna()]
    assert len(partners) > 0 and not (inquiries.has_lead).any()
    assert sorted(inquiries.contact_id) == sorted(partners.contact_id)
    assert (partners.lifecyclestage == "other").all()
    assert set(partners.partner_type) == set(catalog.PARTNER_TYPES)
    assert partners[["mql_at", "sql_at", "opportunity_at", "customer_at"]].isna().all().all()
    assert set(contacts[contacts.partner_type.isna()].lifecyclestage) <= {
        "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"
    }
    # Every advocacy click is one session tagged utm_medium=advocacy, utm_content=<ambassador id>,
    # on the share's platform; only active ambassadors share, on their own networks.
    advocacy = sessions[sessions.medium == catalog.ADVOCACY_MEDIUM]
    assert len(advocacy) == shares.clicks.sum() > 0
    per_share = shares.groupby(["ambassador_id", "platform"]).clicks.sum()
    per_share = per_share[per_share > 0]
    by_link = advocacy.groupby(["content", "platform"]).size()
    assert by_link.sort_index().tolist() == per_share.sort_index().tolist()
    ambassadors = {a.ambassador_id: a for a in catalog.AMBASSADORS}
    assert all(ambassadors[r.ambassador_id].is_active for r in shares.itertuples())
    assert all(r.platform in ambassadors[r.ambassador_id].platforms for r in shares.itertuples())
    assert advocacy.has_lead.sum() > 0  # ambassadors bring leads


def test_the_ambassadors_seed_lists_the_sandbox_ambassadors():
    """The dbt seed is what the warehouse knows of the programme: the sandbox's ambassadors."""
    seed = pd.read_csv(Path(__file__).parents[2] / "dbt_project" / "seeds" / "ambassadors.csv")
    expected = [(a.ambassador_id, a.name, a.kind, a.is_active) for a in catalog.AMBASSADORS]
    assert list(seed.itertuples(index=False, name=None)) == expected


def test_direct_messages_are_conversations_over_time(world):
    """A few people a day write to each account; the page answers; some threads go on days
    later, a few the page opened itself (a private reply); nothing after the horizon."""
    dms = world.truth["direct_messages"]
    assert dms.message_id.is_unique and set(dms.platform) == set(catalog.META_PLATFORMS)
    assert dms.sent_at.min() >= pd.Timestamp(DEFAULT.start) and dms.sent_at.max() < pd.Timestamp(DEFAULT.end)
    for _, thread in dms.groupby("conversation_id"):
        assert thread.sent_at.is_monotonic_increasing and thread.person_id.nunique() == 1
        assert thread.is_conversation_start.tolist() == [True] + [False] * (len(thread) - 1)
    inbound = dms[~dms.is_from_page].groupby(["platform", "date"]).size().groupby("platform").mean()
    assert 3 <= inbound["facebook"] < inbound["instagram"] <= 20
    starts = dms[dms.is_conversation_start]
    assert 0 < starts.is_from_page.sum() < 0.3 * len(starts)
    assert (dms.groupby("conversation_id").date.nunique() > 1).sum() > 10
    assert dms.is_from_page.mean() > 0.25  # the page answers


def test_direct_messages_draw_from_their_own_stream(monkeypatch):
    """Twice the conversations, and every other truth table stays exactly the same."""
    config = WorldConfig(seed=4, days=5, scale=0.5)
    before = generate_world(config).truth
    monkeypatch.setattr(catalog, "DM_CONVERSATIONS_PER_DAY",
                        {k: 2 * v for k, v in catalog.DM_CONVERSATIONS_PER_DAY.items()})
    after = generate_world(config).truth
    assert len(after["direct_messages"]) > len(before["direct_messages"])
    for name in set(before) - {"direct_messages"}:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_account_views_and_reach_come_from_the_posts_as_they_accrue(world):
    """Our Page's and Instagram account's daily views: every post's views spread over the days
    after its publication (adding up to its views), plus a few views a day not of a post; reach
    never above views. Each day is known for both accounts, none for LinkedIn or X."""
    insights, posts = world.truth["account_insights"], world.truth["posts"]
    assert sorted(set(insights.platform)) == sorted(catalog.META_PLATFORMS)
    assert len(insights) == len(catalog.META_PLATFORMS) * DEFAULT.days
    assert (insights.reach <= insights.views).all() and (insights.reach > 0).all()
    for platform in catalog.META_PLATFORMS:
        daily = insights[insights.platform == platform].set_index("date")
        mine = posts[posts.platform == platform]
        other = daily.views.sum() - mine.views.sum()  # the views not of a post, over the horizon
        expected = catalog.ACCOUNT_BASELINE_VIEWS[platform] * DEFAULT.days
        assert 0.8 * expected < other < 1.2 * expected
        # a post's views spill over into the days after: a day with no new post sees more than
        # the views not of a post
        quiet = daily.index.difference(mine.created_date)
        assert len(quiet) == 0 or daily.views[quiet].mean() > 1.5 * catalog.ACCOUNT_BASELINE_VIEWS[platform]


def test_account_insights_draw_from_their_own_stream(monkeypatch):
    """Twice the views not of a post, and every other truth table stays exactly the same."""
    config = WorldConfig(seed=4, days=5, scale=0.5)
    before = generate_world(config).truth
    monkeypatch.setattr(catalog, "ACCOUNT_BASELINE_VIEWS",
                        {k: 2 * v for k, v in catalog.ACCOUNT_BASELINE_VIEWS.items()})
    after = generate_world(config).truth
    assert after["account_insights"].views.sum() > before["account_insights"].views.sum()
    for name in set(before) - {"account_insights"}:
        pd.testing.assert_frame_equal(before[name], after[name], obj=name)


def test_phone_and_email_inquiries_hang_together(world):
    """Inquiries are inbound calls and incoming e-mails; reps' follow-ups and forwarded threads are
    outbound. People new to the CRM become contacts from their inquiry (source offline), after it;
    some calls have no contact; a missed call is followed by another one."""
    t = world.truth
    engagements, contacts = t["engagements"], t["contacts"].set_index("contact_id")
    assert engagements.engagement_id.is_unique
    assert set(engagements.direction) == {"INBOUND", "OUTBOUND", "INCOMING_EMAIL", "EMAIL",
                                          "FORWARDED_EMAIL"}
    assert (engagements.is_inquiry == engagements.direction.isin(["INBOUND", "INCOMING_EMAIL"])).all()
    assert (engagements.object_type == engagements.direction.map(
        lambda d: "calls" if d in ("INBOUND", "OUTBOUND") else "emails")).all()
    assert (engagements.modified_at >= engagements.occurred_at).all()
    assert (engagements.modified_at < pd.Timestamp(world.config.end)).all()
    created = engagements[engagements.created_contact]
    assert len(created) > 5 and created.is_inquiry.all() and created.contact_id.is_unique
    assert (contacts.loc[created.contact_id].platform == "offline").all()
    assert (contacts.loc[created.contact_id].created_at.values > created.occurred_at.values).all()
    assert set(contacts[contacts.platform == "offline"].index) == set(created.contact_id)
    linked = engagements.dropna(subset=["contact_id"])
    assert (linked.platform.values == contacts.loc[linked.contact_id].platform.values).all()
    unknown = engagements[engagements.contact_id.isna()]
    assert len(unknown) > 0 and (unknown.direction == "INBOUND").all()
    outbound = engagements[~engagements.is_inquiry]
    assert outbound.contact_id.notna().all() and len(outbound) > len(engagements) / 3
    missed = engagements[(engagements.status == "MISSED") & engagements.contact_id.notna()]
    assert len(missed) > 0
    inquiries = engagements[engagements.is_inquiry]
    assert (inquiries.groupby([inquiries.contact_id, inquiries.date, inquiries.object_type]).size() > 1).any()
    assert contacts.loc[inquiries.contact_id.dropna()].partner_type.notna().any()  # partners write too
