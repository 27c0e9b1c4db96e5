"""Which day a publish run publishes, and which source families have delivered it.

A family's extract DAG records each day's landing verdict in
``<data dir>/deliveries/<family>/<day>.json`` (``passed`` true or false) when its landing gate
has run, and only then, on success, emits its Asset. The publish DAG reads these records, not the
Assets' history: the verdict of a failed gate (no Asset event) must stop publication, and a rerun
of an old day must not make a family look late for the newest one.

* An Asset-triggered run (any one family's Asset) publishes through the latest day every family
  has delivered (``through_day``), from the earliest day not yet published with the data it has
  now (``pending_days``); with nothing new it is skipped (``waiting``): an Asset run never
  publishes a day a family has not delivered, that is the deadline run's job. The records, not
  the run's events, say what is new: events that arrive while a run waits are not always counted
  as its trigger (docs/decisions.md 58, 64). A deadline run publishes its own day.
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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
            "recorded_at": datetime.now(UTC).isoformat(timespec="microseconds")}
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    os.replace(tmp, target)
    return target


def delivery(paths: Paths, family: str, day: date) -> bool | None:
    """True: the family's day passed its landing gate; False: it failed; None: not validated yet."""
    file = record_file(paths, family, day)
    return bool(json.loads(file.read_text())["passed"]) if file.is_file() else None


def latest_delivered(paths: Paths, family: str) -> date | None:
    days = delivered_days(paths, family)
    return days[-1] if days else None


@dataclass(frozen=True)
class Plan:
    """What a publish run publishes: ``first``..``day`` (inclusive), and how fresh each family is."""

    first: date
    day: date
    fresh: tuple[str, ...]
    late: dict[str, date | None] = field(default_factory=dict)  # family -> latest delivered day
    landed_unvalidated: dict[str, tuple[str, ...]] = field(default_factory=dict)
    missing: dict[date, tuple[str, ...]] = field(default_factory=dict)  # earlier days: undelivered families

    def warning(self) -> str | None:
        if not self.late:
            return None
        parts = [f"{family} (latest delivered: {latest or 'never'}; sources "
                 f"{', '.join(FAMILIES[family])})" for family, latest in self.late.items()]
        return (f"published {self.day} without fresh data from {'; '.join(parts)}: "
                f"its marts hold those sources' earlier days only")


def delivered_days(paths: Paths, family: str) -> list[date]:
    """The days whose landing gate the family passed, oldest first."""
    folder = paths.data_dir / "deliveries" / family
    days = sorted(date.fromisoformat(f.stem) for f in folder.glob("*.json")) if folder.is_dir() else []
    return [d for d in days if delivery(paths, family, d)]


def through_day(paths: Paths) -> date | None:
    """The latest day every family has delivered (None while there is none)."""
    common = set.intersection(*(set(delivered_days(paths, family)) for family in FAMILIES))
    return max(common, default=None)


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
    missing = {}
    for n in range((day - first).days):
        each = first + timedelta(days=n)
        undelivered = tuple(family for family in FAMILIES if not delivery(paths, family, each))
        if undelivered:
            missing[each] = undelivered
    return Plan(first, day, tuple(fresh), late, unvalidated, missing)


def publication_file(paths: Paths, day: date) -> Path:
    return paths.data_dir / "deliveries" / "_published" / f"{day.isoformat()}.json"


def record_publication(paths: Paths, day: date, run_id: str, *, late: Mapping[str, object],
                       planned_at: str | None = None) -> None:
    """``day`` was published by ``run_id`` with ``late`` families missing, from the deliveries
    recorded before ``planned_at`` (when its run planned the publication; default now)."""
    target = publication_file(paths, day)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    planned_at = planned_at or datetime.now(UTC).isoformat(timespec="microseconds")
    tmp.write_text(json.dumps({"day": day.isoformat(), "run_id": run_id, "late": dict(late),
                               "planned_at": planned_at}) + "\n")
    os.replace(tmp, target)


def record_published_plan(paths: Paths, run_id: str, plan: Mapping[str, object]) -> None:
    """Every day of a published plan (``pipeline.plan_publication``'s result) as published: the
    last with its late families, the earlier ones with those that had not delivered them."""
    first, day = date.fromisoformat(str(plan["first"])), date.fromisoformat(str(plan["day"]))
    missing = dict(plan.get("missing") or {})
    for n in range((day - first).days + 1):
        each = first + timedelta(days=n)
        late = (dict(plan.get("late") or {}) if each == day
                else dict.fromkeys(missing.get(each.isoformat(), [])))
        record_publication(paths, each, run_id, late=late,
                           planned_at=str(plan.get("planned_at") or "") or None)


def published_complete(paths: Paths, day: date) -> bool:
    """Whether ``day`` was published with every family fresh (a deadline run has nothing to add)."""
    file = publication_file(paths, day)
    return file.is_file() and not json.loads(file.read_text())["late"]


def _recorded_at(paths: Paths, family: str, day: date) -> datetime | None:
    file = record_file(paths, family, day)
    return datetime.fromisoformat(json.loads(file.read_text())["recorded_at"]) if file.is_file() else None


def pending_days(paths: Paths, through: date) -> list[date]:
    """The days up to ``through`` that some family has delivered since their last publication was
    planned (or that were never published): what an Asset-triggered run has to publish. A day
    published with a family late is pending again once that family delivers it."""
    days = sorted(set().union(*(delivered_days(paths, family) for family in FAMILIES)))
    pending = []
    for day in (d for d in days if d <= through):
        file = publication_file(paths, day)
        if not file.is_file():
            pending.append(day)
            continue
        planned = json.loads(file.read_text()).get("planned_at")
        since = (datetime.fromisoformat(planned) if planned
                 else datetime.fromtimestamp(file.stat().st_mtime, UTC))
        if any((at := _recorded_at(paths, family, day)) is not None and at >= since
               for family in FAMILIES if delivery(paths, family, day)):
            pending.append(day)
    return pending


def waiting(paths: Paths, through: date | None) -> str:
    """Why an Asset-triggered run has nothing to publish: the next day and who has not delivered it."""
    later = sorted({d for family in FAMILIES for d in delivered_days(paths, family)
                    if through is None or d > through})
    if not later:
        if through is None:
            return "no family has delivered a day yet; nothing to publish"
        return f"every family delivered through {through}, already published; nothing new to publish"
    day = later[0]
    fresh = [family for family in FAMILIES if delivery(paths, family, day)]
    missing = [family for family in FAMILIES if family not in fresh]
    return (f"day {day}: waiting for {', '.join(missing)} ({', '.join(fresh)} delivered); "
            + (f"{through} and earlier already published; " if through else "")
            + "nothing new to publish")
