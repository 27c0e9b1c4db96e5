"""The incremental models (decision 65) after each daily run equal a full build of the same landing
zone, row for row, through late data: a deal won weeks after its creation, a CRM delete, a GA4
day re-delivered with events taken away and a late hit that joins a session across midnight, and
a person linked to a browser whose sessions were anonymous until then. On DuckDB, and on
Postgres (the same SQL) in one daily run that takes both days, for cost. And a database an earlier project
built is rebuilt from nothing by the pipeline's build (the project's fingerprint changed)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
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
from social_roi.settings import Paths, temporary_environ
from social_roi.transform import DbtFailed, _seeds_marker, dbt_build
from tests.connectors.conftest import TOKEN
from tests.dbt.compare_builds import differences
from tests.dbt.conftest import land_world, postgres_server

# 6 days built, then 2 daily runs (the smallest world of this size with 2 deals open by then)
WORLD = WorldConfig(seed=3, start_date=date(2026, 9, 1), days=8, scale=0.3)
FIRST_NEW = WORLD.days - 2
# the incremental models, and the mart built from them
COMPARED = ("main_staging.stg_ga4__events", "main_intermediate.int_web_sessions",
            "main_intermediate.int_conversion_paths", "main_intermediate.int_attribution_rule_based",
            "main_marts.fct_attribution")
# the models and what they read (on Postgres, the data-driven credits are computed in Python from
# int_attribution_null_journeys); tests are left to the other dbt tests (cost)
BUILD = ["--select", "+fct_attribution", "+int_attribution_null_journeys",
         "--resource-type", "model", "--resource-type", "seed"]


def _day(offset: int) -> date:
    return WORLD.start_date + timedelta(days=offset)


@dataclasses.dataclass
class Warehouse:
    """Where a build goes: a DuckDB file, or a Postgres database of its own (created here)."""

    kind: str
    paths: Paths
    stack: contextlib.ExitStack

    def build(self, args=BUILD, database: str = "build", **kwargs) -> None:
        paths = dataclasses.replace(self.paths, build_db=self.paths.data_dir / f"{database}.duckdb")
        with temporary_environ(self._postgres(database) if self.kind == "postgres" else {}):
            dbt_build(paths, args, **kwargs)

    def query(self, sql: str, params=(), database: str = "build"):
        """(column names, rows) of ``sql`` (``?`` placeholders) on one of this warehouse's builds."""
        if self.kind == "postgres":
            import psycopg

            from social_roi.pii import key
            from social_roi.warehouse_postgres import startup_options

            conninfo = self.__dict__["_targets"][database].conninfo(options=startup_options(key()))
            with psycopg.connect(conninfo) as con:
                result = con.execute(sql.replace("?", "%s"), list(params))
                return [c[0] for c in result.description], result.fetchall()
        with duckdb.connect(str(self.paths.data_dir / f"{database}.duckdb"), read_only=True) as con:
            configure_duckdb(con)  # the CRM views hash personal data
            result = con.execute(sql, list(params))
            return [c[0] for c in result.description], result.fetchall()

    def tables(self, database: str = "build") -> dict[str, tuple[list[str], list[tuple]]]:
        found = {}
        for table in COMPARED:
            columns, rows = self.query(f"select * from {table}", database=database)
            # the nested GA4 columns compare as text
            found[table] = columns, [tuple(v if not isinstance(v, dict | list) else repr(v) for v in row)
                                     for row in rows]
        return found

    def _postgres(self, database: str) -> dict[str, str]:
        targets = self.__dict__.setdefault("_targets", {})
        if database not in targets:
            import psycopg

            server = postgres_server()
            target = targets[database] = dataclasses.replace(
                server, dbname=f"social_roi_inc_{os.getpid()}_{secrets.token_hex(4)}")
            admin = dataclasses.replace(server, dbname="postgres").conninfo()
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute(f'create database "{target.dbname}"')

            def drop(name=target.dbname):
                with psycopg.connect(admin, autocommit=True) as con:
                    con.execute(f'drop database if exists "{name}" with (force)')
            self.stack.callback(drop)
        target = targets[database]
        return {"SOCIAL_ROI_WAREHOUSE": "postgres", **target.dbt_env(),
                "SOCIAL_ROI_PG_PASSWORD": target.password}


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
def first_days(tmp_path_factory):
    """The first days landed once (the sandbox changes nothing before the daily runs)."""
    landing = tmp_path_factory.mktemp("first_days") / "landing"
    land_world(generate_world(WORLD), landing, days=FIRST_NEW)
    return landing


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def daily_runs(request, first_days, tmp_path_factory):
    """Two daily runs (on Postgres, one run after both days, as after a missed day: the same
    late data at half the builds); after each, the incremental build's tables and a full
    build's of the same landing zone."""
    world = generate_world(WORLD)  # the server changes its world: one of its own
    root = tmp_path_factory.mktemp(f"incremental_{request.param}")
    paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                build_db=root / "build.duckdb")
    shutil.copytree(first_days, paths.landing)
    runs = {}
    with contextlib.ExitStack() as stack, SandboxServer(world, token=TOKEN) as server:
        warehouse = Warehouse(request.param, paths, stack)
        portal = server.hubspot
        warehouse.build()
        # a converted person, and an anonymous browser with sessions in their window
        _, [(person, browser)] = warehouse.query(
            "select c.person_id, t.user_pseudo_id from main_marts.fct_conversions c "
            "join main_marts.fct_touchpoints t on t.person_id is null and t.user_pseudo_id is not null "
            "and t.touchpoint_at < c.converted_at and t.touchpoint_at > c.converted_at - interval '60 days' "
            "where c.conversion_type = 'lead' order by c.person_id, t.user_pseudo_id limit 1")
        assert person
        # two deals open so far (opportunities): one is won late, the other deleted
        cut = int(datetime.combine(_day(FIRST_NEW), time(), UTC).timestamp() * 1000)
        open_deals = [d for d in world.deals if d.closed_ms is None and d.lastmodified_ms < cut]
        late, archived = open_deals[0], open_deals[1]

        # day 1: a deal created weeks ago is won, another is archived (a CRM delete); a late
        # hit of a browser at 23:55 of the day
        day = _day(FIRST_NEW)
        at = datetime.combine(day, time(12), UTC)
        stamp = iso_ms(int(at.timestamp() * 1000))
        portal.update("deals", late.deal_id, at, dealstage="closedwon", closedate=stamp, hs_is_closed="true",
                      hs_is_closed_won="true", hs_closed_amount=f"{late.amount:.2f}",
                      hs_date_entered_closedwon=stamp)
        portal.archive("deals", archived.deal_id, at)
        land_world(world, paths.landing, first_day=FIRST_NEW, days=FIRST_NEW + 1, server=server)
        events = pq.read_table(_events_file(paths, day))
        night_owl = events["user_pseudo_id"][0].as_py()
        template = events.filter(pc.equal(events["user_pseudo_id"], night_owl)).slice(0, 1)
        pq.write_table(_with_hit(events, template, datetime.combine(day, time(23, 55), UTC)),
                       _events_file(paths, day))
        if request.param == "duckdb":  # on Postgres, one daily run takes both days (cost)
            warehouse.build()
            warehouse.build(database="full_1")
            runs["late deal and delete"] = (warehouse.tables(), warehouse.tables("full_1"))

        # day 2: the person's contact now carries the anonymous browser's client id (a link found
        # later); GA4 re-delivers the day before without one browser's events, and the night owl's
        # next hit, at 00:05, lands with the new day
        day = _day(FIRST_NEW + 1)
        at = datetime.combine(day, time(12), UTC)
        portal.update("contacts", person, at, ga_client_id=browser)
        land_world(world, paths.landing, first_day=FIRST_NEW + 1, server=server)
        redelivered = _events_file(paths, day - timedelta(days=1))
        events = pq.read_table(redelivered)
        gone = next(b.as_py() for b in events["user_pseudo_id"] if b.as_py() not in (None, night_owl))
        kept = pc.invert(pc.fill_null(pc.equal(events["user_pseudo_id"], gone), False))
        pq.write_table(events.filter(kept), redelivered)
        shutil.copy(_events_file(paths, day), root / "day2.parquet")
        pq.write_table(_with_hit(pq.read_table(root / "day2.parquet"), template,
                                 datetime.combine(day, time(0, 5), UTC)), _events_file(paths, day))
        warehouse.build()
        warehouse.build(database="full_2")
        runs["identity link and re-delivery"] = (warehouse.tables(), warehouse.tables("full_2"))
        facts = {"late_deal": late.deal_id, "archived_deal": archived.deal_id, "person": person,
                 "browser": browser, "gone": gone, "redelivered": day - timedelta(days=1),
                 "night_owl": night_owl, "warehouse": warehouse}
        yield runs, facts


