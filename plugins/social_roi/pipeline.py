"""The steps of the daily pipeline, one function each, called by the DAG's tasks.

Each step reads and writes only its data interval; XCom carries counts and paths, never data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from social_roi.errors import SocialRoiError
from social_roi.schedule import FAMILIES
from social_roi.settings import Paths

log = logging.getLogger(__name__)

MARTS = (
    "fct_funnel_daily",
    "fct_funnel_cohorts",
    "fct_conversions",
    "fct_attribution",
    "fct_attribution_by_channel",
    "fct_attribution_model_comparison",
    "fct_markov_removal_effects",
    "fct_identity_match_daily",
    "fct_post_performance",
    "fct_followers_daily",
    "fct_platform_ranking",
    "fct_conversion_reconciliation",
    "fct_brand_conversation_daily",
    "fct_costs_monthly",
    "fct_roi_monthly",
    "fct_partner_inquiries",
    "fct_advocacy",
    "fct_web_reconciliation_daily",
)


def extract(source: str, day: date) -> dict[str, int]:
    """Land the day of one source. A source whose Airflow connection does not exist is not
    configured: the day is recorded as skipped and the task succeeds (README, "Connections")."""
    from airflow.exceptions import AirflowNotFoundException

    from social_roi.connectors import CONNECTORS
    from social_roi.connectors.base import SourceConfig, land_day, skip_not_configured

    connector = CONNECTORS[source]
    landing_root = Paths.from_env().landing
    try:
        config = SourceConfig.from_airflow(connector.CONN_ID)
    except AirflowNotFoundException:
        skip_not_configured(connector, day, landing_root,
                            f"no Airflow connection '{connector.CONN_ID}'")
        return {}
    return land_day(connector, config, day, landing_root)


def check_landing(day: date, sources: Sequence[str] | None = None) -> dict[str, object]:
    """The landing gate on the day of ``sources`` (default: every connector's)."""
    from social_roi.connectors import CONNECTORS
    from social_roi.quality.gate import validate_landing

    entities = None if sources is None else {s: CONNECTORS[s].ENTITIES for s in sources}
    result = validate_landing(Paths.from_env(), day, entities)
    # quarantined engagement records: the day passed without them (decision 55)
    return {"expectations": result.expectations_evaluated, "result_file": str(result.result_file),
            "quarantined": result.quarantined_rows}


def validate_family(family: str, day: date, run_id: str | None) -> dict[str, object]:
    """A family's landing gate; its verdict, pass or fail, is recorded for the publish DAG
    (``freshness``), which must not publish a day the gate refused."""
    from social_roi import freshness
    from social_roi.quality.gate import GateFailed

    paths = Paths.from_env()
    try:
        result = check_landing(day, FAMILIES[family])
    except GateFailed as failed:
        freshness.record_delivery(paths, family, day, passed=False, run_id=run_id,
                                  result_file=str(failed.result.result_file))
        raise
    freshness.record_delivery(paths, family, day, passed=True, run_id=run_id,
                              result_file=str(result["result_file"]))
    return result


def plan_publication(dag_id: str, run_id: str, run_type: object,
                     events: Mapping[str, list[Mapping[str, object]]],
                     interval_start: datetime | None, requested: object = None) -> dict[str, object]:
    """The days a publish run publishes and how fresh each family is (docs/decisions.md 58, 64):
    the day a manual run asks for (``requested``, its conf's ``day``: Airflow 3 gives a manual
    run the interval before the moment it was triggered, whatever its logical date), else, for
    a run one family's Asset triggered, the days through the latest day every family has
    delivered that are not published with their data yet (skipped when there are none: an Asset
    run never publishes a day a family has not delivered), else a deadline or manual run's data
    interval's day. A late family's sources that have landed the day are validated here; the
    warning is logged and sent as a ``late`` alert. A deadline run of a day already published
    complete is skipped."""
    from airflow.sdk.exceptions import AirflowSkipException

    from social_roi import freshness
    from social_roi.alerts.channels import deliver
    from social_roi.alerts.late import freshness_warning
    from social_roi.schedule import day_of_deadline_run

    paths = Paths.from_env()
    planned_at = datetime.now(UTC).isoformat(timespec="microseconds")
    kind = str(getattr(run_type, "value", run_type))
    if requested is not None:
        try:
            first = day = date.fromisoformat(str(requested))
        except ValueError as exc:
            raise SocialRoiError(f"{dag_id} run {run_id}: conf day {requested!r} is not a "
                                 "YYYY-MM-DD date") from exc
    elif events or kind == "asset_triggered":  # events absorbed by Airflow: the records know
        log.info("triggered by %s", "; ".join(
            f"{family} {', '.join(str(e.get('day')) for e in extras)}" for family, extras in events.items()))
        day = freshness.through_day(paths)
        pending = freshness.pending_days(paths, day) if day is not None else []
        if not pending:
            raise AirflowSkipException(freshness.waiting(paths, day))
        first = pending[0]
    elif interval_start is not None:
        first = day = day_of_deadline_run(interval_start)
    else:
        raise SocialRoiError(f"{dag_id} run {run_id}: neither Asset events nor a data interval "
                             "say which day to publish")
    if kind == "scheduled" and freshness.published_complete(paths, day):
        raise AirflowSkipException(f"{day} was already published with every family fresh: "
                                   "the deadline run has nothing to add")
    plan = freshness.plan(paths, first, day)
    for family, sources in plan.landed_unvalidated.items():
        log.info("%s is late for %s; validating what it has landed: %s", family, day,
                 ", ".join(sources))
        check_landing(day, sources)
    warning = plan.warning()
    if warning:
        log.warning("FRESHNESS WARNING: %s", warning)
        deliver(freshness_warning(dag_id, run_id, day.isoformat(),
                                  {f: d and d.isoformat() for f, d in plan.late.items()}, warning))
    else:
        log.info("publishing %s to %s: every family delivered", first, day)
    return {"first": first.isoformat(), "day": day.isoformat(), "fresh": list(plan.fresh),
            "late": {f: d and d.isoformat() for f, d in plan.late.items()},
            "missing": {d.isoformat(): families for d, families in plan.missing.items()},
            "planned_at": planned_at}


def build() -> dict[str, int]:
    from social_roi.transform import dbt_build

    # unit tests check the SQL, not the day's data: CI runs them (tests/dbt), the daily build not;
    # unchanged seeds stay loaded (decision 46)
    summary = dbt_build(Paths.from_env(), ["--exclude-resource-type", "unit_test"],
                        keep_loaded_seeds=True)
    return {"nodes": summary.nodes, "warned": summary.warned}


def check_marts() -> dict[str, object]:
    """The marts gate on the warehouse's build: the DuckDB build file, or the Postgres warehouse's
    ``main_marts`` (decision 63). A failure raises ``GateFailed``: the DAG does not publish."""
    from social_roi.quality.gate import validate_marts
    from social_roi.settings import PostgresTarget, warehouse

    postgres = PostgresTarget.from_env().conninfo() if warehouse() == "postgres" else None
    result = validate_marts(Paths.from_env(), MARTS, postgres=postgres)
    return {"expectations": result.expectations_evaluated, "result_file": str(result.result_file)}


def publish_plan(run_id: str, plan: Mapping[str, object]) -> dict[str, int]:
    """Publish the days ``plan_publication`` chose: the release's interval is
    ``[first, day + 1)``; each of those days is recorded as published, with its late families."""
    from social_roi import freshness

    first, day = date.fromisoformat(str(plan["first"])), date.fromisoformat(str(plan["day"]))
    start = datetime.combine(first, time.min, tzinfo=UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
    counts = publish(run_id, start, end)
    freshness.record_published_plan(Paths.from_env(), run_id, plan)
    return counts


def publish(run_id: str, interval_start: datetime, interval_end: datetime) -> dict[str, int]:
    """Serve the validated marts as the next release; returns its number and the row counts."""
    from social_roi.publish import publish as publish_marts
    from social_roi.settings import keep_releases, warehouse

    if warehouse() == "postgres":
        return _publish_postgres(run_id, interval_start, interval_end)
    paths = Paths.from_env()
    result = publish_marts(paths.build_db, paths.serving_db, MARTS, run_id=run_id,
                           interval_start=interval_start, interval_end=interval_end,
                           keep=keep_releases())
    log.info("published release %s (%s rows in %s tables); pruned releases %s", result.release,
             sum(result.row_counts.values()), len(result.tables), list(result.pruned) or "none")
    return {"release": result.release, **result.row_counts}


def _publish_postgres(run_id: str, interval_start: datetime, interval_end: datetime) -> dict[str, int]:
    """The marts of the Postgres build swapped in as the schema ``serving`` (decision 59)."""
    from social_roi import publish_postgres
    from social_roi.settings import PostgresTarget, keep_releases

    result = publish_postgres.publish(PostgresTarget.from_env().conninfo(), MARTS, run_id=run_id,
                                      interval_start=interval_start, interval_end=interval_end,
                                      bi_role=publish_postgres.bi_role_from_env(),
                                      bi_login=publish_postgres.bi_login_from_env(),
                                      keep=keep_releases())
    log.info("published release %s (%s rows in %s tables) as the Postgres schema %s", result.release,
             sum(result.row_counts.values()), len(result.tables), publish_postgres.SERVING_SCHEMA)
    return {"release": result.release, **result.row_counts}
