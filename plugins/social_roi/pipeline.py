"""The steps of the daily pipeline, one function each, called by the DAG's tasks.

Each step reads and writes only its data interval; XCom carries counts and paths, never data.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

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


def check_landing(day: date) -> dict[str, object]:
    from social_roi.quality.gate import validate_landing

    result = validate_landing(Paths.from_env(), day)
    # quarantined engagement records: the day passed without them (decision 55)
    return {"expectations": result.expectations_evaluated, "result_file": str(result.result_file),
            "quarantined": result.quarantined_rows}


def build() -> dict[str, int]:
    from social_roi.transform import dbt_build

    # unit tests check the SQL, not the day's data: CI runs them (tests/dbt), the daily build not;
    # unchanged seeds stay loaded (decision 46)
    summary = dbt_build(Paths.from_env(), ["--exclude-resource-type", "unit_test"],
                        keep_loaded_seeds=True)
    return {"nodes": summary.nodes, "warned": summary.warned}


def check_marts() -> dict[str, object]:
    from social_roi.quality.gate import validate_marts

    result = validate_marts(Paths.from_env(), MARTS)
    return {"expectations": result.expectations_evaluated, "result_file": str(result.result_file)}


def publish(run_id: str, interval_start: datetime, interval_end: datetime) -> dict[str, int]:
    """Serve the validated marts as the next release; returns its number and the row counts."""
    from social_roi.publish import publish as publish_marts
    from social_roi.settings import keep_releases

    paths = Paths.from_env()
    result = publish_marts(paths.build_db, paths.serving_db, MARTS, run_id=run_id,
                           interval_start=interval_start, interval_end=interval_end,
                           keep=keep_releases())
    log.info("published release %s (%s rows in %s tables); pruned releases %s", result.release,
             sum(result.row_counts.values()), len(result.tables), list(result.pruned) or "none")
    return {"release": result.release, **result.row_counts}
