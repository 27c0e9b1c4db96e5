-- One row per conversion × touchpoint × attribution model: the credit the model gives the touch,
-- and the revenue that credit carries. Per conversion and model, credits sum to 1.
with

rule_based as (

    select * from {{ ref('int_attribution_rule_based') }}

),

final as (

    select
        {{ path_columns() }},
        attribution_model,
        credit,
        credit * revenue_usd as attributed_revenue_usd
    from rule_based

)

select * from final
