"""Publication on a PostgreSQL warehouse (decision 59), on the month of tests/dbt built on a fresh
Postgres database (``postgres_month``): the marts copied into ``serving_next`` and swapped in as
``serving`` in one transaction; the read-only BI role; numbered releases.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from datetime import UTC, datetime

import pytest

from social_roi import pipeline, publish_postgres
from social_roi.__main__ import main
from social_roi.pipeline import MARTS
from social_roi.publish import PublishError
from social_roi.releases import ReleaseError
from social_roi.settings import temporary_environ
from tests.dbt.conftest import altered_mart

psycopg = pytest.importorskip("psycopg")

START, END = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def warehouse(postgres_month):
    """(conninfo, BI role, BI login): a role and a login of this module's own, dropped after."""
    conninfo = postgres_month.target.conninfo()
    suffix = secrets.token_hex(4)
    role, login = f"social_roi_bi_test_{suffix}", f"social_roi_bi_user_{suffix}"
    try:
        yield conninfo, role, login
    finally:
        with psycopg.connect(conninfo, autocommit=True) as con:
            for name in (login, role):
                if con.execute("select 1 from pg_roles where rolname = %s", [name]).fetchone():
                    con.execute(f'drop owned by "{name}"')
                    con.execute(f'drop role "{name}"')


def _publish(warehouse, run_id: str, tables=MARTS, **kwargs):
    conninfo, role, login = warehouse
    return publish_postgres.publish(conninfo, tables, run_id=run_id, interval_start=START,
                                    interval_end=END, bi_role=role, bi_login=(login, "s3cret-bi"),
                                    **kwargs)


def _rows(con, schema: str, table: str) -> list[str]:
    return sorted(repr(r) for r in con.execute(f'select * from {schema}."{table}"').fetchall())


def _fingerprint(con, schema: str = "serving") -> dict[str, object]:
    """Every table of ``schema`` with its rows (by default the whole served release)."""
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                        "where table_schema = %s order by 1", [schema])]
    return {t: _rows(con, schema, t) for t in tables}


def test_the_published_tables_are_the_marts(warehouse, caplog):
    conninfo = warehouse[0]
    with caplog.at_level(logging.INFO, logger="social_roi.publish_postgres"):
        result = _publish(warehouse, "run-1")
    swap_ms = float(re.search(r"in (\d+) ms", caplog.text).group(1))
    print(f"swap transaction: {swap_ms:.0f} ms")
    assert swap_ms < 2000
    with psycopg.connect(conninfo) as con:
        served = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'serving'")}
        assert served == {*MARTS, "_publication", "releases"}
        rows = 0
        for mart in MARTS:
            marts = _rows(con, "main_marts", mart)
            assert _rows(con, "serving", mart) == marts, mart
            assert result.row_counts[mart] == len(marts)
            rows += len(marts)
        assert rows > 10_000  # ~14 000 in the published marts of the month
        run, start, end, published, names, counts = con.execute(
            "select run_id, interval_start, interval_end, published_at, table_names, row_counts "
            "from serving._publication").fetchone()
        assert (run, start, end, published) == ("run-1", START, END, END)
        assert names == list(MARTS) and counts == result.row_counts
        history = publish_postgres.read_history(con)
        assert not {"serving_next", "serving_old"} & {r[0] for r in con.execute(
            "select nspname from pg_namespace")}
    assert history[-1].number == result.release and history[-1].is_current and history[-1].is_kept
    assert [r.number for r in history] == list(range(1, result.release + 1))


def test_a_second_publication_is_the_next_release_and_both_are_kept(warehouse):
    first = _publish(warehouse, "run-a")
    second = _publish(warehouse, "run-b")
    assert second.release == first.release + 1
    history = publish_postgres.list_releases(warehouse[0])
    assert [(r.number, r.run_id, r.is_current, r.is_kept) for r in history[-2:]] == [
        (first.release, "run-a", False, True), (second.release, "run-b", True, True)]
    assert history[-1].row_counts == history[-2].row_counts == second.row_counts
    with psycopg.connect(warehouse[0]) as con:
        kept = publish_postgres.kept_numbers(con)
        assert {first.release, second.release} <= kept
        assert _fingerprint(con, publish_postgres.release_schema(second.release)) == _fingerprint(con)


def _data(fingerprint: dict[str, object]) -> dict[str, object]:
    """A release's data: every table but the history."""
    return {table: rows for table, rows in fingerprint.items() if table != "releases"}


