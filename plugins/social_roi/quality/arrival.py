"""Volume and freshness of a landing entity: how the run's day compares with the days landed before it.

Two row-count expectations in every landing suite read their floor from here, as suite parameters
(decision 54):

* ``volume_min_rows`` — a day must not deliver ``max_drop`` (90 %) or more fewer rows than the
  median of the ``trailing_days`` (7) landed days before it. The rule applies only once
  ``min_history_days`` (3) days have landed and their median is at least ``min_trailing_median``
  (10) rows: a sparse entity (a Page's posts, lead-form leads: 0–5 a day in the sandbox world, and
  no fewer real ones) goes from 2 to 0 rows on an ordinary day, which is no outage.
* ``freshness_min_rows`` — an entity whose latest day with rows is more than ``max_age_days``
  before the run's day must deliver today. Only entities that deliver every day have a
  ``max_age_days`` (suite meta); it catches a source that went silent for good, which the volume
  rule stops seeing once the silent days fill the trailing window.

Only landed partitions count: days a source was not configured have none (``skip_not_configured``
writes its status and contracts only), so switching a platform off never looks like an outage.
A restated entity (ads: the last 28–30 days re-pulled each run) is validated as its whole window,
so its floor is the window's length times the daily floor, against the days before the window.
Row counts come from the Parquet footers (no data read), cached per file version.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from social_roi import landing

DEFAULTS: Mapping[str, Any] = {
    "trailing_days": 7,
    "min_history_days": 3,
    "min_trailing_median": 10,
    "max_drop": 0.9,
    "max_age_days": None,
}
# how far back the latest day with rows is looked for (landed partitions)
HISTORY_LIMIT = 28


@dataclass(frozen=True)
class Arrival:
    """What the run's day of one entity delivered, beside its history."""

    table: str  # "<source>/<entity>"
    day: date
    rows: int  # the run's rows (a restated entity: its whole window)
    window_days: int
    trailing_median: float | None  # None: too little history for the volume rule
    trailing_days: int
    last_day_with_rows: date | None  # before the run's window
    config: Mapping[str, Any]

    @property
    def volume_min_rows(self) -> int:
        """0 when the rule does not apply; else the fewest rows that are not a ``max_drop`` drop."""
        if self.trailing_median is None or self.trailing_median < self.config["min_trailing_median"]:
            return 0
        expected = self.trailing_median * self.window_days
        return math.floor(expected * (1 - self.config["max_drop"]) + 1e-9) + 1

    @property
    def days_since_rows(self) -> int | None:
        if self.rows:
            return 0
        return None if self.last_day_with_rows is None else (self.day - self.last_day_with_rows).days

    @property
    def freshness_min_rows(self) -> int:
        max_age, age = self.config["max_age_days"], self.days_since_rows
        return int(max_age is not None and age is not None and age > max_age)

    def parameters(self) -> dict[str, int]:
        return {"volume_min_rows": self.volume_min_rows, "freshness_min_rows": self.freshness_min_rows}

    def explain(self, check: str) -> str:
        """The readable reason of a failed volume or freshness expectation."""
        if check == "freshness":
            return (f"stale: {self.table} landed no rows on {self.day}, none since "
                    f"{self.last_day_with_rows} ({self.days_since_rows} days; at most "
                    f"{self.config['max_age_days']} allowed)")
        window = f" over its {self.window_days}-day window" if self.window_days > 1 else ""
        return (f"volume: {self.table} landed {self.rows} rows on {self.day}{window} against a trailing "
                f"median of {self.trailing_median:g} a day over the {self.trailing_days} landed days "
                f"before ({self.config['max_drop']:.0%} fewer or more stops publication: at least "
                f"{self.volume_min_rows} needed)")

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "trailing_median": self.trailing_median,
                "trailing_days": self.trailing_days,
                "last_day_with_rows": self.last_day_with_rows, **self.parameters()}


def config_of(suite_meta: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults, overridden by the suite's ``meta.volume`` and ``meta.freshness``."""
    config = dict(DEFAULTS)
    for key in ("volume", "freshness"):
        config.update({k: v for k, v in ((suite_meta or {}).get(key) or {}).items() if k != "why"})
    unknown = set(config) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown volume/freshness setting(s): {', '.join(sorted(unknown))}")
    return config


def arrival(landing_root: Path, source: str, entity: str, days: list[date], rows: int,
            config: Mapping[str, Any]) -> Arrival:
    """``days``: the partitions the run wrote (one, or a restated window), ``rows`` their total."""
    folder = landing_root / source / entity
    before = sorted((d for d in _landed_days(folder) if d < days[0]), reverse=True)[:HISTORY_LIMIT]
    counts = [(d, _num_rows(landing.partition_file(landing_root, source, entity, d))) for d in before]
    trailing = [n for _, n in counts[: config["trailing_days"]]]
    median = statistics.median(trailing) if len(trailing) >= config["min_history_days"] else None
    last = next((d for d, n in counts if n), None)
    return Arrival(f"{source}/{entity}", days[-1], rows, len(days), median, len(trailing), last,
                   config)


def _landed_days(folder: Path) -> list[date]:
    found = []
    for child in folder.glob("date=*"):
        try:
            found.append(date.fromisoformat(child.name[len("date="):]))
        except ValueError:
            continue
    return found


def _num_rows(file: Path) -> int:
    """A partition that is missing or unreadable counts as empty: its own day's gate said so."""
    try:
        stat = file.stat()
        return _footer_rows(file, stat.st_mtime_ns, stat.st_size)
    except (OSError, pa.ArrowException):
        return 0


@lru_cache(maxsize=4096)
def _footer_rows(file: Path, _mtime_ns: int, _size: int) -> int:
    return pq.ParquetFile(file).metadata.num_rows
