"""
### social_roi_daily

Every day: extract the day's data from each source into the landing zone, validate it, build the
warehouse with dbt, validate the candidate marts, and only then publish them atomically for BI.

* Data interval: `[day, day + 1)` UTC (a cron *data-interval* timetable: `@daily` would give
  zero-length intervals in Airflow 3).
* A failed quality gate stops the run before `publish`: BI keeps the last good release.
* Auth errors and gate failures fail at once (retrying cannot fix them); API hiccups are retried
  inside the connectors and again by Airflow.
* One writer at a time on the DuckDB build file: `max_active_runs=1` and the `duckdb_writer` pool.
* A task that fails for good (after its last retry, or at once) sends an alert naming the run, the
  task and, for a gate failure, the failed checks: README, "Alerts".
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable

from social_roi.alerts.notifier import FailureNotifier

SOURCES = ("meta", "linkedin", "x", "ga4", "ga4_data_api", "hubspot", "salesforce", "brandwatch")


@dag(
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 10, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["social_roi", "daily"],
    doc_md=__doc__,
    default_args={
        "retries": 2,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=15),
        "on_failure_callback": FailureNotifier(),
    },
)
def social_roi_daily():
    from social_roi.airflow_tasks import fail_fast_on

    def extract_task(source: str):
        @task(task_id=f"extract_{source}", pool="api_" + source)
        def extract(data_interval_start=None) -> dict[str, int]:
            from social_roi import pipeline

            with fail_fast_on():
                return pipeline.extract(source, data_interval_start.date())

        return extract()

    @task(pool="duckdb_writer")
    def validate_landing(data_interval_start=None):
        from social_roi import pipeline

        with fail_fast_on():
            return pipeline.check_landing(data_interval_start.date())

    @task(pool="duckdb_writer")
    def dbt_build():
        from social_roi import pipeline

        with fail_fast_on():
            return pipeline.build()

    @task(pool="duckdb_writer")
    def validate_marts():
        from social_roi import pipeline

        with fail_fast_on():
            return pipeline.check_marts()

    @task(pool="duckdb_writer")
    def publish(run_id=None, data_interval_start=None, data_interval_end=None):
        from social_roi import pipeline

        return pipeline.publish(run_id, data_interval_start, data_interval_end)

    extracts = [extract_task(source) for source in SOURCES]
    gate = validate_landing()
    extracts >> gate
    gate >> dbt_build() >> validate_marts() >> publish()


social_roi_daily()
