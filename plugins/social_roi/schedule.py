"""What runs when: the source families, the Assets they publish, the publication's daily deadline
and the scheduling window — plain values, cheap to import (the DAG files read them at parse time).

* An extract DAG per family lands its sources' day, validates that landing and then emits its
  family's Asset, the day in the event's extra (``{"family": ..., "day": "YYYY-MM-DD"}``).
* The publish DAG runs on any family's Asset event (and publishes only days every family has
  delivered, else skips: ``freshness``), or at the daily deadline
  (``PUBLISH_DEADLINE`` UTC the next day) with what has arrived: a family that has not delivered
  the day is named in a freshness warning (docs/decisions.md 58).
* ``SOCIAL_ROI_START_DATE`` / ``SOCIAL_ROI_END_DATE`` (``YYYY-MM-DD``, UTC): the first and last day
  the scheduler extracts. With a start date given, every day from it is run (catchup); without,
  only the latest day.
* ``SOCIAL_ROI_PUBLISH_DEADLINE`` (``HH:MM`` UTC, default 06:00): when day D's publication runs
  at the latest, on D + 1. ``SOCIAL_ROI_PUBLISH_GRACE`` (seconds, default 3600): how long any
  publish run may take from being queued before a "late" alert goes out (a ``DeadlineAlert``).
* ``SOCIAL_ROI_RETRY_DELAY`` (seconds, default 60): how long Airflow waits before a failed task's
  first retry (the next waits twice as long; ``dag_builders.retries``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

FAMILIES: dict[str, tuple[str, ...]] = {
    "social": ("meta", "linkedin", "x", "brandwatch"),
    "web": ("ga4", "ga4_data_api"),
    "crm": ("hubspot", "salesforce"),
}
DEFAULT_START = date(2026, 10, 1)


def asset_name(family: str) -> str:
    """The Asset a family's extract DAG emits once its day has landed and passed the gate."""
    if family not in FAMILIES:
        raise KeyError(f"unknown source family {family!r}: one of {', '.join(FAMILIES)}")
    return f"social_roi_landing_{family}"


def family_of(source: str) -> str:
    for family, sources in FAMILIES.items():
        if source in sources:
            return family
    raise KeyError(f"source {source!r} belongs to no family: add it to schedule.FAMILIES")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None
    catchup: bool


def window(environ: dict[str, str] | None = None) -> Window:
    env = os.environ if environ is None else environ
    start, end = env.get("SOCIAL_ROI_START_DATE", ""), env.get("SOCIAL_ROI_END_DATE", "")
    first = date.fromisoformat(start) if start else DEFAULT_START
    last = date.fromisoformat(end) if end else None
    if last is not None and last < first:
        raise ValueError(f"SOCIAL_ROI_END_DATE {last} is before SOCIAL_ROI_START_DATE {first}")
    return Window(_midnight(first), _midnight(last) if last else None, catchup=bool(start))


def publish_deadline(environ: dict[str, str] | None = None) -> time:
    env = os.environ if environ is None else environ
    value = time.fromisoformat(env.get("SOCIAL_ROI_PUBLISH_DEADLINE", "06:00"))
    return value.replace(tzinfo=None)


def publish_cron(environ: dict[str, str] | None = None) -> str:
    """The deadline runs' cron: at the deadline every day. Its data interval is
    ``[D deadline, D+1 deadline)``: the run at the end of that interval publishes day D."""
    at = publish_deadline(environ)
    return f"{at.minute} {at.hour} * * *"


def publish_grace(environ: dict[str, str] | None = None) -> timedelta:
    env = os.environ if environ is None else environ
    return timedelta(seconds=float(env.get("SOCIAL_ROI_PUBLISH_GRACE", "3600")))


def retry_delay(environ: dict[str, str] | None = None) -> timedelta:
    env = os.environ if environ is None else environ
    return timedelta(seconds=float(env.get("SOCIAL_ROI_RETRY_DELAY", "60")))


def deadline_of(day: date, environ: dict[str, str] | None = None) -> datetime:
    """When day ``day``'s publication runs at the latest: the deadline time on the next day.
    (A manual run publishes the day in its conf instead: Airflow 3 gives it the interval before
    its trigger time, whatever its logical date; decision 64.)"""
    return datetime.combine(day + timedelta(days=1), publish_deadline(environ), tzinfo=UTC)


def day_of_deadline_run(interval_start: datetime) -> date:
    """The day a deadline run publishes: its data interval starts at that day's deadline time."""
    return interval_start.astimezone(UTC).date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
