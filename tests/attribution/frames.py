"""Builders of the data-driven models' input frames from readable paths."""

from __future__ import annotations

import numpy as np
import pandas as pd

from social_roi.attribution.paths import CONVERSION_COLUMNS, NULL_JOURNEY_COLUMNS, UNATTRIBUTED


def conversions(paths: list[list[str]] | dict[str, list[str]], conversion_type: str = "lead",
                period: str = "2024-01", prefix: str = "c") -> pd.DataFrame:
    """Conversion rows: one conversion per path (ids `c01`, `c02`, … unless a dict gives them)."""
    items = paths.items() if isinstance(paths, dict) else ((f"{prefix}{i:02d}", p)
                                                          for i, p in enumerate(paths, 1))
    rows = []
    for cid, path in items:
        if not path:
            rows.append((cid, conversion_type, period, None, 0, UNATTRIBUTED))
        rows.extend((cid, conversion_type, period, i, len(path), c) for i, c in enumerate(path, 1))
    frame = pd.DataFrame(rows, columns=list(CONVERSION_COLUMNS))
    frame["position"] = frame["position"].astype("Int64")
    return frame


def nulls(paths: list[list[str]], conversion_type: str | None = "lead", period: str = "2024-01",
          prefix: str = "n") -> pd.DataFrame:
    """Null journeys: one per path (ids `n01`, …); conversion_type None = a wildcard journey."""
    rows = [(f"{prefix}{j:02d}", conversion_type, period, i, c)
            for j, path in enumerate(paths, 1) for i, c in enumerate(path, 1)]
    return pd.DataFrame(rows, columns=list(NULL_JOURNEY_COLUMNS))


def repeat(*pairs: tuple[list[str], int]) -> list[list[str]]:
    """[(path, times), …] → the list of paths."""
    return [list(path) for path, times in pairs for _ in range(times)]


def credit_of(credits: pd.DataFrame, model: str, conversion_id: str) -> list[float]:
    rows = credits[(credits["model"] == model) & (credits["conversion_id"] == conversion_id)]
    return rows.sort_values("position")["credit"].tolist()


def random_world(seed: int, n_conversions: int = 1500, n_nulls: int = 3000, n_channels: int = 8,
                 types: tuple[str, ...] = ("lead", "customer"),
                 periods: tuple[str, ...] = ("2024-01", "2024-02"),
                 max_length: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded random input with repeats, empty paths and wildcard null journeys."""
    rng = np.random.default_rng(seed)
    channels = [f"ch{i:02d}" for i in range(n_channels)]
    weights = rng.dirichlet(np.ones(n_channels))

    def path(min_length: int) -> list[str]:
        out: list[str] = []
        for _ in range(int(rng.integers(min_length, max_length + 1))):
            repeat_last = bool(out) and rng.random() < 0.3
            out.append(out[-1] if repeat_last else channels[int(rng.choice(n_channels, p=weights))])
        return out

    conv_rows = []
    for i in range(n_conversions):
        p, kind, month = path(0), str(rng.choice(types)), str(rng.choice(periods))
        if not p:
            conv_rows.append((f"c{i:05d}", kind, month, None, 0, UNATTRIBUTED))
        conv_rows.extend((f"c{i:05d}", kind, month, k, len(p), c) for k, c in enumerate(p, 1))
    null_rows = []
    for i in range(n_nulls):
        p, month = path(1), str(rng.choice(periods))
        kind = None if rng.random() < 0.3 else str(rng.choice(types))
        null_rows.extend((f"n{i:05d}", kind, month, k, c) for k, c in enumerate(p, 1))
    conv = pd.DataFrame(conv_rows, columns=list(CONVERSION_COLUMNS))
    conv["position"] = conv["position"].astype("Int64")
    return conv, pd.DataFrame(null_rows, columns=list(NULL_JOURNEY_COLUMNS))
