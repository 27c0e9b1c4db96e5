"""Where the suites live, what they are called, and the run-time values of their parameters.

A suite is committed GE 1.x JSON (``expectations/suites/<layer>__<table>.json``). Checks that
depend on the run ("created within the interval") use ``{"$PARAMETER": name}`` with one of the
names ``interval_parameters`` returns, so the same suite serves every day, rerun and backfill.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from great_expectations.core import ExpectationSuite

from social_roi.errors import SocialRoiError

SUITES_DIR = "suites"


class SuiteNotFound(SocialRoiError):
    """A table has no committed suite: a configuration error, never a silent pass."""


def landing_suite_name(source: str, entity: str) -> str:
    return f"landing__{source}_{entity}"


def mart_suite_name(table: str) -> str:
    return f"marts__{table}"


def suite_path(expectations_dir: Path, name: str) -> Path:
    return expectations_dir / SUITES_DIR / f"{name}.json"


def load_suite(expectations_dir: Path, name: str) -> ExpectationSuite:
    path = suite_path(expectations_dir, name)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise SuiteNotFound(f"no expectation suite '{name}' (expected {path})") from None
    return _parse(path, mtime)


class InvalidSuite(SocialRoiError):
    """A committed suite does not parse, or GE refused one of its expectations."""


@lru_cache(maxsize=64)
def _parse(path: Path, _mtime_ns: int) -> ExpectationSuite:
    """Parsed once per file version: the gate runs many times in one process."""
    try:
        raw = json.loads(path.read_text())
        expectations = raw.get("expectations", [])
        suite = ExpectationSuite(
            name=raw["name"],
            expectations=expectations,
            meta=raw.get("meta") or {},
            notes=raw.get("notes"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidSuite(f"{path}: {exc}") from exc
    # GE only logs an expectation it cannot build (an unknown type, a bad kwarg) and drops it:
    # a typo would silently weaken the gate, so refuse the whole suite instead.
    if len(suite.expectations) != len(expectations):
        built = {e.expectation_type for e in suite.expectations}
        dropped = sorted({e.get("type", "?") for e in expectations} - built) or ["(a duplicate)"]
        raise InvalidSuite(f"{path}: GE rejected expectation(s) {', '.join(dropped)}")
    if suite.name != path.stem:
        raise InvalidSuite(f"{path}: suite is named '{suite.name}', expected '{path.stem}'")
    return suite


def day_interval(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def interval_parameters(start: datetime, end: datetime) -> dict[str, Any]:
    """The ``$PARAMETER`` values of one data interval ``[start, end)`` (timezone-aware)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("interval bounds must be timezone-aware")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first_day = start.date()
    last_day = (end - timedelta(microseconds=1)).date()
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    return {
        # timestamp columns (Arrow timestamp[us, UTC] -> pandas datetime64[us, UTC])
        "interval_start": pd.Timestamp(start),
        "interval_end": pd.Timestamp(end),
        # epoch-microsecond columns (GA4 event_timestamp)
        "interval_start_us": _epoch_us(start),
        "interval_end_us": _epoch_us(end),
        # date columns, inclusive bounds (Meta ads date_start / date_stop)
        "interval_first_day": first_day,
        "interval_last_day": last_day,
        # GA4's event_date strings
        "interval_days_yyyymmdd": [day.strftime("%Y%m%d") for day in days],
    }


def landed_parameters(landing_root: Path, sources: Iterable[str]) -> dict[str, int]:
    """``min_rows_<source>``: 1 once the source has landed any day, else 0. A mart fed by one
    source states its volume floor with it, so a platform that is not configured (nothing landed)
    leaves its marts empty without failing the gate, and one that is must fill them."""
    return {f"min_rows_{source}": int(any((landing_root / source).glob("*/date=*/data.parquet")))
            for source in sources}


def _epoch_us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
