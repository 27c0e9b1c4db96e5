"""The landing zone copied into a Postgres warehouse's ``raw`` schema (decision 56).

DuckDB reads the landed Parquet where it lies (the sources' ``external_location``); Postgres
cannot, so before a Postgres build every landed entity becomes one table,
``raw.<source>__<entity>``, with the landing columns typed as Postgres types (nested structs and
lists as ``jsonb``) and the partition's ``date``, exactly the columns DuckDB's
``read_parquet(hive_partitioning, union_by_name)`` gives. The dbt macro ``source`` points the
sources at these tables on Postgres (macros/landed_source.sql).

Each day partition is loaded in one transaction: delete that day's rows, COPY the file's rows (from
Arrow batches), record the file's fingerprint. A partition whose file did not change since it was
loaded is left alone, so a daily build copies only the days that were (re)landed, and loading twice
gives the same table. A column a later day adds (schema drift) is added to the table; an entity
with no partition yet is an empty table with its contract's columns.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from social_roi.errors import SocialRoiError
from social_roi.landing import CONTRACT_FILE_NAME, FILE_NAME

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
LOADED_TABLE = "_loaded_partitions"  # raw._loaded_partitions: which file each day was copied from
BATCH_ROWS = 10_000


class WarehouseLoadFailed(SocialRoiError):
    """A landed partition could not be copied into Postgres; names the file."""


@dataclass(frozen=True)
class LoadSummary:
    tables: int
    partitions_loaded: int
    partitions_unchanged: int
    rows: int
    seconds: float


def table_name(source: str, entity: str) -> str:
    return f"{source}__{entity}"


def pg_type(arrow_type: pa.DataType) -> str:
    """The Postgres column type of an Arrow (landing) type."""
    t = arrow_type
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return "smallint"
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return "integer"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "real"
    if pa.types.is_floating(t):
        return "double precision"
    if pa.types.is_decimal(t):
        return f"numeric({t.precision}, {t.scale})"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        return "text"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_time(t):
        return "time"
    if pa.types.is_duration(t):
        return "interval"
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return "bytea"
    if pa.types.is_nested(t) or pa.types.is_dictionary(t):
        return "jsonb"
    raise WarehouseLoadFailed(f"no Postgres type for the Arrow type {t}")


def _entities(landing: Path) -> Iterator[tuple[str, str, Path]]:
    for source_dir in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for entity_dir in sorted(p for p in source_dir.iterdir()
                                 if p.is_dir() and not p.name.startswith("_")):
            yield source_dir.name, entity_dir.name, entity_dir


def _partitions(entity_dir: Path) -> list[tuple[date, Path]]:
    found = []
    for folder in entity_dir.glob("date=*"):
        file = folder / FILE_NAME
        if file.is_file():
            found.append((date.fromisoformat(folder.name.removeprefix("date=")), file))
    return sorted(found)


def _fingerprint(file: Path) -> str:
    stat = file.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _columns(entity_dir: Path, partitions: list[tuple[date, Path]]) -> dict[str, str]:
    """name → Postgres type: the contract's columns, then any a partition adds. A column that is
    all-null in a file (Arrow's null type) takes its type from the first file that types it."""
    columns: dict[str, str] = {}
    untyped: set[str] = set()
    contract = entity_dir / CONTRACT_FILE_NAME
    files = ([contract] if contract.is_file() else []) + [file for _, file in partitions]
    for file in files:
        for field in pq.read_schema(file):
            if field.name in columns and field.name not in untyped:
                continue
            if pa.types.is_null(field.type):
                if field.name not in columns:
                    columns[field.name] = "text"
                    untyped.add(field.name)
                continue
            columns[field.name] = pg_type(field.type)
            untyped.discard(field.name)
    columns.setdefault("date", "date")
    return columns


def _value(value, is_json: bool):
    if value is None:
        return None
    if is_json:
        from psycopg.types.json import Jsonb

        return Jsonb(value, dumps=lambda obj: json.dumps(obj, default=str))
    return value


def load_landing(landing: Path, conninfo: str) -> LoadSummary:
    """Copy every landed partition that changed since its last load into ``raw``; see the module."""
    import psycopg
    from psycopg import sql

    started = time.monotonic()
    tables = loaded = unchanged = rows = 0
    with psycopg.connect(conninfo, autocommit=True) as con:
        con.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(RAW_SCHEMA)))
        con.execute(sql.SQL(
            "create table if not exists {}.{} (table_name text, day date, fingerprint text not null, "
            "loaded_at timestamptz not null default now(), primary key (table_name, day))"
        ).format(sql.Identifier(RAW_SCHEMA), sql.Identifier(LOADED_TABLE)))
        for source, entity, entity_dir in _entities(landing):
            partitions = _partitions(entity_dir)
            if not partitions and not (entity_dir / CONTRACT_FILE_NAME).is_file():
                continue
            name = table_name(source, entity)
            target = sql.Identifier(RAW_SCHEMA, name)
            columns = _columns(entity_dir, partitions)
            tables += 1
            with con.transaction():
                con.execute(sql.SQL("create table if not exists {} ({})").format(target, sql.SQL(", ").join(
                    sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns.items())))
                existing = {r[0] for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = %s and table_name = %s", [RAW_SCHEMA, name])}
                for column, type_ in columns.items():
                    if column not in existing:
                        con.execute(sql.SQL("alter table {} add column {} {}").format(
                            target, sql.Identifier(column), sql.SQL(type_)))
            done = dict(con.execute(
                sql.SQL("select day, fingerprint from {}.{} where table_name = %s").format(
                    sql.Identifier(RAW_SCHEMA), sql.Identifier(LOADED_TABLE)), [name]).fetchall())
            for day, file in partitions:
                fingerprint = _fingerprint(file)
                if done.get(day) == fingerprint:
                    unchanged += 1
                    continue
                try:
                    rows += _load_partition(con, target, name, day, file, fingerprint, columns)
                except Exception as error:  # re-raised with the file named
                    raise WarehouseLoadFailed(
                        f"loading {source}/{entity} day {day} ({file}) into Postgres "
                        f"{RAW_SCHEMA}.{name} failed: {error}") from error
                loaded += 1
    summary = LoadSummary(tables, loaded, unchanged, rows, round(time.monotonic() - started, 2))
    log.info("landing → Postgres raw: %d tables, %d partitions loaded (%d rows), %d unchanged, %.1f s",
             summary.tables, summary.partitions_loaded, summary.rows, summary.partitions_unchanged,
             summary.seconds)
    return summary


def _load_partition(con, target, name: str, day: date, file: Path, fingerprint: str,
                    columns: dict[str, str]) -> int:
    from psycopg import sql

    parquet = pq.ParquetFile(file)
    names = [f.name for f in parquet.schema_arrow if f.name != "date"]
    is_json = [columns[n] == "jsonb" for n in names]
    copied = 0
    with con.transaction():
        con.execute(sql.SQL("delete from {} where date = %s").format(target), [day])
        copy_sql = sql.SQL("copy {} ({}) from stdin").format(
            target, sql.SQL(", ").join(sql.Identifier(c) for c in [*names, "date"]))
        with con.cursor().copy(copy_sql) as copy:
            for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names):
                values = [batch.column(i).to_pylist() for i in range(len(names))]
                for row in zip(*values, strict=True):
                    copy.write_row([*(_value(v, j) for v, j in zip(row, is_json, strict=True)), day])
                copied += batch.num_rows
        con.execute(sql.SQL(
            "insert into {}.{} (table_name, day, fingerprint) values (%s, %s, %s) "
            "on conflict (table_name, day) do update set fingerprint = excluded.fingerprint, "
            "loaded_at = now()").format(sql.Identifier(RAW_SCHEMA), sql.Identifier(LOADED_TABLE)),
            [name, day, fingerprint])
    return copied
