"""The dbt project on a PostgreSQL warehouse (decision 56): the sandbox month of tests/dbt, built
on a fresh Postgres database, gives every mart of the DuckDB build of the same landing zone.

Postgres is the one at SOCIAL_ROI_PG_HOST / SOCIAL_ROI_PG_PORT (default 127.0.0.1:5432). With no
server there the tests are skipped, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from social_roi import pii
from social_roi.settings import temporary_environ
from social_roi.transform import dbt_build
from social_roi.warehouse_load import load_landing
from tests.dbt.compare_builds import differences

psycopg = pytest.importorskip("psycopg")


def _tables(con_duck, schema: str) -> list[str]:
    return [r[0] for r in con_duck.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [schema]).fetchall()]


def test_every_mart_matches_the_duckdb_build(postgres_month):
    build = postgres_month
    print(f"Postgres build (load + dbt): {build.seconds:.1f} s")
    with duckdb.connect(str(build.duckdb_path), read_only=True) as duck, \
            psycopg.connect(build.target.conninfo()) as pg:
        marts = _tables(duck, "main_marts")
        assert len(marts) >= 19
        on_postgres = {r[0] for r in pg.execute(
            "select table_name from information_schema.tables where table_schema = 'main_marts'")}
        assert set(marts) <= on_postgres
        failures, rows = {}, 0
        for mart in marts:
            columns = [r[0] for r in duck.execute(f"describe main_marts.{mart}").fetchall()]
            select = ", ".join(f'"{c}"' for c in columns)
            duck_rows = duck.execute(f"select {select} from main_marts.{mart}").fetchall()
            pg_rows = pg.execute(f"select {select} from main_marts.{mart}").fetchall()
            rows += len(duck_rows)
            if found := differences(columns, duck_rows, pg_rows):
                failures[mart] = found
        assert not failures, failures
        assert rows > 20_000  # the month is not empty: ~8 000 touchpoints, ~8 500 credits…


def test_money_and_rates_are_compared_to_the_cent_and_1e_9():
    columns = ["revenue_usd", "match_rate", "platform"]
    assert not differences(columns, [(10.0, 0.5, "x")], [(10.004, 0.5 + 5e-10, "x")])
    assert differences(columns, [(10.0, 0.5, "x")], [(10.006, 0.5, "x")])
    assert differences(columns, [(10.0, 0.5, "x")], [(10.0, 0.5 + 2e-9, "x")])
    assert differences(columns, [(10.0, 0.5, "x")], [(10.0, 0.5, "y")])
    assert differences(columns, [(10.0, 0.5, "x")], [(10.0, 0.5, "x"), (10.0, 0.5, "x")])


def test_personal_data_is_keyed_as_on_duckdb(postgres_month):
    """The same HMAC-SHA256 of the normalised SHA-256 (decision 48), computed by pgcrypto with
    the key from the environment: equal to social_roi.pii's, from the landed addresses."""
    build = postgres_month
    with psycopg.connect(build.target.conninfo()) as pg:
        landed = dict(pg.execute("select contact_id, email from raw.hubspot__contacts").fetchall())
        phones = dict(pg.execute("select contact_id, phone from raw.hubspot__contacts").fetchall())
        options = "-c social_roi.pii_key=" + pii.key().decode()
    with psycopg.connect(build.target.conninfo(options=options)) as pg:
        staged = pg.execute("select contact_id, email_hash, phone_hash "
                            "from main_staging.stg_hubspot__contacts").fetchall()
    assert len(staged) > 100
    for contact_id, email_hash, phone_hash in staged:
        assert email_hash == pii.email_hmac(landed[contact_id])
        assert phone_hash == pii.phone_hmac(phones[contact_id])
    assert sum(1 for _, email_hash, _ in staged if email_hash) > 100


def test_no_key_no_hash_and_the_key_is_in_no_compiled_file(postgres_month):
    build = postgres_month
    with psycopg.connect(build.target.conninfo()) as pg, pytest.raises(psycopg.Error, match="pii_key"):
        pg.execute("select email_hash from main_staging.stg_hubspot__contacts").fetchall()
    key = pii.key().decode()
    generated = [f for f in build.paths.dbt_target.rglob("*") if f.is_file()]
    assert any(f.name == "stg_hubspot__contacts.sql" for f in generated)  # the build's target folder
    leaked = [f for f in generated if key in f.read_text(errors="ignore")]
    assert not leaked
    with temporary_environ({"SOCIAL_ROI_WAREHOUSE": "postgres", "SOCIAL_ROI_PII_KEY": "",
                            **build.target.dbt_env()}), pytest.raises(pii.PiiKeyMissing):
        dbt_build(build.paths)


def test_the_landing_load_is_idempotent_per_day(postgres_month):
    """Loading again copies nothing; a re-landed day is replaced, not appended."""
    build = postgres_month
    conninfo = build.target.conninfo()
    again = load_landing(build.paths.landing, conninfo)
    assert again.partitions_loaded == 0 and again.partitions_unchanged > 600
    day_dir = sorted((build.paths.landing / "ga4" / "events").glob("date=*"))[3]
    day = day_dir.name.removeprefix("date=")
    with psycopg.connect(conninfo) as pg:
        count = "select count(*) from raw.ga4__events where date = %s"
        before = pg.execute(count, [day]).fetchone()[0]
        total = pg.execute("select count(*) from raw.ga4__events").fetchone()[0]
    assert before > 100
    file = day_dir / "data.parquet"
    os.utime(file, ns=(file.stat().st_atime_ns, file.stat().st_mtime_ns + 1_000_000))  # re-landed
    reloaded = load_landing(build.paths.landing, conninfo)
    assert reloaded.partitions_loaded == 1 and reloaded.rows == before
    with psycopg.connect(conninfo) as pg:
        assert pg.execute(count, [day]).fetchone()[0] == before
        assert pg.execute("select count(*) from raw.ga4__events").fetchone()[0] == total
