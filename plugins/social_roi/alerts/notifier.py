"""The Airflow glue: ``FailureNotifier`` is every task's ``on_failure_callback`` (the DAG's
``default_args``). Airflow calls it once a task has failed for good — after its last retry, or
at once for ``AirflowFailException`` (gate failures, refused credentials) — never on a retry.
It runs in the task's own process with the exception in the context; for a task process that
died, the DAG processor calls it without one.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseNotifier

from social_roi.alerts import channels
from social_roi.alerts.message import Alert, from_failure

log = logging.getLogger(__name__)


class FailureNotifier(BaseNotifier):
    """Compose the alert for the failed task and deliver it. Never raises: the task's own
    failure is what Airflow records and shows."""

    def notify(self, context: Any) -> None:
        try:
            alert = from_failure(context)
        except Exception:
            log.exception("alerts: could not compose the alert; sending a minimal one")
            alert = _minimal(context)
        channels.deliver(alert)


def _minimal(context: Any) -> Alert:
    ti = context.get("task_instance") or context.get("ti")
    where = f"{getattr(ti, 'dag_id', '?')}.{getattr(ti, 'task_id', '?')}"
    facts = (("Run", str(context.get("run_id") or getattr(ti, "run_id", "?"))), ("Task", where))
    return Alert("task_failed", f"{where} failed", facts, "See the task log.")
