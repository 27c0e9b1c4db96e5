-- One row per month × conversion type × attribution model × channel group × platform × campaign:
-- the conversions and revenue each model attributes there.
with

attribution as (

    select * from {{ ref('fct_attribution') }}

),

final as (

    select
        -- calendar month of the conversion in the reporting time zone (UTC: epoch arithmetic)
        {{ reporting_month('converted_at') }} as period_month,
        conversion_type,
        attribution_model,
        channel_group,
        platform,
        campaign,
        {{ exact_sum('credit', 15) }} as attributed_conversions,
        {{ exact_sum('attributed_revenue_usd') }} as attributed_revenue_usd

    from attribution
    group by 1, 2, 3, 4, 5, 6

)

select * from final
