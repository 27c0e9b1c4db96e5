"""Every DAG file imports cleanly, fast, and follows the project's DAG conventions; the extract
DAGs and the publish DAG are wired through the right Assets (docs/decisions.md 58)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pendulum
import pytest
from airflow.dag_processing.dagbag import DagBag

from social_roi import schedule
from social_roi.airflow_env import POOLS
from social_roi.settings import REPO_ROOT

DAG_FILES = sorted((REPO_ROOT / "dags").glob("*.py"))
EXTRACT_DAGS = {f"social_roi_extract_{family}": family for family in schedule.FAMILIES}
PUBLISH = "social_roi_publish"


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    return DagBag(str(REPO_ROOT / "dags"))


def test_dag_files_import_without_errors(dagbag):
    assert DAG_FILES, "no DAG files found"
    assert dagbag.import_errors == {}
    # a file whose text lacks "airflow" or "dag" is skipped by the DAG processor's safe mode
    assert len(dagbag.dags) == len(DAG_FILES), "one DAG per file"
    assert set(dagbag.dags) == {*EXTRACT_DAGS, PUBLISH}


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_file_name_is_dag_id_and_dag_is_documented(dagbag, dag_file: Path):
    dag = dagbag.dags.get(dag_file.stem)
    assert dag is not None, f"{dag_file.name} must define the DAG '{dag_file.stem}'"
    assert dag.tags, "tags"
    assert dag.doc_md and len(dag.doc_md) > 100, "the module docstring is the DAG's doc"
    assert dag.max_active_runs == 1
    assert dag.catchup is False, "without SOCIAL_ROI_START_DATE only the latest day runs"
    assert dag.start_date.tzinfo is not None and dag.start_date.utcoffset().total_seconds() == 0


def test_every_task_retries_and_builds_run_one_at_a_time(dagbag):
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.retries >= 1, f"{dag.dag_id}.{task.task_id} has no retries"
            assert task.pool in POOLS or task.pool == "default_pool", f"{task.task_id}: {task.pool}"
    publish = dagbag.dags[PUBLISH]
    assert {t.task_id: t.pool for t in publish.tasks} == dict.fromkeys(
        ("check_freshness", "dbt_build", "validate_marts", "publish"), "duckdb_writer")


def test_retries_back_off_exponentially(dagbag):
    """Airflow's own next-retry computation: the first retry 1-2 min after the failure, the second
    2-4 min (Airflow 3 reads ``retry_exponential_backoff=True`` as a multiplier of 1: constant)."""
    import uuid
    from datetime import UTC, datetime

    from airflow.models.taskinstance import TaskInstance

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            ti = TaskInstance(task, run_id="r", dag_version_id=uuid.uuid4())
            ti.end_date = datetime(2026, 10, 2, tzinfo=UTC)
            waits = []
            for ti.try_number in (1, 2):
                waits.append((ti.next_retry_datetime() - ti.end_date).total_seconds())
            assert 60 <= waits[0] < 120 and 120 <= waits[1] < 240, (dag.dag_id, task.task_id, waits)


def test_every_task_alerts_when_it_fails_for_good(dagbag):
    """Airflow calls ``on_failure_callback`` after the last retry only (README, "Alerts")."""
    from social_roi.alerts.notifier import FailureNotifier

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            callbacks = task.on_failure_callback or []
            assert any(isinstance(cb, FailureNotifier) for cb in callbacks), f"{dag.dag_id}.{task.task_id}"
            assert not task.on_retry_callback, "a retry is not an alert"


def test_daily_runs_cover_a_whole_day(dagbag):
    """@daily would give zero-length intervals in Airflow 3: the timetable must give [D, D+1)."""
    for dag_id in EXTRACT_DAGS:
        interval = dagbag.dags[dag_id].timetable.infer_manual_data_interval(
            run_after=pendulum.datetime(2026, 10, 2, tz="UTC"))
        assert (interval.start, interval.end) == (pendulum.datetime(2026, 10, 1, tz="UTC"),
                                                  pendulum.datetime(2026, 10, 2, tz="UTC"))


def test_each_family_extracts_its_sources_and_emits_its_asset_after_the_gate(dagbag):
    """Every connector has its extract task (and API pool) in exactly one family's DAG, whose
    ``validate_landing`` follows all of them and alone emits the family's Asset."""
    from social_roi.connectors import CONNECTORS

    seen = {}
    for dag_id, family in EXTRACT_DAGS.items():
        dag = dagbag.dags[dag_id]
        extracts = {t.task_id.removeprefix("extract_"): t.pool for t in dag.tasks
                    if t.task_id.startswith("extract_")}
        assert set(extracts) == set(schedule.FAMILIES[family])
        assert all(pool == f"api_{source}" for source, pool in extracts.items())
        seen.update(extracts)
        gate = dag.get_task("validate_landing")
        assert gate.upstream_task_ids == {f"extract_{s}" for s in extracts}
        assert [a.name for a in gate.outlets] == [f"social_roi_landing_{family}"]
        assert [t.task_id for t in dag.tasks if t.outlets] == ["validate_landing"]
    assert set(seen) == set(CONNECTORS)


