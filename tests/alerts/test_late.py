"""Alerts of kind ``late`` against the real local webhook receiver: the publish DAG's deadline
callback (called as the triggerer calls it, with the context the scheduler builds) and the
freshness warning of a publish run that went ahead without a family, through the real
``check_freshness`` task with ``dag.test()``."""

from __future__ import annotations

import asyncio

import pytest

from social_roi import airflow_env, landing
from social_roi.alerts.late import publication_late
from social_roi.freshness import record_delivery
from social_roi.runner import without_deadline
from social_roi.schedule import deadline_of
from social_roi.settings import REPO_ROOT, Paths
from tests.alerts.conftest import SECRET_PATH, land_negative_spend, webhook_env
from tests.quality.gate_factories import DAY, make_paths


def test_a_missed_publication_deadline_reaches_the_webhook(monkeypatch, webhook, no_alert_connections):
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    # what Deadline.handle_miss gives the callback: the run as the REST API shows it, the deadline
    context = {"dag_run": {"dag_id": "social_roi_publish",
                           "dag_run_id": "asset_triggered__2026-10-31T00:02:00",
                           "queued_at": "2026-10-31T00:02:00Z", "state": "running",
                           "run_type": "asset_triggered"},
               "deadline": {"id": "0199", "deadline_time": "2026-10-31T01:02:00+00:00"}}

    asyncio.run(publication_late(context=context))

    [post] = webhook.posts
    text = post.body["text"]
    assert text.startswith("social_roi_publish: publication late, run "
                           "asset_triggered__2026-10-31T00:02:00 not finished by 2026-10-31 01:02:00+00:00")
    for needle in ("Queued at: 2026-10-31 00:02:00Z", "State when due: running", "previous release"):
        assert needle in text, needle


@pytest.fixture(scope="module")
def check_freshness():
    from airflow.dag_processing.dagbag import DagBag

    home = airflow_env.configure(Paths.from_env())
    airflow_env.ensure_metadata_db(home)
    bag = DagBag(str(REPO_ROOT / "dags"))
    assert bag.import_errors == {}
    return without_deadline(bag.dags["social_roi_publish"]).partial_subset(
        task_ids=["check_freshness"], include_upstream=False, include_downstream=False)


def test_a_late_family_is_published_around_with_a_warning(check_freshness, tmp_path, monkeypatch,
                                                         webhook, no_alert_connections):
    paths = make_paths(tmp_path)
    monkeypatch.setenv("SOCIAL_ROI_DATA_DIR", str(paths.data_dir))
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    for family in ("social", "web"):
        record_delivery(paths, family, DAY, passed=True, run_id="test")

    run = check_freshness.test(logical_date=deadline_of(DAY))  # a deadline (manual) run for DAY

    [ti] = run.get_task_instances()
    assert ti.state == "success"
    [post] = webhook.posts
    text = post.body["text"]
    assert text.startswith(f"social_roi_publish: {DAY} published without fresh crm (late)")
    assert "Latest from crm: never" in text and "hubspot, salesforce" in text


def test_what_a_late_family_landed_is_validated_before_it_is_published(
        check_freshness, tmp_path, monkeypatch, webhook, no_alert_connections):
    """Social is late (no verdict), but Meta has landed the day with a negative spend: the
    publish run validates it and refuses to go on."""
    paths = make_paths(tmp_path)
    land_negative_spend(paths)
    landing.write_status(paths.landing, "meta", DAY, configured=True)  # Meta's day is complete
    monkeypatch.setenv("SOCIAL_ROI_DATA_DIR", str(paths.data_dir))
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    for family in ("web", "crm"):
        record_delivery(paths, family, DAY, passed=True, run_id="test")

    run = check_freshness.test(logical_date=deadline_of(DAY))

    [ti] = run.get_task_instances()
    assert ti.state == "failed"
    [post] = webhook.posts  # the gate failure's alert; no freshness warning was sent before it
    assert "quality gate 'landing' failed in check_freshness" in post.body["text"]
    assert "meta/ad_insights" in post.body["text"]
