"""Which day a publish run publishes, and which source families have delivered it.

A family's extract DAG records each day's landing verdict in
``<data dir>/deliveries/<family>/<day>.json`` (``passed`` true or false) when its landing gate
has run, and only then, on success, emits its Asset. The publish DAG reads these records, not the
Assets' history: the verdict of a failed gate (no Asset event) must stop publication, and a rerun
of an old day must not make a family look late for the newest one.

* An Asset-triggered run publishes through the latest day every family has delivered when it
  runs (at least the days of its triggering events: events that arrive while the run waits for
  the previous one are in the records, even when Airflow does not count them as its trigger);
  it starts at the earliest day of its events. A deadline run publishes its own day.
* Any day a family's gate refused and no rerun has fixed stops publication (dbt builds the whole
  landing zone, so a refused partition of any day would reach the marts). For the day published,
  a family is *fresh* (its record passed) or *late* (no passing record yet). A late family's
  sources that have already landed the day (status file written: the source's day is complete)
  are validated by the publish run itself before dbt reads them; the rest of the family is the
  previous days' data, named in the freshness warning.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from social_roi import landing
from social_roi.errors import SocialRoiError
from social_roi.schedule import FAMILIES
from social_roi.settings import Paths

log = logging.getLogger(__name__)


class FamilyGateFailed(SocialRoiError):
    """A family's landing gate refused the day being published: nothing may be published."""


def record_file(paths: Paths, family: str, day: date) -> Path:
    return paths.data_dir / "deliveries" / family / f"{day.isoformat()}.json"


def record_delivery(paths: Paths, family: str, day: date, *, passed: bool, run_id: str | None,
                    result_file: str | None = None) -> Path:
    target = record_file(paths, family, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {"family": family, "day": day.isoformat(), "passed": passed, "run_id": run_id,
            "sources": list(FAMILIES[family]), "result_file": result_file,
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    os.replace(tmp, target)
    return target


def delivery(paths: Paths, family: str, day: date) -> bool | None:
    """True: the family's day passed its landing gate; False: it failed; None: not validated yet."""
    file = record_file(paths, family, day)
    return bool(json.loads(file.read_text())["passed"]) if file.is_file() else None


def latest_delivered(paths: Paths, family: str) -> date | None:
    folder = paths.data_dir / "deliveries" / family
    days = sorted(date.fromisoformat(f.stem) for f in folder.glob("*.json")) if folder.is_dir() else []
    return next((d for d in reversed(days) if delivery(paths, family, d)), None)


def day_from_events(events: Mapping[str, Iterable[Mapping[str, object]]]) -> tuple[date, date]:
    """(first, last) day of an Asset-triggered run from its triggering events' extras, per
    family: ``last`` is the latest day every family delivered, ``first`` the earliest new day."""
    latest: dict[str, date] = {}
    earliest: list[date] = []
    for family, extras in events.items():
        days = [date.fromisoformat(str(extra["day"])) for extra in extras if extra.get("day")]
        if days:
            latest[family] = max(days)
            earliest.append(min(days))
    if not latest:
        raise SocialRoiError("an Asset-triggered publish run without a day in its events' extra: "
                             "events must come from the extract DAGs' validate_landing tasks")
    last = min(latest.values())
    return min(min(earliest), last), last


@dataclass(frozen=True)
class Plan:
    """What a publish run publishes: ``first``..``day`` (inclusive), and how fresh each family is."""

    first: date
    day: date
    fresh: tuple[str, ...]
    late: dict[str, date | None] = field(default_factory=dict)  # family -> latest delivered day
    landed_unvalidated: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def warning(self) -> str | None:
        if not self.late:
            return None
        parts = [f"{family} (latest delivered: {latest or 'never'}; sources "
                 f"{', '.join(FAMILIES[family])})" for family, latest in self.late.items()]
        return (f"published {self.day} without fresh data from {'; '.join(parts)}: "
                f"its marts hold those sources' earlier days only")


def through_day(paths: Paths) -> date | None:
    """The latest day every family has delivered (None while one never has)."""
    latest = [latest_delivered(paths, family) for family in FAMILIES]
    return None if None in latest else min(d for d in latest if d is not None)


def refused_days(paths: Paths) -> list[tuple[str, date]]:
    """Every (family, day) whose landing gate refused it and that no rerun has fixed since: its
    partitions are still in the landing zone, and dbt would read them."""
    refused = []
    for family in FAMILIES:
        folder = paths.data_dir / "deliveries" / family
        for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if delivery(paths, family, date.fromisoformat(file.stem)) is False:
                refused.append((family, date.fromisoformat(file.stem)))
    return refused


def plan(paths: Paths, first: date, day: date) -> Plan:
    """Each family's state for ``day``; raises ``FamilyGateFailed`` while any family has a day
    its landing gate refused (that day, or any other: dbt builds the whole landing zone)."""
    refused = refused_days(paths)
    if refused:
        raise FamilyGateFailed(
            "the landing gate refused "
            + ", ".join(f"{family} {d}" for family, d in refused)
            + f" ({', '.join(str(record_file(paths, f, d)) for f, d in refused)}): nothing "
            "published; fix the source and rerun that family's extract DAG for the day")
    fresh, late, unvalidated = [], {}, {}
    for family, sources in FAMILIES.items():
        if delivery(paths, family, day):
            fresh.append(family)
        else:
            late[family] = latest_delivered(paths, family)
            landed = tuple(s for s in sources if landing.status_file(paths.landing, s, day).is_file())
            if landed:
                unvalidated[family] = landed
    return Plan(first, day, tuple(fresh), late, unvalidated)


def publication_file(paths: Paths, day: date) -> Path:
    return paths.data_dir / "deliveries" / "_published" / f"{day.isoformat()}.json"


def record_publication(paths: Paths, day: date, run_id: str, *, late: Mapping[str, object]) -> None:
    target = publication_file(paths, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps({"day": day.isoformat(), "run_id": run_id, "late": dict(late)}) + "\n")
    os.replace(tmp, target)


def published_complete(paths: Paths, day: date) -> bool:
    """Whether ``day`` was published with every family fresh (a deadline run has nothing to add)."""
    file = publication_file(paths, day)
    return file.is_file() and not json.loads(file.read_text())["late"]
