"""The whole pipeline through Airflow: sandbox APIs → landing → gate → dbt → gate → publish.

Runs the real DAGs (the three extract DAGs, then the publish DAG, per day) with ``dag.test``
for the last days of a 30-day sandbox world (so deals won in those days exist) and checks the
published marts against the sandbox's ground truth (tests/e2e/published.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
import requests

from social_roi import airflow_env
from social_roi.connectors import meta
from social_roi.pipeline import MARTS
from social_roi.runner import RunFailed, run_days
from social_roi.sandbox import catalog
from social_roi.sandbox.connections import sandbox_session
from social_roi.sandbox.world import generate_world
from social_roi.settings import Paths
from tests.e2e import published
from tests.e2e.published import RUN_DAYS, WORLD, mart


@pytest.fixture(scope="module")
def paths() -> Paths:
    return Paths.from_env()


@pytest.fixture(scope="module")
def truth():
    return generate_world(WORLD).truth


@pytest.fixture(scope="module")
def sandbox(paths):
    home = airflow_env.configure(paths)
    airflow_env.ensure_metadata_db(home)
    with sandbox_session(WORLD, backoff_factor=0.01, max_retry_delay=2) as server:
        run_days(RUN_DAYS, paths.data_dir / "logs")
        yield server


def test_leads_and_revenue_per_platform_match_ground_truth(sandbox, paths, truth):
    published.check_leads_and_revenue_per_platform_match_ground_truth(paths.serving_db, truth)


def test_pipeline_stages_per_platform_match_ground_truth(sandbox, paths, truth):
    published.check_pipeline_stages_per_platform_match_ground_truth(paths.serving_db, truth)


def test_sessions_spend_and_post_views_match_ground_truth(sandbox, paths, truth):
    published.check_sessions_spend_and_post_views_match_ground_truth(paths.serving_db, truth)


def test_direct_messages_match_ground_truth(sandbox, paths, truth):
    published.check_direct_messages_match_ground_truth(paths.serving_db, truth)


def test_roi_media_cost_and_revenue_tie_out_to_ground_truth(sandbox, paths, truth):
    published.check_roi_media_cost_and_revenue_tie_out_to_ground_truth(paths.serving_db, truth)


def test_brand_mentions_by_day_platform_and_sentiment_match_ground_truth(sandbox, paths, truth):
    published.check_brand_mentions_by_day_platform_and_sentiment_match_ground_truth(paths.serving_db, truth)


def test_no_personal_data_is_published(sandbox, paths, truth):
    published.check_no_personal_data_is_published(paths.serving_db, truth)


def test_publication_records_the_run_and_leaves_no_wal(sandbox, paths):
    assert not paths.serving_db.with_name(paths.serving_db.name + ".wal").exists()
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables")
                  .fetchall()}
    assert "fct_funnel_daily" in tables


def published_digests(paths: Paths) -> dict[str, str]:
    """A digest of every published table's sorted contents (`_publication` names the run)."""
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return {table: hashlib.sha256(repr(con.execute(
                    f"select * from {table} order by all").fetchall()).encode()).hexdigest()
                for table in MARTS}


def test_rerunning_a_day_gives_identical_marts(sandbox, paths):
    before = published_digests(paths)
    run_days(RUN_DAYS[-1:], paths.data_dir / "logs")
    assert published_digests(paths) == before


def _unix(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), tzinfo=UTC).timestamp())


def _served(sandbox, path: str, method: str = "GET", **params) -> dict:
    response = requests.request(method, f"{sandbox.base_url}{path}", params=params, timeout=10,
                                headers={"Authorization": f"Bearer {sandbox.token}"})
    response.raise_for_status()
    return response.json()


@pytest.mark.parametrize("corruption", ["negative_spend", "duplicate_post"])
def test_bad_data_stops_publication_and_a_clean_rerun_recovers(sandbox, paths, truth,
                                                              corruption):
    posts = truth["posts"]
    post_days = set(posts[posts.platform == "instagram"].created_date)
    day = max(d for d in RUN_DAYS if corruption == "negative_spend" or d in post_days)
    served_before = paths.serving_db.read_bytes()
    if corruption == "negative_spend":
        # the run's ads come from an async report run: read what its result would be through a
        # report run of our own, and serve it spoiled as the next report run's result
        window = meta.AD_INSIGHTS.days(day)
        job = _served(sandbox, f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights", method="POST",
                      level="ad", time_increment=1, breakdowns="publisher_platform",
                      fields=meta.AD_FIELDS,
                      time_range=json.dumps({"since": str(window[0]), "until": str(window[-1])}))
        while _served(sandbox, f"/v24.0/{job['report_run_id']}")["async_status"] != "Job Completed":
            pass
        body = _served(sandbox, f"/v24.0/{job['report_run_id']}/insights", limit=5000)
        row = next(r for r in body["data"] if r["date_start"] == str(day))
        row["spend"] = "-12.50"
        path = f"/v24.0/{int(job['report_run_id']) + 1}/insights"
        suite, offending = "landing__meta_ad_insights", "-12.50"
    else:
        path = f"/v24.0/{catalog.IG_USER_ID}/media"
        body = _served(sandbox, path, limit=100, fields=meta.IG_MEDIA_FIELDS,
                       since=_unix(day), until=_unix(day + timedelta(days=1)))
        body["data"].append(dict(body["data"][0]))
        body.pop("paging", None)
        suite, offending = "landing__meta_ig_media", body["data"][0]["id"]
    sandbox.add_fault(path, 200, times=1, body=body)

    with pytest.raises(RunFailed) as failure:
        run_days([day], paths.data_dir / "logs")
    assert failure.value.failed_tasks == ["validate_landing"], "the connector let it through; " \
        "the gate stopped it"
    assert suite in str(failure.value) and offending in str(failure.value)
    assert paths.serving_db.read_bytes() == served_before, "nothing was published"

    run_days([day], paths.data_dir / "logs")  # the source is fixed: the rerun recovers
    assert mart(paths.serving_db).shape[0] > 0
