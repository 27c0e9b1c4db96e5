"""What an alert says. Composed once — a title, labelled facts (DAG, run, task, data interval,
and for a gate failure the tables and the number of failed checks), and the details: the
gate's own readable summary, or the task's error — then rendered for each channel: Slack's
incoming-webhook JSON (``text`` plus ``blocks``) and a plain-text e-mail.

The details are never reformatted: a gate failure carries ``GateFailed``'s summary (each failed
expectation with its table, observed value and a few offending values) exactly as the task log
and the result file's reader see it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SLACK_TEXT_LIMIT = 3000  # a section block's text
SLACK_HEADER_LIMIT = 150  # a header block's plain text
SLACK_FIELD_LIMIT = 2000  # one field of a section block
SLACK_MAX_FIELDS = 10
FALLBACK_LIMIT = 39_000  # Slack truncates a message's text after 40,000 characters
ERROR_LIMIT = 4000  # a task error's message (a traceback is in the task log)


@dataclass(frozen=True)
class Alert:
    """One notification. ``kind``: ``gate_failed``, ``task_failed`` (and, later, ``late``)."""

    kind: str
    title: str
    facts: tuple[tuple[str, str], ...]
    details: str
    link: str | None = None

    def fact(self, label: str) -> str | None:
        return dict(self.facts).get(label)

    def text(self) -> str:
        """Plain text: the e-mail's body, and the Slack message's fallback."""
        lines = [self.title, "", *(f"{label}: {value}" for label, value in self.facts)]
        if self.link:
            lines.append(f"Log: {self.link}")
        return "\n".join([*lines, "", self.details])

    def slack_payload(self) -> dict[str, Any]:
        """Slack's incoming-webhook message: ``text`` is what notifications and clients without
        blocks show (here everything, for Slack-compatible receivers that read only ``text``);
        ``blocks`` lay it out: a header, the facts as fields, the details in a code block."""
        fields = [{"type": "mrkdwn", "text": _cut(f"*{_escape(label)}*\n{_escape(value)}", SLACK_FIELD_LIMIT)}
                  for label, value in self.facts[:SLACK_MAX_FIELDS]]
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(self.title, SLACK_HEADER_LIMIT)}},
            {"type": "section", "fields": fields},
            {"type": "section", "text": {"type": "mrkdwn", "text": _code_block(self.details)}},
        ]
        if self.link:
            blocks.append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": f"<{_escape(self.link)}|Task log>"}]})
        return {"text": _cut(_escape(self.text()), FALLBACK_LIMIT), "blocks": blocks}

    def email_subject(self) -> str:
        return " ".join(self.title.split())


def from_failure(context: Mapping[str, Any]) -> Alert:
    """The alert for a task that failed for good: a gate failure (``GateFailed`` anywhere in the
    exception's chain: the DAG wraps it in ``AirflowFailException``) or any other error. A
    context without an exception (a task process killed and its failure reported by the
    scheduler) still names the task and says where to look."""
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", "?")
    task_id = getattr(ti, "task_id", None) or getattr(context.get("task"), "task_id", "?")
    run_id = context.get("run_id") or getattr(ti, "run_id", None) or "?"
    interval = _interval(context.get("data_interval_start"), context.get("data_interval_end"))
    facts = [("DAG", dag_id), ("Run", run_id), ("Task", task_id), ("Data interval", interval)]
    error = context.get("exception")
    gate = _find(error, _gate_failed())
    if gate is not None:
        result = gate.result
        tables = list(dict.fromkeys(f.table for f in result.failures))
        facts += [("Tables", ", ".join(tables)),
                  ("Failed checks", f"{len(result.failures)} of {result.expectations_evaluated}")]
        title = (f"{dag_id}: quality gate '{result.boundary}' failed in {task_id} ({_day(context)}): "
                 "nothing published")
        return Alert("gate_failed", title, tuple(facts), _redact(str(gate)), _log_url(ti))
    facts.append(("Tries", _tries(ti, error)))
    title = f"{dag_id}: task {task_id} failed ({_day(context)})"
    return Alert("task_failed", title, tuple(facts), _redact(_describe(error)), _log_url(ti))


def _gate_failed() -> type[BaseException] | None:
    """``GateFailed``, if the gate was imported in this process: an exception of that class
    cannot exist otherwise, and a failed extract need not import Great Expectations to say so."""
    gate = sys.modules.get("social_roi.quality.gate")
    return getattr(gate, "GateFailed", None)


def _find(error: BaseException | None, kind: type[BaseException] | None) -> Any:
    if kind is None:
        return None
    seen: set[int] = set()
    while isinstance(error, BaseException) and id(error) not in seen:
        if isinstance(error, kind):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def _describe(error: Any) -> str:
    """The error a retry could not fix, by its own message: the pipeline's errors name source,
    entity, day and record. ``AirflowFailException`` only wraps them (``fail_fast_on``)."""
    if error is None:
        return ("No exception was recorded: the task process was probably killed or lost "
                "(out of memory, a heartbeat timeout). See the task log.")
    if not isinstance(error, BaseException):
        return _cut(str(error), ERROR_LIMIT)
    cause = error.__cause__ if type(error).__name__ == "AirflowFailException" else None
    shown = cause if isinstance(cause, BaseException) else error
    return _cut(f"{type(shown).__name__}: {shown}", ERROR_LIMIT)


def _tries(ti: Any, error: Any) -> str:
    tries = getattr(ti, "try_number", None)
    allowed = getattr(ti, "max_tries", None)
    text = f"{tries}" if tries is not None else "?"
    if isinstance(allowed, int):
        text += f" of {allowed + 1}"
    if type(error).__name__ == "AirflowFailException":
        text += " (failed at once: a retry cannot fix it)"
    return text


def _interval(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "?"
    return f"{_utc(start)} → {_utc(end)} UTC"


def _day(context: Mapping[str, Any]) -> str:
    start = context.get("data_interval_start")
    return start.astimezone(UTC).date().isoformat() if isinstance(start, datetime) else "?"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _log_url(ti: Any) -> str | None:
    try:
        return ti.log_url if ti is not None else None
    except Exception:  # a context rebuilt outside the task may lack what the URL needs
        return None


def _redact(text: str) -> str:
    """Secrets Airflow knows of (connection passwords read in this process, sensitive
    variables) never leave in an alert, as they never appear in task logs."""
    try:
        from airflow.sdk._shared.secrets_masker import redact
    except ImportError:
        return text
    return str(redact(text))


def _escape(text: str) -> str:
    """Slack reads ``&``, ``<`` and ``>`` as markup (``<!channel>`` would ping everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code_block(details: str) -> str:
    """The details preformatted, cut at a line so that the block stays under Slack's limit; the
    message's ``text`` and the e-mail keep them whole."""
    budget = SLACK_TEXT_LIMIT - len("``````") - 80
    lines = _escape(details).splitlines()
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > budget:
            break
        kept.append(line)
    if not kept and lines:
        kept = [lines[0][:budget]]
    if len(kept) < len(lines):
        kept.append(f"… {len(lines) - len(kept)} more lines: see the task log or the result file")
    return "```" + "\n".join(kept) + "```"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__: Sequence[str] = ("Alert", "from_failure")