def test_each_daily_run_equals_a_full_build(daily_runs):
    runs, _ = daily_runs
    for run, (incremental, full) in runs.items():
        _assert_same(incremental, full, run)


def test_the_late_data_reached_the_incremental_tables(daily_runs):
    """The runs above compared something that changed: each late change is in the tables."""
    _, facts = daily_runs

    def one(sql, *params):
        return facts["warehouse"].query(sql, params)[1][0][0]
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


@pytest.mark.parametrize("daily_runs", ["duckdb"], indirect=True)  # the marker is beside the DuckDB file
def test_a_database_an_earlier_project_built_is_rebuilt_from_nothing(daily_runs, tmp_path, caplog):
    """A build database of an earlier project (here: int_web_sessions without the column the
    incremental run reads) fails an incremental run; the pipeline's build sees that the project
    differs from the one of the last build that passed there and runs a full refresh."""
    runs, facts = daily_runs
    warehouse = facts["warehouse"]
    paths = dataclasses.replace(warehouse.paths, build_db=tmp_path / "old.duckdb")
    shutil.copy(warehouse.paths.build_db, paths.build_db)
    with duckdb.connect(str(paths.build_db)) as con:
        con.execute("alter table main_intermediate.int_web_sessions drop column landed_date")
    with pytest.raises(DbtFailed, match="int_web_sessions"):
        dbt_build(paths, ["--select", "int_web_sessions"])
    _seeds_marker(paths).write_text("the fingerprint of an earlier project")
    with caplog.at_level(logging.WARNING, logger="social_roi.transform"):
        dbt_build(paths, BUILD, keep_loaded_seeds=True)
    assert "dbt project changed since the last build: full refresh" in caplog.text
    rebuilt = dataclasses.replace(warehouse, paths=dataclasses.replace(warehouse.paths, data_dir=tmp_path))
    _assert_same(rebuilt.tables("old"), runs["identity link and re-delivery"][1], "after the full refresh")
