-- One row per conversion × touchpoint × attribution model: the credit the model gives the touch,
-- and the revenue that credit carries. Per conversion and model, credits sum to 1.
with

rule_based as (

    select * from {{ ref('int_attribution_rule_based') }}

),

data_driven as (

    select * from {{ ref('int_attribution_data_driven') }}

),

paths as (

    select * from {{ ref('int_conversion_paths') }}

),

credits as (

    select {{ path_columns() }}, attribution_model, credit from rule_based

    union all

    select
        {% for column in path_columns().split(',') -%}
        paths.{{ column | trim }},
        {% endfor -%}
        data_driven.model as attribution_model,
        round(data_driven.credit, 15) as credit
    from data_driven
    inner join paths
        on data_driven.conversion_id = paths.conversion_id
        and data_driven.position = paths.position

),

final as (

    -- narrow on purpose: 10 models × every touch is the warehouse's largest table; the path's
    -- other columns stay in int_conversion_paths (join on conversion_id, position)
    select
        conversion_id,
        position,
        attribution_model,
        conversion_type,
        converted_at,
        touchpoint_id,
        channel_group,
        platform,
        campaign,
        credit,
        credit * revenue_usd as attributed_revenue_usd
    from credits

)

select * from final
