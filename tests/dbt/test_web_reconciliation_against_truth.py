"""fct_web_reconciliation_daily against the sandbox's ground truth (one month): GA4's Data API
figures and the sessionised export, recomputed here from the world's sessions and its consent-
denied visits, independently of the connectors, the sandbox's report code and the SQL."""

from __future__ import annotations

import duckdb
import pandas as pd

KEY = ["reconciliation_date", "channel_group", "platform"]
# the channel_mapping seed's rules for the world's traffic, written out by hand
GROUPS = {"social": "Organic Social", "paid_social": "Paid Social", "organic": "Organic Search",
          "(none)": "Direct", "advocacy": "Advocacy"}
PLATFORMS = {"organic": "google", "(none)": "direct"}
CAMPAIGNS = {"organic": "(organic)", "(none)": "(direct)"}  # GA4's sessionCampaignName


def read(build_db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(sql).df()


def cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The mart's key of each visit, and GA4's campaign name for it."""
    return frame.assign(
        reconciliation_date=frame.date,
        channel_group=frame.medium.map(GROUPS),
        platform=[PLATFORMS.get(m, p) for m, p in zip(frame.medium, frame.platform, strict=True)],
        campaign=[CAMPAIGNS.get(m, c) for m, c in zip(frame.medium, frame.campaign, strict=True)],
    )


def expected(truth: dict[str, pd.DataFrame]) -> pd.DataFrame:
    sessions = cells(truth["sessions"])
    denied = cells(truth["consent_denied_sessions"].assign(campaign=None))
    sessions["key_events"] = (sessions.has_lead | sessions.has_partner_inquiry).astype(int)
    export = sessions.groupby(KEY).agg(export_sessions=("key_events", "size"),
                                       export_engaged_sessions=("is_engaged", "sum"),
                                       export_key_events=("key_events", "sum"))
    pings = denied.groupby(KEY).agg(export_consent_denied_events=("events", "sum"),
                                    denied_sessions=("events", "size"),
                                    denied_engaged=("is_engaged", "sum"))
    # GA4 reports by source / medium / campaign: users are distinct per report row, engagement
    # whole seconds per row; a consent-denied visit is a (modelled) user of its own
    row_keys = [*KEY, "medium", "campaign"]
    report = pd.concat([
        sessions.groupby(row_keys, dropna=False).agg(
            users=("user_pseudo_id", "nunique"), msec=("engagement_time_msec", "sum")),
        denied.groupby(row_keys, dropna=False).agg(
            users=("events", "size"), msec=("engagement_time_msec", "sum")),
    ]).groupby(row_keys, dropna=False).sum()
    report["seconds"] = [round(ms / 1000) for ms in report.msec]
    api_extra = report.groupby(KEY).agg(api_total_users=("users", "sum"),
                                        api_user_engagement_seconds=("seconds", "sum"))
    frame = export.join(pings, how="outer").join(api_extra, how="outer").fillna(0).astype("int64")
    frame["api_sessions"] = frame.export_sessions + frame.denied_sessions
    frame["api_engaged_sessions"] = frame.export_engaged_sessions + frame.denied_engaged
    frame["api_key_events"] = frame.export_key_events  # consent-denied visitors never convert here
    for measure, label in (("sessions", "session"), ("engaged_sessions", "engaged_session"),
                           ("key_events", "key_event")):
        frame[f"{label}_difference"] = frame[f"api_{measure}"] - frame[f"export_{measure}"]
        frame[f"{label}_relative_difference"] = (
            frame[f"{label}_difference"] / frame[f"api_{measure}"].where(frame[f"api_{measure}"] > 0)
        ).round(4)
    return frame.drop(columns=["denied_sessions", "denied_engaged"])


def test_reconciliation_equals_the_truth_cell_by_cell(month_build):
    world, build_db = month_build
    mart = read(build_db, "select * from main_marts.fct_web_reconciliation_daily")
    mart["reconciliation_date"] = mart.reconciliation_date.dt.date
    mart = mart.set_index(KEY).sort_index()
    want = expected(world.truth).sort_index()
    assert list(mart.index) == list(want.index)
    for column in want.columns:
        got = mart[column].astype("float64")
        assert got.fillna(-1).tolist() == want[column].astype("float64").fillna(-1).tolist(), column
    assert (mart.is_api_report_partial == False).all()  # noqa: E712 - a column of booleans


def test_the_only_difference_is_consent_denied_visits(month_build):
    """Sessions: GA4 counts the consent-denied visits the export cannot sessionise, which the
    export shows as cookieless pings; key events agree; nothing else differs."""
    world, build_db = month_build
    mart = read(build_db, "select * from main_marts.fct_web_reconciliation_daily")
    denied = world.truth["consent_denied_sessions"]
    assert mart.session_difference.sum() == len(denied) > 0
    assert mart.engaged_session_difference.sum() == denied.is_engaged.sum()
    assert mart.export_consent_denied_events.sum() == denied.events.sum()
    assert (mart.key_event_difference == 0).all() and mart.api_key_events.sum() > 0
    differing = mart[mart.session_difference != 0]
    assert set(differing.channel_group) == {"Organic Search", "Direct"}
    assert (differing.export_consent_denied_events > 0).all()
    social = mart[mart.channel_group.isin(["Organic Social", "Paid Social", "Advocacy"])]
    assert len(social) > 0 and (social.session_relative_difference == 0).all()


def test_export_sessions_are_the_funnels(month_build):
    """One definition of a session: the reconciliation's export side is fct_funnel_daily's."""
    _, build_db = month_build
    funnel = read(build_db, "select funnel_date as reconciliation_date, channel_group, platform, "
                            "sum(sessions) as sessions, sum(engaged_sessions) as engaged "
                            "from main_marts.fct_funnel_daily group by all having sum(sessions) > 0")
    mart = read(build_db, "select reconciliation_date, channel_group, platform, export_sessions, "
                          "export_engaged_sessions from main_marts.fct_web_reconciliation_daily "
                          "where export_sessions > 0")
    merged = funnel.merge(mart, on=KEY, how="outer")
    assert len(merged) == len(funnel) == len(mart) > 0
    assert (merged.sessions == merged.export_sessions).all()
    assert (merged.engaged == merged.export_engaged_sessions).all()
