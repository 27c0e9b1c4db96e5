"""The landing zone: immutable Parquet, one file per <source>/<entity>/date=<day>.

Writing a day replaces that day's file atomically (``os.replace``), so a rerun never duplicates rows
and a crash mid-write never leaves a half-written partition: readers see the old file or the new one.
A day with no records still gets a file (with the schema and zero rows), so "nothing happened" is
distinguishable from "never extracted".

Beside the partitions, every entity keeps its contract (``_contract.parquet``: the schema, zero
rows), written whenever its source is extracted or found not configured, so that readers (dbt's
sources) find the columns even when no partition exists yet. Every source also records, per day,
whether it was extracted or skipped for want of a connection (``_status/<day>.json``): the landing
gate checks the partitions of configured sources only.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FILE_NAME = "data.parquet"
CONTRACT_FILE_NAME = "_contract.parquet"


def partition_file(root: Path, source: str, entity: str, day: date) -> Path:
    return root / source / entity / f"date={day.isoformat()}" / FILE_NAME


def contract_file(root: Path, source: str, entity: str) -> Path:
    return root / source / entity / CONTRACT_FILE_NAME


def status_file(root: Path, source: str, day: date) -> Path:
    return root / source / "_status" / f"{day.isoformat()}.json"


def write_partition(root: Path, source: str, entity: str, day: date, table: pa.Table) -> Path:
    target = partition_file(root, source, entity, day)
    _replace(target, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    return target


def write_contract(root: Path, source: str, entity: str, schema: pa.Schema) -> Path:
    """The entity's columns as the warehouse reads them: the landing schema plus the partition's
    ``date`` (hive partitioning adds it to every partition read)."""
    target = contract_file(root, source, entity)
    table = schema.append(pa.field("date", pa.date32())).empty_table()
    _replace(target, lambda tmp: pq.write_table(table, tmp))
    return target


def write_status(root: Path, source: str, day: date, *, configured: bool,
                 rows: dict[str, int] | None = None, reason: str | None = None,
                 unknown_fields: dict[str, list[str]] | None = None,
                 details: dict[str, object] | None = None) -> Path:
    """``unknown_fields``: per entity, the API fields the contract does not know (schema drift),
    landed in the entity's ``extra_fields`` column. ``details``: what the connector says about
    the day beyond row counts (GA4: events without a client id under consent mode)."""
    target = status_file(root, source, day)
    status = {"source": source, "day": day.isoformat(), "configured": configured,
              "rows": rows or {}, "reason": reason}
    if unknown_fields:
        status["unknown_fields"] = unknown_fields
    if details:
        status["details"] = details
    _replace(target, lambda tmp: tmp.write_text(json.dumps(status, indent=2) + "\n"))
    return target


def is_configured(root: Path, source: str, day: date) -> bool:
    """False only when the day's extract found the source not configured; a day with no status
    (never extracted) counts as configured, so that its missing partitions fail the gate."""
    file = status_file(root, source, day)
    return not file.is_file() or bool(json.loads(file.read_text()).get("configured", True))


def _replace(target: Path, write) -> None:
    """Write to a temporary sibling, fsync, then rename over ``target``: all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def read_partition(root: Path, source: str, entity: str, day: date) -> pa.Table:
    return pq.read_table(partition_file(root, source, entity, day))
