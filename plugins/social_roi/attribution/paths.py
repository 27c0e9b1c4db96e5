"""Journeys → channel paths for the data-driven attribution models (Markov chain, Shapley value).

Input frames (pandas; extra columns are ignored):

* **conversion rows** — the rows of `int_conversion_paths` plus a `period` column:
  `conversion_id` (any sortable, non-null key), `conversion_type`, `period` (the calendar month of the
  conversion, any sortable non-null value, e.g. `'2024-05'` or a date), `position` (1..n, unique within a
  conversion; may be null on the empty-path row), `n_touches` (n; 0 on the single empty-path row) and
  `channel` (the model's state; ignored on the empty-path row, which carries `'(unattributed)'`).
* **null journeys** — touch rows of journeys that did not convert: `journey_id` (unique across the frame,
  its own key space, unrelated to `conversion_id`), `conversion_type` (the type the journey did not
  convert to; **null = a null journey for every conversion type of its period**, e.g. an anonymous
  visitor, so it need not be repeated per type), `period` (month of the journey's last touch),
  `position` (1..n within the journey) and `channel`. Journeys whose (type, period) — or, for a null
  type, whose period — has no conversion are dropped: they could not change any result.

Paths are channel sequences with consecutive repeats collapsed (A → A → B is the path A → B). Conversions
with an empty path take no part in the models (they keep credit 1 on their `(unattributed)` row).

Everything is vectorised: rows are encoded once into a trie of paths (one node per distinct path prefix,
rooted at the journey's (conversion type, period) group), built depth by depth with one `np.unique` per
depth over the journeys still that long — no Python loop over conversions or journeys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

UNATTRIBUTED = "(unattributed)"
CONVERSION_COLUMNS = ("conversion_id", "conversion_type", "period", "position", "n_touches", "channel")
NULL_JOURNEY_COLUMNS = ("journey_id", "conversion_type", "period", "position", "channel")
PATH_COUNT_COLUMNS = ("conversion_type", "period", "path", "conversions", "nulls")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; expected at least {list(columns)}")


def _sort_order(codes: np.ndarray, positions: np.ndarray, what: str) -> np.ndarray | None:
    """The permutation sorting rows by (code, position), or None when they already are.

    Rejects a position repeated within a journey (the order of its touches would be undefined)."""
    if len(codes) < 2:
        return None
    dc = np.diff(codes)
    dp = np.diff(positions)
    if np.all((dc > 0) | ((dc == 0) & (dp > 0))):
        return None
    low = int(positions.min())
    span = int(positions.max()) - low + 1
    if span * (int(codes.max()) + 1) < 2**62:
        key = codes * span + (positions - low)
        order = np.argsort(key, kind="stable")
        repeated = np.diff(key[order]) == 0
    else:  # pragma: no cover - absurd position ranges
        order = np.lexsort((positions, codes))
        repeated = (np.diff(codes[order]) == 0) & (np.diff(positions[order]) == 0)
    if repeated.any():
        raise ValueError(f"{what}: a position is repeated within a journey")
    return order


def _starts(codes: np.ndarray) -> np.ndarray:
    """Index of the first row of each run of equal codes in a sorted code array."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])


