"""The committed suites match the landing contracts and load completely."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from social_roi.connectors import CONNECTORS
from social_roi.quality.suites import (
    InvalidSuite,
    SuiteNotFound,
    day_interval,
    interval_parameters,
    landed_parameters,
    landing_suite_name,
    load_suite,
)
from social_roi.settings import REPO_ROOT
from tests.quality.gate_factories import ENTITIES

EXPECTATIONS = REPO_ROOT / "expectations"
SUITE_FILES = sorted((EXPECTATIONS / "suites").glob("*.json"))


def _parameters(node) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"$PARAMETER"}:
            return {node["$PARAMETER"]}
        return set().union(*(_parameters(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(set(), *(_parameters(v) for v in node))
    return set()


def test_one_suite_per_landing_entity_and_per_published_mart() -> None:
    from social_roi.pipeline import MARTS

    expected = {landing_suite_name(s, e) for s, e in ENTITIES} | {f"marts__{t}" for t in MARTS}
    assert {p.stem for p in SUITE_FILES} == expected


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_loads_every_expectation(path: Path) -> None:
    raw = json.loads(path.read_text())
    suite = load_suite(EXPECTATIONS, path.stem)
    assert suite.name == path.stem
    assert len(suite.expectations) == len(raw["expectations"]) > 0
    known = {**interval_parameters(*day_interval(date(2026, 10, 1))),
             **landed_parameters(Path("/nonexistent"), CONNECTORS)}
    assert _parameters(raw) <= set(known)
    if path.stem.startswith("marts__"):  # the marts gate passes no interval
        assert _parameters(raw) <= set(landed_parameters(Path("/nonexistent"), CONNECTORS))


@pytest.mark.parametrize(("source", "entity"), sorted(ENTITIES), ids="_".join)
def test_landing_suite_follows_the_connector_contract(source: str, entity: str) -> None:
    contract = ENTITIES[(source, entity)].schema
    raw = json.loads((EXPECTATIONS / "suites" / f"landing__{source}_{entity}.json").read_text())
    by_type: dict[str, list[dict]] = {}
    for expectation in raw["expectations"]:
        by_type.setdefault(expectation["type"], []).append(expectation["kwargs"])

    [columns] = by_type["expect_table_columns_to_match_set"]
    restated = ["date"] if ENTITIES[(source, entity)].restated_days > 1 else []  # the partition's day
    assert columns == {"column_set": contract.names + restated, "exact_match": True}
    not_null = {k["column"] for k in by_type["expect_column_values_to_not_be_null"]}
    assert not_null == {f.name for f in contract if not f.nullable}
    checked = {k.get("column") for kwargs in by_type.values() for k in kwargs} - {None}
    assert checked <= set(contract.names + restated)


def test_mart_suite_has_no_customers_le_leads_rule() -> None:
    """Customers of a day come from older leads: such a rule would reject correct data."""
    raw = (EXPECTATIONS / "suites" / "marts__fct_funnel_daily.json").read_text()
    pairs = [e["kwargs"] for e in json.loads(raw)["expectations"]
             if e["type"] == "expect_column_pair_values_a_to_be_greater_than_b"]
    assert pairs and all({"customers", "leads"} != {p["column_A"], p["column_B"]} for p in pairs)


def test_interval_parameters_of_a_day() -> None:
    params = interval_parameters(*day_interval(date(2026, 10, 1)))
    assert params["interval_start"] == pd.Timestamp("2026-10-01", tz="UTC")
    assert params["interval_end"] == pd.Timestamp("2026-10-02", tz="UTC")
    assert params["interval_start_us"] == 1_790_812_800_000_000
    assert params["interval_end_us"] - params["interval_start_us"] == 86_400_000_000
    assert params["interval_first_day"] == params["interval_last_day"] == date(2026, 10, 1)
    assert params["interval_days_yyyymmdd"] == ["20261001"]


def test_interval_parameters_of_several_days() -> None:
    params = interval_parameters(datetime(2026, 10, 1, tzinfo=UTC),
                                 datetime(2026, 10, 3, tzinfo=UTC))
    assert params["interval_last_day"] == date(2026, 10, 2)
    assert params["interval_days_yyyymmdd"] == ["20261001", "20261002"]
    with pytest.raises(ValueError, match="timezone-aware"):
        interval_parameters(datetime(2026, 10, 1), datetime(2026, 10, 2))


def test_missing_or_broken_suites_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SuiteNotFound, match="landing__nope"):
        load_suite(tmp_path, "landing__nope")
    (tmp_path / "suites").mkdir()
    raw = json.loads((EXPECTATIONS / "suites" / "landing__meta_page_posts.json").read_text())
    raw["expectations"][1]["type"] = "expect_column_values_to_be_nonsense"
    (tmp_path / "suites" / "landing__meta_page_posts.json").write_text(json.dumps(raw))
    # GE itself would only log this and drop the expectation, silently weakening the gate
    with pytest.raises(InvalidSuite, match="expect_column_values_to_be_nonsense"):
        load_suite(tmp_path, "landing__meta_page_posts")
