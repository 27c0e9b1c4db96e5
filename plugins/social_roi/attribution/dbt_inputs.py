"""The data-driven models' inputs as dbt Python models read them (one definition for both models)."""

from __future__ import annotations

from typing import Any

import pandas as pd

# Sorted input is twice as fast to encode (bench/attribution_data_driven.py).
CONVERSION_ROWS = ("conversion_id, conversion_type, cast(date_trunc('month', converted_at) as date) "
                   "as period, position, n_touches, channel")


def read_inputs(paths: Any, null_journeys: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(conversion rows, null journeys) from the DuckDB relations of `int_conversion_paths` and
    `int_attribution_null_journeys` (dbt finds a Python model's refs only in the model file
    itself), in the shapes `data_driven_attribution` documents."""
    rows = paths.project(CONVERSION_ROWS).order("conversion_id, position")
    return rows.df(), null_journeys.order("journey_id, position").df()
