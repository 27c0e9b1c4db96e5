"""Markov-chain (removal effect) and Shapley-value credits, one row per path row × model.

The math lives in `social_roi.attribution` (numpy; the Markov chain is solved exactly, no
simulation); this model only feeds it the paths and the non-converting journeys.
"""


def model(dbt, session):
    dbt.config(materialized="table")
    from social_roi.attribution.data_driven import data_driven_credits
    from social_roi.attribution.dbt_inputs import read_inputs

    conversion_rows, null_journeys = read_inputs(
        dbt.ref("int_conversion_paths"), dbt.ref("int_attribution_null_journeys"))
    return data_driven_credits(conversion_rows, null_journeys)