def test_publish_runs_on_any_of_the_three_assets_or_at_the_deadline(dagbag):
    from airflow.sdk import AssetAny, AssetOrTimeSchedule

    dag = dagbag.dags[PUBLISH]
    timetable = dag.timetable
    assert isinstance(timetable, AssetOrTimeSchedule)
    condition = timetable.asset_condition
    assert isinstance(condition, AssetAny), "any one family: the run decides what is complete"
    assert sorted(a.name for a in condition.objects) == sorted(
        f"social_roi_landing_{family}" for family in schedule.FAMILIES)
    # the deadline run for day D runs at D+1 06:00 with the interval [D 06:00, D+1 06:00)
    info = timetable.timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=__import__("airflow.timetables.base", fromlist=["TimeRestriction"]).TimeRestriction(
            earliest=pendulum.datetime(2026, 10, 1, tz="UTC"), latest=None, catchup=True))
    assert info.data_interval.start == pendulum.datetime(2026, 10, 1, 6, tz="UTC")
    assert info.run_after == pendulum.datetime(2026, 10, 2, 6, tz="UTC")
    assert schedule.day_of_deadline_run(info.data_interval.start) == date(2026, 10, 1)
    assert [t.task_id for t in dag.topological_sort()] == [
        "check_freshness", "dbt_build", "validate_marts", "publish"]


def test_publish_has_a_deadline_alert_through_the_alerts_module(dagbag):
    from airflow.sdk import DeadlineReference
    from airflow.sdk.definitions.callback import AsyncCallback

    [deadline] = dagbag.dags[PUBLISH].deadline
    assert deadline.reference == DeadlineReference.DAGRUN_QUEUED_AT
    assert deadline.interval == schedule.publish_grace()
    assert isinstance(deadline.callback, AsyncCallback)
    assert deadline.callback.path == "social_roi.alerts.late.publication_late"


def test_pools_the_dags_use_exist():
    assert {"duckdb_writer", *(f"api_{s}" for fam in schedule.FAMILIES.values() for s in fam)} <= set(POOLS)


def test_the_window_comes_from_the_environment():
    default = schedule.window({})
    assert (default.start.date(), default.end, default.catchup) == (schedule.DEFAULT_START, None, False)
    given = schedule.window({"SOCIAL_ROI_START_DATE": "2026-10-28", "SOCIAL_ROI_END_DATE": "2026-10-30"})
    assert (given.start.date(), given.end.date(), given.catchup) == (
        date(2026, 10, 28), date(2026, 10, 30), True)
    with pytest.raises(ValueError, match="before"):
        schedule.window({"SOCIAL_ROI_START_DATE": "2026-10-28", "SOCIAL_ROI_END_DATE": "2026-10-01"})


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_parsing_is_fast_and_does_no_work_at_import(dag_file: Path):
    """Parse each file in a fresh interpreter (Airflow's SDK already imported, as in the DAG
    processor) and time it: under 1 s. Importing must not touch the network or the warehouse."""
    code = (
        "import time, runpy, airflow.sdk, airflow.timetables.interval;"
        f"t = time.perf_counter(); runpy.run_path({str(dag_file)!r});"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "plugins")}, timeout=120)
    seconds = float(out.stdout.strip().splitlines()[-1])
    print(f"\n{dag_file.name} parsed in {seconds * 1000:.0f} ms")
    assert seconds < 1.0, f"{dag_file.name}: parsing took {seconds:.2f} s"
