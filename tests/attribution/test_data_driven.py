"""Both models in one pass: conservation, determinism, wildcards, dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from social_roi.attribution.credits import split_credit
from social_roi.attribution.data_driven import data_driven_attribution, data_driven_credits
from social_roi.attribution.markov import markov_removal_table, removal_effects
from social_roi.attribution.paths import encode_conversions, path_counts
from tests.attribution.frames import conversions, nulls, random_world


@pytest.fixture(scope="module")
def world():
    return random_world(seed=11)


@pytest.fixture(scope="module")
def result(world):
    return data_driven_attribution(*world)


def test_conservation_on_a_random_world(world, result):
    conv, _ = world
    credits = result.credits
    assert list(credits.columns) == ["conversion_id", "position", "model", "credit"]
    assert len(credits) == 2 * len(conv)
    assert credits["credit"].between(0, 1 + 1e-12).all()
    sums = credits.groupby(["model", "conversion_id"])["credit"].sum()
    assert len(sums) == 2 * conv["conversion_id"].nunique()
    assert np.abs(sums - 1).max() < 1e-9
    # the removal table accounts for every conversion of each group
    table = result.removal_table
    per_group = table.groupby(["period", "conversion_type"])["attributed_conversions"].sum()
    expected = conv.groupby(["period", "conversion_type"])["conversion_id"].nunique()
    pd.testing.assert_series_equal(per_group, expected.astype(float), check_names=False, atol=1e-9)


def test_output_order_is_deterministic_and_independent_of_input_order(world, result):
    conv, null = world
    credits = result.credits
    key = credits[["model", "conversion_id", "position"]]
    assert key.equals(key.sort_values(["model", "conversion_id", "position"]).reset_index(drop=True))
    assert credits["model"].iloc[0] == "markov" and credits["model"].iloc[-1] == "shapley"
    rng = np.random.default_rng(0)
    shuffled = data_driven_attribution(conv.take(rng.permutation(len(conv))),
                                       null.take(rng.permutation(len(null))))
    pd.testing.assert_frame_equal(shuffled.credits, credits, check_exact=False, atol=1e-15, rtol=0)
    pd.testing.assert_frame_equal(shuffled.removal_table, result.removal_table, check_exact=False,
                                  atol=1e-15, rtol=0)
    again = data_driven_attribution(conv, null)
    pd.testing.assert_frame_equal(again.credits, credits, check_exact=True)


def test_bulk_removal_table_matches_the_small_api_per_group(world, result):
    counts = path_counts(*world)
    table = result.removal_table
    for (period, kind), group in counts.groupby(["period", "conversion_type"]):
        if group["conversions"].sum() == 0:
            continue
        small = removal_effects(group)
        bulk = table[(table["period"] == period) & (table["conversion_type"] == kind)
                     & (table["channel"] != "(unattributed)")].reset_index(drop=True)
        pd.testing.assert_frame_equal(bulk[list(small.columns)], small, atol=1e-12, rtol=0)


def test_wildcard_null_journeys_equal_one_copy_per_type():
    conv = pd.concat([conversions([["A", "B"], ["B"]]),
                      conversions([["A"], ["B", "A"]], conversion_type="customer", prefix="k")],
                     ignore_index=True)
    wild = nulls([["A"], ["B", "A"], ["B"]], conversion_type=None)
    copies = pd.concat([nulls([["A"], ["B", "A"], ["B"]], conversion_type=t, prefix=f"{t}-")
                        for t in ("lead", "customer")], ignore_index=True)
    a = data_driven_attribution(conv, wild)
    b = data_driven_attribution(conv, copies)
    pd.testing.assert_frame_equal(a.credits, b.credits)
    pd.testing.assert_frame_equal(a.removal_table, b.removal_table)


def test_groups_are_independent():
    # the same journeys in another period must not change a group's result
    lead = conversions([["A", "B"], ["B"]])
    other = conversions([["A"], ["A"], ["B", "A"]], period="2024-02", prefix="o")
    null = nulls([["A"], ["B", "A"]])
    alone = markov_removal_table(lead, null)
    both = markov_removal_table(pd.concat([lead, other], ignore_index=True), null)
    pd.testing.assert_frame_equal(both[both["period"] == "2024-01"], alone)


def test_other_dtypes_models_subset_and_no_null_journeys():
    conv = conversions({"1": ["A", "B"], "2": ["B"], "3": []})
    conv["conversion_id"] = conv["conversion_id"].astype(int)
    conv["period"] = pd.Timestamp("2024-01-01")
    conv["position"] = conv["position"].astype(float)
    credits = data_driven_credits(conv, None, models=("shapley",))
    assert credits["model"].unique().tolist() == ["shapley"]
    assert credits["conversion_id"].tolist() == [1, 1, 2, 3]
    assert credits["position"].tolist()[:3] == [1, 2, 1] and pd.isna(credits["position"].iloc[3])
    # without null journeys every seen set converts at rate 1: v(AB) = v(B) = 1, v(A) = 0 (unseen), so
    # φ_A = ½·v(A) + ½(v(AB) − v(B)) = 0 and φ_B = ½·v(B) + ½(v(AB) − v(A)) = 1
    assert credits["credit"].tolist() == [0.0, 1.0, 1.0, 1.0]
    table = markov_removal_table(conv)
    assert table["period"].iloc[0] == pd.Timestamp("2024-01-01")
    with pytest.raises(ValueError, match="unknown model"):
        data_driven_credits(conv, models=("linear",))


def test_only_empty_paths():
    conv = conversions({"e1": [], "e2": []})
    result = data_driven_attribution(conv, nulls([["A"]]))
    assert result.credits["credit"].tolist() == [1.0] * 4
    # the null journey's channel is in the chain but nothing converts: RE 0
    assert result.removal_table["channel"].tolist() == ["A", "(unattributed)"]
    assert result.removal_table["attributed_conversions"].tolist() == [0.0, 2.0]
    assert result.removal_table["removal_effect"].iloc[0] == 0.0


def test_split_credit_rules():
    # rows: x = A, B, A; y = C; z = empty. weights per channel: A 0.3, B 0.1, C 0.
    conv = conversions({"x": ["A", "B", "A"], "y": ["C"], "z": []})
    rows = encode_conversions(conv)
    weight = np.array([{"A": 0.3, "B": 0.1, "C": 0.0}.get(c, 0.0)
                       for c in rows.channels[np.maximum(rows.channel, 0)]])
    credit = split_credit(rows, weight)
    # x: A gets .3/.4 = .75 split over two touches (.375 each), B .25; y: all zero → last touch; z: 1
    assert credit.tolist() == pytest.approx([0.375, 0.25, 0.375, 1.0, 1.0], abs=1e-15)


def test_no_conversions_at_all():
    conv = conversions([["A"]]).iloc[:0]
    result = data_driven_attribution(conv, nulls([["A"]]))
    assert list(result.credits.columns) == ["conversion_id", "position", "model", "credit"]
    assert len(result.credits) == 0 and len(result.removal_table) == 0
    assert list(result.removal_table.columns) == ["period", "conversion_type", "channel", "removal_effect",
                                                  "share", "attributed_conversions"]