def _positions(column: pd.Series, allowed_na: np.ndarray | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions as int64 (0 where null) and the null flags; null is allowed only where `allowed_na`."""
    na = column.isna().to_numpy()
    if np.any(na & ~allowed_na if allowed_na is not None else na):
        raise ValueError(f"{what}: position is null on a touch row")
    return column.fillna(0).to_numpy(dtype=np.int64), na


@dataclass(frozen=True)
class ConversionRows:
    """Conversion rows encoded and sorted by (conversion_id, position).

    `order` is the permutation of the input rows into that order (None: they were already sorted).
    Per row: `conversion` (code 0..n−1 into the sorted `ids`), `position` (0 where null, see
    `position_null`) and `channel` (code into `channels`, −1 on an empty-path row). Per conversion: `group`
    (code into `groups`), `start` (first row) and `empty`."""

    order: np.ndarray | None
    ids: pd.Index
    conversion: np.ndarray
    position: np.ndarray
    position_null: np.ndarray
    channel: np.ndarray
    channels: np.ndarray
    group: np.ndarray
    start: np.ndarray
    empty: np.ndarray
    groups: pd.DataFrame
    type_values: pd.Index
    period_values: pd.Index
    group_of: np.ndarray  # [type code, period code] → group code or −1

    @property
    def n_conversions(self) -> int:
        return len(self.group)

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def id_column(self) -> pd.Series:
        """conversion_id per row, in the encoded row order."""
        return pd.Series(self.ids.take(self.conversion), name="conversion_id")

    def position_column(self) -> pd.Series:
        """position per row (nullable Int64), in the encoded row order."""
        return pd.Series(pd.arrays.IntegerArray(self.position.copy(), self.position_null.copy()),
                         name="position")


def _factorize_channels(values: pd.Series, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=True)
    if rows is not None:
        codes = codes[rows]
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def encode_conversions(conversion_rows: pd.DataFrame, extra_channels: np.ndarray | None = None
                       ) -> ConversionRows:
    """Validate and encode conversion rows (see the module docstring for the columns)."""
    _require(conversion_rows, CONVERSION_COLUMNS, "conversion rows")
    frame = conversion_rows
    ids = frame["conversion_id"]
    if ids.isna().any():
        raise ValueError("conversion rows: conversion_id is null")
    codes, id_values = pd.factorize(ids, sort=True)
    codes = codes.astype(np.int64)
    n_touches = frame["n_touches"].to_numpy(dtype=np.int64)
    empty_row = n_touches == 0
    positions, position_null = _positions(frame["position"], empty_row, "conversion rows")
    order = _sort_order(codes, positions, "conversion rows")
    if order is not None:
        codes, n_touches, empty_row = codes[order], n_touches[order], empty_row[order]
        positions, position_null = positions[order], position_null[order]
    start = _starts(codes)
    rows_per_conversion = np.diff(np.r_[start, len(codes)])
    empty = empty_row[start]
    expected = np.where(empty, 1, n_touches[start])
    if np.any(rows_per_conversion != expected) or np.any(empty_row != empty[codes]):
        raise ValueError("conversion rows: the rows of a conversion disagree with its n_touches "
                         "(an empty path is exactly one row with n_touches = 0)")
    first = start if order is None else order[start]
    types = frame["conversion_type"].take(first)
    periods = frame["period"].take(first)
    if types.isna().any() or periods.isna().any():
        raise ValueError("conversion rows: conversion_type or period is null")
    type_codes, type_values = pd.factorize(types, sort=True)
    period_codes, period_values = pd.factorize(periods, sort=True)
    pair = period_codes.astype(np.int64) * len(type_values) + type_codes
    pairs, group = np.unique(pair, return_inverse=True)
    group_of = np.full((len(type_values), len(period_values)), -1, dtype=np.int64)
    group_of[pairs % len(type_values), pairs // len(type_values)] = np.arange(len(pairs))
    groups = pd.DataFrame({"period": period_values.take(pairs // len(type_values)),
                           "conversion_type": type_values.take(pairs % len(type_values))})

    channel_column = frame["channel"]
    if empty_row.any():
        channel_column = channel_column.where(~frame["n_touches"].eq(0).to_numpy())
    channel, channels = _factorize_channels(channel_column, order)
    if np.any(channel[~empty_row] < 0):
        raise ValueError("conversion rows: channel is null on a touch row")
    if extra_channels is not None and len(extra_channels):
        merged = np.asarray(sorted(set(channels.tolist()) | set(extra_channels.tolist())), dtype=object)
        if len(channels):
            remap = np.searchsorted(merged, channels).astype(np.int64)
            channel = np.where(channel >= 0, remap[np.maximum(channel, 0)], -1)
        channels = merged
    return ConversionRows(order=order, ids=pd.Index(id_values), conversion=codes, position=positions,
                          position_null=position_null, channel=channel, channels=channels,
                          group=group.astype(np.int64), start=start, empty=empty, groups=groups,
                          type_values=pd.Index(type_values), period_values=pd.Index(period_values),
                          group_of=group_of)


@dataclass(frozen=True)
class PathTrie:
    """Distinct path prefixes of all journeys, as a trie.

    Roots 0..G−1 are the conversion groups (`ConversionRows.groups`), roots G..G+P−1 the wildcard null
    journeys (null conversion_type) of period code p = root − G. Every other node is a prefix extended by
    one channel: `parent`, `channel` (code), `root`, `through` (journeys whose path starts with this
    prefix), `conversions` / `nulls` (journeys whose whole path is this prefix) and `mask` (the prefix's
    distinct channels as a bit set, `words` uint64 words per node, bit c = channel code c).

    `root_target` / `target_group` list, for every root, the conversion groups its journeys count in
    (a group root: itself; a wildcard root: every group of its period)."""

    n_roots: int
    parent: np.ndarray
    channel: np.ndarray
    root: np.ndarray
    through: np.ndarray
    conversions: np.ndarray
    nulls: np.ndarray
    mask: np.ndarray
    root_target: np.ndarray
    target_group: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.parent)


@dataclass(frozen=True)
class EncodedJourneys:
    """Conversion rows plus the path trie of conversions and null journeys; `conversion_node` is each
    conversion's terminal node (−1 for an empty path)."""

    rows: ConversionRows
    trie: PathTrie
    conversion_node: np.ndarray

    @property
    def channels(self) -> np.ndarray:
        return self.rows.channels

    @property
    def groups(self) -> pd.DataFrame:
        return self.rows.groups


def _indexer(values: pd.Series, index: pd.Index) -> np.ndarray:
    """`index.get_indexer(values)` for a long column of few distinct values (−1: absent or null)."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    mapped = np.r_[index.get_indexer(uniques), -1]
    return mapped[codes].astype(np.int64)


def _null_channels(null_journeys: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Channel codes (into the returned distinct channels) of the null journey rows."""
    if null_journeys is None or len(null_journeys) == 0:
        return None
    _require(null_journeys, NULL_JOURNEY_COLUMNS, "null journeys")
    codes, uniques = pd.factorize(null_journeys["channel"])
    if np.any(codes < 0):
        raise ValueError("null journeys: channel is null")
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _encode_nulls(null_journeys: pd.DataFrame, rows: ConversionRows, channel_codes: np.ndarray,
                  channel_values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Null journey rows sorted by (journey, position), keeping only journeys that can matter.

    Returns per kept row: journey code (0..), channel code; per kept journey: root; and its count."""
    ids = null_journeys["journey_id"]
    if ids.isna().any():
        raise ValueError("null journeys: journey_id is null")
    codes, _ = pd.factorize(ids)
    codes = codes.astype(np.int64)
    positions, _ = _positions(null_journeys["position"], None, "null journeys")
    order = _sort_order(codes, positions, "null journeys")
    if order is not None:
        codes = codes[order]
    start = _starts(codes)
    first = start if order is None else order[start]
    types = null_journeys["conversion_type"].take(first)
    type_code = _indexer(types, rows.type_values)
    periods = null_journeys["period"].take(first)
    if periods.isna().any():
        raise ValueError("null journeys: period is null")
    period_code = _indexer(periods, rows.period_values)
    wildcard = types.isna().to_numpy()
    root = np.full(len(start), -1, dtype=np.int64)
    typed = (type_code >= 0) & (period_code >= 0)
    root[typed] = rows.group_of[type_code[typed], period_code[typed]]
    wild = wildcard & (period_code >= 0)
    root[wild] = rows.n_groups + period_code[wild]
    keep_journey = root >= 0
    channel = pd.Index(rows.channels).get_indexer(channel_values)[channel_codes]
    if order is not None:
        channel = channel[order]
    if keep_journey.all():
        return codes, channel.astype(np.int64), root, len(start)
    kept = np.cumsum(keep_journey) - 1
    keep_row = keep_journey[codes]
    return (kept[codes[keep_row]], channel[keep_row].astype(np.int64), root[keep_journey],
            int(keep_journey.sum()))


def _build_trie(journey: np.ndarray, channel: np.ndarray, root: np.ndarray, n_roots: int,
                n_channels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                          np.ndarray]:
    """Trie of the collapsed paths of journeys given as rows sorted by (journey, position).

    Returns node arrays (parent, channel, root, through, mask) and each journey's terminal node."""
    n_journeys = len(root)
    keep = np.ones(len(journey), dtype=bool)
    if len(journey) > 1:
        keep[1:] = (journey[1:] != journey[:-1]) | (channel[1:] != channel[:-1])
    journey, channel = journey[keep], channel[keep]
    length = np.bincount(journey, minlength=n_journeys)
    start = np.cumsum(length) - length
    by_length = np.argsort(-length, kind="stable")
    longer_than = n_journeys - np.cumsum(np.bincount(length))  # journeys with length > k

    words = max(1, (n_channels + 63) // 64)
    # Nodes of one depth have their parents in the previous depth: keep per-depth blocks only.
    parent = [np.full(n_roots, -1, dtype=np.int64)]
    node_channel = [np.full(n_roots, -1, dtype=np.int64)]
    node_root = [np.arange(n_roots, dtype=np.int64)]
    through = [np.bincount(root, minlength=n_roots).astype(np.int64)]
    mask = [np.zeros((n_roots, words), dtype=np.uint64)]
    current = root.copy()
    previous_offset = 0
    n_nodes = n_roots
    width = np.int64(n_channels)
    for depth in range(len(longer_than) - 1):
        active = by_length[: longer_than[depth]]
        key = current[active] * width + channel[start[active] + depth]
        unique_keys, inverse = np.unique(key, return_inverse=True)
        parents = unique_keys // width
        chans = unique_keys % width
        local = parents - previous_offset
        block_mask = mask[-1][local]
        block_mask[np.arange(len(chans)), chans // 64] |= np.left_shift(
            np.uint64(1), (chans % 64).astype(np.uint64))
        parent.append(parents)
        node_channel.append(chans)
        node_root.append(node_root[-1][local])
        through.append(np.bincount(inverse, minlength=len(unique_keys)).astype(np.int64))
        mask.append(block_mask)
        current[active] = n_nodes + inverse
        previous_offset = n_nodes
        n_nodes += len(unique_keys)
    return (np.concatenate(parent), np.concatenate(node_channel), np.concatenate(node_root),
            np.concatenate(through), np.concatenate(mask), current)


def encode_journeys(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None
                    ) -> EncodedJourneys:
    """Encode conversion rows and null journeys once for both data-driven models."""
    null_channels = _null_channels(null_journeys)
    rows = encode_conversions(conversion_rows, None if null_channels is None else null_channels[1])
    n_conv = rows.n_conversions
    n_groups = rows.n_groups
    n_periods = len(rows.period_values)
    n_roots = n_groups + n_periods
    touch = rows.channel >= 0
    journey = rows.conversion[touch]
    channel = rows.channel[touch]
    roots = rows.group
    n_null = 0
    if null_channels is not None:
        null_journey, null_channel, null_root, n_null = _encode_nulls(null_journeys, rows, *null_channels)
        journey = np.concatenate([journey, null_journey + n_conv])
        channel = np.concatenate([channel, null_channel])
        roots = np.concatenate([roots, null_root])
    parent, node_channel, node_root, through, mask, terminal = _build_trie(
        journey, channel, roots, n_roots, len(rows.channels))
    n_nodes = len(parent)
    conversion_node = np.where(rows.empty, -1, terminal[:n_conv])
    conversions = np.bincount(conversion_node[conversion_node >= 0], minlength=n_nodes)
    nulls = np.bincount(terminal[n_conv:], minlength=n_nodes) if n_null else np.zeros(n_nodes, np.int64)
    # Empty conversion paths stay at their root: they are not journeys of the chain.
    through[:n_groups] -= np.bincount(rows.group[rows.empty], minlength=n_groups)
    group_period = (rows.group_of >= 0).nonzero()
    period_of_group = np.empty(n_groups, dtype=np.int64)
    period_of_group[rows.group_of[group_period]] = group_period[1]
    root_target = np.concatenate([np.arange(n_groups), n_groups + period_of_group])
    target_group = np.concatenate([np.arange(n_groups), np.arange(n_groups)])
    trie = PathTrie(n_roots=n_roots, parent=parent, channel=node_channel, root=node_root, through=through,
                    conversions=conversions.astype(np.int64), nulls=nulls.astype(np.int64), mask=mask,
                    root_target=root_target, target_group=target_group)
    return EncodedJourneys(rows=rows, trie=trie, conversion_node=conversion_node)


def expand_roots(trie: PathTrie, node: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For nodes, the (index into `node`, conversion group) pairs they count in (wildcards fan out)."""
    roots = trie.root[node]
    order = np.argsort(trie.root_target, kind="stable")
    targets_sorted = trie.root_target[order]
    lo = np.searchsorted(targets_sorted, roots, side="left")
    hi = np.searchsorted(targets_sorted, roots, side="right")
    count = hi - lo
    index = np.repeat(np.arange(len(node)), count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return index, trie.target_group[order][np.repeat(lo, count) + offset]


def node_paths(trie: PathTrie, channels: np.ndarray, node: np.ndarray) -> list[tuple]:
    """The channel sequence (tuple of channel names) of each node (Python-level: for distinct paths)."""
    result = []
    for n in node.tolist():
        seq = []
        while trie.channel[n] >= 0:
            seq.append(channels[trie.channel[n]])
            n = trie.parent[n]
        result.append(tuple(reversed(seq)))
    return result


def path_counts(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """Distinct collapsed paths with their counts, per (conversion_type, period).

    Returns columns `conversion_type, period, path` (tuple of channel names), `conversions` (converting
    journeys with that path) and `nulls` (null journeys, wildcards counted in every type of their period),
    sorted by (period, conversion_type, path). Empty paths are not listed."""
    encoded = encode_journeys(conversion_rows, null_journeys)
    return path_counts_of(encoded)


def path_counts_of(encoded: EncodedJourneys) -> pd.DataFrame:
    trie = encoded.trie
    ends = np.flatnonzero((trie.conversions + trie.nulls) > 0)
    index, group = expand_roots(trie, ends)
    node = ends[index]
    frame = pd.DataFrame({
        "group": group,
        "path": node_paths(trie, encoded.channels, node),
        "conversions": trie.conversions[node],
        "nulls": trie.nulls[node],
    })
    frame = frame.groupby(["group", "path"], sort=True, as_index=False)[["conversions", "nulls"]].sum()
    keys = encoded.groups.take(frame["group"].to_numpy()).reset_index(drop=True)
    out = pd.concat([keys[["conversion_type", "period"]], frame[["path", "conversions", "nulls"]]], axis=1)
    return out.reset_index(drop=True)


def collapse_repeats(touches: pd.DataFrame, journey: str = "conversion_id", position: str = "position",
                     channel: str = "channel") -> pd.DataFrame:
    """Touch rows with consecutive repeats of a channel within a journey removed (first kept), sorted by
    (journey, position)."""
    ordered = touches.sort_values([journey, position], kind="stable")
    j = ordered[journey].to_numpy()
    c = ordered[channel].to_numpy()
    keep = np.ones(len(ordered), dtype=bool)
    if len(ordered) > 1:
        keep[1:] = (j[1:] != j[:-1]) | (c[1:] != c[:-1])
    return ordered[keep].reset_index(drop=True)
