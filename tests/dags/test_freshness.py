"""Which days a publish run publishes and which families are fresh, late or refused: by hand
against delivery records in a temporary data directory (docs/decisions.md 58)."""

from __future__ import annotations

from datetime import date

import pytest

from social_roi import freshness, landing
from social_roi.freshness import FamilyGateFailed, plan, record_delivery
from tests.quality.gate_factories import make_paths

D = date(2026, 10, 30)


@pytest.fixture
def paths(tmp_path):
    return make_paths(tmp_path)


def test_every_family_delivered_is_fresh(paths):
    for family in ("social", "web", "crm"):
        record_delivery(paths, family, D, passed=True, run_id="r")
    result = plan(paths, D, D)
    assert result.fresh == ("social", "web", "crm") and result.late == {} and result.warning() is None


def test_a_late_family_is_named_with_its_latest_day_and_the_rest_publishes(paths):
    for family in ("social", "web"):
        record_delivery(paths, family, D, passed=True, run_id="r")
    record_delivery(paths, "crm", date(2026, 10, 28), passed=True, run_id="r")
    record_delivery(paths, "crm", date(2026, 10, 29), passed=False, run_id="r")
    record_delivery(paths, "crm", date(2026, 10, 29), passed=True, run_id="r2")  # the rerun fixed it
    assert freshness.through_day(paths) is None  # no day that all three families delivered
    result = plan(paths, D, D)
    assert result.fresh == ("social", "web") and result.late == {"crm": date(2026, 10, 29)}
    assert result.warning() == (
        "published 2026-10-30 without fresh data from crm (latest delivered: 2026-10-29; sources "
        "hubspot, salesforce): its marts hold those sources' earlier days only")
    assert result.landed_unvalidated == {}


def test_what_a_late_family_has_landed_is_named_for_validation(paths):
    record_delivery(paths, "social", D, passed=True, run_id="r")
    record_delivery(paths, "crm", D, passed=True, run_id="r")
    landing.write_status(paths.landing, "ga4", D, configured=True, rows={"events": 3})
    result = plan(paths, D, D)
    assert result.late == {"web": None} and result.landed_unvalidated == {"web": ("ga4",)}
    assert "web (latest delivered: never" in result.warning()


def test_a_refused_day_stops_publication_until_a_rerun_fixes_it(paths):
    for family in ("social", "web", "crm"):
        record_delivery(paths, family, D, passed=True, run_id="r")
    # an earlier day refused: its partitions are still in the landing zone, dbt would read them
    record_delivery(paths, "social", date(2026, 10, 12), passed=False, run_id="r")
    with pytest.raises(FamilyGateFailed, match=r"refused social 2026-10-12 .*nothing published"):
        plan(paths, D, D)
    assert freshness.through_day(paths) == D
    record_delivery(paths, "social", date(2026, 10, 12), passed=True, run_id="rerun")
    assert plan(paths, D, D).late == {}


def test_a_day_published_with_every_family_fresh_is_complete(paths):
    assert not freshness.published_complete(paths, D)
    freshness.record_publication(paths, D, "r1", late={"crm": "2026-10-29"})
    assert not freshness.published_complete(paths, D)
    freshness.record_publication(paths, D, "r2", late={})
    assert freshness.published_complete(paths, D)


def test_a_manual_run_publishes_the_day_its_conf_names(paths, monkeypatch):
    """``airflow dags trigger social_roi_publish --conf '{"day": ...}'`` (docs/operations.md): the
    conf's day wins over the run's data interval, which Airflow 3 takes from the trigger time."""
    from datetime import UTC, datetime

    from social_roi.errors import SocialRoiError
    from social_roi.pipeline import plan_publication

    monkeypatch.setenv("SOCIAL_ROI_DATA_DIR", str(paths.data_dir))
    for family in ("social", "web", "crm"):
        record_delivery(paths, family, D, passed=True, run_id="r")
    interval = datetime(2026, 11, 21, 6, tzinfo=UTC)  # the interval before "now"
    result = plan_publication("social_roi_publish", "manual__x", "manual", {}, interval, D.isoformat())
    assert (result["first"], result["day"], result["late"]) == (D.isoformat(), D.isoformat(), {})
    with pytest.raises(SocialRoiError, match="conf day '30/10/2026' is not a YYYY-MM-DD date"):
        plan_publication("social_roi_publish", "manual__x", "manual", {}, interval, "30/10/2026")


# --- which days a run publishes, and when an Asset-triggered run has nothing to publish (decision 64)

def _deliver(paths, day, *families):
    for family in families:
        record_delivery(paths, family, day, passed=True, run_id=f"{family}-{day}")


def _run(paths, monkeypatch, kind, *, events=None, interval=None):
    """A publish run's ``check_freshness`` and, if it goes on, its publication's records (what
    ``pipeline.publish_plan`` writes after the release)."""
    from social_roi.pipeline import plan_publication

    monkeypatch.setenv("SOCIAL_ROI_DATA_DIR", str(paths.data_dir))
    result = plan_publication("social_roi_publish", f"{kind}__x", kind, events or {}, interval)
    freshness.record_published_plan(paths, f"{kind}__x", result)
    return result


def _skipped(paths, monkeypatch, kind, **run):
    from airflow.sdk.exceptions import AirflowSkipException

    with pytest.raises(AirflowSkipException) as skipped:
        _run(paths, monkeypatch, kind, **run)
    return str(skipped.value)


