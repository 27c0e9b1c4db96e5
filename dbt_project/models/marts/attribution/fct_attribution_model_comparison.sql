-- How much each channel gains or loses under each model compared with last touch, per month and
-- conversion type: the picture that "judging by the last click" misses.
with

by_channel as (

    select
        period_month, conversion_type, attribution_model, channel_group, platform,
        -- exact decimal sums, as in fct_attribution_by_channel (reruns give identical numbers)
        {{ exact_sum('attributed_conversions', 15) }} as attributed_conversions,
        {{ exact_sum('attributed_revenue_usd') }} as attributed_revenue_usd
    from {{ ref('fct_attribution_by_channel') }}
    group by 1, 2, 3, 4, 5

),

last_touch as (

    select * from by_channel
    where attribution_model = 'last_touch'

),

final as (

    select
        by_channel.period_month,
        by_channel.conversion_type,
        by_channel.attribution_model,
        by_channel.channel_group,
        by_channel.platform,
        by_channel.attributed_conversions,
        coalesce(last_touch.attributed_conversions, 0) as last_touch_conversions,
        by_channel.attributed_conversions - coalesce(last_touch.attributed_conversions, 0)
            as conversions_vs_last_touch,
        by_channel.attributed_revenue_usd,
        coalesce(last_touch.attributed_revenue_usd, 0) as last_touch_revenue_usd,
        by_channel.attributed_revenue_usd - coalesce(last_touch.attributed_revenue_usd, 0)
            as revenue_vs_last_touch_usd

    from by_channel
    left join last_touch
        on by_channel.period_month = last_touch.period_month
        and by_channel.conversion_type = last_touch.conversion_type
        and by_channel.channel_group = last_touch.channel_group
        and by_channel.platform = last_touch.platform

)

select * from final
