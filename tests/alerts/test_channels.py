"""Delivery against real local receivers, configured the way production configures it
(``AIRFLOW_CONN_*`` connections): what arrives, what happens when a receiver fails or is
missing, and that no secret reaches a log."""

from __future__ import annotations

import logging
import time

import pytest

from social_roi.alerts import channels
from social_roi.alerts.message import from_failure
from social_roi.alerts.notifier import FailureNotifier
from tests.alerts.conftest import (
    SECRET_PATH,
    failure_context,
    raised_by_task,
    smtp_env,
    webhook_env,
)
from tests.alerts.receivers import SmtpReceiver, closed_port


@pytest.fixture
def alert(gate_failure):
    return from_failure(failure_context(raised_by_task(gate_failure)))


@pytest.fixture(autouse=True)
def _logs(caplog, no_alert_connections):
    caplog.set_level(logging.DEBUG, logger="social_roi")


def test_the_webhook_gets_the_slack_json(monkeypatch, webhook, alert):
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))

    sent = channels.deliver(alert)

    name = f"webhook '{channels.WEBHOOK_CONN_ID}' (http://127.0.0.1)"
    assert sent == {name: True}
    [post] = webhook.posts
    assert post.path == SECRET_PATH and post.content_type == "application/json"
    assert post.body == alert.slack_payload()
    assert "meta/ad_insights" in post.body["text"] and "'-5.00'" in post.body["text"]


def test_the_email_gets_the_plain_text(monkeypatch, smtp, alert):
    monkeypatch.setenv(*smtp_env(smtp.port))

    assert list(channels.deliver(alert).values()) == [True]

    [message] = smtp.messages
    assert smtp.envelopes == [("airflow@acme.example", ["data-team@acme.example", "oncall@acme.example"])]
    assert message["Subject"] == alert.title
    assert message["To"] == "data-team@acme.example, oncall@acme.example"
    body = message.get_content()
    assert body.rstrip("\n") == alert.text()
    assert "Tables: meta/ad_insights" in body and "e.g. '-5.00'" in body


def test_both_channels_get_the_alert_from_the_notifier(monkeypatch, webhook, smtp, gate_failure):
    """The DAG's callback object, called as Airflow calls it (with the failed task's context)."""
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    monkeypatch.setenv(*smtp_env(smtp.port))

    FailureNotifier()(failure_context(raised_by_task(gate_failure)))

    [post], [message] = webhook.posts, smtp.messages
    assert "validate_landing" in post.body["text"] and "validate_landing" in message.get_content()


def test_no_channel_means_alerts_are_off_and_nothing_fails(caplog, alert):
    FailureNotifier()(failure_context(raised_by_task(RuntimeError("boom"))))

    assert channels.deliver(alert) == {}
    offs = [r for r in caplog.records if "alerts are off" in r.getMessage()]
    assert len(offs) == 2 and all(r.levelno == logging.WARNING for r in offs)
    assert "task validate_landing failed" in offs[0].getMessage()


def test_a_failing_webhook_is_retried_then_delivers(monkeypatch, caplog, webhook, alert):
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    webhook.statuses = [500, 503]

    assert list(channels.deliver(alert).values()) == [True]

    assert len(webhook.posts) == 3
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert [r.levelno for r in retries] == [logging.WARNING] * 2
    assert "HTTP 500" in retries[0].getMessage() and "attempt 1 of 3" in retries[0].getMessage()


def test_an_undeliverable_alert_is_an_error_not_an_exception(monkeypatch, caplog, webhook, gate_failure):
    """A receiver that keeps answering 500: bounded attempts, one error, and the notifier returns
    normally (the task's own failure stays what Airflow reports)."""
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH), attempts=4))
    webhook.statuses = [500] * 10

    FailureNotifier()(failure_context(raised_by_task(gate_failure)))

    assert len(webhook.posts) == 4
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.getMessage().startswith(f"alerts: webhook '{channels.WEBHOOK_CONN_ID}' "
                                         "(http://127.0.0.1) failed 4 times, alert not delivered")
    assert "HTTP 500" in error.getMessage()


