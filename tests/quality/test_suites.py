"""The committed suites match the landing contracts and load completely."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from social_roi.connectors import CONNECTORS
from social_roi.pipeline import MARTS
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
    expected = {landing_suite_name(s, e) for s, e in ENTITIES} | {f"marts__{t}" for t in MARTS}
    assert {p.stem for p in SUITE_FILES} == expected


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_suite_loads_every_expectation(path: Path) -> None:
    raw = json.loads(path.read_text())
    suite = load_suite(EXPECTATIONS, path.stem)
    assert suite.name == path.stem
    assert len(suite.expectations) == len(raw["expectations"]) > 0
    known = {**interval_parameters(*day_interval(date(2026, 10, 1))),
             **landed_parameters(Path("/nonexistent"), CONNECTORS),
             "volume_min_rows": 0, "freshness_min_rows": 0}
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


def _by_type(raw: dict) -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {}
    for expectation in raw["expectations"]:
        by_type.setdefault(expectation["type"], []).append(expectation["kwargs"])
    return by_type


UNIQUENESS = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
RANGES = ("expect_column_values_to_be_between", "expect_column_values_to_match_regex")


@pytest.mark.parametrize(("source", "entity"), sorted(ENTITIES), ids="_".join)
def test_landing_suite_covers_every_required_kind(source: str, entity: str) -> None:
    """Schema, required fields (test above), types (the gate, against the Arrow contract), ids
    unique per day, value ranges of every number, dates inside the run's interval; an exception
    is declared in the suite's meta with its reason."""
    import pyarrow as pa

    raw = json.loads((EXPECTATIONS / "suites" / f"landing__{source}_{entity}.json").read_text())
    by_type, meta = _by_type(raw), raw.get("meta", {})
    assert any(t in by_type for t in UNIQUENESS) or meta.get("no_unique_key")
    assert any(p.startswith("interval_") for p in _parameters(raw["expectations"])) or meta.get("no_interval")
    ranged = {k["column"] for t in RANGES for k in by_type.get(t, [])}
    numbers = {f.name for f in ENTITIES[(source, entity)].schema
               if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)}
    assert numbers - ranged <= set(meta.get("unranged_columns", {})), "a number without a range"


MONEY_OR_RATE = re.compile(r"(_usd|share|_rate|^roi|^roas|_to_cac|_months|margin)$")


@pytest.mark.parametrize("table", sorted(MARTS))
def test_mart_suite_covers_every_required_kind(table: str) -> None:
    """The serving contract, the grain, and a range for every amount of money and every rate
    (NULL-tolerant: GE's ranges skip NULLs); a signed amount is declared with its reason."""
    raw = json.loads((EXPECTATIONS / "suites" / f"marts__{table}.json").read_text())
    by_type, meta = _by_type(raw), raw.get("meta", {})
    [columns] = by_type["expect_table_columns_to_match_set"]
    assert columns["exact_match"] is True
    assert any(t in by_type for t in UNIQUENESS), "no grain"
    ranged = {k["column"] for k in by_type.get("expect_column_values_to_be_between", [])}
    money_or_rates = {c for c in columns["column_set"] if MONEY_OR_RATE.search(c)}
    assert money_or_rates - ranged <= set(meta.get("unranged_columns", {}))
    assert set(meta.get("unranged_columns", {})) <= set(columns["column_set"])


def test_funnel_cohorts_and_roi_have_their_consistency_checks() -> None:
    cohorts = _by_type(json.loads((EXPECTATIONS / "suites" / "marts__fct_funnel_cohorts.json").read_text()))
    pairs = {(k["column_A"], k["column_B"])
             for k in cohorts["expect_column_pair_values_a_to_be_greater_than_b"]}
    assert ("reached_opportunity", "reached_customer") in pairs
    roi = json.loads((EXPECTATIONS / "suites" / "marts__fct_roi_monthly.json").read_text())
    consistent = {formula for e in roi["expectations"] if e["meta"].get("check") == "consistency"
                  for formula in e["meta"]["formulas"]}
    assert consistent == {"total_cost_usd", "roi", "roas", "cpl_usd", "cac_usd", "ltv_to_cac"}


@pytest.mark.parametrize(("source", "entity"), sorted(ENTITIES), ids="_".join)
def test_landing_suite_checks_volume_and_freshness(source: str, entity: str) -> None:
    from social_roi.quality.arrival import config_of

    raw = json.loads((EXPECTATIONS / "suites" / f"landing__{source}_{entity}.json").read_text())
    checks = {e["meta"].get("check"): e for e in raw["expectations"]}
    assert checks["volume"]["kwargs"] == {"min_value": {"$PARAMETER": "volume_min_rows"}}
    assert checks["freshness"]["kwargs"] == {"min_value": {"$PARAMETER": "freshness_min_rows"}}
    assert "max_age_days" in raw["meta"]["freshness"] and raw["meta"]["freshness"]["why"]
    config_of(raw["meta"])  # no unknown setting
