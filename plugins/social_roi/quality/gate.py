"""The gate itself: validate one day of landing data, or the candidate marts, and refuse to pass
anything that fails. Each run writes ``<run_results>/landing/<day>.json`` or
``<run_results>/marts/<result_name>.json`` (no timestamp: a rerun replaces its own file) and
returns a ``GateResult``; any failure raises ``GateFailed`` whose message is the readable summary.

A table that cannot be read (a missing or corrupt landing partition, a missing mart) is a failure
named in the summary, not a crash: the operator sees every problem of the run at once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from social_roi import landing
from social_roi.errors import SocialRoiError
from social_roi.quality import docs, quarantine, runner
from social_roi.quality.arrival import arrival
from social_roi.quality.arrival import config_of as arrival_config
from social_roi.quality.results import MAX_EXAMPLES, Failure, GateResult, SuiteRun
from social_roi.quality.suites import (
    day_interval,
    interval_parameters,
    landed_parameters,
    landing_suite_name,
    load_suite,
    mart_suite_name,
)
from social_roi.settings import Paths

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite

    from social_roi.connectors.base import Entity

__all__ = ["GateFailed", "GateResult", "validate_landing", "validate_marts"]


class GateFailed(SocialRoiError):
    """At least one expectation failed: nothing may be published. ``result`` has the details."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        super().__init__(result.summary())


def validate_landing(
    paths: Paths, day: date, entities: Mapping[str, Sequence[Entity]] | None = None
) -> GateResult:
    """Validate every landing partition of ``day`` (by default: every entity of every connector)
    against ``landing__<source>_<entity>``, except sources the day's extract found not
    configured (``landing.is_configured``). Results: ``<run_results>/landing/<day>.json``, or
    ``<day>__<sources>.json`` when ``entities`` names a subset."""
    default_scope = entities is None
    if entities is None:
        from social_roi.connectors import CONNECTORS

        entities = {source: module.ENTITIES for source, module in CONNECTORS.items()}
    runs = []
    for source, source_entities in entities.items():
        if not landing.is_configured(paths.landing, source, day):
            log.info("landing gate: %s not configured on %s, skipped", source, day)
            continue
        for entity in source_entities:
            runs.append(_validate_entity(paths, source, entity, day))
    # one file per day; a run on a subset of sources (one per source) gets its own file
    stem = day.isoformat() if default_scope else f"{day.isoformat()}__{'_'.join(sorted(entities))}"
    result_file = paths.run_results / "landing" / f"{stem}.json"
    return _conclude(GateResult.from_runs("landing", day.isoformat(), runs, result_file))


def _validate_entity(paths: Paths, source: str, entity: Entity, day: date) -> SuiteRun:
    """The partitions the run for ``day`` wrote: one, or a restated entity's whole window, read
    as one frame with a ``date`` column (the partition's day) and checked against the window's
    interval."""
    table = f"{source}/{entity.name}"
    suite = load_suite(paths.expectations, landing_suite_name(source, entity.name))
    days = entity.days(day)
    frames = []
    for partition_day in days:
        file = landing.partition_file(paths.landing, source, entity.name, partition_day)
        if not file.is_file():
            return _unreadable(table, suite.name, "partition_exists", {"path": str(file)}, "missing")
        try:
            frames.append(landing.read_partition(paths.landing, source, entity.name, partition_day))
        except (pa.ArrowException, OSError) as exc:
            return _unreadable(table, suite.name, "partition_readable", {"path": str(file)},
                               f"error: {exc}")
        mismatched = _type_mismatches(entity.schema, frames[-1].schema)
        if mismatched:
            return _unreadable(table, suite.name, "partition_types_match_contract",
                               {"path": str(file)}, f"{len(mismatched)} column(s) of another type",
                               tuple(mismatched))
    # a quarantine-policy entity is judged on its whole delivery: records an earlier run of this
    # day set aside go back in first (decision 55)
    policy = quarantine.policy_of(suite)
    restored = None
    if policy == "quarantine":
        if len(days) > 1:
            raise quarantine.InvalidPolicy(f"{suite.name}: a restated entity cannot quarantine")
        restored = quarantine.restore(paths.landing, source, entity.name, day, frames[0].schema)
        if restored is not None:
            frames[0] = pa.concat_tables([frames[0], restored])
    parameters = interval_parameters(day_interval(days[0])[0], day_interval(days[-1])[1])
    volume = arrival(paths.landing, source, entity.name, days, sum(f.num_rows for f in frames),
                     arrival_config(suite.meta))
    parameters.update(volume.parameters())
    if len(frames) == 1:
        frame = frames[0].to_pandas()
    else:
        # a window: each row with its partition's day (the `date` the warehouse reads), so that
        # the suite can check that every row sits in the partition of its own day
        frame = pa.concat_tables([part.append_column("date", pa.array([d] * part.num_rows, pa.date32()))
                                  for d, part in zip(days, frames, strict=True)]).to_pandas()
    frozen = MappingProxyType(parameters)
    run = runner.validate_frame(table, frame, suite, frozen)
    details: dict = {"arrival": volume.as_json(), "policy": policy}
    if policy == "quarantine":
        run = _settle_quarantine(paths, source, entity, day, frames[0], frame, suite, frozen, run,
                                 restored is not None, details)
    failures = tuple(dataclasses.replace(f, note=volume.explain(f.check))
                     if f.check in ("volume", "freshness") else f for f in run.failures)
    return dataclasses.replace(run, failures=failures, details=details)


