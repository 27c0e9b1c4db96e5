"""First-order absorbing Markov chain attribution (removal effect).

Per (conversion_type, period): states start → channels → {conversion, null}. Every path (collapsed,
non-empty; converting paths end in `conversion`, null paths in `null`) adds one transition count per step
— start → c₁, c₁ → c₂, …, c_n → conversion|null — and the transition probabilities are the counts
normalised per state. P(conv) is the absorption probability in `conversion` from start, solved exactly
(`numpy.linalg.solve` on the transient block; no simulation). Removing channel k sends its inbound
transitions to `null`; RE_k = 1 − P(conv without k) / P(conv), clipped to [0, 1] against rounding.

A channel that cannot reach `conversion` at all has x_k = P(conv | at k) = 0 exactly, so it is left out
of the linear system and its removal effect is exactly 0 (no tolerance is involved).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from social_roi.attribution.credits import credit_frame, split_credit
from social_roi.attribution.paths import (
    UNATTRIBUTED,
    ConversionRows,
    EncodedJourneys,
    encode_conversions,
    encode_journeys,
    expand_roots,
)

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"
REMOVAL_COLUMNS = ("channel", "removal_effect", "share", "attributed_conversions")
REMOVAL_TABLE_COLUMNS = ("period", "conversion_type", *REMOVAL_COLUMNS)


# --- numerical kernel -------------------------------------------------------------------------------
# `counts` is an (m + 1) × (m + 2) matrix of transition counts: row 0 = start, row 1 + i = channel i;
# column i = channel i, column m = conversion, column m + 1 = null.

def _reaches_conversion(counts: np.ndarray) -> np.ndarray:
    m = counts.shape[0] - 1
    edge = counts[1:, :m] > 0
    reach = counts[1:, m] > 0
    while True:
        grown = reach | (edge & reach[None, :]).any(axis=1)
        if np.array_equal(grown, reach):
            return reach
        reach = grown


def _absorption(counts: np.ndarray, keep: np.ndarray) -> float:
    """P(conversion | start) when only the channels in `keep` can convert (the others absorb in null)."""
    m = counts.shape[0] - 1
    start_total = counts[0].sum()
    if start_total <= 0:
        return 0.0
    probability = counts[0, m] / start_total
    index = np.flatnonzero(keep)
    if len(index) == 0:
        return float(probability)
    totals = counts[1 + index].sum(axis=1)
    q = counts[np.ix_(1 + index, index)] / totals[:, None]
    b = counts[1 + index, m] / totals
    x = np.linalg.solve(np.eye(len(index)) - q, b)
    return float(probability + counts[0, index] @ x / start_total)


def removal_effect_vector(counts: np.ndarray) -> tuple[float, np.ndarray]:
    """(P(conv), RE per channel) of a count matrix (see the layout above)."""
    counts = np.asarray(counts, dtype=np.float64)
    m = counts.shape[0] - 1
    reach = _reaches_conversion(counts)
    p = _absorption(counts, reach)
    effect = np.zeros(m)
    if p <= 0:
        return p, effect
    for k in np.flatnonzero(reach):
        keep = reach.copy()
        keep[k] = False
        effect[k] = 1.0 - _absorption(counts, keep) / p
    return p, np.clip(effect, 0.0, 1.0)


# --- small, frame-level API (one group) --------------------------------------------------------------

def transition_counts(path_counts: pd.DataFrame) -> pd.DataFrame:
    """Transition counts of distinct paths.

    `path_counts`: columns `path` (sequence of channel names, consecutive repeats are collapsed here),
    `conversions` and `nulls` (journeys with that path ending in conversion / null). Returns
    `from_state, to_state, count` with the states `(start)`, the channels, `(conversion)`, `(null)`,
    sorted by (from_state, to_state)."""
    counts: dict[tuple, int] = {}
    for path, conversions, nulls in zip(path_counts["path"], path_counts["conversions"],
                                        path_counts["nulls"], strict=True):
        collapsed = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        weight = int(conversions) + int(nulls)
        if not collapsed or weight == 0:
            continue
        states = [START, *collapsed]
        for a, b in pairwise(states):
            counts[(a, b)] = counts.get((a, b), 0) + weight
        for end, n in ((CONVERSION, int(conversions)), (NULL, int(nulls))):
            if n:
                counts[(collapsed[-1], end)] = counts.get((collapsed[-1], end), 0) + n
    frame = pd.DataFrame([(a, b, n) for (a, b), n in counts.items()],
                         columns=["from_state", "to_state", "count"])
    return frame.sort_values(["from_state", "to_state"], ignore_index=True)


def _matrix(transitions: pd.DataFrame) -> tuple[list, np.ndarray]:
    special = {START, CONVERSION, NULL}
    states = set(transitions["from_state"]) | set(transitions["to_state"])
    channels = sorted(s for s in states if s not in special)
    m = len(channels)
    row = {START: 0, **{c: 1 + i for i, c in enumerate(channels)}}
    col = {CONVERSION: m, NULL: m + 1, **{c: i for i, c in enumerate(channels)}}
    counts = np.zeros((m + 1, m + 2))
    for a, b, n in zip(transitions["from_state"], transitions["to_state"], transitions["count"],
                       strict=True):
        if a not in row or b not in col:
            raise ValueError(f"invalid transition {a!r} → {b!r}")
        counts[row[a], col[b]] += float(n)
    return channels, counts


def conversion_probability(transitions: pd.DataFrame, removed: str | None = None) -> float:
    """P(conversion) from `(start)` of the chain given by `from_state, to_state, count` (counts or
    probabilities; each state's row is normalised). With `removed`, that channel's inbound transitions go
    to null. Solved exactly on the transient block (channels that can reach conversion)."""
    channels, counts = _matrix(transitions)
    reach = _reaches_conversion(counts)
    if removed is not None:
        if removed not in channels:
            raise ValueError(f"unknown channel {removed!r}")
        reach[channels.index(removed)] = False
    return _absorption(counts, reach)


def removal_effects(path_counts: pd.DataFrame) -> pd.DataFrame:
    """Removal effects of one (conversion_type, period) group.

    `path_counts`: `path`, `conversions`, `nulls` (as from `paths.path_counts`, one group). Returns
    `channel, removal_effect, share, attributed_conversions` sorted by channel, where share = RE / Σ RE
    (0 when Σ RE = 0) and attributed_conversions = share × Σ conversions."""
    channels, counts = _matrix(transition_counts(path_counts))
    _, effect = removal_effect_vector(counts)
    return _removal_rows(channels, effect, float(np.sum(path_counts["conversions"])))


def _removal_rows(channels, effect: np.ndarray, conversions: float) -> pd.DataFrame:
    total = effect.sum()
    share = effect / total if total > 0 else np.zeros_like(effect)
    return pd.DataFrame({"channel": pd.Series(list(channels), dtype=object), "removal_effect": effect,
                         "share": share, "attributed_conversions": share * conversions})


# --- bulk API (all groups) ---------------------------------------------------------------------------

def group_transitions(encoded: EncodedJourneys) -> pd.DataFrame:
    """Transition counts of every conversion group from the path trie: `group, from_channel, to_channel,
    count` with channel codes, −1 = start, C = conversion, C + 1 = null (C = number of channels)."""
    trie = encoded.trie
    n_channels = len(encoded.channels)
    steps = np.arange(trie.n_roots, trie.n_nodes)
    parent_channel = trie.channel[trie.parent[steps]]
    ends = np.flatnonzero(trie.conversions > 0)
    nulls = np.flatnonzero(trie.nulls > 0)
    node = np.concatenate([steps, ends, nulls])
    source = np.concatenate([parent_channel, trie.channel[ends], trie.channel[nulls]])
    target = np.concatenate([trie.channel[steps], np.full(len(ends), n_channels),
                             np.full(len(nulls), n_channels + 1)])
    count = np.concatenate([trie.through[steps], trie.conversions[ends], trie.nulls[nulls]])
    index, group = expand_roots(trie, node)
    width = n_channels + 3
    key = (group * width + (source[index] + 1)) * width + target[index]
    unique_keys, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=count[index], minlength=len(unique_keys))
    return pd.DataFrame({
        "group": unique_keys // (width * width),
        "from_channel": (unique_keys // width) % width - 1,
        "to_channel": unique_keys % width,
        "count": summed.astype(np.int64),
    })


def group_removal_effects(encoded: EncodedJourneys) -> tuple[pd.DataFrame, np.ndarray]:
    """The removal table of every group and the dense RE matrix [group, channel code]."""
    rows = encoded.rows
    n_channels = len(encoded.channels)
    effects = np.zeros((rows.n_groups, n_channels))
    transitions = group_transitions(encoded)
    touched = np.bincount(rows.group[~rows.empty], minlength=rows.n_groups)
    empties = np.bincount(rows.group[rows.empty], minlength=rows.n_groups)
    bounds = np.searchsorted(transitions["group"].to_numpy(), np.arange(rows.n_groups + 1))
    src_all = transitions["from_channel"].to_numpy()
    dst_all = transitions["to_channel"].to_numpy()
    cnt_all = transitions["count"].to_numpy()
    pieces = []
    for g in range(rows.n_groups):
        lo, hi = bounds[g], bounds[g + 1]
        src, dst, cnt = src_all[lo:hi], dst_all[lo:hi], cnt_all[lo:hi]
        states = np.unique(np.concatenate([src[src >= 0], dst[dst < n_channels]]))
        m = len(states)
        counts = np.zeros((m + 1, m + 2))
        r = np.where(src < 0, 0, 1 + np.searchsorted(states, src))
        c = np.where(dst < n_channels, np.searchsorted(states, dst), dst - n_channels + m)
        np.add.at(counts, (r, c), cnt)
        _, effect = removal_effect_vector(counts)
        effects[g, states] = effect
        table = _removal_rows(encoded.channels[states], effect, float(touched[g]))
        if empties[g]:
            table = pd.concat([table, pd.DataFrame({
                "channel": pd.Series([UNATTRIBUTED], dtype=object), "removal_effect": [np.nan],
                "share": [np.nan], "attributed_conversions": [float(empties[g])]})], ignore_index=True)
        table.insert(0, "group", g)
        pieces.append(table)
    if pieces:
        table = pd.concat(pieces, ignore_index=True)
    else:
        table = pd.DataFrame({"group": pd.Series(dtype=np.int64),
                              **{c: pd.Series(dtype=object if c == "channel" else np.float64)
                                 for c in REMOVAL_COLUMNS}})
    keys = encoded.groups.take(table["group"].to_numpy()).reset_index(drop=True)
    out = pd.concat([keys[["period", "conversion_type"]], table[list(REMOVAL_COLUMNS)]], axis=1)
    return out, effects


def markov_removal_table(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None
                         ) -> pd.DataFrame:
    """`period, conversion_type, channel, removal_effect, share, attributed_conversions`, sorted by
    (period, conversion_type, channel), for every group with a conversion.

    attributed_conversions = share × conversions of the group with a non-empty path; conversions with an
    empty path form one extra `(unattributed)` row per group (removal_effect and share null), so per group
    Σ attributed_conversions = the group's conversions."""
    table, _ = group_removal_effects(encode_journeys(conversion_rows, null_journeys))
    return table


def _effect_matrix(rows: ConversionRows, removal: pd.DataFrame) -> np.ndarray:
    effects = np.zeros((rows.n_groups, len(rows.channels)))
    table = removal[removal["channel"].isin(rows.channels)]
    table = table[table["removal_effect"].notna()]
    channel = pd.Index(rows.channels).get_indexer(table["channel"])
    value = table["removal_effect"].to_numpy(dtype=np.float64)
    if {"period", "conversion_type"} <= set(removal.columns):
        t = rows.type_values.get_indexer(table["conversion_type"])
        p = rows.period_values.get_indexer(table["period"])
        ok = (t >= 0) & (p >= 0)
        group = rows.group_of[t[ok], p[ok]]
        known = group >= 0
        effects[group[known], channel[ok][known]] = value[ok][known]
    else:
        effects[:, channel] = value[None, :]
    return effects


def markov_credits(conversion_rows: pd.DataFrame, removal_effects: pd.DataFrame) -> pd.DataFrame:
    """Per-touchpoint Markov credit: `conversion_id, position, credit` in (conversion_id, position) order.

    `removal_effects`: `channel, removal_effect`, plus `period, conversion_type` to apply it per group
    (as `markov_removal_table` returns); without them one table applies to every group. A channel absent
    from the table has RE 0. Each distinct channel k on a path gets RE_k / Σ_{j on path} RE_j, split
    equally over its touchpoints; all zero → last touch; an empty path's row keeps 1."""
    rows = encode_conversions(conversion_rows)
    effects = _effect_matrix(rows, removal_effects)
    return credit_frame(rows, markov_row_credit(rows, effects))


def markov_row_credit(rows: ConversionRows, effects: np.ndarray) -> np.ndarray:
    channel = np.maximum(rows.channel, 0)
    weight = effects[rows.group[rows.conversion], channel]
    return split_credit(rows, weight)
