-- One row per month × conversion type × attribution model × channel group × platform × campaign:
-- the conversions and revenue each model attributes there.
with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

final as (

    select
        cast(date_trunc('month', converted_at) as date) as period_month,
        conversion_type,
        attribution_model,
        channel_group,
        platform,
        campaign,
        sum(credit) as attributed_conversions,
        sum(attributed_revenue_usd) as attributed_revenue_usd

    from attribution
    group by all

)

select * from final