def test_a_refused_webhook_is_not_retried(monkeypatch, caplog, webhook, alert):
    """Slack answers 404 no_service for a revoked URL: retrying cannot help."""
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH)))
    webhook.statuses = [404]

    assert list(channels.deliver(alert).values()) == [False]

    assert len(webhook.posts) == 1
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "refused the alert (not retried): DeliveryRefused: HTTP 404 'no_service'" in error.getMessage()


def test_a_timeout_is_retried_a_bounded_number_of_times(monkeypatch, caplog, webhook, alert):
    monkeypatch.setenv(*webhook_env(webhook.url(SECRET_PATH), attempts=2, timeout=0.2))
    webhook.delay = 1.0

    started = time.perf_counter()
    assert list(channels.deliver(alert).values()) == [False]

    assert time.perf_counter() - started < 2.0  # 2 attempts × 0.2 s, not 2 × 1 s
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "failed 2 times" in error.getMessage() and "ReadTimeout" in error.getMessage()


def test_secrets_never_reach_the_logs(monkeypatch, caplog, alert):
    """The webhook's URL (its path is Slack's token) and the SMTP password, on every failure path:
    refused connections (requests quotes the URL in its error), error answers, bad credentials."""
    password = "smtp-pa55word-XYZ"
    with closed_port() as port, SmtpReceiver(password="the-right-one") as smtp:
        monkeypatch.setenv(*webhook_env(f"http://127.0.0.1:{port}{SECRET_PATH}?token=abc123xyz"))
        monkeypatch.setenv(*smtp_env(smtp.port, login="alerts", password=password))

        sent = channels.deliver(alert)

    assert smtp.logins == ["alerts"] and smtp.messages == []  # 535: not retried
    assert list(sent.values()) == [False, False]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and "ConnectionError" in errors[0] and "SMTP 535" in errors[1]
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (SECRET_PATH, "s3cr3tWebhookToken42", "abc123xyz", password):
        assert secret not in logged
    assert f"webhook '{channels.WEBHOOK_CONN_ID}' (http://127.0.0.1)" in logged


def test_a_refusing_mail_server_permanent_vs_temporary(monkeypatch, caplog, alert):
    with SmtpReceiver(refuse=554) as smtp:
        monkeypatch.setenv(*smtp_env(smtp.port))
        assert list(channels.deliver(alert).values()) == [False]
    assert sum("retrying" in r.getMessage() for r in caplog.records) == 0  # 554: for good
    caplog.clear()
    with SmtpReceiver(refuse=451) as smtp:
        monkeypatch.setenv(*smtp_env(smtp.port))
        assert list(channels.deliver(alert).values()) == [False]
    assert sum("retrying" in r.getMessage() for r in caplog.records) == 2  # 451: try later
    assert "failed 3 times" in caplog.records[-1].getMessage()


def test_a_broken_channel_does_not_stop_the_other(monkeypatch, caplog, smtp, alert):
    key, _ = webhook_env("unused")
    monkeypatch.setenv(key, '{"conn_type": "http"}')  # no URL anywhere
    monkeypatch.setenv(*smtp_env(smtp.port))

    sent = channels.deliver(alert)

    assert list(sent.values()) == [True] and len(smtp.messages) == 1
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert f"connection '{channels.WEBHOOK_CONN_ID}' holds no webhook URL" in error


def test_the_email_logs_in_with_the_connections_credentials(monkeypatch, alert):
    with SmtpReceiver(password="the-right-one") as smtp:
        monkeypatch.setenv(*smtp_env(smtp.port, login="alerts", password="the-right-one"))
        assert list(channels.deliver(alert).values()) == [True]
    assert smtp.logins == ["alerts"] and len(smtp.messages) == 1
