"""Shapley-value attribution over the distinct channels of a conversion's path.

Per (conversion_type, period): v(A) = conversions / (conversions + nulls) over the journeys whose distinct
channel set is exactly A (0 when unseen; v(∅) = 0 — an empty path is no journey of the model). For a
conversion with distinct channels S (s = |S|):

    φ_k = Σ_{A ⊆ S∖{k}} |A|! (s − |A| − 1)! / s! · (v(A ∪ {k}) − v(A))

negatives are clipped to 0, then the φ are normalised over S (all zero → last touch), and a channel's
credit is split equally over its touchpoints. φ is computed once per distinct set S and broadcast.

Exact for every |S|, no cap and no approximation. Since v is 0 except on sets observed with a conversion,
the sum equals Σ_{T ⊆ S, v(T) > 0} v(T) · (w(|T| − 1) if k ∈ T else −w(|T|)), w(a) = a!(s − a − 1)!/s!.
Two evaluations of it, chosen per set size (both exact; tests check they agree):

* |S| ≤ `ENUMERATE_MAX` (12): enumerate the 2^s subsets of S and look each up (`searchsorted`) among the
  observed sets — 4,096 look-ups at most per distinct set, as one matrix product per size;
* |S| > 12: scan the observed sets with v > 0 for subsets of S (bit-set test) — cost O(#observed sets)
  per such distinct set, so no 2^s blow-up for long paths.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np
import pandas as pd

from social_roi.attribution.credits import credit_frame, split_credit
from social_roi.attribution.paths import EncodedJourneys, encode_journeys, expand_roots

ENUMERATE_MAX = 12
_CHUNK = 1 << 20  # subset look-ups (or set pairs) per vectorised block


def _weights(s: int) -> np.ndarray:
    """w(a) = a! (s − a − 1)! / s! = 1 / (s · C(s − 1, a)), a = 0..s − 1."""
    return np.array([1.0 / (s * comb(s - 1, a)) for a in range(s)])


@lru_cache(maxsize=32)
def _coefficients(s: int) -> np.ndarray:
    """[2^s × s]: coefficient of v(subset p) in φ_i — +w(|p| − 1) if i ∈ p, else −w(|p|)."""
    pattern = np.arange(1 << s)
    member = ((pattern[:, None] >> np.arange(s)[None, :]) & 1).astype(bool)
    size = member.sum(axis=1)
    w = _weights(s)
    plus = w[np.clip(size - 1, 0, s - 1)][:, None]
    minus = w[np.clip(size, 0, s - 1)][:, None]
    coefficients = np.where(member, plus, -minus)
    coefficients[0] = 0.0
    coefficients.setflags(write=False)
    return coefficients


def _keys(masks: np.ndarray) -> np.ndarray:
    """A sortable scalar key per bit set (a row of uint64 words)."""
    if masks.shape[1] == 1:
        return masks[:, 0]
    return np.ascontiguousarray(masks).view(f"S{8 * masks.shape[1]}").ravel()


def _members(masks: np.ndarray) -> np.ndarray:
    """[n × 64·words] 0/1: bit c of a set = channel code c."""
    as_bytes = np.ascontiguousarray(masks.astype("<u8")).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")


def shapley_of_sets(masks: np.ndarray, value: np.ndarray, targets: np.ndarray,
                    enumerate_max: int = ENUMERATE_MAX) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shapley values of the sets `masks[targets]` under v(masks[i]) = value[i] (v = 0 elsewhere).

    `masks`: distinct bit sets [n × words] uint64. Returns long arrays (target position, channel code, φ),
    ordered by (target position, channel code)."""
    observed = value > 0
    table_masks, table_value = masks[observed], value[observed]
    table_keys = _keys(table_masks)
    order = np.argsort(table_keys, kind="stable")
    sorted_keys, sorted_value = table_keys[order], table_value[order]
    table_bits = _members(table_masks).astype(bool)
    table_size = table_bits.sum(axis=1)

    def lookup(candidates: np.ndarray) -> np.ndarray:
        keys = _keys(candidates)
        at = np.minimum(np.searchsorted(sorted_keys, keys), max(len(sorted_keys) - 1, 0))
        if len(sorted_keys) == 0:
            return np.zeros(len(keys))
        return np.where(sorted_keys[at] == keys, sorted_value[at], 0.0)

    target_masks = masks[targets]
    bits = _members(target_masks).astype(bool)
    size = bits.sum(axis=1)
    out_target, out_channel, out_phi = [], [], []
    for s in np.unique(size[size > 0]).tolist():
        rows = np.flatnonzero(size == s)
        member = np.nonzero(bits[rows])[1].reshape(len(rows), s)
        if s <= enumerate_max:
            phi = _enumerated(target_masks[rows], member, lookup)
        else:
            phi = _scanned(target_masks[rows], member, table_masks, table_value, table_bits, table_size)
        out_target.append(np.repeat(rows, s))
        out_channel.append(member.ravel())
        out_phi.append(phi.ravel())
    if not out_target:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    target = np.concatenate(out_target)
    channel = np.concatenate(out_channel)
    phi = np.concatenate(out_phi)
    order = np.lexsort((channel, target))
    return target[order], channel[order], phi[order]


