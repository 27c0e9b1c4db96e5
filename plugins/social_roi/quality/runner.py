"""Great Expectations, set up once per process and applied to pandas DataFrames.

Why DataFrames: GE's SQL datasource on DuckDB fails every expectation (it closes the connection
before fetching), so tables are read into pandas first (ARCHITECTURE.md, "facts"). Why once per
process: building a context and its datasource costs more than validating a few thousand rows,
and the demo runs the gate many times in one process. The context is ephemeral (nothing written
to disk), with analytics and progress bars off (``GX_ANALYTICS_ENABLED`` is set in ``__init__``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import great_expectations as gx
import pandas as pd
from great_expectations.core import ExpectationSuite
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.validator.v1_validator import Validator

from social_roi.quality.results import MAX_EXAMPLES, Failure, SuiteRun

DATASOURCE = "social_roi"
# A first pass asks only for the verdict: BOOLEAN_ONLY computes no unexpected counts or values,
# about half the work of a suite, and on most days every suite passes (decision 46).
VERDICT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
# A failing suite is validated again for its details: SUMMARY gives counts and a short list of
# offending values without materialising every one.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_EXAMPLES}


@cache
def context() -> Any:
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


@cache
def _batch_definition(asset_name: str) -> Any:
    """One DataFrame asset per table, defined on first use and reused by every later run."""
    sources = context().data_sources
    try:
        datasource = sources.get(DATASOURCE)
    except KeyError:
        datasource = sources.add_pandas(DATASOURCE)
    asset = datasource.add_dataframe_asset(asset_name)
    return asset.add_batch_definition_whole_dataframe("whole")


def validate_frame(
    table: str, frame: pd.DataFrame, suite: ExpectationSuite, parameters: Mapping[str, Any]
) -> SuiteRun:
    outcome = _validate(frame, suite, parameters, VERDICT_FORMAT)
    if not outcome.success:  # the same checks again, now for what failed and on which values
        outcome = _validate(frame, suite, parameters, _detail_format(suite, frame))
    failures = tuple(_failure(table, suite.name, result)
                     for result in outcome.results if not result.success)
    return SuiteRun(suite.name, table, len(frame), len(outcome.results), failures,
                    validation=outcome)


def unexpected_positions(frame: pd.DataFrame, suite: ExpectationSuite,
                         parameters: Mapping[str, Any]) -> tuple[Any, dict[int, list[Any]]]:
    """Every failed expectation's offending rows, by position in ``frame`` (its index must be a
    RangeIndex): (GE's result, {expectation's index in the result: [positions]}); an expectation
    that fails as a whole (a column set, a row count) has no positions and is left out."""
    outcome = _validate(frame, suite, parameters, {"result_format": "COMPLETE",
                                                   "return_unexpected_index_query": False})
    positions = {}
    for i, result in enumerate(outcome.results):
        found = result.result or {}
        if not result.success and found.get("unexpected_index_list") is not None:
            positions[i] = [int(p) for p in found["unexpected_index_list"]]
    return outcome, positions


def record_key(suite: ExpectationSuite) -> list[str]:
    """The columns that name a record of the suite's table: its uniqueness expectation's."""
    for expectation in suite.expectations:
        config = expectation.configuration
        if config.type == "expect_compound_columns_to_be_unique":
            return list(config.kwargs["column_list"])
        if config.type == "expect_column_values_to_be_unique":
            return [config.kwargs["column"]]
    return []


def _detail_format(suite: ExpectationSuite, frame: pd.DataFrame) -> dict[str, Any]:
    """SUMMARY, with the record key beside each offending value (when the frame has it)."""
    key = [column for column in record_key(suite) if column in frame.columns]
    return {**RESULT_FORMAT, "unexpected_index_column_names": key} if key else RESULT_FORMAT


def _validate(frame: pd.DataFrame, suite: ExpectationSuite, parameters: Mapping[str, Any],
              result_format: dict[str, Any]) -> Any:
    """What ``ValidationDefinition.run`` does, without a definition to store: GE's own
    ``batch.validate`` builds the batch a second time (and fingerprints the whole frame again),
    a quarter of a gate's time on small tables."""
    validator = Validator(batch_definition=_batch_definition(suite.name),
                          batch_parameters={"dataframe": frame}, result_format=result_format)
    return validator.validate_expectation_suite(suite, expectation_parameters=dict(parameters))


def _failure(table: str, suite: str, result: Any) -> Failure:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    condition = kwargs.get("row_condition")
    if isinstance(condition, Mapping) and "pass_through_filter" in condition:  # as the suite says it
        kwargs["row_condition"] = condition["pass_through_filter"]
    found = result.result or {}
    error = _exception_message(result.exception_info)
    if error is not None:
        observed: Any = f"error: {error}"
    elif "observed_value" in found:
        observed = found["observed_value"]
    elif "unexpected_count" in found:
        observed = f"{found['unexpected_count']} of {found.get('element_count')} rows unexpected"
    else:
        observed = None
    examples = found.get("partial_unexpected_list") or []
    rows = [row for row in found.get("partial_unexpected_index_list") or [] if isinstance(row, Mapping)]
    personal = bool((config.meta or {}).get("personal_data"))
    if personal and examples:
        # an e-mail that should have been hashed must not be copied into logs and result files
        examples = [f"<{len(examples)} value(s) withheld: personal data>"]
    if personal:
        rows = [{k: v for k, v in row.items() if k != kwargs.get("column")} for row in rows]
    details = found.get("details") or {}
    if not examples and "mismatched" in details:  # column-set expectations
        examples = [details["mismatched"]]
    distinct: dict[str, Any] = {}  # a duplicate key shows up once per copy: show it once
    for example in map(plain, examples):
        distinct.setdefault(repr(example), example)
    distinct_rows: dict[str, Any] = {}
    for row in map(plain, rows):
        distinct_rows.setdefault(repr(row), row)
    return Failure(table, suite, config.type, {k: plain(v) for k, v in kwargs.items()},
                   plain(observed), tuple(distinct.values())[:MAX_EXAMPLES],
                   check=(config.meta or {}).get("check"),
                   rows=tuple(distinct_rows.values())[:MAX_EXAMPLES])


def plain(value: Any) -> Any:
    """Timestamps, numpy scalars and NaN as plain JSON-able values, so that the summary reads
    ``'2026-10-01T00:00:00'`` rather than ``Timestamp('2026-10-01 00:00:00')``."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if pd.isna(value):
        return None
    return str(value)


def _exception_message(info: Any) -> str | None:
    """GE reports a raised exception either flat or keyed by metric; find the first message."""
    if not isinstance(info, Mapping):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        message = _exception_message(value)
        if message is not None:
            return message
    return None
