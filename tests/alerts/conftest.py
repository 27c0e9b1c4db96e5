"""A real gate failure (negative spend in Meta's ad insights, through the real gate and suites),
the failed task's context as Airflow gives it to ``on_failure_callback``, and the receivers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from social_roi import landing
from social_roi.alerts import channels
from social_roi.connectors import CONNECTORS
from social_roi.quality.gate import GateFailed, validate_landing
from social_roi.settings import Paths
from tests.alerts.receivers import SmtpReceiver, WebhookReceiver
from tests.quality.gate_factories import DAY, clean_rows, land, land_all_clean, make_paths

SECRET_PATH = "/services/T0SOCIAL/B0ROI/s3cr3tWebhookToken42"  # the token part of a Slack URL
FAST = {"retry_delay": 0.01, "timeout": 2}


def land_negative_spend(paths: Paths) -> None:
    """Clean Meta landing data for DAY with one negative spend; the other sources recorded as not
    configured that day, so that the gate checks Meta's 6 entities only (seconds, not 27 suites)."""
    for source in CONNECTORS:
        if source != "meta":
            landing.write_status(paths.landing, source, DAY, configured=False, reason="not in this test")
    land_all_clean(paths)
    rows = clean_rows("meta", "ad_insights", DAY, 12)
    rows[3]["spend"] = "-5.00"
    land(paths, "meta", "ad_insights", DAY, rows)


@pytest.fixture(scope="session")
def gate_failure(tmp_path_factory) -> GateFailed:
    """The landing gate's refusal of ``land_negative_spend``."""
    paths = make_paths(tmp_path_factory.mktemp("alerts_gate"))
    land_negative_spend(paths)
    with pytest.raises(GateFailed) as caught:
        validate_landing(paths, DAY)
    return caught.value


def raised_by_task(error: Exception) -> BaseException:
    """``error`` as the DAG's task raises it: through ``fail_fast_on`` (gate failures and other
    errors a retry cannot fix become ``AirflowFailException``)."""
    from social_roi.airflow_tasks import fail_fast_on

    try:
        with fail_fast_on():
            raise error
    except BaseException as exc:
        return exc
    raise AssertionError("fail_fast_on swallowed the error")


def failure_context(error: BaseException | None, *, task_id: str = "validate_landing",
                    try_number: int = 1, max_tries: int = 2,
                    dag_id: str = "social_roi_extract_social") -> dict[str, Any]:
    """The keys of the context Airflow passes a task's ``on_failure_callback`` that alerts read;
    the task instance carries what ``RuntimeTaskInstance`` has."""
    run_id = "scheduled__2026-10-02T00:00:00+00:00"
    ti = SimpleNamespace(dag_id=dag_id, task_id=task_id, run_id=run_id,
                         try_number=try_number, max_tries=max_tries,
                         log_url=f"http://airflow.example/dags/{dag_id}/runs/{run_id}/tasks/{task_id}")
    return {"ti": ti, "task_instance": ti, "run_id": run_id, "exception": error,
            "data_interval_start": datetime(2026, 10, 1, tzinfo=UTC),
            "data_interval_end": datetime(2026, 10, 2, tzinfo=UTC)}


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    with SmtpReceiver() as receiver:
        yield receiver


def webhook_env(url: str, **extra: Any) -> tuple[str, str]:
    return ("AIRFLOW_CONN_" + channels.WEBHOOK_CONN_ID.upper(),
            json.dumps({"conn_type": "http", "password": url, "extra": {**FAST, **extra}}))


def smtp_env(port: int, *, login: str | None = None, password: str | None = None,
             **extra: Any) -> tuple[str, str]:
    extra = {"from_email": "airflow@acme.example", "to": "data-team@acme.example, oncall@acme.example",
             "disable_ssl": True, "disable_tls": True, **FAST, **extra}
    fields = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "login": login, "password": password,
              "extra": extra}
    return "AIRFLOW_CONN_" + channels.SMTP_CONN_ID.upper(), json.dumps(fields)


@pytest.fixture
def no_alert_connections(monkeypatch) -> None:
    for conn_id in (channels.WEBHOOK_CONN_ID, channels.SMTP_CONN_ID):
        monkeypatch.delenv("AIRFLOW_CONN_" + conn_id.upper(), raising=False)