def test_rollback_serves_the_earlier_release_exactly_and_the_bi_role_reads_serving_only(warehouse):
    """Publish twice (the second from marts that changed), roll back: every served table is the
    first release's again, row for row; the BI login still reads ``serving`` and cannot read a
    kept release; only the last ``keep`` releases remain."""
    conninfo, role, login = warehouse
    _publish(warehouse, "run-zero")  # an earlier release, pruned below
    first = _publish(warehouse, "run-first")
    with psycopg.connect(conninfo) as con:
        served_first = _fingerprint(con)
    with altered_mart(conninfo, "fct_funnel_daily", "delete from main_marts.fct_funnel_daily where "
                      "ctid in (select ctid from main_marts.fct_funnel_daily limit 5)"):
        second = _publish(warehouse, "run-second", keep=3)
    assert second.row_counts["fct_funnel_daily"] == first.row_counts["fct_funnel_daily"] - 5
    with psycopg.connect(conninfo) as con:
        assert _data(_fingerprint(con)) != _data(served_first)

    plan = publish_postgres.rollback(conninfo, first.release, keep=3, bi_role=role)

    assert (plan.release.number, plan.release.restored_release_number) == (second.release + 1,
                                                                           first.release)
    with psycopg.connect(conninfo) as con:
        restored = _fingerprint(con)
        assert _data(restored) == _data(served_first)  # every mart and `_publication`, row for row
        history = publish_postgres.read_history(con)
        kept = publish_postgres.kept_numbers(con)
        leftovers = {r[0] for r in con.execute("select nspname from pg_namespace")} & {
            "serving_next", "serving_old"}
    assert [(r.number, r.run_id, r.restored_release_number, r.is_current) for r in history[-3:]] == [
        (first.release, "run-first", None, False), (second.release, "run-second", None, False),
        (plan.release.number, "run-first", first.release, True)]
    assert kept == {first.release, second.release, plan.release.number}  # keep=3: older pruned
    assert [r.number for r in history if r.is_kept] == sorted(kept)
    assert not leftovers

    bi = re.sub(r"user=\S+", f"user={login}", conninfo)
    with psycopg.connect(bi, password="s3cret-bi", autocommit=True) as con:
        assert con.execute("select count(*) from serving.fct_funnel_daily").fetchone()[0] == \
            first.row_counts["fct_funnel_daily"]
        for number in kept:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(f"select count(*) from {publish_postgres.release_schema(number)}"
                            ".fct_funnel_daily")

    with pytest.raises(ReleaseError, match="pruned"):
        publish_postgres.rollback(conninfo, first.release - 1, keep=3, bi_role=role)
    with psycopg.connect(conninfo) as con:
        assert _fingerprint(con) == restored  # a refused rollback changed nothing


def test_a_failure_mid_copy_leaves_serving_as_it_was(warehouse):
    conninfo = warehouse[0]
    before = _publish(warehouse, "run-before")
    with psycopg.connect(conninfo) as con:
        served = _fingerprint(con)
    broken = (*MARTS[:3], "fct_no_such_mart", *MARTS[3:])
    with pytest.raises(PublishError, match=r"main_marts\.fct_no_such_mart"):
        _publish(warehouse, "run-broken", tables=broken)
    with psycopg.connect(conninfo) as con:
        assert _fingerprint(con) == served
        assert con.execute("select to_regnamespace('serving_next')").fetchone()[0] is None
    after = _publish(warehouse, "run-after")
    assert after.release == before.release + 1  # the failed one used no number


def test_the_bi_login_reads_serving_and_nothing_else(warehouse):
    conninfo, role, login = warehouse
    _publish(warehouse, "run-bi")
    with psycopg.connect(conninfo) as con:
        expected = con.execute("select count(*) from main_marts.fct_funnel_daily").fetchone()[0]
        assert con.execute("select rolcanlogin from pg_roles where rolname = %s", [role]).fetchone() == (
            False,)
    bi = re.sub(r"user=\S+", f"user={login}", conninfo)
    assert f"user={login}" in bi
    with psycopg.connect(bi, password="s3cret-bi", autocommit=True) as con:
        assert con.execute("select current_user").fetchone()[0] == login
        assert con.execute("select count(*) from serving.fct_funnel_daily").fetchone()[0] == expected > 0
        assert con.execute("select count(*) from serving.releases").fetchone()[0] >= 1
        refused = [
            "select count(*) from raw.ga4__events",
            "select count(*) from raw._loaded_partitions",
            "select count(*) from main_staging.stg_hubspot__contacts",
            "select count(*) from main_intermediate.int_web_sessions",
            "select count(*) from main_marts.fct_funnel_daily",
            "create table public.mine (x int)",
            "create table serving.mine (x int)",
            "create temporary table mine (x int)",
            "create schema mine",
            "insert into serving.fct_funnel_daily select * from serving.fct_funnel_daily limit 1",
            "delete from serving.fct_funnel_daily",
            "drop table serving.fct_funnel_daily",
        ]
        for statement in refused:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)
        assert con.execute("select count(*) from serving.fct_funnel_daily").fetchone()[0] == expected


