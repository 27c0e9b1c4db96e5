"""The DAGs, built here so that each file in dags/ is two lines and a docstring
(docs/decisions.md 58):

* ``extract_dag(family)`` — ``social_roi_extract_<family>``: daily, one ``extract_<source>`` task
  per source of the family (its API's pool), then ``validate_landing`` on those sources, which
  records the verdict and, on success, emits the family's Asset with the day in its extra.
* ``publish_dag()`` — ``social_roi_publish``: on any of the three Assets, or at the daily deadline, or
  by hand for the day in its conf (``{"day": "YYYY-MM-DD"}``):
  ``check_freshness`` → ``dbt_build`` → ``validate_marts`` → ``publish``.

Parsing builds only the DAG objects: every task imports the pipeline when it runs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, Asset, task
from airflow.timetables.interval import CronDataIntervalTimetable

from social_roi import schedule
from social_roi.alerts.notifier import FailureNotifier

PUBLISH_DAG_ID = "social_roi_publish"


def extract_dag_id(family: str) -> str:
    return f"social_roi_extract_{family}"


def family_asset(family: str) -> Asset:
    return Asset(name=schedule.asset_name(family), uri=f"social-roi://landing/{family}",
                 group="social_roi_landing")


def retries() -> dict[str, Any]:
    """2 retries, the first after ``schedule.retry_delay()`` (1 min), each next one twice as late
    (Airflow adds up to as much again, per task instance), never more than 15 min apart. Airflow 3
    takes ``retry_exponential_backoff`` as the multiplier: ``True`` would be 1, a constant delay."""
    return {"retries": 2, "retry_delay": schedule.retry_delay(), "retry_exponential_backoff": 2.0,
            "max_retry_delay": timedelta(minutes=15)}


def _default_args() -> dict[str, Any]:
    return {**retries(), "on_failure_callback": FailureNotifier()}


def extract_dag(family: str, doc: str) -> DAG:
    window = schedule.window()
    asset = family_asset(family)
    with DAG(
        dag_id=extract_dag_id(family),
        schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
        start_date=window.start,
        end_date=window.end,
        catchup=window.catchup,
        max_active_runs=1,
        tags=["social_roi", "extract", family],
        doc_md=doc,
        default_args=_default_args(),
    ) as dag:

        def extract_task(source: str):
            @task(task_id=f"extract_{source}", pool=f"api_{source}")
            def extract(data_interval_start=None) -> dict[str, int]:
                from social_roi import pipeline
                from social_roi.airflow_tasks import fail_fast_on

                with fail_fast_on():
                    return pipeline.extract(source, data_interval_start.date())

            return extract()

        @task(outlets=[asset])
        def validate_landing(data_interval_start=None, run_id=None, outlet_events=None):
            from social_roi import pipeline
            from social_roi.airflow_tasks import fail_fast_on

            day = data_interval_start.date()
            with fail_fast_on():
                result = pipeline.validate_family(family, day, run_id)
            outlet_events[asset].extra = {"family": family, "day": day.isoformat()}
            return result

        [extract_task(source) for source in schedule.FAMILIES[family]] >> validate_landing()
    return dag


def publish_dag(doc: str) -> DAG:
    from airflow.sdk import AssetAny, AssetOrTimeSchedule, DeadlineAlert, DeadlineReference
    from airflow.sdk.definitions.callback import AsyncCallback

    from social_roi.alerts.late import publication_late

    window = schedule.window()
    assets = [family_asset(family) for family in schedule.FAMILIES]
    with DAG(
        dag_id=PUBLISH_DAG_ID,
        schedule=AssetOrTimeSchedule(
            timetable=CronDataIntervalTimetable(schedule.publish_cron(), timezone="UTC"),
            assets=AssetAny(*assets)),
        start_date=window.start,
        end_date=window.end,
        catchup=False,  # a deadline run publishes the day that is due, never a backlog
        max_active_runs=1,
        tags=["social_roi", "publish"],
        doc_md=doc,
        default_args=_default_args(),
        deadline=DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT,
                               interval=schedule.publish_grace(),
                               callback=AsyncCallback(publication_late)),
    ) as dag:

        @task(pool="duckdb_writer", inlets=assets)
        def check_freshness(dag_run=None, data_interval_start=None, triggering_asset_events=None):
            from social_roi import pipeline
            from social_roi.airflow_tasks import fail_fast_on

            events = {}
            for key in triggering_asset_events or {}:
                for event in triggering_asset_events[key]:
                    extra = dict(event.extra or {})
                    events.setdefault(str(extra.get("family", key)), []).append(extra)
            with fail_fast_on():
                return pipeline.plan_publication(
                    dag_run.dag_id, dag_run.run_id, str(dag_run.run_type), events,
                    data_interval_start, (dag_run.conf or {}).get("day"))

        @task(pool="duckdb_writer")
        def dbt_build():
            from social_roi import pipeline
            from social_roi.airflow_tasks import fail_fast_on

            with fail_fast_on():
                return pipeline.build()

        @task(pool="duckdb_writer")
        def validate_marts():
            from social_roi import pipeline
            from social_roi.airflow_tasks import fail_fast_on

            with fail_fast_on():
                return pipeline.check_marts()

        @task(pool="duckdb_writer")
        def publish(plan: dict, run_id=None):
            from social_roi import pipeline

            return pipeline.publish_plan(run_id, plan)

        plan = check_freshness()
        plan >> dbt_build() >> validate_marts() >> publish(plan)
    return dag
