"""Identity and rule-based attribution in the warehouse equal an independent computation, in plain
Python, from the sandbox's ground truth: who is really behind each session (and whether the data
links them), and the journeys that follow (sessions per person, conversions per contact)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.dbt.journeys import MODELS, true_touchpoints, truth_totals


@pytest.fixture(scope="module")
def warehouse(month_build):
    world, build_db = month_build
    with duckdb.connect(str(build_db), read_only=True) as con:
        attribution = con.execute(
            "select conversion_type, attribution_model, platform, sum(credit) as credit, "
            "sum(attributed_revenue_usd) as revenue from main_marts.fct_attribution "
            "group by all").df()
        identity = con.execute(
            "select touchpoint_id, person_id, match_method from main_marts.fct_touchpoints").df()
        match_daily = con.execute(
            "select match_date, sum(touchpoints) as touchpoints, "
            "sum(matched_touchpoints) as matched from main_marts.fct_identity_match_daily "
            "group by all").df()
    return world.truth, attribution, identity, match_daily


def warehouse_totals(attribution: pd.DataFrame, conversion_type: str, column: str) -> dict:
    rows = attribution[(attribution.conversion_type == conversion_type)
                       & attribution.attribution_model.isin(MODELS)]
    return {(r.attribution_model, r.platform): getattr(r, column) for r in rows.itertuples()}


def assert_same(expected: dict, actual: dict) -> None:
    keys = {k for k, v in {**expected, **actual}.items() if abs(v) > 1e-9}
    assert keys, "nothing to compare"
    for key in sorted(keys):
        assert actual.get(key, 0.0) == pytest.approx(expected.get(key, 0.0), abs=1e-6), key


def test_customer_revenue_by_platform_matches_ground_truth_journeys(warehouse):
    truth, attribution, *_ = warehouse
    deals = truth["deals"][truth["deals"].is_won]
    won = pd.DataFrame({
        "contact_id": deals.contact_id,
        "converted_at": deals.closed_at,
        "value": deals.amount.astype(float),
    })
    assert won.value.sum() > 0
    assert_same(truth_totals(truth, won), warehouse_totals(attribution, "customer", "revenue"))


def test_lead_credit_by_platform_matches_ground_truth_journeys(warehouse):
    truth, attribution, *_ = warehouse
    contacts = truth["contacts"][truth["contacts"].partner_type.isna()]
    leads = pd.DataFrame({"contact_id": contacts.contact_id,
                          "converted_at": contacts.created_at, "value": 1.0})
    assert_same(truth_totals(truth, leads), warehouse_totals(attribution, "lead", "credit"))


def test_partner_inquiry_credit_by_platform_matches_ground_truth_journeys(warehouse):
    """Partner inquiries are conversions of their own type, credited like leads."""
    truth, attribution, *_ = warehouse
    partners = truth["contacts"][truth["contacts"].partner_type.notna()]
    assert len(partners) > 0
    inquiries = pd.DataFrame({"contact_id": partners.contact_id,
                              "converted_at": partners.created_at, "value": 1.0})
    assert_same(truth_totals(truth, inquiries), warehouse_totals(attribution, "partner_inquiry", "credit"))


def test_identity_resolution_recovers_the_person_behind_every_linked_session(warehouse):
    """Every session the data links is tied to its true person, whichever identifier links it;
    every other session stays anonymous. Several methods are needed to get there."""
    truth, _, identity, _ = warehouse
    touchpoints = true_touchpoints(truth)
    expected = dict(zip(touchpoints.touchpoint_id,
                        touchpoints.contact_id.where(touchpoints.identifiable), strict=True))
    actual = dict(zip(identity.touchpoint_id, identity.person_id, strict=True))
    assert actual.keys() == expected.keys()
    wrong = {k: (actual[k], v) for k, v in expected.items()
             if (None if pd.isna(actual[k]) else actual[k]) != (None if pd.isna(v) else v)}
    assert not wrong, f"{len(wrong)} sessions mis-attributed, e.g. {list(wrong.items())[:3]}"
    methods = identity.match_method.value_counts()
    assert {"user_id", "ga_client_id", "click_id", "hashed_email"} <= set(methods.index)


def test_identity_match_rate_per_day_equals_the_truth(warehouse):
    truth, _, _, match_daily = warehouse
    touchpoints = true_touchpoints(truth)
    expected = touchpoints.assign(matched=touchpoints.identifiable).groupby("date").agg(
        touchpoints=("matched", "size"), matched=("matched", "sum"))
    actual = match_daily.assign(match_date=match_daily.match_date.dt.date).set_index("match_date")
    assert actual.touchpoints.astype(int).to_dict() == expected.touchpoints.to_dict()
    assert actual.matched.astype(int).to_dict() == expected.matched.to_dict()
    assert 0 < expected.matched.sum() < expected.touchpoints.sum()
