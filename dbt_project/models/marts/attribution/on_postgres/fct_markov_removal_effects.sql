-- On Postgres (decision 56) dbt cannot run the Python model of the same name: social_roi.warehouse_postgres
-- computes it with the same code (social_roi.attribution) between two dbt runs and loads it into raw.
{{ config(materialized='table', enabled=target.type == 'postgres') }}

select
    cast(period_month as date) as period_month,
    cast(conversion_type as varchar) as conversion_type,
    cast(channel as varchar) as channel,
    cast(removal_effect as {{ dbl() }}) as removal_effect,
    cast(share as {{ dbl() }}) as share,
    cast(attributed_conversions as {{ dbl() }}) as attributed_conversions

from {{ computed_in_python('fct_markov_removal_effects') }}
