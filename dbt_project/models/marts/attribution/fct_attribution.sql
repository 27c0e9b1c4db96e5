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

-- the rule-based table holds one credit column per model: one row per model here
rule_based_by_model as (

    {{ unpivot_columns('select * from rule_based', ['conversion_id', 'position'], rule_based_models(),
                       'attribution_model', 'credit') }}

),

credits as (

    select conversion_id, position, attribution_model, credit from rule_based_by_model

    union all

    select conversion_id, position, model as attribution_model, {{ round_dbl('credit', 15) }} as credit
    from data_driven

),

final as (

    -- narrow on purpose: 10 models × every touch is the warehouse's largest table; the path's
    -- other columns stay in int_conversion_paths (join on conversion_id, position)
    select
        credits.conversion_id,
        credits.position,
        credits.attribution_model,
        paths.conversion_type,
        paths.converted_at,
        paths.touchpoint_id,
        paths.channel_group,
        paths.platform,
        paths.campaign,
        credits.credit,
        credits.credit * paths.revenue_usd as attributed_revenue_usd
    from credits
    inner join paths
        on credits.conversion_id = paths.conversion_id
        and credits.position = paths.position

)

select * from final
