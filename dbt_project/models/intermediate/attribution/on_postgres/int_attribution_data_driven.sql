-- On Postgres (decision 56) dbt cannot run the Python model of the same name: social_roi.warehouse_postgres
-- computes it with the same code (social_roi.attribution) between two dbt runs and loads it into raw.
{{ config(materialized='table', enabled=target.type == 'postgres') }}

select
    cast(conversion_id as varchar) as conversion_id,
    cast(position as bigint) as position,
    cast(model as varchar) as model,
    cast(credit as {{ dbl() }}) as credit

from {{ computed_in_python('int_attribution_data_driven') }}