def _wait_for_the_swap_to_wait(conninfo: str) -> None:
    """Until the publisher's drop of the old release waits for a lock (the reader's)."""
    with psycopg.connect(conninfo, autocommit=True) as con:
        for _ in range(600):
            if con.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                           "and query ilike 'drop schema%serving_old%'").fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the swap never waited for the reader")


def test_a_reader_in_a_transaction_keeps_its_release_and_plain_reads_wait_briefly(warehouse):
    """A REPEATABLE READ reader holds the old release: the swap waits for it at most the lock
    timeout per attempt, plain queries meanwhile wait no longer, and the reader sees its release
    to the end; once it ends, the retried swap serves the new release."""
    conninfo = warehouse[0]
    _publish(warehouse, "run-old")
    waits, stop = [], threading.Event()

    def plain_reader():
        with psycopg.connect(conninfo, autocommit=True) as con:
            while not stop.is_set():
                started = time.monotonic()
                con.execute("select count(*) from serving.fct_funnel_daily").fetchone()
                waits.append(time.monotonic() - started)
                time.sleep(0.02)

    with psycopg.connect(conninfo) as reader:
        reader.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        assert reader.execute("select run_id from serving._publication").fetchone()[0] == "run-old"
        plain = threading.Thread(target=plain_reader)
        plain.start()
        try:
            # one attempt: the reader outlasts it, the publication fails, the old release stays
            with pytest.raises(PublishError, match="readers held serving"):
                _publish(warehouse, "run-refused", swap_attempts=1)
            assert reader.execute("select run_id from serving._publication").fetchone()[0] == "run-old"
            # with retries: the reader ends during them and the swap goes through
            done = {}
            publisher = threading.Thread(target=lambda: done.setdefault(
                "result", _publish(warehouse, "run-new")))
            publisher.start()
            _wait_for_the_swap_to_wait(conninfo)
            assert reader.execute("select run_id from serving._publication").fetchone()[0] == "run-old"
            reader.commit()
            publisher.join(60)
        finally:
            stop.set()
            plain.join(10)
    assert done["result"].run_id == "run-new"
    with psycopg.connect(conninfo) as con:
        assert con.execute("select run_id from serving._publication").fetchone()[0] == "run-new"
    longest = max(waits)
    print(f"plain reads during the swaps: {len(waits)}, longest {longest * 1000:.0f} ms")
    assert len(waits) >= 5  # the plain reader ran all along the swaps
    assert longest < 3.0  # the lock timeout (2 s) and some scheduling, never the reader's 5 s+


def test_the_pipeline_publishes_on_postgres_and_the_cli_lists_the_releases(postgres_month, warehouse,
                                                                           capsys):
    target = postgres_month.target
    env = {"SOCIAL_ROI_WAREHOUSE": "postgres", **target.dbt_env(),
           "SOCIAL_ROI_PG_PASSWORD": target.password, "SOCIAL_ROI_PG_BI_ROLE": warehouse[1]}
    with temporary_environ(env):
        counts = pipeline.publish("run-pipeline", START, END)
        assert main(["releases"]) == 0
        listed = capsys.readouterr().out
        history = publish_postgres.list_releases(warehouse[0])
        assert main(["rollback"]) == 0
        rolled = capsys.readouterr().out
    assert history[-1].run_id == "run-pipeline" and history[-1].number == counts["release"]
    assert history[-1].row_counts == {m: counts[m] for m in MARTS}
    assert re.search(rf"^{counts['release']}\s+current\s+run-pipeline", listed, re.M), listed
    after = publish_postgres.list_releases(warehouse[0])
    assert (after[-1].number, after[-1].restored_release_number) == (counts["release"] + 1,
                                                                     history[-2].number)
    assert f"now serves release {counts['release'] + 1}, the data of release {history[-2].number}" in rolled
