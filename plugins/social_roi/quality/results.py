"""What a gate run found, in two shapes: a summary an operator can act on without opening a file,
and a machine-readable JSON file (one per boundary and interval, overwritten by a rerun)."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Failure:
    """One failed expectation (or a table that could not be read at all)."""

    table: str
    suite: str
    expectation: str
    kwargs: Mapping[str, Any]
    observed: Any
    examples: Sequence[Any] = ()
    check: str | None = None  # the expectation's meta.check: "volume", "freshness", ...
    note: str | None = None  # what the numbers mean (volume, freshness), in words
    rows: Sequence[Mapping[str, Any]] = ()  # a few offending rows: their key and the value

    def describe(self) -> str:
        args = ", ".join(f"{key}={_short(value)}" for key, value in self.kwargs.items())
        line = f"- {self.table} [{self.suite}] {self.expectation}({args}): observed {_short(self.observed)}"
        if self.note:
            line += f"\n    {self.note}"
        if self.examples:
            line += "\n    e.g. " + "; ".join(_short(e) for e in self.examples[:MAX_EXAMPLES])
        if self.rows:
            line += "\n    rows: " + "; ".join(_short(r) for r in self.rows[:MAX_EXAMPLES])
        return line

    def as_json(self) -> dict[str, Any]:
        return {"table": self.table, "suite": self.suite, "expectation": self.expectation,
                "kwargs": dict(self.kwargs), "observed": self.observed,
                "examples": list(self.examples[:MAX_EXAMPLES]), "check": self.check,
                "note": self.note, "rows": [dict(r) for r in self.rows[:MAX_EXAMPLES]]}


@dataclass(frozen=True)
class SuiteRun:
    """One suite applied to one table."""

    suite: str
    table: str
    rows: int | None  # None: the table could not be read
    evaluated: int
    failures: tuple[Failure, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)  # volume, quarantine: in the JSON
    validation: Any = field(default=None, repr=False, compare=False)  # GE's result, for Data Docs

    @property
    def success(self) -> bool:
        return not self.failures

    def as_json(self) -> dict[str, Any]:
        return {"suite": self.suite, "table": self.table, "rows": self.rows,
                "evaluated": self.evaluated, "failed": len(self.failures),
                "success": self.success, **self.details}


@dataclass(frozen=True)
class GateResult:
    boundary: str  # "landing" or "marts"
    scope: str  # what was validated: the day, or the mart schema
    success: bool
    suites_evaluated: int
    expectations_evaluated: int
    failures: tuple[Failure, ...]
    result_file: Path
    suites: tuple[SuiteRun, ...] = field(default=(), repr=False)
    data_docs: Path | None = None  # the run's Data Docs index (quality/docs.py), when built

    @classmethod
    def from_runs(cls, boundary: str, scope: str, runs: Sequence[SuiteRun],
                  result_file: Path) -> GateResult:
        failures = tuple(f for run in runs for f in run.failures)
        return cls(boundary, scope, not failures, len(runs), sum(r.evaluated for r in runs),
                   failures, result_file, tuple(runs))

    @property
    def quarantined_rows(self) -> int:
        return sum(run.details.get("quarantined", {}).get("rows", 0) for run in self.suites)

    def warnings(self) -> list[str]:
        """Quarantined records: the day passed without them."""
        lines = []
        for run in self.suites:
            held = run.details.get("quarantined")
            if held:
                reasons = ", ".join(f"{k}: {v}" for k, v in held["reasons"].items())
                lines.append(f"- WARNING {run.table} [{run.suite}]: {held['rows']} record(s) quarantined "
                             f"({reasons}), e.g. {', '.join(map(str, held['records']))}; {held['file']}")
        return lines

    def summary(self) -> str:
        verdict = "passed" if self.success else "FAILED"
        head = (f"Quality gate '{self.boundary}' ({self.scope}) {verdict}: "
                f"{len(self.failures)} of {self.expectations_evaluated} expectations failed "
                f"in {self.suites_evaluated} suites. Results: {self.result_file}")
        if self.data_docs is not None:
            head += f"\nData Docs: {self.data_docs}"
        if self.quarantined_rows:
            head += f"\n{self.quarantined_rows} record(s) quarantined:"
        return "\n".join([head, *self.warnings(), *(f.describe() for f in self.failures)])

    def as_json(self) -> dict[str, Any]:
        return {"boundary": self.boundary, "scope": self.scope, "success": self.success,
                "suites_evaluated": self.suites_evaluated,
                "expectations_evaluated": self.expectations_evaluated,
                "quarantined_rows": self.quarantined_rows,
                "suites": [run.as_json() for run in self.suites],
                "failures": [f.as_json() for f in self.failures],
                "data_docs": None if self.data_docs is None else str(self.data_docs)}

    def write(self) -> Path:
        """Write the JSON atomically: a reader never sees half a file."""
        self.result_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.result_file.with_name(f".{self.result_file.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(self.as_json(), indent=2, sort_keys=True, default=_jsonable)
                           + "\n")
            os.replace(tmp, self.result_file)
        finally:
            tmp.unlink(missing_ok=True)
        return self.result_file


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def _short(value: Any, limit: int = 200) -> str:
    text = value.isoformat() if isinstance(value, (datetime, date)) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
