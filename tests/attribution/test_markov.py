"""Markov chain (removal effect) — hand-computed worlds and independent checks of the absorbing chain."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from social_roi.attribution.data_driven import data_driven_attribution
from social_roi.attribution.markov import (
    CONVERSION,
    NULL,
    START,
    conversion_probability,
    markov_credits,
    markov_removal_table,
    removal_effect_vector,
    removal_effects,
    transition_counts,
)
from social_roi.attribution.paths import path_counts
from tests.attribution.frames import conversions, credit_of, nulls, repeat

# World "cycle": converting paths A→B ×2, B→A ×1; null paths A ×2, B→A→B ×1.
#   transitions: start→A 4, start→B 2 | A→B 3, A→conv 1, A→null 2 (A: 6) | B→A 2, B→conv 2, B→null 1 (B: 5)
#   x_A = 3/6·x_B + 1/6, x_B = 2/5·x_A + 2/5  ⇒  x_A = 11/24, x_B = 7/12
#   P(conv) = 4/6·11/24 + 2/6·7/12 = 1/2
#   without A: x_B = 2/5 (B→A goes to null), P = 2/6·2/5 = 2/15  ⇒  RE_A = 1 − (2/15)/(1/2) = 11/15
#   without B: x_A = 1/6, P = 4/6·1/6 = 1/9                      ⇒  RE_B = 1 − (1/9)/(1/2) = 7/9
#   Σ RE = 68/45; share A = 33/68, B = 35/68; 3 conversions ⇒ attributed A = 99/68, B = 105/68.
CYCLE_CONVERSIONS = repeat((["A", "B"], 2), (["B", "A"], 1))
CYCLE_NULLS = repeat((["A"], 2), (["B", "A", "B"], 1))


def cycle_world(extra_conversions: dict[str, list[str]] | None = None):
    conv = conversions(CYCLE_CONVERSIONS)
    if extra_conversions:
        conv = pd.concat([conv, conversions(extra_conversions)], ignore_index=True)
    return conv, nulls(CYCLE_NULLS)


def test_transition_counts_of_the_cycle_world():
    counts = transition_counts(path_counts(*cycle_world()))
    got = {(a, b): n for a, b, n in counts.itertuples(index=False)}
    assert got == {(START, "A"): 4, (START, "B"): 2, ("A", "B"): 3, ("A", CONVERSION): 1,
                   ("A", NULL): 2, ("B", "A"): 2, ("B", CONVERSION): 2, ("B", NULL): 1}


def test_conversion_probability_and_removals_by_hand():
    transitions = transition_counts(path_counts(*cycle_world()))
    assert conversion_probability(transitions) == pytest.approx(0.5, abs=1e-15)
    assert conversion_probability(transitions, removed="A") == pytest.approx(2 / 15, abs=1e-15)
    assert conversion_probability(transitions, removed="B") == pytest.approx(1 / 9, abs=1e-15)


def test_removal_effects_by_hand():
    table = removal_effects(path_counts(*cycle_world()))
    assert table["channel"].tolist() == ["A", "B"]
    np.testing.assert_allclose(table["removal_effect"], [11 / 15, 7 / 9], atol=1e-14)
    np.testing.assert_allclose(table["share"], [33 / 68, 35 / 68], atol=1e-14)
    np.testing.assert_allclose(table["attributed_conversions"], [99 / 68, 105 / 68], atol=1e-14)


def test_two_touch_credit_and_repeated_channel_split_over_its_touches():
    # A→A→B collapses to A→B: the chain (hence every RE) is the cycle world's, with one more A→B
    # conversion. Recomputed: start→A 5, A→B 4, B→conv 3 — so the REs change; the credit rule is what is
    # checked here: A's share RE_A/(RE_A+RE_B) is split over its two touchpoints.
    conv, null = cycle_world({"x1": ["A", "A", "B"]})
    result = data_driven_attribution(conv, null)
    table = result.removal_table.set_index("channel")["removal_effect"]
    share_a = table["A"] / (table["A"] + table["B"])
    assert credit_of(result.credits, "markov", "x1") == pytest.approx(
        [share_a / 2, share_a / 2, 1 - share_a], abs=1e-15)
    # the two-touch conversion of the cycle world itself (no repeat) — exact fractions
    conv, null = cycle_world()
    credits = data_driven_attribution(conv, null).credits
    assert credit_of(credits, "markov", "c01") == pytest.approx([33 / 68, 35 / 68], abs=1e-14)
    assert credit_of(credits, "markov", "c03") == pytest.approx([35 / 68, 33 / 68], abs=1e-14)


def test_repeat_collapse_leaves_the_chain_unchanged():
    # Same journeys with consecutive repeats inserted everywhere → identical chain and removal table.
    conv, null = cycle_world()
    stuttered = conversions([["A", "A", "B", "B"], ["A", "B"], ["B", "A", "A", "A"]])
    stuttered_nulls = nulls([["A", "A"], ["A"], ["B", "A", "B", "B"]])
    pd.testing.assert_frame_equal(markov_removal_table(conv, null), markov_removal_table(stuttered,
                                                                                           stuttered_nulls))


def test_single_touch_paths():
    # One channel: start→A 3, A→conv 2, A→null 1 ⇒ P = 2/3; without A, P = 0 ⇒ RE_A = 1.
    conv = conversions([["A"], ["A"]])
    table = markov_removal_table(conv, nulls([["A"]]))
    assert table[["channel", "removal_effect", "share", "attributed_conversions"]].values.tolist() == [
        ["A", 1.0, 1.0, 2.0]]
    credits = data_driven_attribution(conv, nulls([["A"]])).credits
    assert credits["credit"].tolist() == [1.0] * 4


def test_acyclic_world_by_hand():
    # Converting A→B ×1, B ×1; null A ×1. start→A 2, start→B 1; A→B 1, A→null 1; B→conv 2.
    # x_B = 1, x_A = 1/2, P = 2/3·1/2 + 1/3·1 = 2/3. Without A: P = 1/3 ⇒ RE_A = 1/2.
    # Without B: nothing converts ⇒ RE_B = 1. Shares 1/3, 2/3 of 2 conversions ⇒ 2/3, 4/3.
    conv = conversions([["A", "B"], ["B"]])
    table = markov_removal_table(conv, nulls([["A"]]))
    np.testing.assert_allclose(table["removal_effect"], [0.5, 1.0], atol=1e-15)
    np.testing.assert_allclose(table["attributed_conversions"], [2 / 3, 4 / 3], atol=1e-15)
    credits = data_driven_attribution(conv, nulls([["A"]])).credits
    assert credit_of(credits, "markov", "c01") == pytest.approx([1 / 3, 2 / 3], abs=1e-15)
    assert credit_of(credits, "markov", "c02") == [1.0]


def test_channel_that_never_converts_has_exactly_zero_effect():
    # C occurs only on null paths (C, C→D, D→C): it cannot reach conversion ⇒ RE_C = RE_D = 0 exactly.
    conv, null = cycle_world()
    null = pd.concat([null, nulls([["C"], ["C", "D"], ["D", "C"]], prefix="z")], ignore_index=True)
    table = markov_removal_table(conv, null).set_index("channel")
    assert table.loc["C", "removal_effect"] == 0.0 and table.loc["D", "removal_effect"] == 0.0
    assert table.loc["C", "attributed_conversions"] == 0.0
    # A and B keep their ratio: P and both P(without k) are scaled by the same start share (6/10).
    assert table.loc["A", "share"] == pytest.approx(33 / 68, abs=1e-14)


def test_all_zero_removal_effects_fall_back_to_last_touch():
    conv = conversions({"z1": ["A", "B", "A"], "z2": ["B"]})
    zero = pd.DataFrame({"channel": ["A", "B"], "removal_effect": [0.0, 0.0]})
    credits = markov_credits(conv, zero)
    assert credits["credit"].tolist() == [0.0, 0.0, 1.0, 1.0]
    # a channel missing from the table counts as RE 0
    credits = markov_credits(conv, pd.DataFrame({"channel": ["B"], "removal_effect": [0.4]}))
    assert credits["credit"].tolist() == [0.0, 1.0, 0.0, 1.0]


def test_empty_path_keeps_credit_one_and_is_reported_unattributed():
    conv, null = cycle_world({"e1": []})
    result = data_driven_attribution(conv, null)
    for model in ("markov", "shapley"):
        rows = result.credits[(result.credits["model"] == model) & (result.credits["conversion_id"] == "e1")]
        assert rows["credit"].tolist() == [1.0] and rows["position"].isna().all()
    table = result.removal_table.set_index("channel")
    assert np.isnan(table.loc["(unattributed)", "removal_effect"])
    assert table.loc["(unattributed)", "attributed_conversions"] == 1.0
    assert table["attributed_conversions"].sum() == pytest.approx(4.0, abs=1e-12)
    # the empty path takes no part in the chain: A and B are unchanged
    np.testing.assert_allclose(table.loc[["A", "B"], "removal_effect"], [11 / 15, 7 / 9], atol=1e-14)


def test_ties_give_equal_credit():
    # A and B are symmetric (A→B and B→A convert once each, A and B each null once) ⇒ RE_A = RE_B.
    conv = conversions([["A", "B"], ["B", "A"]])
    null = nulls([["A"], ["B"]])
    table = markov_removal_table(conv, null)
    assert table["removal_effect"].iloc[0] == pytest.approx(table["removal_effect"].iloc[1], abs=1e-15)
    credits = data_driven_attribution(conv, null).credits
    np.testing.assert_allclose(credits["credit"], 0.5, atol=1e-15)


def test_markov_credits_from_the_table_match_the_one_pass_result():
    conv, null = cycle_world({"x1": ["A", "A", "B"], "e1": []})
    result = data_driven_attribution(conv, null, models=("markov",))
    again = markov_credits(conv, result.removal_table)
    pd.testing.assert_frame_equal(again, result.credits.drop(columns="model"))


# --- independent checks of the absorbing-chain solution -------------------------------------------

def _transitions(matrix: np.ndarray, names: list[str]) -> pd.DataFrame:
    rows = [START, *names]
    cols = [*names, CONVERSION, NULL]
    return pd.DataFrame([(rows[i], cols[j], matrix[i, j]) for i in range(len(rows))
                         for j in range(len(cols)) if matrix[i, j] > 0],
                        columns=["from_state", "to_state", "count"])


def test_conversion_probability_of_an_acyclic_chain_by_path_enumeration():
    # start→A .6, start→B .4; A→B .5, A→conv .3, A→null .2; B→conv .7, B→null .3.
    # Paths to conversion: A→conv .6·.3 = .18; A→B→conv .6·.5·.7 = .21; B→conv .4·.7 = .28 ⇒ .67.
    m = np.array([[0.6, 0.4, 0, 0], [0, 0.5, 0.3, 0.2], [0, 0, 0.7, 0.3]])
    assert conversion_probability(_transitions(m, ["A", "B"])) == pytest.approx(0.67, abs=1e-15)
    # removing B: A→B goes to null ⇒ .18; removing A ⇒ .28
    assert conversion_probability(_transitions(m, ["A", "B"]), removed="B") == pytest.approx(0.18, abs=1e-15)
    assert conversion_probability(_transitions(m, ["A", "B"]), removed="A") == pytest.approx(0.28, abs=1e-15)


def _power_iteration(counts: np.ndarray) -> float:
    m = counts.shape[0] - 1
    p = np.zeros((m + 3, m + 3))  # states: start, channels, conv, null
    p[: m + 1, 1 : m + 3] = counts / counts.sum(axis=1, keepdims=True)
    p[m + 1, m + 1] = p[m + 2, m + 2] = 1.0
    dist = np.zeros(m + 3)
    dist[0] = 1.0
    for _ in range(100_000):
        nxt = dist @ p
        if np.abs(nxt - dist).max() < 1e-17:
            break
        dist = nxt
    return float(dist[m + 1])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_conversion_probability_matches_power_iteration_on_random_cyclic_chains(seed):
    rng = np.random.default_rng(seed)
    m = 6
    counts = rng.integers(0, 20, size=(m + 1, m + 2)).astype(float)
    counts[1:, m:] += 5  # every channel absorbs with probability > 0: fast convergence
    counts[1:, :m][np.eye(m, dtype=bool)] = 0  # no self-loops (repeats are collapsed)
    names = [f"k{i}" for i in range(m)]
    assert conversion_probability(_transitions(counts, names)) == pytest.approx(
        _power_iteration(counts), abs=1e-12)
    # removal of k: power iteration on the chain whose column k is moved to null
    p_all, effects = removal_effect_vector(counts)
    for k in range(m):
        removed = counts.copy()
        removed[:, m + 1] += removed[:, k]
        removed[:, k] = 0
        assert effects[k] == pytest.approx(1 - _power_iteration(removed) / p_all, abs=1e-12)


@pytest.mark.parametrize("seed", [5, 6])
def test_removal_effect_equals_visit_probability_identity(seed):
    # P − P(without k) = P(visit k) · x_k, with P(visit k) = (s·N)_k / N_kk, N = (I − Q)⁻¹.
    rng = np.random.default_rng(seed)
    m = 5
    counts = rng.integers(1, 10, size=(m + 1, m + 2)).astype(float)
    counts[1:, :m][np.eye(m, dtype=bool)] = 0
    counts[0, m:] = 0
    prob = counts / counts.sum(axis=1, keepdims=True)
    q, b, s = prob[1:, :m], prob[1:, m], prob[0, :m]
    n = np.linalg.inv(np.eye(m) - q)
    x = n @ b
    p = s @ x
    visit = (s @ n) / np.diag(n)
    p_all, effects = removal_effect_vector(counts)
    assert p_all == pytest.approx(p, abs=1e-14)
    np.testing.assert_allclose(effects, visit * x / p, atol=1e-12)


def test_exact_fractions_of_the_cycle_world():
    # the same numbers as the comment at the top, as fractions (guards the comment itself)
    x_a = (F(1, 2) * F(2, 5) + F(1, 6)) / (1 - F(1, 2) * F(2, 5))
    x_b = F(2, 5) * x_a + F(2, 5)
    assert (x_a, x_b) == (F(11, 24), F(7, 12))
    p = F(4, 6) * x_a + F(2, 6) * x_b
    assert p == F(1, 2)
    assert 1 - F(2, 6) * F(2, 5) / p == F(11, 15) and 1 - F(4, 6) * F(1, 6) / p == F(7, 9)
