"""Quarantine: one bad record of an engagement entity sets aside that record, not the whole day.

Each landing suite declares its policy in ``meta.on_bad_rows`` (decision 55):

* ``block`` — any failure fails the gate (money: spend, amounts, revenue; and the CRM, web events
  and leads, which attribution and revenue are built from);
* ``quarantine`` — when every failed expectation is *row-level* (one record judged alone: not
  null, a range, a value set, a pattern, a pair of its columns), the offending records move to
  ``<landing>/_quarantine/<source>/<entity>/date=<day>/data.parquet`` with their reasons, the
  day's partition keeps the rest, and the gate passes with a warning and a count. The rest is
  validated again in full (a volume floor may now fail it). More than half of the day's records
  failing is a broken delivery, not a bad record: it blocks. Uniqueness (which copy is wrong?),
  the column set, types, volume and freshness are never row-level, and neither is a personal-data
  check: a record that may hold an e-mail in clear is not copied anywhere.

dbt's sources read ``<landing>/<source>/<entity>/date=*/`` only: quarantined records never reach
staging. A quarantine file holds the records' own columns (so they can go back unchanged) plus
``_source``, ``_entity``, ``_day``, ``_record_id`` and ``_reasons`` (JSON: expectation, column,
value), and the SHA-256 of the partition it was split from. The next gate run of that day puts
them back before validating, so a corrected suite releases them; a re-extracted day (another
partition) makes the old quarantine file stale, and it is removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from great_expectations.core import ExpectationSuite

from social_roi import landing
from social_roi.quality import runner

log = logging.getLogger(__name__)

POLICIES = ("block", "quarantine")
FOLDER = "_quarantine"
FINGERPRINT = b"social_roi.partition_sha256"
# a duplicate is a property of the set, not of one record: which copy would be the bad one?
NOT_ROW_LEVEL = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique",
                           "expect_select_column_values_to_be_unique_within_record"})
EXTRA = ("_source", "_entity", "_day", "_record_id", "_reasons")
# more than this share of a day's records failing is a broken delivery, not a bad record: block
MAX_SHARE = 0.5


class InvalidPolicy(ValueError):
    pass


def policy_of(suite: ExpectationSuite) -> str:
    policy = (suite.meta or {}).get("on_bad_rows")
    if policy not in POLICIES:
        raise InvalidPolicy(f"suite {suite.name}: meta.on_bad_rows must be one of {POLICIES}, "
                            f"not {policy!r}")
    return policy


def quarantine_file(root: Path, source: str, entity: str, day: date) -> Path:
    return root / FOLDER / source / entity / f"date={day.isoformat()}" / landing.FILE_NAME


@dataclass(frozen=True)
class Split:
    kept: pa.Table
    quarantined: pa.Table  # the records' columns plus EXTRA
    reasons: Mapping[str, int]  # "expectation(column)": records


def restore(root: Path, source: str, entity: str, day: date, schema: pa.Schema) -> pa.Table | None:
    """The records an earlier run of this day set aside from the current partition (to validate
    the whole delivery again), or None; a quarantine file of an older partition is removed."""
    file = quarantine_file(root, source, entity, day)
    if not file.is_file():
        return None
    stored = pq.read_table(file)
    partition = landing.partition_file(root, source, entity, day)
    if (stored.schema.metadata or {}).get(FINGERPRINT) != _sha256(partition).encode():
        log.info("quarantine of %s/%s %s belongs to an earlier extract: removed", source, entity, day)
        file.unlink()
        return None
    return stored.drop_columns(list(EXTRA)).cast(schema)


def split(table: pa.Table, frame: pd.DataFrame, suite: ExpectationSuite,
          parameters: Mapping[str, Any], source: str, entity: str, day: date,
          id_field: str) -> Split | None:
    """The records that fail row-level expectations, apart from the rest; None when a failure
    is not row-level (the entity then blocks like any other)."""
    outcome, positions = runner.unexpected_positions(frame, suite, parameters)
    reasons: dict[int, list[dict[str, Any]]] = {}
    counts: dict[str, int] = {}
    for i, result in enumerate(outcome.results):
        if result.success:
            continue
        config = result.expectation_config
        if (i not in positions or config.type in NOT_ROW_LEVEL
                or (config.meta or {}).get("personal_data")):
            return None
        columns = [c for key in ("column", "column_A", "column_B") if (c := config.kwargs.get(key))]
        label = f"{config.type}({', '.join(columns)})"
        counts[label] = len(positions[i])
        for position in positions[i]:
            reasons.setdefault(position, []).append({
                "expectation": config.type, "column": ", ".join(columns),
                "value": {c: runner.plain(frame.iloc[position][c]) for c in columns}})
    if not reasons or len(reasons) > MAX_SHARE * table.num_rows:
        return None
    bad = sorted(reasons)
    keep = sorted(set(range(table.num_rows)) - set(bad))
    quarantined = table.take(pa.array(bad, pa.int64()))
    ids = quarantined[id_field].cast(pa.string()) if id_field in quarantined.column_names \
        else pa.nulls(len(bad), pa.string())
    for name, values in (("_source", [source] * len(bad)), ("_entity", [entity] * len(bad)),
                         ("_day", [day] * len(bad)), ("_record_id", ids),
                         ("_reasons", [json.dumps(reasons[p], default=str) for p in bad])):
        quarantined = quarantined.append_column(name, pa.array(values) if isinstance(values, list)
                                                else values)
    return Split(table.take(pa.array(keep, pa.int64())), quarantined, counts)


def write(root: Path, source: str, entity: str, day: date, result: Split) -> Path:
    """The kept records become the day's partition; the quarantined ones, stamped with that
    partition's SHA-256, its quarantine file."""
    partition = landing.write_partition(root, source, entity, day, result.kept)
    metadata = {**(result.quarantined.schema.metadata or {}), FINGERPRINT: _sha256(partition).encode()}
    target = quarantine_file(root, source, entity, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    pq.write_table(result.quarantined.replace_schema_metadata(metadata), tmp, compression="zstd")
    tmp.replace(target)
    ids = result.quarantined["_record_id"].to_pylist()
    log.warning("quarantined %d record(s) of %s/%s on %s (%s): %s; file %s", len(ids), source, entity,
                day, ", ".join(f"{k}: {v}" for k, v in result.reasons.items()), ids[:10], target)
    return target


def release(root: Path, source: str, entity: str, day: date, table: pa.Table) -> None:
    """Every record passed this time (restored ones included): the partition holds them all again
    and the quarantine file goes."""
    landing.write_partition(root, source, entity, day, table)
    quarantine_file(root, source, entity, day).unlink(missing_ok=True)
    log.info("quarantine of %s/%s %s released: every record passes", source, entity, day)


def _sha256(file: Path) -> str:
    try:
        return hashlib.sha256(file.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""
