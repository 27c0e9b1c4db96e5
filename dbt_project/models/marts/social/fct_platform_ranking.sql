-- Vanity vs value per platform and month: engagement (reactions, comments, shares, saves of
-- posts and ads, from fct_funnel_daily) next to the revenue, pipeline stages and leads
-- attributed to the platform's touchpoints under `performance_attribution_model`, with each
-- platform's rank on both within the month.
{%- set model = var('performance_attribution_model') %}

with

funnel as (

    select * from {{ ref('fct_funnel_daily') }}

),

attribution as (

    select * from {{ ref('fct_attribution_by_channel') }}
    where attribution_model = '{{ model }}'

),

engagement as (

    select
        cast(date_trunc('month', funnel_date) as date) as period_month,
        platform,
        cast(sum(views) as bigint) as views,
        cast(sum(reactions + comments + shares) as bigint) as engagements,
        cast(sum(link_clicks) as bigint) as link_clicks,
        cast(sum(sessions) as bigint) as sessions
    from funnel
    group by 1, 2

),

value as (

    select
        period_month,
        platform,
        {{ exact_sum('attributed_conversions', 15, "conversion_type = 'lead'") }} as attributed_leads,
        {{ exact_sum('attributed_conversions', 15, "conversion_type = 'customer'") }}
            as attributed_customers,
        {{ exact_sum('attributed_revenue_usd', 6, "conversion_type = 'customer'") }}
            as attributed_revenue_usd
    from attribution
    group by 1, 2

),

joined as (

    select
        coalesce(engagement.period_month, value.period_month) as period_month,
        coalesce(engagement.platform, value.platform) as platform,
        '{{ model }}' as attribution_model,
        coalesce(engagement.views, 0) as views,
        coalesce(engagement.engagements, 0) as engagements,
        coalesce(engagement.link_clicks, 0) as link_clicks,
        coalesce(engagement.sessions, 0) as sessions,
        coalesce(value.attributed_leads, 0) as attributed_leads,
        coalesce(value.attributed_customers, 0) as attributed_customers,
        coalesce(value.attributed_revenue_usd, 0) as attributed_revenue_usd

    from engagement
    full outer join value
        on engagement.period_month = value.period_month
        and engagement.platform = value.platform

),

final as (

    select
        *,
        rank() over by_month_engagement as engagement_rank,
        rank() over by_month_revenue as revenue_rank,
        rank() over by_month_revenue - rank() over by_month_engagement as rank_gap

    from joined
    window
        by_month_engagement as (partition by period_month order by engagements desc nulls last),
        by_month_revenue as (partition by period_month
            order by {{ round_dbl('attributed_revenue_usd', 6) }} desc nulls last)

)

select * from final