def _settle_quarantine(paths: Paths, source: str, entity: Entity, day: date, delivery: pa.Table,
                       frame: pd.DataFrame, suite: ExpectationSuite, parameters: Mapping[str, Any],
                       run: SuiteRun, restored: bool, details: dict) -> SuiteRun:
    """A quarantine-policy entity's day (decision 55): all good — restored records go back into
    the partition; only row-level failures of a minority — those records go to quarantine and the
    rest is validated again; anything else blocks. ``details`` gets what was quarantined."""
    if run.success:
        if restored:
            quarantine.release(paths.landing, source, entity.name, day, delivery)
        return run
    split = quarantine.split(delivery, frame, suite, parameters, source, entity.name, day, entity.id_field)
    if split is None:
        return run
    rest = runner.validate_frame(run.table, split.kept.to_pandas(), suite, parameters)
    if not rest.success:  # what is left fails too (e.g. too few rows): the day blocks, on every count
        seen = {(f.expectation, repr(f.kwargs)) for f in run.failures}
        return dataclasses.replace(run, failures=run.failures + tuple(
            f for f in rest.failures if (f.expectation, repr(f.kwargs)) not in seen))
    file = quarantine.write(paths.landing, source, entity.name, day, split)
    details["quarantined"] = {"rows": split.quarantined.num_rows, "file": str(file),
                              "reasons": dict(split.reasons),
                              "records": split.quarantined["_record_id"].to_pylist()[:MAX_EXAMPLES]}
    return rest


def validate_marts(
    paths: Paths,
    tables: Sequence[str] = ("fct_funnel_daily",),
    schema: str = "main_marts",
    *,
    result_name: str = "marts",
    postgres: str | None = None,
) -> GateResult:
    """Validate the candidate marts against ``marts__<table>``: those of the DuckDB build file,
    or, given ``postgres`` (a libpq conninfo), those of the Postgres warehouse (decision 63). Either
    database is read fully into pandas frames of the same dtypes and released before GE runs: one
    validation path for both engines. Suites may use the ``min_rows_<source>`` parameters
    (``landed_parameters``)."""
    from social_roi.connectors import CONNECTORS

    suites = {table: load_suite(paths.expectations, mart_suite_name(table)) for table in tables}
    parameters = MappingProxyType(landed_parameters(paths.landing, CONNECTORS))
    if postgres is None:
        frames, missing = _read_marts(paths, tables, schema)
        database = str(paths.build_db)
    else:
        from social_roi.quality.postgres_frames import read_tables

        frames, missing = read_tables(postgres, tables, schema)
        database = f"postgres:{_dbname(postgres)}"
    runs = []
    for table in tables:
        name = f"{schema}.{table}"
        if table in frames:
            runs.append(runner.validate_frame(name, frames[table], suites[table], parameters))
        else:
            runs.append(_unreadable(name, suites[table].name, "table_exists",
                                    {"database": database}, missing[table]))
    result_file = paths.run_results / "marts" / f"{result_name}.json"
    return _conclude(GateResult.from_runs("marts", schema, runs, result_file))


def _read_marts(
    paths: Paths, tables: Sequence[str], schema: str
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    if not paths.build_db.is_file():
        return {}, {table: "build database missing" for table in tables}
    frames, missing = {}, {}
    con = duckdb.connect(str(paths.build_db), read_only=True)
    try:
        existing = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()}
        for table in tables:
            if table in existing:
                frames[table] = con.execute(f"select * from {_ident(schema)}.{_ident(table)}").df()
            else:
                missing[table] = "missing"
    finally:
        con.close()
    return frames, missing


def _dbname(conninfo: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(conninfo).get("dbname", "?"))


def _type_mismatches(contract: pa.Schema, landed: pa.Schema) -> list[dict[str, str]]:
    """Columns the contract and the partition both have, with another Arrow type. The types are
    checked here, on the Parquet schema, rather than by one GE expectation per column: pandas
    turns a nullable integer into a float, and a column-by-column check would double the gate's
    time (decision 54). A missing or extra column is the suite's column-set expectation's job."""
    return [{"column": field.name, "contract": str(field.type),
             "landed": str(landed.field(field.name).type)}
            for field in contract
            if field.name in landed.names and not landed.field(field.name).type.equals(field.type)]


def _unreadable(table: str, suite: str, check: str, kwargs: dict, observed: str,
                examples: tuple = ()) -> SuiteRun:
    return SuiteRun(suite, table, None, 1, (Failure(table, suite, check, kwargs, observed, examples),))


def _conclude(result: GateResult) -> GateResult:
    if docs.wanted(result.success):
        result = dataclasses.replace(result, data_docs=docs.build(result))
    result.write()
    if not result.success:
        raise GateFailed(result)
    if result.quarantined_rows:
        log.warning(result.summary())
    return result


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
