"""One 30-day sandbox month landed through the connectors and built once, shared by the tests
that compare marts with the sandbox's ground truth; the same month built once more on a Postgres
database of its own (``postgres_month``), shared by the Postgres target and publication tests."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from social_roi.connectors import CONNECTORS
from social_roi.connectors.base import SourceConfig, land_day, skip_not_configured
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import World, WorldConfig, generate_world
from social_roi.settings import Paths, PostgresTarget, temporary_environ
from social_roi.transform import dbt_build
from tests.connectors.conftest import EXTRAS, TOKEN

MONTH = WorldConfig(seed=11, start_date=date(2026, 9, 1), days=30, scale=0.5)
CRMS = ("hubspot", "salesforce")  # the sandbox serves one world through both: a build connects one



# The build's attribution conservation tests (decision 39), and a build database that breaks them.
CONSERVATION_TESTS = ("assert_attribution_credits_sum_to_one",
                      "assert_attributed_revenue_equals_won_revenue")


def spoil_attribution_conservation(build_db: Path) -> str:
    """Halve one customer conversion's linear credits and revenue in ``build_db``'s
    ``fct_attribution``: its credits no longer sum to 1, nor its revenue to the won revenue.
    Returns the conversion id."""
    with duckdb.connect(str(build_db)) as con:
        conversion = con.execute("select conversion_id from main_marts.fct_attribution "
                                 "where attribution_model = 'linear' and conversion_type = 'customer' "
                                 "order by conversion_id limit 1").fetchone()[0]
        con.execute("update main_marts.fct_attribution set credit = credit / 2, "
                    "attributed_revenue_usd = attributed_revenue_usd / 2 "
                    "where attribution_model = 'linear' and conversion_id = ?", [conversion])
    return conversion

def land_world(world: World, root: Path, crm: str = "hubspot", days: int | None = None,
               sources: set[str] | None = None, first_day: int = 0,
               server: SandboxServer | None = None) -> None:
    """Land ``days`` days (all by default) of every source (or of ``sources``) from day
    ``first_day`` on, with ``crm`` as the CRM (the other one stays not configured: no connection),
    through the connectors and the sandbox's HTTP APIs (of ``server`` if given: a test that
    changes the sandbox between two runs)."""
    cfg = world.config
    dates = [cfg.start_date + timedelta(days=offset) for offset in range(first_day, days or cfg.days)]
    with contextlib.nullcontext(server) if server else SandboxServer(world, token=TOKEN) as server:
        for source, module in CONNECTORS.items():
            if sources is not None and source not in sources:
                continue
            if source in CRMS and source != crm:
                for day in dates:
                    skip_not_configured(module, day, root, f"no Airflow connection '{module.CONN_ID}'")
                continue
            config = SourceConfig(module.CONN_ID, server.base_url, TOKEN, EXTRAS[module.CONN_ID])
            for day in dates:
                # as a daily schedule runs: just after the day (X tells "now" only: followers)
                server.x.clock.set(datetime.combine(day + timedelta(days=1), time(0, 5), UTC))
                land_day(module, config, day, root)


@pytest.fixture(scope="session")
def month_build(tmp_path_factory) -> tuple[World, Path]:
    """(the world, its build database): all 30 days landed, then one dbt build."""
    root = tmp_path_factory.mktemp("month")
    world = generate_world(MONTH)
    land_world(world, root / "landing")
    paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                build_db=root / "build.duckdb")
    dbt_build(paths)
    return world, paths.build_db


def postgres_server() -> PostgresTarget:
    """The server at SOCIAL_ROI_PG_HOST/PORT: skipped without one, failed without one in CI."""
    import psycopg

    target = PostgresTarget.from_env()
    try:
        with psycopg.connect(dataclasses.replace(target, dbname="postgres").conninfo(connect_timeout="3")):
            pass
    except psycopg.OperationalError as error:
        message = f"no PostgreSQL at {target.host}:{target.port} ({error})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI must run the Postgres warehouse tests")
        pytest.skip(message)
    return target


@dataclasses.dataclass(frozen=True)
class PostgresBuild:
    target: PostgresTarget
    paths: Paths
    duckdb_path: Path
    seconds: float


@pytest.fixture(scope="session")
def postgres_month(month_build):
    """(target, paths, DuckDB build, seconds): tests/dbt's month built again on a database of its
    own, created for the session and dropped after it."""
    import psycopg

    server = postgres_server()
    target = dataclasses.replace(server, dbname=f"social_roi_test_{os.getpid()}_{secrets.token_hex(4)}")
    admin = dataclasses.replace(server, dbname="postgres").conninfo()
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'create database "{target.dbname}"')
    try:
        _, duckdb_path = month_build
        root = duckdb_path.parent
        paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                    build_db=root / "postgres_unused.duckdb")
        env = {"SOCIAL_ROI_WAREHOUSE": "postgres", **target.dbt_env(),
               "SOCIAL_ROI_PG_PASSWORD": target.password}
        started = clock.monotonic()
        with temporary_environ(env):
            dbt_build(paths)
        yield PostgresBuild(target, paths, duckdb_path, clock.monotonic() - started)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'drop database if exists "{target.dbname}" with (force)')


def inquiry_truth(world: World) -> pd.DataFrame:
    """The world's phone and e-mail inquiries per day and lead platform (columns ``calls`` and
    ``emails``): every inbound call and incoming e-mail, each counted, under its contact's
    platform ("(unknown)" without one); would-be partners' are left out, as the funnel does."""
    engagements, contacts = world.truth["engagements"], world.truth["contacts"]
    partners = contacts[contacts.partner_type.notna()].contact_id
    counted = engagements[engagements.is_inquiry & ~engagements.contact_id.isin(partners)]
    counted = counted.assign(platform=lambda e: e.platform.fillna("(unknown)"))
    out = counted.groupby(["date", "platform", "object_type"]).size().unstack(fill_value=0)
    out.columns.name = None
    return out[["calls", "emails"]].astype("int64").sort_index()


def inquiries_of(con, sql_filter: str = "") -> pd.DataFrame:
    """``fct_funnel_daily``'s phone and e-mail inquiries per day and platform, as
    ``inquiry_truth`` has them (cells without an inquiry left out)."""
    mart = con.execute("select funnel_date, platform, sum(phone_inquiries) as calls, "
                       "sum(email_inquiries) as emails from main_marts.fct_funnel_daily "
                       f"{sql_filter} group by all "
                       "having sum(phone_inquiries) + sum(email_inquiries) > 0").df()
    mart = mart.assign(date=mart.funnel_date.dt.date).set_index(["date", "platform"]).sort_index()
    return mart[["calls", "emails"]].astype("int64")


@contextlib.contextmanager
def altered_mart(conninfo: str, table: str, statement: str):
    """``main_marts.<table>`` of the Postgres build changed by ``statement`` for the block, then
    given back its rows (the build is shared by the session's Postgres tests)."""
    import psycopg

    saved = f"{table}_saved_{secrets.token_hex(4)}"
    with psycopg.connect(conninfo) as con:
        con.execute(f'create table main_marts."{saved}" as select * from main_marts."{table}"')
        con.execute(statement)
    try:
        yield
    finally:
        with psycopg.connect(conninfo) as con:
            con.execute(f'truncate main_marts."{table}"')
            con.execute(f'insert into main_marts."{table}" select * from main_marts."{saved}"')
            con.execute(f'drop table main_marts."{saved}"')
