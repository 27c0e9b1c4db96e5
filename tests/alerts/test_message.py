"""What an alert says: the DAG, run, task and data interval; for a gate failure the tables, the
number of failed checks and the gate's own summary (expectation, observed value, examples)."""

from __future__ import annotations

import json
from datetime import date

from social_roi.alerts.message import SLACK_TEXT_LIMIT, Alert, from_failure
from social_roi.errors import SourceAuthError, SourceError
from tests.alerts.conftest import failure_context, raised_by_task


def test_a_gate_failure_names_run_task_tables_and_failed_checks(gate_failure):
    alert = from_failure(failure_context(raised_by_task(gate_failure)))

    result = gate_failure.result
    assert alert.kind == "gate_failed"
    assert alert.fact("DAG") == "social_roi_daily"
    assert alert.fact("Run") == "scheduled__2026-10-02T00:00:00+00:00"
    assert alert.fact("Task") == "validate_landing"
    assert alert.fact("Data interval") == "2026-10-01 00:00 → 2026-10-02 00:00 UTC"
    assert alert.fact("Tables") == "meta/ad_insights"
    assert alert.fact("Failed checks") == f"1 of {result.expectations_evaluated}"
    assert "quality gate 'landing' failed in validate_landing (2026-10-01)" in alert.title
    # the gate's summary, verbatim: expectation, observed value and the offending value
    assert alert.details == str(gate_failure) == result.summary()
    assert "expect_column_values_to_match_regex(column='spend'" in alert.details
    # 12 rows on the day, 2 on each of the 27 earlier days of Meta's restatement window
    assert "observed '1 of 66 rows unexpected'" in alert.details
    assert "e.g. '-5.00'" in alert.details


def test_the_slack_payload_carries_everything(gate_failure):
    alert = from_failure(failure_context(raised_by_task(gate_failure)))
    payload = json.loads(json.dumps(alert.slack_payload()))  # what goes over the wire

    assert set(payload) == {"text", "blocks"}
    for needle in ("social_roi_daily", "scheduled__2026-10-02T00:00:00+00:00", "validate_landing",
                   "meta/ad_insights", "expect_column_values_to_match_regex", "'-5.00'",
                   "Failed checks: 1 of"):
        assert needle in payload["text"], needle
    header, facts, details, context = payload["blocks"]
    assert header["type"] == "header" and header["text"]["text"] == alert.title
    assert [f["text"].split("\n")[0] for f in facts["fields"]] == [
        "*DAG*", "*Run*", "*Task*", "*Data interval*", "*Tables*", "*Failed checks*"]
    assert details["text"]["text"] == f"```{alert.details}```"  # nothing in it to escape
    assert context["elements"][0]["text"].startswith("<http://airflow.example/dags/social_roi_daily/")


def test_a_task_failure_after_its_retries_shows_the_pipelines_own_error():
    error = SourceError("meta", "page_posts", date(2026, 10, 1), "HTTP 503 after 5 attempts")
    alert = from_failure(failure_context(error, task_id="extract_meta", try_number=3, max_tries=2))

    assert alert.kind == "task_failed"
    assert alert.title == "social_roi_daily: task extract_meta failed (2026-10-01)"
    assert alert.fact("Tries") == "3 of 3"
    assert alert.details == "SourceError: [meta/page_posts day=2026-10-01] HTTP 503 after 5 attempts"


def test_an_error_a_retry_cannot_fix_is_shown_unwrapped():
    error = raised_by_task(SourceAuthError("x", "tweets", date(2026, 10, 1), "401: token expired"))
    assert type(error).__name__ == "AirflowFailException"

    alert = from_failure(failure_context(error, task_id="extract_x"))

    assert alert.fact("Tries") == "1 of 3 (failed at once: a retry cannot fix it)"
    assert alert.details == "SourceAuthError: [x/tweets day=2026-10-01] 401: token expired"


def test_a_task_that_died_without_an_exception_still_alerts():
    alert = from_failure(failure_context(None, task_id="dbt_build"))

    assert alert.fact("Task") == "dbt_build" and "killed or lost" in alert.details


def test_slack_markup_in_details_is_escaped_and_long_details_are_cut_at_a_line():
    lines = [f"- table_{i} [suite] expect_x(column='c'): observed '<!channel> & {i}'" for i in range(400)]
    alert = Alert("gate_failed", "t", (("DAG", "d"),), "\n".join(lines))

    payload = alert.slack_payload()

    code = payload["blocks"][2]["text"]["text"]
    assert len(code) <= SLACK_TEXT_LIMIT
    assert "<!channel>" not in code and "&lt;!channel&gt; &amp; 0" in code
    assert code.endswith("more lines: see the task log or the result file```")
    kept = code.count("- table_")
    assert 10 < kept < 400 and f"… {400 - kept} more lines" in code
    assert "&lt;!channel&gt; &amp; 399" in payload["text"]  # the fallback text keeps every line