def _enumerated(set_masks: np.ndarray, member: np.ndarray, lookup) -> np.ndarray:
    n, s = member.shape
    words = set_masks.shape[1]
    n_subsets = 1 << s
    coefficients = _coefficients(s)
    phi = np.empty((n, s))
    step = max(1, _CHUNK // n_subsets)
    for lo in range(0, n, step):
        chunk = member[lo:lo + step]
        c = len(chunk)
        subsets = np.zeros((c, n_subsets, words), dtype=np.uint64)
        row = np.arange(c)[:, None]
        for i in range(s):
            half = 1 << i
            subsets[:, half:2 * half] = subsets[:, :half]
            word = (chunk[:, i] // 64)[:, None]
            bit = np.left_shift(np.uint64(1), (chunk[:, i] % 64).astype(np.uint64))[:, None]
            subsets[row, np.arange(half, 2 * half)[None, :], word] |= bit
        values = lookup(subsets.reshape(c * n_subsets, words)).reshape(c, n_subsets)
        phi[lo:lo + c] = values @ coefficients
    return phi


def _scanned(set_masks: np.ndarray, member: np.ndarray, table_masks: np.ndarray, table_value: np.ndarray,
             table_bits: np.ndarray, table_size: np.ndarray) -> np.ndarray:
    n, s = member.shape
    w = _weights(s)
    phi = np.zeros((n, s))
    step = max(1, _CHUNK // max(1, len(table_masks)))
    for lo in range(0, n, step):
        chunk = set_masks[lo:lo + step]
        inside = ((table_masks[None, :, :] & ~chunk[:, None, :]) == 0).all(axis=2)
        a, t = np.nonzero(inside)
        in_t = table_bits[t[:, None], member[lo + a]]
        size = table_size[t][:, None]
        contribution = np.where(in_t, w[np.clip(size - 1, 0, s - 1)], -w[np.clip(size, 0, s - 1)])
        np.add.at(phi, lo + a, contribution * table_value[t][:, None])
    return phi


def normalised_shares(target: np.ndarray, phi: np.ndarray, n_targets: int) -> np.ndarray:
    """max(φ, 0) / Σ over the set (0 where a set's sum is 0)."""
    positive = np.maximum(phi, 0.0)
    total = np.bincount(target, weights=positive, minlength=n_targets)
    scale = np.zeros(n_targets)
    scale[total > 0] = 1.0 / total[total > 0]
    return positive * scale[target]


# --- small, frame-level API (one group) --------------------------------------------------------------

def characteristic_function(path_counts: pd.DataFrame) -> pd.DataFrame:
    """v per distinct channel set: `channel_set` (sorted tuple), `conversions`, `nulls`,
    `conversion_rate`, from `path`, `conversions`, `nulls` (one group). Empty sets are left out."""
    frame = pd.DataFrame({
        "channel_set": [tuple(sorted(set(p))) for p in path_counts["path"]],
        "conversions": path_counts["conversions"].to_numpy(),
        "nulls": path_counts["nulls"].to_numpy(),
    })
    frame = frame[frame["channel_set"].map(len) > 0]
    frame = frame.groupby("channel_set", sort=True, as_index=False)[["conversions", "nulls"]].sum()
    total = frame["conversions"] + frame["nulls"]
    frame["conversion_rate"] = np.where(total > 0, frame["conversions"] / total.where(total > 0, 1), 0.0)
    return frame


def shapley_values(set_counts: pd.DataFrame, enumerate_max: int = ENUMERATE_MAX) -> pd.DataFrame:
    """Shapley values of every channel set with a conversion, in one group.

    `set_counts`: `channel_set` (iterable of channel names), `conversions`, `nulls` — or `path` instead of
    `channel_set`. Returns `channel_set, channel, shapley_value, share` (share = clipped, normalised φ)
    sorted by (channel_set, channel)."""
    if "channel_set" not in set_counts.columns:
        set_counts = characteristic_function(set_counts)
    else:
        set_counts = characteristic_function(set_counts.rename(columns={"channel_set": "path"}))
    channels = sorted({c for s in set_counts["channel_set"] for c in s})
    code = {c: i for i, c in enumerate(channels)}
    words = max(1, (len(channels) + 63) // 64)
    masks = np.zeros((len(set_counts), words), dtype=np.uint64)
    for row, channel_set in enumerate(set_counts["channel_set"]):
        for c in channel_set:
            masks[row, code[c] // 64] |= np.uint64(1) << np.uint64(code[c] % 64)
    value = set_counts["conversion_rate"].to_numpy(dtype=np.float64)
    targets = np.flatnonzero(set_counts["conversions"].to_numpy() > 0)
    target, channel, phi = shapley_of_sets(masks, value, targets, enumerate_max)
    share = normalised_shares(target, phi, len(targets))
    sets = set_counts["channel_set"].to_numpy()[targets]
    return pd.DataFrame({
        "channel_set": pd.Series(sets[target] if len(target) else [], dtype=object),
        "channel": pd.Series(np.asarray(channels, dtype=object)[channel] if len(channel) else [],
                             dtype=object),
        "shapley_value": phi,
        "share": share,
    })


# --- bulk API (all groups) ---------------------------------------------------------------------------

def group_set_shares(encoded: EncodedJourneys, enumerate_max: int = ENUMERATE_MAX
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shapley share of every channel of every converting channel set, over all groups.

    Returns (set of each conversion — −1 for an empty path, sorted (set · C + channel) keys, shares)."""
    trie = encoded.trie
    n_channels = len(encoded.channels)
    words = trie.mask.shape[1]
    ends = np.flatnonzero((trie.conversions + trie.nulls) > 0)
    index, group = expand_roots(trie, ends)
    node = ends[index]
    columns = [f"w{i}" for i in range(words)]
    frame = pd.DataFrame({"group": group, **{c: trie.mask[node, i] for i, c in enumerate(columns)},
                          "conversions": trie.conversions[node], "nulls": trie.nulls[node],
                          "node": node})
    sets = frame.groupby(["group", *columns], sort=True, as_index=False)[["conversions", "nulls"]].sum()
    sets["set"] = np.arange(len(sets))
    node_set = np.full(trie.n_nodes, -1, dtype=np.int64)
    converting = frame[frame["conversions"] > 0].merge(sets[["group", *columns, "set"]],
                                                       on=["group", *columns], how="left")
    node_set[converting["node"].to_numpy()] = converting["set"].to_numpy()

    set_group = sets["group"].to_numpy()
    all_masks = sets[columns].to_numpy(dtype=np.uint64)
    conversions = sets["conversions"].to_numpy(dtype=np.float64)
    value = conversions / (conversions + sets["nulls"].to_numpy(dtype=np.float64))
    bounds = np.searchsorted(set_group, np.arange(encoded.rows.n_groups + 1))
    keys, shares = [], []
    for g in range(encoded.rows.n_groups):
        lo, hi = bounds[g], bounds[g + 1]
        targets = np.flatnonzero(conversions[lo:hi] > 0)
        target, channel, phi = shapley_of_sets(all_masks[lo:hi], value[lo:hi], targets, enumerate_max)
        keys.append((lo + targets[target]) * n_channels + channel)
        shares.append(normalised_shares(target, phi, len(targets)))
    conversion_set = np.where(encoded.conversion_node >= 0,
                              node_set[np.maximum(encoded.conversion_node, 0)], -1)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    share = np.concatenate(shares) if shares else np.zeros(0)
    return conversion_set, key, share


def shapley_row_credit(encoded: EncodedJourneys, enumerate_max: int = ENUMERATE_MAX) -> np.ndarray:
    rows = encoded.rows
    conversion_set, key, share = group_set_shares(encoded, enumerate_max)
    row_key = conversion_set[rows.conversion] * len(rows.channels) + rows.channel
    weight = np.zeros(len(row_key))
    if len(key):
        at = np.minimum(np.searchsorted(key, row_key), len(key) - 1)
        found = (rows.channel >= 0) & (key[at] == row_key)
        weight[found] = share[at[found]]
    return split_credit(rows, weight)


def shapley_credits(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None,
                    enumerate_max: int = ENUMERATE_MAX) -> pd.DataFrame:
    """Per-touchpoint Shapley credit: `conversion_id, position, credit` in (conversion_id, position)
    order (inputs as in `social_roi.attribution.paths`)."""
    encoded = encode_journeys(conversion_rows, null_journeys)
    return credit_frame(conversion_rows, encoded.rows, shapley_row_credit(encoded, enumerate_max))
