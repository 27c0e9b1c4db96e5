"""Shapley-value attribution over the distinct channels of a conversion's path.

Per (conversion_type, period): v(A) = conversions / (conversions + nulls) over the journeys whose distinct
channel set is exactly A (0 when unseen; v(∅) = 0 — an empty path is no journey of the model). For a
conversion with distinct channels S (s = |S|):

    φ_k = Σ_{A ⊆ S∖{k}} |A|! (s − |A| − 1)! / s! · (v(A ∪ {k}) − v(A))

negatives are clipped to 0, then the φ are normalised over S (all zero → last touch), and a channel's
credit is split equally over its touchpoints. φ is computed once per distinct set S and broadcast.

Exact for every |S|, no cap and no approximation. Since v is 0 except on sets observed with a conversion,
the sum equals Σ_{T ⊆ S, v(T) > 0} v(T) · (w(|T| − 1) if k ∈ T else −w(|T|)), w(a) = a!(s − a − 1)!/s!.
Two evaluations of it, chosen per set size s (both exact; tests check they agree with each other and
with the textbook formula):

* enumerate: the 2^s subsets of S, each looked up among the observed sets (a vectorised hash table,
  exact: a hit compares the whole set), then one matrix product per size — 2^s look-ups per distinct set,
  so only for s ≤ `ENUMERATE_MAX` (12, i.e. ≤ 4,096 look-ups);
* scan: test every observed set with v > 0 and at most s channels for inclusion in S (bit-set AND) —
  O(#observed sets) per distinct set, whatever s; so there is no cap on |S| and no approximation.

`strategy="auto"` (the default) enumerates when s ≤ 12 and 2^s · `_LOOKUP_COST` ≤ (observed sets with
≤ s channels) × (64-bit words per set), i.e. when it is estimated cheaper; `"enumerate"` / `"scan"` force
one (enumeration still only up to s = 12).
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np
import pandas as pd

from social_roi.attribution.credits import credit_frame, split_credit
from social_roi.attribution.paths import EncodedJourneys, encode_journeys, expand_roots

ENUMERATE_MAX = 12
STRATEGIES = ("auto", "enumerate", "scan")
_LOOKUP_COST = 32  # one subset look-up ≈ this many 64-bit AND tests of the scan (measured order)
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


def _hash(masks: np.ndarray) -> np.ndarray:
    """A well-mixed uint64 hash per bit set (a row of uint64 words; splitmix64 finaliser per word)."""
    key = np.zeros(len(masks), dtype=np.uint64)
    for w in range(masks.shape[1]):
        key = key ^ (masks[:, w] + np.uint64((0x9E3779B97F4A7C15 * (w + 1)) % 2**64))
        key ^= key >> np.uint64(30)
        key *= np.uint64(0xBF58476D1CE4E5B9)
        key ^= key >> np.uint64(27)
        key *= np.uint64(0x94D049BB133111EB)
        key ^= key >> np.uint64(31)
    return key


class _Table:
    """v of the observed sets with v > 0, as an open-addressing hash table (linear probing, load ≤ 1/4)
    probed for many sets at once. A hit compares the full bit set, so look-ups are exact."""

    def __init__(self, masks: np.ndarray, value: np.ndarray):
        self.masks, self.value = masks, value
        size = 1 << max(4, int(np.ceil(np.log2(4 * len(masks) + 1))))
        self.modulo = np.uint64(size - 1)
        self.slot = np.full(size, -1, dtype=np.int64)
        self.hash = _hash(masks)
        position = self.hash & self.modulo
        pending = np.arange(len(masks))
        while len(pending):
            free = self.slot[position[pending]] < 0
            candidates = pending[free]
            slots, first = np.unique(position[candidates], return_index=True)
            self.slot[slots] = candidates[first]
            placed = np.zeros(len(masks), dtype=bool)
            placed[candidates[first]] = True
            pending = pending[~placed[pending]]
            position[pending] = (position[pending] + np.uint64(1)) & self.modulo

    def __call__(self, candidates: np.ndarray) -> np.ndarray:
        result = np.zeros(len(candidates))
        hashes = _hash(candidates)
        active = np.arange(len(candidates))
        position = hashes & self.modulo
        while len(active):
            row = self.slot[position]
            occupied = np.flatnonzero(row >= 0)
            active, row, position = active[occupied], row[occupied], position[occupied]
            match = self.hash[row] == hashes[active]
            if match.any():
                same = np.flatnonzero(match)
                match[same] = (self.masks[row[same]] == candidates[active[same]]).all(axis=1)
                result[active[match]] = self.value[row[match]]
            active = active[~match]
            position = (position[~match] + np.uint64(1)) & self.modulo
        return result


def _members(masks: np.ndarray) -> np.ndarray:
    """[n × 64·words] 0/1: bit c of a set = channel code c."""
    as_bytes = np.ascontiguousarray(masks.astype("<u8")).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, bitorder="little")


def shapley_of_sets(masks: np.ndarray, value: np.ndarray, targets: np.ndarray, strategy: str = "auto"
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shapley values of the sets `masks[targets]` under v(masks[i]) = value[i] (v = 0 elsewhere).

    `masks`: distinct bit sets [n × words] uint64. Returns long arrays (target position, channel code, φ),
    ordered by (target position, channel code)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose from {STRATEGIES}")
    observed = value > 0
    table_masks, table_value = masks[observed], value[observed]
    lookup = _Table(table_masks, table_value)
    table_bits = _members(table_masks).astype(bool)
    table_size = table_bits.sum(axis=1)

    target_masks = masks[targets]
    bits = _members(target_masks).astype(bool)
    size = bits.sum(axis=1)
    out_target, out_channel, out_phi = [], [], []
    for s in np.unique(size[size > 0]).tolist():
        rows = np.flatnonzero(size == s)
        member = np.nonzero(bits[rows])[1].reshape(len(rows), s)
        if _enumerates(strategy, s, int(np.count_nonzero(table_size <= s)), masks.shape[1]):
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


def _enumerates(strategy: str, s: int, n_candidates: int, words: int) -> bool:
    if strategy == "scan" or s > ENUMERATE_MAX:
        return False
    return strategy == "enumerate" or (1 << s) * _LOOKUP_COST <= n_candidates * words


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
    small = np.flatnonzero(table_size <= s)  # only these can be subsets
    table_masks, table_value = table_masks[small], table_value[small]
    table_bits, table_size = table_bits[small], table_size[small]
    step = max(1, _CHUNK // max(1, len(table_masks)))
    for lo in range(0, n, step):
        chunk = set_masks[lo:lo + step]
        outside = np.zeros((len(chunk), len(table_masks)), dtype=np.uint64)
        for word in range(chunk.shape[1]):
            outside |= table_masks[None, :, word] & ~chunk[:, word, None]
        a, t = np.nonzero(outside == 0)  # T ⊆ S; row-major, so `a` is sorted and every S has T = S
        in_t = table_bits[t[:, None], member[lo + a]]
        size = table_size[t][:, None]
        contribution = np.where(in_t, w[np.clip(size - 1, 0, s - 1)], -w[np.clip(size, 0, s - 1)])
        starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]])
        phi[lo + a[starts]] = np.add.reduceat(contribution * table_value[t][:, None], starts, axis=0)
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


def shapley_values(set_counts: pd.DataFrame, strategy: str = "auto") -> pd.DataFrame:
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
    target, channel, phi = shapley_of_sets(masks, value, targets, strategy)
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

def group_set_shares(encoded: EncodedJourneys, strategy: str = "auto"
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
        target, channel, phi = shapley_of_sets(all_masks[lo:hi], value[lo:hi], targets, strategy)
        keys.append((lo + targets[target]) * n_channels + channel)
        shares.append(normalised_shares(target, phi, len(targets)))
    conversion_set = np.where(encoded.conversion_node >= 0,
                              node_set[np.maximum(encoded.conversion_node, 0)], -1)
    key = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    share = np.concatenate(shares) if shares else np.zeros(0)
    return conversion_set, key, share


def shapley_row_credit(encoded: EncodedJourneys, strategy: str = "auto") -> np.ndarray:
    rows = encoded.rows
    conversion_set, key, share = group_set_shares(encoded, strategy)
    row_key = conversion_set[rows.conversion] * len(rows.channels) + rows.channel
    weight = np.zeros(len(row_key))
    touch = rows.channel >= 0
    if len(key):
        at = np.minimum(np.searchsorted(key, row_key), len(key) - 1)
        found = touch & (key[at] == row_key)
        weight[found] = share[at[found]]
    else:
        found = np.zeros(len(row_key), dtype=bool)
    if np.any(touch & ~found):  # pragma: no cover - internal invariant
        raise RuntimeError("Shapley: a touch's channel is missing from its conversion's channel set")
    return split_credit(rows, weight)


def shapley_credits(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None,
                    strategy: str = "auto") -> pd.DataFrame:
    """Per-touchpoint Shapley credit: `conversion_id, position, credit` in (conversion_id, position)
    order (inputs as in `social_roi.attribution.paths`)."""
    encoded = encode_journeys(conversion_rows, null_journeys)
    return credit_frame(encoded.rows, shapley_row_credit(encoded, strategy))