def test_an_asset_run_publishes_only_days_every_family_delivered_else_skips(paths, monkeypatch):
    """The stall of AssetAll: web and CRM ran three days ahead while social was retrying. Each
    social day now triggers its own run, which publishes that day; a web event with nothing new
    for every family is skipped, naming who is awaited, and publishes nothing partial."""
    days = [date(2026, 10, 28), date(2026, 10, 29), D]
    # web alone delivered the 28th: no day every family has, the run waits
    _deliver(paths, days[0], "web")
    assert _skipped(paths, monkeypatch, "asset_triggered", events={"web": [{"day": "2026-10-28"}]}) == (
        "day 2026-10-28: waiting for social, crm (web delivered); nothing new to publish")
    for day in days:
        _deliver(paths, day, "web", "crm")
    _deliver(paths, days[0], "social")
    first = _run(paths, monkeypatch, "asset_triggered", events={"social": [{"day": "2026-10-28"}]})
    assert (first["first"], first["day"], first["late"]) == ("2026-10-28", "2026-10-28", {})
    message = _skipped(paths, monkeypatch, "asset_triggered", events={"crm": [{"day": "2026-10-30"}]})
    assert message == ("day 2026-10-29: waiting for social (web, crm delivered); 2026-10-28 and "
                       "earlier already published; nothing new to publish")
    assert not freshness.publication_file(paths, days[1]).exists()
    for day in days[1:]:  # social's retried days arrive one by one: each one publishes
        _deliver(paths, day, "social")
        result = _run(paths, monkeypatch, "asset_triggered",
                      events={"social": [{"day": day.isoformat()}]})
        assert (result["first"], result["day"], result["late"]) == (day.isoformat(), day.isoformat(), {})
    assert all(freshness.published_complete(paths, day) for day in days)
    assert _skipped(paths, monkeypatch, "asset_triggered", events={"web": [{"day": "2026-10-30"}]}) == (
        "every family delivered through 2026-10-30, already published; nothing new to publish")


def test_a_run_after_a_burst_publishes_every_new_day_at_once(paths, monkeypatch):
    """Events that arrived while the previous run was busy: one run covers all their days (from
    the earliest not yet published), whatever events Airflow counted as its trigger (none here)."""
    for day in (date(2026, 10, 28), date(2026, 10, 29), D):
        _deliver(paths, day, "social", "web", "crm")
    result = _run(paths, monkeypatch, "asset_triggered", events={})
    assert (result["first"], result["day"], result["missing"]) == ("2026-10-28", D.isoformat(), {})
    assert all(freshness.published_complete(paths, date(2026, 10, d)) for d in (28, 29, 30))


def test_a_late_family_is_warned_by_the_deadline_run_and_republished_on_arrival(paths, monkeypatch, caplog):
    """Decision 58: the deadline run publishes D without crm and names it; crm's Asset for D then
    triggers a run that publishes D complete; the next deadline run of D has nothing to add."""
    from datetime import UTC, datetime

    _deliver(paths, date(2026, 10, 29), "social", "web", "crm")
    _deliver(paths, D, "social", "web")
    result = _run(paths, monkeypatch, "asset_triggered", events={"web": [{"day": "2026-10-30"}]})
    assert (result["first"], result["day"], result["late"]) == ("2026-10-29", "2026-10-29", {})
    assert _skipped(paths, monkeypatch, "asset_triggered", events={"social": [{"day": "2026-10-30"}]}) == (
        "day 2026-10-30: waiting for crm (social, web delivered); 2026-10-29 and earlier already "
        "published; nothing new to publish")
    deadline = datetime(2026, 10, 30, 6, tzinfo=UTC)
    with caplog.at_level("WARNING", logger="social_roi.pipeline"):
        result = _run(paths, monkeypatch, "scheduled", interval=deadline)
    assert (result["day"], result["late"]) == (D.isoformat(), {"crm": "2026-10-29"})
    assert "FRESHNESS WARNING: published 2026-10-30 without fresh data from crm" in caplog.text
    assert not freshness.published_complete(paths, D)
    _deliver(paths, D, "crm")
    result = _run(paths, monkeypatch, "asset_triggered", events={"crm": [{"day": "2026-10-30"}]})
    assert (result["day"], result["late"]) == (D.isoformat(), {})
    assert freshness.published_complete(paths, D)
    assert "nothing to add" in _skipped(paths, monkeypatch, "scheduled", interval=deadline)


def test_a_family_redelivering_a_published_day_republishes_it(paths, monkeypatch):
    """A backfill of one family over days already published: its new deliveries trigger a run
    that publishes again from the earliest of them (no manual run needed, docs/operations.md)."""
    for day in (date(2026, 10, 28), date(2026, 10, 29), D):
        _deliver(paths, day, "social", "web", "crm")
    _run(paths, monkeypatch, "asset_triggered", events={"web": [{"day": "2026-10-30"}]})
    _deliver(paths, date(2026, 10, 29), "crm")  # re-extracted after the publication was planned
    result = _run(paths, monkeypatch, "asset_triggered", events={"crm": [{"day": "2026-10-29"}]})
    assert (result["first"], result["day"], result["late"]) == ("2026-10-29", D.isoformat(), {})
    assert _skipped(paths, monkeypatch, "asset_triggered", events={"crm": [{"day": "2026-10-29"}]}).endswith(
        "already published; nothing new to publish")


def test_the_day_every_family_delivered_is_one_they_all_have(paths):
    """A family that skipped a day is not counted as having delivered it."""
    _deliver(paths, date(2026, 10, 28), "social", "web", "crm")
    _deliver(paths, date(2026, 10, 29), "social", "web")
    _deliver(paths, D, "crm")
    assert freshness.through_day(paths) == date(2026, 10, 28)
