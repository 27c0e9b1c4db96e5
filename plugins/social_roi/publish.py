"""Publish: copy the validated marts into a new serving database that atomically replaces the old.

BI tools only ever open the serving file, read-only. A publication is built beside it under a
temporary name and swapped in with ``os.replace``, so a reader sees the old release or the new one,
never half of one; readers already connected keep their snapshot of the old file. If anything
fails, the temporary file is removed and the served file is left exactly as it was.

Three DuckDB details matter (ARCHITECTURE.md, "facts"):
- committed data may still live only in the ``.wal`` beside a file: the new database is
  checkpointed and detached, and the swap refuses to happen if a ``.wal`` remains;
- BI drivers bundle DuckDB 1.x, which cannot read 2.0 files: the file is written with
  ``STORAGE_VERSION 'v1.4.0'``;
- within one process, ``duckdb.connect(path)`` reuses an already open database of the same path,
  so a long-lived process sees a new release only once it has closed every connection to the old
  one (or reads through ``ATTACH`` from a fresh connection). Other processes are unaffected.

The contents depend only on the build database and the run's interval (``published_at`` is the
interval end, rows are stored sorted): publishing the same run twice gives the same tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from social_roi.errors import SocialRoiError

STORAGE_VERSION = "v1.4.0"  # readable by DuckDB >= 1.4 clients (BI drivers)
PUBLICATION_TABLE = "_publication"


class PublishError(SocialRoiError):
    """Publication failed; the previously served database is untouched."""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: tuple[str, ...]
    row_counts: dict[str, int]
    run_id: str


def publish(
    build_db: Path,
    serving_db: Path,
    tables: Sequence[str],
    *,
    schema: str = "main_marts",
    run_id: str,
    interval_start: datetime,
    interval_end: datetime,
) -> PublishResult:
    """Copy ``build.<schema>.<table>`` for each table, plus a one-row ``_publication`` table,
    into a new database that replaces ``serving_db``."""
    tables = tuple(tables)
    _check_arguments(tables, interval_start, interval_end)
    if not Path(build_db).is_file():
        raise PublishError(f"build database {build_db} does not exist: nothing to publish")
    serving_db = Path(serving_db)
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving_db.with_name(f".{serving_db.name}.{uuid.uuid4().hex}.publishing")
    wal = tmp.with_name(tmp.name + ".wal")
    try:
        counts = _write(Path(build_db), tmp, tables, schema, run_id,
                        interval_start.astimezone(UTC), interval_end.astimezone(UTC))
        if wal.exists():
            raise PublishError(f"{wal} remains after CHECKPOINT: its data would be lost")
        _fsync(tmp)
        os.replace(tmp, serving_db)
        _fsync(serving_db.parent)  # make the rename itself durable
    except BaseException:
        tmp.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        raise
    return PublishResult(serving_db, tables, counts, run_id)


def _write(build_db: Path, target: Path, tables: tuple[str, ...], schema: str, run_id: str,
           start: datetime, end: datetime) -> dict[str, int]:
    con = duckdb.connect()  # in memory: only the two attached files are touched
    try:
        con.execute(f"ATTACH {_literal(build_db)} AS build (READ_ONLY)")
        con.execute(f"ATTACH {_literal(target)} AS serving (STORAGE_VERSION '{STORAGE_VERSION}')")
        counts = {}
        for table in tables:
            source = f"build.{_ident(schema)}.{_ident(table)}"
            try:
                # sorted, so that two publications of the same data store the same rows in the same order
                con.execute(f"CREATE TABLE serving.main.{_ident(table)} AS "
                            f"SELECT * FROM {source} ORDER BY ALL")
            except duckdb.CatalogException as exc:
                raise PublishError(f"cannot publish {schema}.{table} from {build_db}: {exc}") from exc
            counts[table] = con.execute(
                f"SELECT count(*) FROM serving.main.{_ident(table)}").fetchall()[0][0]
        con.execute(f"""
            CREATE TABLE serving.main.{PUBLICATION_TABLE} AS SELECT
                ?::VARCHAR AS run_id,
                ?::TIMESTAMPTZ AS interval_start,
                ?::TIMESTAMPTZ AS interval_end,
                ?::TIMESTAMPTZ AS published_at,
                ?::VARCHAR[] AS table_names,
                MAP(?::VARCHAR[], ?::BIGINT[]) AS row_counts,
                ?::VARCHAR AS storage_version
        """, [run_id, start, end, end, list(counts), list(counts), list(counts.values()),
              STORAGE_VERSION])
        con.execute("CHECKPOINT serving")
        con.execute("DETACH serving")
        con.execute("DETACH build")
    finally:
        con.close()
    return counts


def _check_arguments(tables: tuple[str, ...], start: datetime, end: datetime) -> None:
    if not tables:
        raise PublishError("no tables to publish")
    if len(set(tables)) != len(tables) or PUBLICATION_TABLE in tables:
        raise PublishError(f"table names must be distinct and not '{PUBLICATION_TABLE}': {tables}")
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise PublishError(f"the interval must be timezone-aware and non-empty: [{start}, {end})")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
