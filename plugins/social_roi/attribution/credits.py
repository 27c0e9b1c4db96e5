"""Per-conversion credit from per-channel weights, shared by the Markov and Shapley models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from social_roi.attribution.paths import ConversionRows


def split_credit(rows: ConversionRows, weight: np.ndarray) -> np.ndarray:
    """Credit of every conversion row (in `rows` order) from the weight of its channel on its conversion.

    Each distinct channel k on a conversion's path gets w_k / Σ_{j on path} w_j, split equally over that
    channel's touchpoints (rows; a channel seen twice gets two equal halves). When every weight on the path
    is 0 the last touch gets 1. The empty-path row keeps 1. `weight` is given per row (ignored on empty
    rows); per conversion, Σ credit = 1 up to rounding."""
    n_conv = rows.n_conversions
    credit = np.ones(len(rows.conversion), dtype=np.float64)
    touch = np.flatnonzero(rows.channel >= 0)
    if len(touch) == 0:
        return credit
    conversion = rows.conversion[touch]
    n_channels = len(rows.channels)
    key = conversion * n_channels + rows.channel[touch]
    if n_conv * n_channels <= 20_000_000:
        table = np.bincount(key, minlength=n_conv * n_channels)
        touches = table[key]
    else:  # pragma: no cover - very many conversions × channels
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        touches = counts[inverse]
    per_touch = np.asarray(weight, dtype=np.float64)[touch] / touches
    total = np.bincount(conversion, weights=per_touch, minlength=n_conv)
    scale = np.zeros(n_conv)
    positive = total > 0
    scale[positive] = 1.0 / total[positive]
    credit[touch] = per_touch * scale[conversion]
    fallback = ~positive & ~rows.empty
    if fallback.any():
        ends = np.r_[rows.start[1:], len(rows.conversion)] - 1
        credit[ends[fallback]] = 1.0
    return credit


def credit_frame(rows: ConversionRows, credit: np.ndarray) -> pd.DataFrame:
    """`conversion_id, position` (Int64, null on a null input position), `credit`, in (conversion_id,
    position) order."""
    return pd.DataFrame({"conversion_id": rows.id_column(), "position": rows.position_column(),
                         "credit": credit})
