"""Benchmark of the data-driven attribution models (Markov removal effect + Shapley value).

Seeded synthetic input: 1,000,000 conversions (~3,000,000 touch rows, ~5% empty paths) over 10 channels,
2 conversion types and 3 monthly periods, plus 2,000,000 null journeys (~1/4 of them wildcards, i.e.
null conversion_type). Times `data_driven_credits` (median of 3 runs), prints sizes and seconds,
then one run by phase.

    .venv/bin/python bench/attribution_data_driven.py [--conversions N] [--nulls N] [--shuffle]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from social_roi.attribution.data_driven import data_driven_attribution, data_driven_credits
from social_roi.attribution.markov import group_removal_effects, markov_row_credit
from social_roi.attribution.paths import encode_journeys
from social_roi.attribution.shapley import shapley_row_credit

CHANNELS = np.array(["facebook", "linkedin", "instagram", "x", "youtube", "google", "bing", "email",
                     "direct", "referral"], dtype=object)
WEIGHTS = np.array([0.18, 0.14, 0.12, 0.06, 0.05, 0.2, 0.04, 0.08, 0.09, 0.04])
TYPES = np.array(["lead", "customer"], dtype=object)
PERIODS = np.array(["2024-01", "2024-02", "2024-03"], dtype=object)


def _touches(rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row → journey index and channel, with a 25% chance of repeating the previous channel."""
    journey = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    position = np.arange(len(journey)) - np.repeat(starts, lengths) + 1
    channel = rng.choice(len(CHANNELS), size=len(journey), p=WEIGHTS)
    repeat = (rng.random(len(journey)) < 0.25) & (position > 1)
    idx = np.arange(len(journey))
    source = np.where(repeat, idx - 1, idx)
    # resolve chains of repeats: take the channel of the last non-repeated row at or before
    last_fresh = np.maximum.accumulate(np.where(source == idx, idx, 0))
    return journey, position, channel[last_fresh]


def synthetic(n_conversions: int, n_nulls: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    lengths = 1 + rng.poisson(2.15, n_conversions)
    empty = rng.random(n_conversions) < 0.05
    lengths[empty] = 0
    journey, position, channel = _touches(rng, lengths)
    ids = pd.Series([f"cv{i:08d}" for i in range(n_conversions)], dtype="str")
    ctype = rng.integers(0, len(TYPES), n_conversions)
    period = rng.integers(0, len(PERIODS), n_conversions)
    # empty paths: one row, channel '(unattributed)', n_touches 0, position null
    row_journey = np.concatenate([journey, np.flatnonzero(empty)])
    row_position = np.concatenate([position.astype(np.float64), np.full(empty.sum(), np.nan)])
    row_channel = np.concatenate([CHANNELS[channel], np.full(empty.sum(), "(unattributed)", dtype=object)])
    order = np.lexsort((np.nan_to_num(row_position), row_journey))
    row_journey, row_position, row_channel = row_journey[order], row_position[order], row_channel[order]
    conversions = pd.DataFrame({
        "conversion_id": ids.take(row_journey).reset_index(drop=True),
        "conversion_type": pd.Series(TYPES[ctype[row_journey]], dtype="str"),
        "period": pd.Series(PERIODS[period[row_journey]], dtype="str"),
        "position": pd.array(row_position, dtype="Int64"),
        "n_touches": lengths[row_journey],
        "channel": pd.Series(row_channel, dtype="str"),
    })
    null_lengths = 1 + rng.poisson(1.5, n_nulls)
    njourney, nposition, nchannel = _touches(rng, null_lengths)
    ntype = TYPES[rng.integers(0, len(TYPES), n_nulls)].astype(object)
    ntype[rng.random(n_nulls) < 0.25] = None
    nperiod = rng.integers(0, len(PERIODS), n_nulls)
    nulls = pd.DataFrame({
        "journey_id": njourney.astype(np.int64) + 10_000_000,
        "conversion_type": pd.Series(ntype[njourney], dtype="str"),
        "period": pd.Series(PERIODS[nperiod[njourney]], dtype="str"),
        "position": nposition,
        "channel": pd.Series(CHANNELS[nchannel], dtype="str"),
    })
    return conversions, nulls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversions", type=int, default=1_000_000)
    parser.add_argument("--nulls", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shuffle", action="store_true", help="feed the rows in random order")
    args = parser.parse_args()
    t0 = time.perf_counter()
    conversions, nulls = synthetic(args.conversions, args.nulls)
    if args.shuffle:
        rng = np.random.default_rng(1)
        conversions = conversions.take(rng.permutation(len(conversions))).reset_index(drop=True)
        nulls = nulls.take(rng.permutation(len(nulls))).reset_index(drop=True)
    print(f"generated in {time.perf_counter() - t0:.1f} s")
    print(f"conversions: {conversions['conversion_id'].nunique():,} ({len(conversions):,} rows, "
          f"{int((conversions['n_touches'] == 0).sum()):,} empty paths); "
          f"null journeys: {nulls['journey_id'].nunique():,} ({len(nulls):,} rows); "
          f"channels: {conversions['channel'].nunique() - 1}; "
          f"types: {conversions['conversion_type'].nunique()}; periods: {conversions['period'].nunique()}; "
          f"input order: {'shuffled' if args.shuffle else 'sorted'}")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        credits = data_driven_credits(conversions, nulls)
        times.append(time.perf_counter() - start)
    sums = credits.groupby(["model", "conversion_id"], sort=False)["credit"].sum()
    table = data_driven_attribution(conversions, nulls).removal_table
    print(f"output: {len(credits):,} credit rows, {len(table)} removal-table rows; "
          f"max |Σ credit − 1| = {float(np.abs(sums - 1).max()):.2e}")
    print("runs (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median data_driven_credits (markov + shapley): {statistics.median(times):.2f} s")
    phases = {}
    t = time.perf_counter()
    encoded = encode_journeys(conversions, nulls)
    phases["encode (validate, sort, collapse, trie)"] = time.perf_counter() - t
    t = time.perf_counter()
    _, effects = group_removal_effects(encoded)
    markov_row_credit(encoded.rows, effects)
    phases["markov (chains + credits)"] = time.perf_counter() - t
    t = time.perf_counter()
    shapley_row_credit(encoded)
    phases["shapley (values + credits)"] = time.perf_counter() - t
    print(f"trie: {encoded.trie.n_nodes:,} nodes (distinct path prefixes)")
    for name, seconds in phases.items():
        print(f"  {name}: {seconds:.2f} s")

if __name__ == "__main__":
    main()
