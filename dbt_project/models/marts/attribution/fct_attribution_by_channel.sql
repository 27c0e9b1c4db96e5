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
        -- summed as exact decimals: float sums depend on the (parallel) order of the rows, and a
        -- rerun must give identical numbers. Credits carry 15 decimals, revenue 6 are plenty.
        cast(sum(cast(credit as decimal(38, 15))) as double) as attributed_conversions,
        cast(sum(cast(attributed_revenue_usd as decimal(38, 6))) as double) as attributed_revenue_usd

    from attribution
    group by all

)

select * from final
