"""The incremental models (decision 65) after each daily run equal a full build of the same landing
zone, row for row, through late data: a deal won weeks after its creation, a CRM delete, a GA4
day re-delivered with events taken away and a late hit that joins a session across midnight, and
a person linked to a browser whose sessions were anonymous until then."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from social_roi.pii import configure_duckdb
from social_roi.sandbox.hubspot import iso_ms
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths
from social_roi.transform import dbt_build
from tests.connectors.conftest import TOKEN
from tests.dbt.compare_builds import differences
from tests.dbt.conftest import land_world

WORLD = WorldConfig(seed=5, start_date=date(2026, 9, 1), days=14, scale=0.3)
INCREMENTAL = ("main_staging.stg_ga4__events", "main_intermediate.int_web_sessions",
               "main_intermediate.int_conversion_paths", "main_intermediate.int_attribution_rule_based",
               "main_marts.fct_attribution")
# the models and what they read; tests are left to the other dbt tests (cost)
BUILD = ["--select", "+fct_attribution", "--resource-type", "model", "--resource-type", "seed"]


def _day(offset: int) -> date:
    return WORLD.start_date + timedelta(days=offset)


def _tables(build_db) -> dict[str, tuple[list[str], list[tuple]]]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        found = {}
        for table in INCREMENTAL:
            result = con.execute(f"select * from {table}")
            columns = [c[0] for c in result.description]
            # the nested GA4 columns compare as text
            found[table] = columns, [tuple(v if not isinstance(v, dict | list) else repr(v) for v in row)
                                     for row in result.fetchall()]
        return found


def _full_build(paths: Paths, tmp_path) -> dict:
    """The same landing zone built from nothing (what --full-refresh gives)."""
    full = dataclasses.replace(paths, build_db=tmp_path / "full.duckdb")
    full.build_db.unlink(missing_ok=True)
    dbt_build(full, BUILD)
    return _tables(full.build_db)


def _assert_same(incremental: dict, full: dict, run: str) -> None:
    for table, (columns, rows) in full.items():
        assert incremental[table][0] == columns, f"{run}: {table} columns"
        found = differences(columns, incremental[table][1], rows)
        assert not found, f"{run}: {table} differs from a full build: {found}"


def _events_file(paths: Paths, day: date):
    return paths.landing / "ga4" / "events" / f"date={day.isoformat()}" / "data.parquet"


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _with_hit(table: pa.Table, template: pa.Table, moment: datetime) -> pa.Table:
    """``table`` plus a copy of the event ``template`` (one row) at ``moment`` (a late hit)."""
    hit = template
    hit = hit.set_column(hit.schema.get_field_index("event_timestamp"), "event_timestamp",
                         pa.array([_us(moment)], hit.schema.field("event_timestamp").type))
    hit = hit.set_column(hit.schema.get_field_index("event_date"), "event_date",
                         pa.array([moment.strftime("%Y%m%d")], hit.schema.field("event_date").type))
    return pa.concat_tables([table, pa.Table.from_arrays(hit.columns, schema=table.schema)])


@pytest.fixture(scope="module")
def daily_runs(tmp_path_factory):
    """Three daily runs; after each, the incremental build's tables and a full build's."""
    world = generate_world(WORLD)
    root = tmp_path_factory.mktemp("incremental")
    paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                build_db=root / "build.duckdb")
    first_new = WORLD.days - 2
    runs = {}
    with SandboxServer(world, token=TOKEN) as server:
        portal = server.hubspot
        land_world(world, paths.landing, days=first_new, server=server)
        dbt_build(paths, BUILD)
        with duckdb.connect(str(paths.build_db), read_only=True) as con:
            configure_duckdb(con)  # the CRM views hash personal data
            # a converted person, and an anonymous browser with sessions in their window
            person, browser = con.execute(
                "select c.person_id, t.user_pseudo_id from main_marts.fct_conversions c "
                "join main_marts.fct_touchpoints t on t.person_id is null and t.user_pseudo_id is not null "
                "and t.touchpoint_at < c.converted_at and t.touchpoint_at > c.converted_at - interval 60 day "
                "where c.conversion_type = 'lead' order by c.person_id, t.user_pseudo_id limit 1").fetchone()
        assert person
        # two deals open so far (opportunities): one is won late, the other deleted
        cut = int(datetime.combine(_day(first_new), time(), UTC).timestamp() * 1000)
        open_deals = [d for d in world.deals if d.closed_ms is None and d.lastmodified_ms < cut]
        late, archived = open_deals[0], open_deals[1]

        # day 1: a deal created weeks ago is won, another is archived (a CRM delete); a late
        # hit of a browser at 23:55 of the day
        day = _day(first_new)
        at = datetime.combine(day, time(12), UTC)
        stamp = iso_ms(int(at.timestamp() * 1000))
        portal.update("deals", late.deal_id, at, dealstage="closedwon", closedate=stamp, hs_is_closed="true",
                      hs_is_closed_won="true", hs_closed_amount=f"{late.amount:.2f}",
                      hs_date_entered_closedwon=stamp)
        portal.archive("deals", archived.deal_id, at)
        land_world(world, paths.landing, first_day=first_new, days=first_new + 1, server=server)
        events = pq.read_table(_events_file(paths, day))
        night_owl = events["user_pseudo_id"][0].as_py()
        template = events.filter(pc.equal(events["user_pseudo_id"], night_owl)).slice(0, 1)
        pq.write_table(_with_hit(events, template, datetime.combine(day, time(23, 55), UTC)),
                       _events_file(paths, day))
        dbt_build(paths, BUILD)
        runs["late deal and delete"] = (_tables(paths.build_db), _full_build(paths, root))

        # day 2: the person's contact now carries the anonymous browser's client id (a link found
        # later); GA4 re-delivers the day before without one browser's events, and the night owl's
        # next hit, at 00:05, lands with the new day
        day = _day(first_new + 1)
        at = datetime.combine(day, time(12), UTC)
        portal.update("contacts", person, at, ga_client_id=browser)
        land_world(world, paths.landing, first_day=first_new + 1, server=server)
        redelivered = _events_file(paths, day - timedelta(days=1))
        events = pq.read_table(redelivered)
        gone = next(b.as_py() for b in events["user_pseudo_id"] if b.as_py() not in (None, night_owl))
        kept = pc.invert(pc.fill_null(pc.equal(events["user_pseudo_id"], gone), False))
        pq.write_table(events.filter(kept), redelivered)
        shutil.copy(_events_file(paths, day), root / "day2.parquet")
        pq.write_table(_with_hit(pq.read_table(root / "day2.parquet"), template,
                                 datetime.combine(day, time(0, 5), UTC)), _events_file(paths, day))
        dbt_build(paths, BUILD)
        runs["identity link and re-delivery"] = (_tables(paths.build_db), _full_build(paths, root))
    facts = {"late_deal": late.deal_id, "archived_deal": archived.deal_id, "person": person,
             "browser": browser, "gone": gone, "redelivered": day - timedelta(days=1),
             "night_owl": night_owl, "build_db": paths.build_db}
    return runs, facts


def test_each_daily_run_equals_a_full_build(daily_runs):
    runs, _ = daily_runs
    for run, (incremental, full) in runs.items():
        _assert_same(incremental, full, run)


def test_the_late_data_reached_the_incremental_tables(daily_runs):
    """The runs above compared something that changed: each late change is in the tables."""
    _, facts = daily_runs
    with duckdb.connect(str(facts["build_db"]), read_only=True) as con:
        def one(sql, *params):
            return con.execute(sql, list(params)).fetchone()[0]
        paths = "main_intermediate.int_conversion_paths"
        late = f"customer:{facts['late_deal']}"
        assert one(f"select count(*) from {paths} where conversion_id = ?", late) > 0
        assert one("select count(*) from main_marts.fct_attribution where conversion_id like ?",
                   f"%:{facts['archived_deal']}") == 0
        # the browser's old sessions now belong to the person and are on their lead's path
        assert one(f"select count(*) from {paths} p join main_marts.fct_touchpoints t using (touchpoint_id) "
                   "where t.user_pseudo_id = ? and p.person_id = ?", facts["browser"], facts["person"]) > 0
        assert one("select count(*) from main_staging.stg_ga4__events where user_pseudo_id = ? "
                   "and landed_date = ?", facts["gone"], facts["redelivered"]) == 0
        # 23:55 and 00:05: one session across midnight
        assert one("select count(*) from main_intermediate.int_web_sessions where user_pseudo_id = ? "
                   "and cast(session_start_at as date) < cast(session_end_at as date)",
                   facts["night_owl"]) == 1
