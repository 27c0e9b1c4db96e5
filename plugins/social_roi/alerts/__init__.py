"""Alerts: when a run fails, the data engineer hears at once what failed, where and why.

* ``message`` — what an alert says, composed once (from a failed task's Airflow context) and
  rendered per channel: Slack-compatible JSON, a plain-text e-mail.
* ``channels`` — where it goes: a webhook and/or SMTP, each configured only by its Airflow
  connection; bounded retries; a channel that fails is logged, never raised.
* ``notifier`` — the Airflow glue: ``FailureNotifier``, every task's ``on_failure_callback``.

README, "Alerts"; docs/decisions.md, entry 53.
"""
