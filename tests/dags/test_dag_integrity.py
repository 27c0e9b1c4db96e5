"""Every DAG file imports cleanly, fast, and follows the project's DAG conventions."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from social_roi.settings import REPO_ROOT

DAG_FILES = sorted((REPO_ROOT / "dags").glob("*.py"))


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(str(REPO_ROOT / "dags"))


def test_dag_files_import_without_errors(dagbag):
    assert DAG_FILES, "no DAG files found"
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) == len(DAG_FILES), "one DAG per file"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_file_name_is_dag_id_and_dag_is_documented(dagbag, dag_file: Path):
    dag = dagbag.dags.get(dag_file.stem)
    assert dag is not None, f"{dag_file.name} must define the DAG '{dag_file.stem}'"
    assert dag.tags, "tags"
    assert dag.doc_md and len(dag.doc_md) > 100, "the module docstring is the DAG's doc"
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0


def test_every_task_retries_and_builds_run_one_at_a_time(dagbag):
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
        writers = [t for t in dag.tasks if t.task_id in ("dbt_build", "publish")]
        assert writers and all(t.pool == "duckdb_writer" for t in writers)


def test_every_task_alerts_when_it_fails_for_good(dagbag):
    """Airflow calls ``on_failure_callback`` after the last retry only (README, "Alerts")."""
    from social_roi.alerts.notifier import FailureNotifier

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            callbacks = task.on_failure_callback or []
            assert any(isinstance(cb, FailureNotifier) for cb in callbacks), f"{dag.dag_id}.{task.task_id}"
            assert not task.on_retry_callback, "a retry is not an alert"


def test_daily_runs_cover_a_whole_day():
    """@daily would give zero-length intervals in Airflow 3: the timetable must give [D, D+1)."""
    import pendulum

    dag = DagBag(str(REPO_ROOT / "dags")).dags["social_roi_daily"]
    interval = dag.timetable.infer_manual_data_interval(
        run_after=pendulum.datetime(2026, 10, 2, tz="UTC"))
    assert (interval.start, interval.end) == (pendulum.datetime(2026, 10, 1, tz="UTC"),
                                              pendulum.datetime(2026, 10, 2, tz="UTC"))


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_is_fast_and_does_no_work_at_import(dag_file: Path):
    """Parse each file in a fresh interpreter (Airflow already imported, as in the DAG
    processor) and time it; importing must not touch the network or the warehouse."""
    code = (
        "import time, runpy, airflow.sdk, airflow.timetables.interval;"
        f"t = time.perf_counter(); runpy.run_path({str(dag_file)!r});"
        "print(time.perf_counter() - t)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**__import__("os").environ,
                                          "PYTHONPATH": str(REPO_ROOT / "plugins")})
    assert float(out.stdout.strip().splitlines()[-1]) < 2.0, "DAG file parse took over 2 s"
    assert time.perf_counter() - started < 60


def test_every_connector_has_its_extract_task(dagbag):
    """A new connector is registered in social_roi.connectors and gets a task (and API pool)."""
    from social_roi.airflow_env import POOLS
    from social_roi.connectors import CONNECTORS

    dag = dagbag.dags["social_roi_daily"]
    extracts = {t.task_id.removeprefix("extract_"): t.pool for t in dag.tasks
                if t.task_id.startswith("extract_")}
    assert extracts == {source: f"api_{source}" for source in CONNECTORS}
    assert set(extracts.values()) <= set(POOLS)
