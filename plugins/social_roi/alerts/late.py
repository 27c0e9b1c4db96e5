"""Alerts of kind ``late``: the daily publication is not on time. Two causes, one channel path
(``channels.deliver``, the connections of README "Alerts"):

* ``freshness_warning`` — a publish run went ahead without a source family that had not delivered
  the day by the deadline (a warning: the rest is published).
* ``publication_late`` — the publish DAG's ``DeadlineAlert`` callback: a publish run has not
  finished within its grace after being queued. Airflow's scheduler finds the missed deadline
  and the triggerer awaits this coroutine with a small context (the run as the REST API shows
  it, and the deadline), so it reads nothing else from Airflow but the alert connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from social_roi.alerts.message import Alert


def freshness_warning(dag_id: str, run_id: str, day: str, late: Mapping[str, str | None],
                      details: str) -> Alert:
    families = ", ".join(late)
    facts = (("DAG", dag_id), ("Run", run_id), ("Day", day), ("Late", families),
             *((f"Latest from {family}", str(latest or "never")) for family, latest in late.items()))
    title = f"{dag_id}: {day} published without fresh {families} (late)"
    return Alert("late", title, facts, details)


def missed_deadline(context: Mapping[str, Any]) -> Alert:
    run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    dag_id = run.get("dag_id", "?")
    run_id = run.get("dag_run_id") or run.get("run_id") or "?"
    due = _text(deadline.get("deadline_time"))
    facts = (("DAG", dag_id), ("Run", run_id), ("Queued at", _text(run.get("queued_at"))),
             ("Due by", due), ("State when due", str(run.get("state", "?"))),
             ("Run type", str(run.get("run_type", "?"))))
    title = f"{dag_id}: publication late, run {run_id} not finished by {due}"
    details = ("The daily publication has not finished in time. BI keeps serving the previous "
               "release until it does. Look at the run in the Airflow UI: a task still running "
               "or retrying (an API slow or down), or waiting for a pool slot.")
    return Alert("late", title, facts, details)


async def publication_late(context: Mapping[str, Any] | None = None, **_: Any) -> None:
    """``AsyncCallback`` target of the publish DAG's ``DeadlineAlert``. Never raises."""
    from social_roi.alerts.channels import deliver

    alert = missed_deadline(context or {})
    await asyncio.to_thread(deliver, alert)  # blocking HTTP/SMTP off the triggerer's event loop


def _text(value: Any) -> str:
    return str(value).replace("T", " ", 1) if value else "?"
