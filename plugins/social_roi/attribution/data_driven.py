"""The data-driven attribution models in one pass: Markov chain (removal effect) and Shapley value.

`data_driven_attribution(conversion_rows, null_journeys)` encodes the inputs once (see
`social_roi.attribution.paths` for the exact input columns) and returns the per-touchpoint credits of
both models plus the Markov removal table; `data_driven_credits` returns the credits only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from social_roi.attribution.markov import group_removal_effects, markov_row_credit
from social_roi.attribution.paths import encode_journeys
from social_roi.attribution.shapley import shapley_row_credit

MODELS = ("markov", "shapley")
CREDIT_COLUMNS = ("conversion_id", "position", "model", "credit")


@dataclass(frozen=True)
class DataDrivenAttribution:
    """`credits`: conversion_id, position, model, credit — one row per conversion row and model, ordered
    by (model as in `models`, conversion_id, position). `removal_table`: period, conversion_type, channel,
    removal_effect, share, attributed_conversions (see `markov.markov_removal_table`)."""

    credits: pd.DataFrame
    removal_table: pd.DataFrame


def data_driven_attribution(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None, *,
                            models: Sequence[str] = MODELS
                            ) -> DataDrivenAttribution:
    """Both data-driven models for every (conversion_type, period) group.

    conversion_rows: conversion_id, conversion_type, period, position, n_touches, channel (the rows of
    int_conversion_paths with the conversion's month as `period`). null_journeys: journey_id,
    conversion_type (null = every type), period, position, channel. For every conversion and model
    Σ credit = 1 (within 1e-9); an empty path's `(unattributed)` row keeps 1."""
    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"unknown model(s) {sorted(unknown)}; choose from {MODELS}")
    encoded = encode_journeys(conversion_rows, null_journeys)
    rows = encoded.rows
    removal_table, effects = group_removal_effects(encoded)
    credit = {}
    if "markov" in models:
        credit["markov"] = markov_row_credit(rows, effects)
    if "shapley" in models:
        credit["shapley"] = shapley_row_credit(encoded)
    ids = rows.id_column()
    positions = rows.position_column()
    names = list(dict.fromkeys(models))
    n = len(ids)
    credits = pd.DataFrame({
        "conversion_id": pd.concat([ids] * len(names), ignore_index=True) if names else ids.iloc[:0],
        "position": pd.concat([positions] * len(names), ignore_index=True) if names else positions.iloc[:0],
        "model": pd.Series(np.repeat(np.asarray(names, dtype=object), n), dtype="str"),
        "credit": np.concatenate([credit[m] for m in names]) if names else np.zeros(0),
    })
    return DataDrivenAttribution(credits=credits, removal_table=removal_table)


def data_driven_credits(conversion_rows: pd.DataFrame, null_journeys: pd.DataFrame | None = None, *,
                        models: Sequence[str] = MODELS) -> pd.DataFrame:
    """`conversion_id, position, model ('markov' | 'shapley'), credit` — see `data_driven_attribution`."""
    return data_driven_attribution(conversion_rows, null_journeys, models=models).credits
