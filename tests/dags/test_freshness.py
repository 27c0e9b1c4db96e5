"""Which days a publish run publishes and which families are fresh, late or refused: by hand
against delivery records in a temporary data directory (docs/decisions.md 58)."""

from __future__ import annotations

from datetime import date

import pytest

from social_roi import freshness, landing
from social_roi.freshness import FamilyGateFailed, day_from_events, plan, record_delivery
from tests.quality.gate_factories import make_paths

D = date(2026, 10, 30)


@pytest.fixture
def paths(tmp_path):
    return make_paths(tmp_path)


def test_an_asset_triggered_run_publishes_through_the_day_every_family_delivered():
    # web and CRM ran ahead during a catch-up; social delivered the 28th only so far
    events = {"social": [{"family": "social", "day": "2026-10-28"}],
              "web": [{"day": "2026-10-28"}, {"day": "2026-10-29"}, {"day": "2026-10-30"}],
              "crm": [{"day": "2026-10-29"}]}
    assert day_from_events(events) == (date(2026, 10, 28), date(2026, 10, 28))
    assert day_from_events({"social": [{"day": "2026-10-30"}], "web": [{"day": "2026-10-30"}],
                            "crm": [{"day": "2026-10-29"}, {"day": "2026-10-30"}]}) == (
        date(2026, 10, 29), date(2026, 10, 30))
    with pytest.raises(Exception, match="without a day"):
        day_from_events({"social": [{}]})


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
    assert freshness.through_day(paths) == date(2026, 10, 29)
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
