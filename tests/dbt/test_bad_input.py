"""Bots on real landed data: a crawler browser with hundreds of campaign-tagged hits and a
monitoring script that signs in as a real prospect from hundreds of fresh browsers. Both are
flagged, counted in the identity mart, and change no credit of any model (conservation is checked
by the build's own singular tests)."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from social_roi import landing
from social_roi.connectors import ga4
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths
from social_roi.transform import dbt_build
from tests.dbt.conftest import CONSERVATION_TESTS, land_world, spoil_attribution_conservation

WORLD = WorldConfig(seed=3, days=12, scale=0.5)
CRAWLER_HITS = 300
MONITOR_BROWSERS = 200


def _event(at: datetime, name: str, browser: str, session_id: int, *, user_id: str | None = None,
           campaign: str | None = None) -> dict:
    params = [{"key": "ga_session_id", "value": {"int_value": session_id}},
              {"key": "page_location", "value": {"string_value": "https://www.example.com/"}}]
    if campaign is not None:
        params += [{"key": k, "value": {"string_value": v}}
                   for k, v in (("source", "google"), ("medium", "cpc"), ("campaign", campaign))]
    return {"event_date": at.strftime("%Y%m%d"), "event_timestamp": int(at.timestamp() * 1e6),
            "event_name": name, "event_params": params, "user_id": user_id,
            "user_pseudo_id": browser}


def bot_events(day, app_user_id: str) -> list[dict]:
    start = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
    crawler = [_event(start + timedelta(seconds=10 * i), "page_view", "999.1", 1, campaign=f"c{i}")
               for i in range(CRAWLER_HITS)]
    monitor = [_event(start + timedelta(minutes=5 * i, seconds=s), name, f"{900 + i}.2", 2 + i,
                      user_id=user_id)
               for i in range(MONITOR_BROWSERS)
               for s, name, user_id in ((0, "session_start", None), (1, "page_view", app_user_id))]
    return crawler + monitor


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The same landed days built twice: as landed, and with the bots added to one day."""
    world = generate_world(WORLD)
    truth = world.truth
    root = tmp_path_factory.mktemp("bots")
    land_world(world, root / "clean")
    # an opportunity who is not on the site on the bots' day: their real journey must not change
    people = truth["contacts"].dropna(subset=["opportunity_at", "app_user_id"])
    sessions = truth["sessions"]
    day = WORLD.start_date + timedelta(days=WORLD.days - 2)
    person = next(c for c in people.itertuples()
                  if not ((sessions.contact_id == c.contact_id) & (sessions.date == day)).any())
    shutil.copytree(root / "clean", root / "bots")
    events = landing.read_partition(root / "bots", "ga4", "events", day).to_pylist()
    table = pa.Table.from_pylist(events + bot_events(day, person.app_user_id), ga4.EVENTS.schema)
    landing.write_partition(root / "bots", "ga4", "events", day, table)

    out = {}
    for name in ("clean", "bots"):
        paths = dataclasses.replace(Paths.from_env(), data_dir=root / name, landing=root / name,
                                    build_db=root / f"{name}.duckdb")
        dbt_build(paths)  # includes the conservation tests: a failure raises here
        out[name] = duckdb.connect(str(paths.build_db), read_only=True)
    yield out, day, person.contact_id
    for con in out.values():
        con.close()


def test_bot_sessions_are_flagged_and_counted(builds):
    cons, day, person = builds
    con = cons["bots"]
    flagged = con.execute(
        "select count(*) filter (where person_id is null), count(*) filter (where person_id = ?) "
        "from main_marts.fct_touchpoints where is_suspected_bot and touchpoint_date = ?",
        [person, day]).fetchone()
    assert flagged == (CRAWLER_HITS, MONITOR_BROWSERS)
    assert con.execute("select count(*) from main_marts.fct_touchpoints where is_suspected_bot "
                       "and touchpoint_date <> ?", [day]).fetchone() == (0,)
    assert cons["clean"].execute("select count(*) from main_marts.fct_touchpoints "
                                 "where is_suspected_bot").fetchone() == (0,)
    counted = con.execute("select sum(suspected_bot_touchpoints) from "
                          "main_marts.fct_identity_match_daily where match_date = ?", [day]).fetchone()
    assert counted == (CRAWLER_HITS + MONITOR_BROWSERS,)


def test_bots_never_reach_a_path_and_change_no_credit(builds):
    cons, _, person = builds
    on_paths = cons["bots"].execute(
        "select count(*) from main_intermediate.int_conversion_paths p "
        "join main_marts.fct_touchpoints t using (touchpoint_id) where t.is_suspected_bot").fetchone()
    assert on_paths == (0,)
    query = ("select conversion_id, position, attribution_model, touchpoint_id, credit, "
             "attributed_revenue_usd from main_marts.fct_attribution order by all")
    clean, bots = (cons[name].execute(query).fetchall() for name in ("clean", "bots"))
    assert len(clean) > 1000 and clean == bots
    conversions = cons["bots"].execute("select count(*) from main_marts.fct_conversions "
                                       "where person_id = ?", [person]).fetchone()[0]
    assert conversions >= 4  # the impersonated person's lead … opportunity, credits unchanged
    effects = "select * from main_marts.fct_markov_removal_effects order by all"
    assert cons["clean"].execute(effects).fetchall() == cons["bots"].execute(effects).fetchall()


def test_broken_attribution_conservation_stops_the_build(month_build, tmp_path):
    """Conservation (Σ credit = 1 per conversion and model; attributed revenue = won revenue) is
    checked once, by the build's singular tests (decision 39), not again in GE: a build whose
    credits no longer add up fails `dbt_build`, so the DAG never reaches the gate or publish."""
    from social_roi.transform import DbtFailed

    _, build_db = month_build
    copy = tmp_path / "build.duckdb"
    shutil.copy(build_db, copy)
    spoil_attribution_conservation(copy)
    paths = dataclasses.replace(Paths.from_env(), data_dir=tmp_path, landing=build_db.parent / "landing",
                                build_db=copy)
    with pytest.raises(DbtFailed) as caught:
        dbt_build(paths, ["--select", *CONSERVATION_TESTS])
    message = str(caught.value)
    assert "assert_attribution_credits_sum_to_one" in message
    assert "assert_attributed_revenue_equals_won_revenue" in message
