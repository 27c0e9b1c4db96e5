"""One row per month × conversion type × channel: the Markov chain's removal effect of the channel,
its share of all removal effects, and the conversions that share attributes to it (plus one
'(unattributed)' row per group for conversions with an empty path)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from social_roi.attribution.dbt_inputs import read_inputs
    from social_roi.attribution.markov import markov_removal_table

    conversion_rows, null_journeys = read_inputs(
        dbt.ref("int_conversion_paths"), dbt.ref("int_attribution_null_journeys"))
    table = markov_removal_table(conversion_rows, null_journeys)
    return table.rename(columns={"period": "period_month"}).assign(
        period_month=lambda frame: frame.period_month.dt.date)
