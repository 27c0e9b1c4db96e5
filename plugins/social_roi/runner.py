"""Run the real DAG through Airflow, one data interval after another, in this process.

``dag.test()`` is Airflow's own in-process runner: it creates real DAG runs and task instances in
the metadata database and executes every task with the Task SDK, without a scheduler to start.
Each day's Airflow output goes to a log file; the console gets one progress line per day.
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
from social_roi.settings import REPO_ROOT

DAG_ID = "social_roi_daily"


class RunFailed(SocialRoiError):
    pass


@contextmanager
def output_to(log_file: Path) -> Iterator[None]:
    """Send everything written to stdout/stderr (Airflow's and dbt's loggers included) to a file."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_file, "ab") as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_days(
    days: list[date],
    log_dir: Path,
    progress: Callable[[date, float], None] | None = None,
    dag_id: str = DAG_ID,
) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.state import DagRunState, TaskInstanceState

    bag = DagBag(str(REPO_ROOT / "dags"))
    if bag.import_errors:
        raise RunFailed(f"DAG files failed to import: {bag.import_errors}")
    dag = bag.dags[dag_id]
    for day in days:
        started = time.perf_counter()
        log_file = log_dir / f"{dag_id}_{day.isoformat()}.log"
        # A manual run's data interval is the last complete one before its logical date.
        logical_date = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        with output_to(log_file):
            run = dag.test(logical_date=logical_date)
        if run.state != DagRunState.SUCCESS:
            failed = [ti.task_id for ti in run.get_task_instances()
                      if ti.state in (TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED)]
            raise RunFailed(f"{dag_id} failed for {day} (tasks: {', '.join(failed) or '?'}); "
                            f"Airflow log: {log_file}\n{_last_error(log_file)}")
        if progress:
            progress(day, time.perf_counter() - started)


def _last_error(log_file: Path) -> str:
    """The error lines of the day's log (exception messages), for the console."""
    text = log_file.read_text(errors="replace").splitlines()
    markers = ("Exception: ", "Error: ", "GateFailed", "DbtFailed")
    hits = [line for line in text if any(m in line for m in markers) and "Warning" not in line]
    return "\n".join(dict.fromkeys(hits[-8:]))
