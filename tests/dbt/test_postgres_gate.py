"""The marts gate on a PostgreSQL warehouse (decision 63), on tests/dbt's month built on a fresh
Postgres database (``postgres_month``): the same 18 suites judge the same frames as on DuckDB; a
bad mart row fails the gate and nothing is published.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from datetime import UTC, datetime

import duckdb
import pytest

from social_roi import pipeline, publish_postgres
from social_roi.pipeline import MARTS
from social_roi.quality.gate import GateFailed, validate_marts
from social_roi.quality.postgres_frames import read_tables
from social_roi.settings import Paths, temporary_environ
from tests.dbt.conftest import altered_mart

psycopg = pytest.importorskip("psycopg")

START, END = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture
def postgres_env(postgres_month, tmp_path):
    """The pipeline's environment on the Postgres build: results in ``tmp_path``, the month's
    landing zone (the suites' landed parameters), a BI role of the test's own."""
    target = postgres_month.target
    role = f"social_roi_bi_gate_{secrets.token_hex(4)}"  # roles are the server's: unique per test
    env = {"SOCIAL_ROI_WAREHOUSE": "postgres", **target.dbt_env(),
           "SOCIAL_ROI_PG_PASSWORD": target.password, "SOCIAL_ROI_PG_BI_ROLE": role,
           "SOCIAL_ROI_DATA_DIR": str(tmp_path), "SOCIAL_ROI_LANDING_DIR": str(postgres_month.paths.landing)}
    with temporary_environ(env):
        yield target.conninfo()
    with psycopg.connect(target.conninfo(), autocommit=True) as con:
        if con.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone():
            con.execute(f'drop owned by "{role}"')
            con.execute(f'drop role "{role}"')


def served(conninfo: str) -> tuple[dict[str, list[str]], list[tuple]]:
    """Every table of ``serving`` (sorted rows) and the release history."""
    with psycopg.connect(conninfo) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'serving' order by 1")]
        rows = {t: sorted(map(repr, con.execute(f'select * from serving."{t}"').fetchall()))
                for t in tables}
        return rows, publish_postgres.read_history(con)


def test_postgres_marts_are_read_into_the_frames_duckdb_gives(postgres_month):
    """Each mart read from Postgres has DuckDB's dtypes, column for column, and its row count."""
    frames, missing = read_tables(postgres_month.target.conninfo(), MARTS, "main_marts")
    assert missing == {}
    with duckdb.connect(str(postgres_month.duckdb_path), read_only=True) as con:
        for mart in MARTS:
            duck = con.execute(f"select * from main_marts.{mart}").df()
            pg = frames[mart]
            assert list(pg.columns) == list(duck.columns), mart
            assert pg.dtypes.astype(str).to_dict() == duck.dtypes.astype(str).to_dict(), mart
            assert len(pg) == len(duck), mart


def test_a_missing_postgres_mart_fails_by_name(postgres_month, tmp_path):
    paths = dataclasses.replace(Paths.from_env(), run_results=tmp_path,
                                landing=postgres_month.paths.landing)
    with pytest.raises(GateFailed) as caught:
        validate_marts(paths, ("fct_funnel_daily",), "no_such_schema",
                       postgres=postgres_month.target.conninfo())
    [failure] = caught.value.result.failures
    assert (failure.expectation, failure.observed) == ("table_exists", "missing")
    assert failure.kwargs == {"database": f"postgres:{postgres_month.target.dbname}"}


def test_a_bad_mart_row_on_postgres_fails_the_gate_and_nothing_is_published(postgres_env, tmp_path):
    """A negative spend and a cohort with more customers than opportunities in the Postgres
    build: the gate names both, the DAG's next step (publish) does not run, ``serving`` and its
    history stay as they were; with the rows fixed, the rerun's gate passes all 18 suites and
    publishes."""
    conninfo = postgres_env
    pipeline.publish("run-good", START, END)
    before = served(conninfo)
    spend = ("update main_marts.fct_funnel_daily set spend_usd = -5 where ctid = "
             "(select ctid from main_marts.fct_funnel_daily order by funnel_date, platform limit 1)")
    cohort = ("update main_marts.fct_funnel_cohorts set reached_customer = reached_opportunity + 1 "
              "where ctid = (select ctid from main_marts.fct_funnel_cohorts limit 1)")
    with altered_mart(conninfo, "fct_funnel_daily", spend), \
            altered_mart(conninfo, "fct_funnel_cohorts", cohort):
        with pytest.raises(GateFailed) as caught:
            gate_then_publish("run-bad")
    failures = {(f.table, f.expectation) for f in caught.value.result.failures}
    assert failures == {
        ("main_marts.fct_funnel_daily", "expect_column_values_to_be_between"),
        ("main_marts.fct_funnel_cohorts", "expect_column_pair_values_a_to_be_greater_than_b")}
    assert "-5" in str(caught.value)
    assert served(conninfo) == before
    counts = gate_then_publish("run-fixed")  # a rerun recovers: the gate passes the build
    assert counts["release"] == before[1][-1].number + 1
    written = json.loads((tmp_path / "gate_results" / "marts" / "marts.json").read_text())
    assert written["success"] is True
    assert {s["table"] for s in written["suites"]} == {f"main_marts.{m}" for m in MARTS}
    assert written["expectations_evaluated"] > 200


def gate_then_publish(run_id: str) -> dict[str, int]:
    """The publish DAG's last two tasks in their order (``validate_marts >> publish``)."""
    pipeline.check_marts()
    return pipeline.publish(run_id, START, END)
