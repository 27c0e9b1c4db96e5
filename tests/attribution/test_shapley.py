"""Shapley value — hand-computed games, a naive reference implementation, both evaluation strategies."""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
import pytest

from social_roi.attribution.data_driven import data_driven_attribution
from social_roi.attribution.shapley import _Table, characteristic_function, shapley_credits, shapley_values
from tests.attribution.frames import conversions, credit_of, nulls, random_world, repeat


def _sets(*rows: tuple[tuple[str, ...], int, int]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel_set", "conversions", "nulls"])


def _phi(table: pd.DataFrame, channel_set: tuple[str, ...], column: str = "shapley_value") -> dict:
    rows = table[table["channel_set"] == channel_set]
    return dict(zip(rows["channel"], rows[column], strict=True))


def naive_shapley(v: dict[frozenset, float], players: tuple[str, ...]) -> dict[str, float]:
    """Textbook formula, one subset at a time."""
    s = len(players)
    out = {}
    for k in players:
        others = [p for p in players if p != k]
        total = 0.0
        for size in range(s):
            for subset in combinations(others, size):
                a = frozenset(subset)
                weight = factorial(size) * factorial(s - size - 1) / factorial(s)
                total += weight * (v.get(a | {k}, 0.0) - v.get(a, 0.0))
        out[k] = total
    return out


def test_two_channels_by_hand():
    # v({A}) = 1/2 (1 conv, 1 null), v({B}) = 1/4 (1, 3), v({A,B}) = 3/4 (3, 1).
    # φ_A = ½·v(A) + ½·(v(AB) − v(B)) = ¼ + ¼ = ½;  φ_B = ½·v(B) + ½·(v(AB) − v(A)) = ⅛ + ⅛ = ¼.
    # Σφ = ¾ = v(AB) (efficiency); shares ⅔, ⅓. A single-channel set: φ_A = v(A), share 1.
    table = shapley_values(_sets((("A",), 1, 1), (("B",), 1, 3), (("A", "B"), 3, 1)))
    assert _phi(table, ("A", "B")) == pytest.approx({"A": 0.5, "B": 0.25}, abs=1e-15)
    assert _phi(table, ("A", "B"), "share") == pytest.approx({"A": 2 / 3, "B": 1 / 3}, abs=1e-15)
    assert _phi(table, ("A",)) == pytest.approx({"A": 0.5}, abs=1e-15)
    assert _phi(table, ("A",), "share") == {"A": 1.0}


def test_three_channels_by_hand_including_a_channel_that_never_converts_alone():
    # v: A .2 (1/5), B .4 (2/5), AB .6 (3/5), AC .3 (3/10), C 0 (0/2: never converts alone),
    # BC unseen ⇒ 0, ABC .8 (4/5). Weights for s = 3: |A| = 0 → 1/3, 1 → 1/6, 2 → 1/3.
    # φ_A = ⅓·.2 + ⅙(.6 − .4) + ⅙(.3 − 0) + ⅓(.8 − 0)  = 5/12
    # φ_B = ⅓·.4 + ⅙(.6 − .2) + ⅙(0 − 0)  + ⅓(.8 − .3) = 11/30
    # φ_C = ⅓·0  + ⅙(.3 − .2) + ⅙(0 − .4) + ⅓(.8 − .6) = 1/60
    # Σ = 48/60 = .8 = v(ABC); shares 25/48, 22/48, 1/48.
    table = shapley_values(_sets((("A",), 1, 4), (("B",), 2, 3), (("A", "B"), 3, 2), (("A", "C"), 3, 7),
                                 (("C",), 0, 2), (("A", "B", "C"), 4, 1)))
    assert _phi(table, ("A", "B", "C")) == pytest.approx({"A": 5 / 12, "B": 11 / 30, "C": 1 / 60}, abs=1e-15)
    assert _phi(table, ("A", "B", "C"), "share") == pytest.approx(
        {"A": 25 / 48, "B": 22 / 48, "C": 1 / 48}, abs=1e-15)
    assert ("C",) not in set(table["channel_set"])  # no conversion with that set: nothing to credit


def test_negative_values_are_clipped_then_normalised():
    # v: A 1/2 (1, 1), B 1 (1, 0), AB 1/4 (1, 3).
    # φ_A = ½·½ + ½(¼ − 1) = −⅛ → 0;  φ_B = ½·1 + ½(¼ − ½) = ⅜ → share 1.
    table = shapley_values(_sets((("A",), 1, 1), (("B",), 1, 0), (("A", "B"), 1, 3)))
    assert _phi(table, ("A", "B")) == pytest.approx({"A": -1 / 8, "B": 3 / 8}, abs=1e-15)
    assert _phi(table, ("A", "B"), "share") == {"A": 0.0, "B": 1.0}
    # per touchpoint: a conversion A → B → A gets 0 on both A touches and 1 on B
    conv = conversions([["A"], ["B"], ["A", "B", "A"]])
    null = nulls([["A"], ["A", "B"], ["B", "A"], ["B", "B", "A"]])
    assert credit_of(data_driven_attribution(conv, null).credits, "shapley", "c03") == [0.0, 1.0, 0.0]


def test_credit_from_paths_two_touch_repeat_and_single_touch():
    # Journeys (sets): {A}: conv ×1, null ×1; {B}: conv ×1, null ×3; {A,B}: conv ×3, null ×1 — the
    # two-channel game above. A → A → B: A's ⅔ split over its two touches.
    conv = conversions({"a": ["A"], "b": ["B"], "ab1": ["A", "B"], "ab2": ["B", "A"],
                        "aab": ["A", "A", "B"]})
    null = nulls(repeat((["A"], 1), (["B"], 3), (["A", "B", "A"], 1)))
    credits = data_driven_attribution(conv, null).credits
    assert credit_of(credits, "shapley", "a") == [1.0]
    assert credit_of(credits, "shapley", "ab1") == pytest.approx([2 / 3, 1 / 3], abs=1e-15)
    assert credit_of(credits, "shapley", "ab2") == pytest.approx([1 / 3, 2 / 3], abs=1e-15)
    assert credit_of(credits, "shapley", "aab") == pytest.approx([1 / 3, 1 / 3, 1 / 3], abs=1e-15)


def test_characteristic_function_counts_exact_sets():
    frame = characteristic_function(pd.DataFrame({
        "path": [("A", "B"), ("B", "A"), ("A",), ("B", "A", "B")], "conversions": [2, 1, 0, 0],
        "nulls": [0, 0, 2, 1]}))
    assert frame.values.tolist() == [[("A",), 0, 2, 0.0], [("A", "B"), 3, 1, 0.75]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_against_the_naive_formula_and_both_strategies_agree(seed):
    rng = np.random.default_rng(seed)
    channels = list("ABCDEF")
    rows = []
    for size in range(1, 6):  # the full set is added once below
        for subset in combinations(channels, size):
            if rng.random() < 0.6:
                rows.append((subset, int(rng.integers(0, 5)), int(rng.integers(0, 5))))
    rows.append((tuple(channels), 3, 2))
    sets = _sets(*rows)
    v = {frozenset(s): c / (c + n) for s, c, n in rows if c + n > 0}
    enumerated = shapley_values(sets, strategy="enumerate")
    scanned = shapley_values(sets, strategy="scan")
    pd.testing.assert_frame_equal(enumerated, scanned, atol=1e-14, rtol=0)
    pd.testing.assert_frame_equal(shapley_values(sets), scanned, atol=1e-14, rtol=0)
    for s, c, _ in rows:
        if c:
            assert _phi(enumerated, s) == pytest.approx(naive_shapley(v, s), abs=1e-14)
            assert sum(_phi(enumerated, s).values()) == pytest.approx(v[frozenset(s)], abs=1e-14)


def test_more_than_twelve_and_more_than_sixty_four_channels():
    # 14 channels on one path (scan strategy) among 70 channels in all (two-word bit sets).
    channels = [f"k{i:02d}" for i in range(70)]
    long = tuple(channels[:14])
    rows = [(long, 2, 1), ((channels[0],), 1, 1), ((channels[1], channels[69]), 1, 0),
            ((channels[3], channels[5], channels[8]), 1, 2), ((channels[65],), 0, 4)]
    rows += [((c,), 1, 3) for c in channels[10:20]]
    sets = _sets(*rows)
    v = {frozenset(s): c / (c + n) for s, c, n in rows}
    table = shapley_values(sets)
    assert _phi(table, long) == pytest.approx(naive_shapley(v, long), abs=1e-14)
    pd.testing.assert_frame_equal(table, shapley_values(sets, strategy="enumerate"), atol=1e-14, rtol=0)
    pd.testing.assert_frame_equal(table, shapley_values(sets, strategy="scan"), atol=1e-14, rtol=0)
    assert _phi(table, (channels[1], channels[69])) == pytest.approx(
        naive_shapley(v, (channels[1], channels[69])), abs=1e-15)


def test_bulk_credits_agree_with_the_small_api_per_group():
    conv, null = random_world(seed=3, n_conversions=400, n_nulls=800, n_channels=6)
    credits = shapley_credits(conv, null)
    group = conv[(conv["conversion_type"] == "lead") & (conv["period"] == "2024-01")]
    group_nulls = null[(null["conversion_type"].isna() | (null["conversion_type"] == "lead"))
                       & (null["period"] == "2024-01")]
    journeys = [(set(g["channel"]), 1, 0) for _, g in group[group["n_touches"] > 0].groupby("conversion_id")]
    journeys += [(set(g["channel"]), 0, 1) for _, g in group_nulls.groupby("journey_id")]
    table = shapley_values(_sets(*[(tuple(sorted(s)), c, n) for s, c, n in journeys]))
    share = {(s, k): x for s, k, x in zip(table["channel_set"], table["channel"], table["share"],
                                          strict=True)}
    for cid, rows in group[group["n_touches"] > 0].groupby("conversion_id"):
        s = tuple(sorted(set(rows["channel"])))
        touches = rows["channel"].value_counts()
        expected = [share[(s, c)] / touches[c] for c in rows.sort_values("position")["channel"]]
        got = credits[credits["conversion_id"] == cid].sort_values("position")["credit"].tolist()
        assert got == pytest.approx(expected, abs=1e-12)


def test_ties_split_equally():
    # A and B symmetric: v(A) = v(B) = 1/2, v(AB) = 1 ⇒ φ_A = φ_B = ½.
    conv = conversions([["A"], ["B"], ["A", "B"]])
    null = nulls([["A"], ["B"]])
    assert credit_of(data_driven_attribution(conv, null).credits, "shapley", "c03") == [0.5, 0.5]


@pytest.mark.parametrize("words", [1, 2])
def test_hash_table_lookups_are_exact(words):
    # 5,000 random sets in a table of 32,768 slots: probing chains occur; absent sets must read 0.
    rng = np.random.default_rng(words)
    masks = np.unique(rng.integers(1, 2**63, size=(6000, words), dtype=np.int64).astype(np.uint64), axis=0)
    present, absent = masks[:5000], masks[5000:]
    value = rng.random(len(present)) + 0.1
    table = _Table(present, value)
    np.testing.assert_array_equal(table(present), value)
    np.testing.assert_array_equal(table(absent), 0.0)
    np.testing.assert_array_equal(table(present[::-1]), value[::-1])
