"""The landing zone: immutable Parquet, one file per <source>/<entity>/date=<day>.

Writing a day replaces that day's file atomically (``os.replace``), so a rerun never duplicates rows
and a crash mid-write never leaves a half-written partition: readers see the old file or the new one.
A day with no records still gets a file (with the schema and zero rows), so "nothing happened" is
distinguishable from "never extracted" and readers always find the schema.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

FILE_NAME = "data.parquet"


def partition_file(root: Path, source: str, entity: str, day: date) -> Path:
    return root / source / entity / f"date={day.isoformat()}" / FILE_NAME


def write_partition(root: Path, source: str, entity: str, day: date, table: pa.Table) -> Path:
    target = partition_file(root, source, entity, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{FILE_NAME}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def read_partition(root: Path, source: str, entity: str, day: date) -> pa.Table:
    return pq.read_table(partition_file(root, source, entity, day))
