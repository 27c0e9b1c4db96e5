"""A dbt build on a PostgreSQL warehouse (``SOCIAL_ROI_WAREHOUSE=postgres``; decision 56).

Three steps, one build:

1. the landing zone is copied into ``raw`` (``social_roi.warehouse_load``: only the day
   partitions that changed);
2. ``dbt build`` of everything but the two data-driven attribution models and what reads them;
3. those two models are dbt Python models on DuckDB, which dbt-postgres cannot run: the same
   Python code (``social_roi.attribution``) reads their inputs from the warehouse and writes its
   result into ``raw.python__<model>``; then ``dbt build`` of the rest, where each model's SQL twin
   (``models/**/on_postgres/``) selects that result with the DuckDB model's column types.

Connections get the PII key and the UTC time zone as startup options (``PGOPTIONS``, read by
libpq when dbt-postgres or psycopg connects), so the key is in no SQL dbt compiles or logs; the
password reaches dbt as ``DBT_ENV_SECRET_*``, which dbt scrubs from its logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import pandas as pd

from social_roi import pii
from social_roi.settings import Paths, PostgresTarget

log = logging.getLogger(__name__)

# the dbt Python models, computed in Python on Postgres
PYTHON_MODELS = ("int_attribution_data_driven", "fct_markov_removal_effects")
PII_SETTING = "social_roi.pii_key"


def _option_value(value: str) -> str:
    """A value in libpq's ``options``: backslash and blank escaped by a backslash."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def startup_options(secret: bytes) -> str:
    return (f"-c {PII_SETTING}={_option_value(secret.decode('utf-8'))} "
            f"-c TimeZone=UTC -c intervalstyle=postgres")


def dbt_env(target: PostgresTarget) -> dict[str, str]:
    """What dbt's postgres output and its connections need: the target's address, its password
    as a secret, and the startup options with the PII key (``PiiKeyMissing`` without one)."""
    return {**target.dbt_env(), "SOCIAL_ROI_WAREHOUSE": "postgres",
            "PGOPTIONS": startup_options(pii.key())}


def postgres_build(paths: Paths, extra_args: Sequence[str] = ()):
    from social_roi.transform import BUILD_FLAGS, dbt_invoke, summarise
    from social_roi.warehouse_load import load_landing

    target = PostgresTarget.from_env()
    secret = pii.key()  # before anything runs: no key, no build
    started = time.monotonic()
    ensure_database(target)
    load_landing(paths.landing, target.conninfo())
    downstream = [f"{model}+" for model in PYTHON_MODELS]
    first = summarise(paths, dbt_invoke(paths, [
        "build", *BUILD_FLAGS, *extra_args, "--exclude", *downstream,
        "--indirect-selection", "cautious"]))
    compute_python_models(target, secret)
    rest, selected = _split_selection(extra_args)
    if selected:  # within the caller's selection: dbt keeps only the last --select it is given
        downstream = [f"{model},{selection}" for model in downstream for selection in selected]
    second = summarise(paths, dbt_invoke(paths, [
        "build", *BUILD_FLAGS, *rest, "--select", *downstream]))
    log.info("Postgres build: %.1f s", time.monotonic() - started)
    from social_roi.transform import DbtSummary

    return DbtSummary(passed=first.passed + second.passed, warned=first.warned + second.warned,
                      nodes=first.nodes + second.nodes)


def _split_selection(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(``args`` without their ``--select``/``-s`` values, those values)."""
    rest, selected, taking = [], [], False
    for arg in args:
        if arg in ("--select", "-s"):
            taking = True
        elif taking and not arg.startswith("-"):
            selected.append(arg)
        else:
            taking = False
            rest.append(arg)
    return rest, selected


def ensure_database(target: PostgresTarget) -> None:
    """Create the warehouse database when the server has none of that name (the user needs
    CREATEDB then; an existing database is used as it is)."""
    import dataclasses

    import psycopg
    from psycopg import sql

    with psycopg.connect(dataclasses.replace(target, dbname="postgres").conninfo(), autocommit=True) as con:
        if con.execute("select 1 from pg_database where datname = %s", [target.dbname]).fetchone():
            return
        con.execute(sql.SQL("create database {}").format(sql.Identifier(target.dbname)))
        log.info("created the Postgres database %s", target.dbname)


def compute_python_models(target: PostgresTarget, secret: bytes) -> None:
    """The data-driven models' results, from their inputs in the warehouse, into ``raw``."""
    import psycopg

    from social_roi.attribution.data_driven import data_driven_credits
    from social_roi.attribution.dbt_inputs import CONVERSION_ROWS
    from social_roi.attribution.markov import markov_removal_table

    with psycopg.connect(target.conninfo(options=startup_options(secret))) as con:
        conversion_rows = _frame(con, f"select {CONVERSION_ROWS} "
                                      "from main_intermediate.int_conversion_paths "
                                      "order by conversion_id, position")
        null_journeys = _frame(con, "select * from main_intermediate.int_attribution_null_journeys "
                                    "order by journey_id, position")
        for frame in (conversion_rows, null_journeys):
            frame["period"] = pd.to_datetime(frame["period"])
        credits = data_driven_credits(conversion_rows, null_journeys)
        effects = markov_removal_table(conversion_rows, null_journeys)
        effects = effects.rename(columns={"period": "period_month"}).assign(
            period_month=lambda frame: frame.period_month.dt.date)
        _replace_table(con, "python__int_attribution_data_driven", credits)
        _replace_table(con, "python__fct_markov_removal_effects", effects)


def _frame(con, query: str) -> pd.DataFrame:
    with con.cursor() as cur:
        cur.execute(query)
        names = [d.name for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)


def _replace_table(con, name: str, frame: pd.DataFrame) -> None:
    from psycopg import sql

    from social_roi.warehouse_load import RAW_SCHEMA

    types = {column: _pg_type(frame[column]) for column in frame.columns}
    table = sql.Identifier(RAW_SCHEMA, name)
    with con.transaction():
        con.execute(sql.SQL("drop table if exists {}").format(table))
        con.execute(sql.SQL("create table {} ({})").format(table, sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in types.items())))
        with con.cursor().copy(sql.SQL("copy {} ({}) from stdin").format(
                table, sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns))) as copy:
            for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
                copy.write_row(row)


def _pg_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamptz"
    return "text" if not len(series.dropna()) or isinstance(series.dropna().iloc[0], str) else "date"
