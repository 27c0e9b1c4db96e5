"""Run the real DAGs through Airflow, one day after another, in this process: for each day the
three extract DAGs (social, web, CRM), then the publish DAG for that day (docs/decisions.md 58).

``dag.test()`` is Airflow's own in-process runner: it creates real DAG runs and task instances in
the metadata database and executes every task with the Task SDK, without a scheduler to start.
Its runs are manual, so the publish DAG publishes its data interval's day (no Asset events), and
every family has delivered it by then. Each day's Airflow output goes to a log file; the console
gets one progress line per day. A failure names the DAG and its failed task(s), and the next
DAGs of the day do not run: nothing of that day is published.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from social_roi.errors import SocialRoiError
from social_roi.schedule import FAMILIES, deadline_of
from social_roi.settings import REPO_ROOT

DAG_IDS = (*(f"social_roi_extract_{family}" for family in FAMILIES), "social_roi_publish")


class RunFailed(SocialRoiError):
    """A DAG run did not succeed. ``failed_tasks`` failed themselves; the rest did not run."""

    def __init__(self, message: str, failed_tasks: list[str] | None = None) -> None:
        super().__init__(message)
        self.failed_tasks = failed_tasks or []


@contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr to a file: at the file-descriptor level (child
    processes, C extensions) and at the Python level (loggers bound to ``sys.stdout``, which a
    test runner may have replaced)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_fds = os.dup(1), os.dup(2)
    saved_streams = sys.stdout, sys.stderr
    with open(log_file, "a", buffering=1, encoding="utf-8", errors="replace") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        sys.stdout = sys.stderr = handle
        try:
            yield
        finally:
            handle.flush()
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            os.close(saved_fds[0])
            os.close(saved_fds[1])


def run_days(
    days: list[date],
    log_dir: Path,
    progress: Callable[[date, float], None] | None = None,
    dag_ids: tuple[str, ...] = DAG_IDS,
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(REPO_ROOT / "dags"))
    if bag.import_errors:
        raise RunFailed(f"DAG files failed to import: {bag.import_errors}")
    dags = [without_deadline(bag.dags[dag_id]) for dag_id in dag_ids]
    for day in days:
        started = time.perf_counter()
        log_file = log_dir / f"social_roi_{day.isoformat()}.log"
        for dag in dags:
            _run(dag, day, log_file)
        if progress:
            progress(day, time.perf_counter() - started)


def without_deadline(dag):
    """The DAG for ``dag.test()``: Airflow 3.3.2's ``dag.test()`` fails at the end of a run of a
    DAG with a ``DeadlineAlert`` (it looks the alerts up by the ids that only the DAG processor's
    serialization assigns), and with no scheduler there is nothing to check the deadline anyway
    (docs/decisions.md 58)."""
    dag.deadline = None
    return dag


def logical_date_for(dag_id: str, day: date) -> datetime:
    """A manual run's data interval is the last complete one before its logical date: the
    extract DAGs' ``[D, D+1)`` needs D + 1 at midnight, the publish DAG's ``[D 06:00, D+1 06:00)``
    (its deadline timetable) the deadline on D + 1."""
    if dag_id == "social_roi_publish":
        return deadline_of(day)
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def _run(dag, day: date, log_file: Path) -> None:
    from airflow.utils.state import DagRunState, TaskInstanceState

    with output_to(log_file):
        run = dag.test(logical_date=logical_date_for(dag.dag_id, day))
    if run.state == DagRunState.SUCCESS:
        return
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    failed = sorted(t for t, s in states.items() if s == TaskInstanceState.FAILED)
    skipped = sorted(t for t, s in states.items() if s == TaskInstanceState.UPSTREAM_FAILED)
    raise RunFailed(
        f"{dag.dag_id} failed for {day}: {', '.join(failed) or '?'} failed"
        f"{'; not run: ' + ', '.join(skipped) if skipped else ''}. "
        f"Airflow log: {log_file}\n{_task_errors(log_file)}",
        failed,
    )


def _task_errors(log_file: Path) -> str:
    """The messages of the exceptions that failed tasks, whole (a gate summary spans lines):
    from each ``...Exception: `` line up to the next log record or traceback line."""
    lines = log_file.read_text(errors="replace").splitlines()
    messages: list[str] = []
    for i, line in enumerate(lines):
        if "Exception: " not in line or not line.startswith(("airflow.", "social_roi.")):
            continue
        block = [line]
        for following in lines[i + 1:]:
            if following.startswith(("20", "Traceback", "  File", "During handling", "The above")):
                break
            block.append(following)
        messages.append("\n".join(block).rstrip())
    return "\n".join(dict.fromkeys(messages))
