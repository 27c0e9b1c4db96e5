"""The callback path through Airflow: tasks of the real ``social_roi_daily`` DAG run with
``dag.test()`` (real task instances, the Task SDK's own failure handling and callbacks), the
alert connections given as ``AIRFLOW_CONN_*``, real local receivers.

Only the task under test runs (``partial_subset``): the landing gate on hand-made landing files,
or one extract against an API that is down. A whole daily run adds nothing to the callback path
and costs a minute.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from social_roi import airflow_env
from social_roi.quality.gate import GateFailed, validate_landing
from social_roi.settings import REPO_ROOT, Paths
from tests.alerts.conftest import SECRET_PATH, land_negative_spend, smtp_env, webhook_env
from tests.alerts.receivers import closed_port
from tests.quality.gate_factories import DAY, make_paths

# a manual run's data interval is the last whole day before its logical date: [DAY, DAY + 1)
LOGICAL_DATE = datetime.combine(DAY + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


@pytest.fixture(scope="module")
def daily_dag():
    from airflow.dag_processing.dagbag import DagBag

    home = airflow_env.configure(Paths.from_env())
    airflow_env.ensure_metadata_db(home)
    bag = DagBag(str(REPO_ROOT / "dags"))
    assert bag.import_errors == {}
    return bag.dags["social_roi_daily"]


def only(dag, task_id: str):
    return dag.partial_subset(task_ids=[task_id], include_upstream=False, include_downstream=False)


def states(run) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in run.get_task_instances()}


def test_a_gate_failure_in_the_daily_run_reaches_the_webhook_and_the_mailbox(
        daily_dag, tmp_path, monkeypatch, webhook, smtp, no_alert_connections):
    paths = make_paths(tmp_path)
    land_negative_spend(paths)
    with pytest.raises(GateFailed) as expected:  # what the gate itself says of this landing zone
        validate_landing(paths, DAY)
    monkeypatch.setenv("SOCIAL_ROI_DATA_DIR", str(paths.data_dir))  # the task reads Paths.from_env()
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    monkeypatch.setenv(*smtp_env(smtp.port))

    run = only(daily_dag, "validate_landing").test(logical_date=LOGICAL_DATE)

    assert states(run) == {"validate_landing": "failed"}
    [post], [mail] = webhook.posts, smtp.messages
    text = post.body["text"]
    for needle in ("social_roi_daily", f"Run: {run.run_id}", "Task: validate_landing",
                   "Data interval: 2026-10-01 00:00 → 2026-10-02 00:00 UTC", "Tables: meta/ad_insights",
                   f"Failed checks: 1 of {expected.value.result.expectations_evaluated}"):
        assert needle in text, needle
    assert str(expected.value) in text  # the gate's summary: expectation, observed value, examples
    assert "e.g. '-5.00'" in text
    assert mail["Subject"] == post.body["blocks"][0]["text"]["text"]
    assert str(expected.value) in mail.get_content()


def test_a_task_failure_alerts_once_after_the_last_retry(daily_dag, monkeypatch, webhook,
                                                        no_alert_connections):
    """The Meta API is down: Airflow retries the extract (twice, per the DAG), and only the
    last failure alerts, naming the source's own error."""
    dag = only(daily_dag, "extract_meta")
    dag.get_task("extract_meta").retry_delay = timedelta(0)  # the DAG's 1 minute, not waited here
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    with closed_port() as port:
        monkeypatch.setenv("AIRFLOW_CONN_META_GRAPH", json.dumps({
            "conn_type": "http", "host": f"http://127.0.0.1:{port}", "password": "token",
            "extra": {"page_id": "1", "ig_user_id": "2", "ad_account_id": "act_3",
                      "max_attempts": 1, "backoff_factor": 0.01}}))

        run = dag.test(logical_date=LOGICAL_DATE)

    [ti] = run.get_task_instances()
    assert (ti.state, ti.try_number) == ("failed", 3)
    [post] = webhook.posts
    text = post.body["text"]
    assert "social_roi_daily: task extract_meta failed (2026-10-01)" in text
    assert "Tries: 3 of 3" in text and f"Run: {run.run_id}" in text
    assert "[meta/" in text  # the connector's error names its source and entity
