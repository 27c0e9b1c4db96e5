-- Vanity next to value, one row per organic post: what the platform reports (views, reach,
-- reactions, comments, shares, saves, clicks, engagement rate) beside what the post brought
-- (sessions, engaged sessions, leads from those sessions, and the leads, opportunities, pipeline,
-- customers and revenue attributed to its sessions under `performance_attribution_model`). The two ranks show where
-- engagement and revenue disagree.
{%- set model = var('performance_attribution_model') %}

with

posts as (

    select * from {{ ref('int_organic_posts_unioned') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where post_id is not null

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where attribution_model = '{{ model }}'

),

conversions as (

    select * from {{ ref('fct_conversions') }}

),

post_sessions as (

    select
        post_id,
        platform,
        count(*) as sessions,
        count(*) filter (where is_engaged) as engaged_sessions,
        count(*) filter (where has_lead) as sessions_with_lead
    from touchpoints
    group by 1, 2

),

post_credit as (

    select
        touchpoints.post_id,
        touchpoints.platform,
        {{ attributed_measures('attribution', conversions='conversions') }}
    from attribution
    inner join touchpoints on attribution.touchpoint_id = touchpoints.touchpoint_id
    inner join conversions on attribution.conversion_id = conversions.conversion_id
    group by 1, 2

),

measured as (

    select
        posts.post_id,
        posts.platform,
        posts.created_date,
        posts.campaign,
        posts.post_type,
        posts.permalink,
        posts.views,
        posts.reach,
        posts.reactions,
        posts.comments,
        posts.shares,
        posts.saves,
        posts.link_clicks,
        cast(posts.reactions + posts.comments + posts.shares + coalesce(posts.saves, 0) as bigint)
            as engagements,
        coalesce(post_sessions.sessions, 0) as sessions,
        coalesce(post_sessions.engaged_sessions, 0) as engaged_sessions,
        coalesce(post_sessions.sessions_with_lead, 0) as sessions_with_lead,
        '{{ model }}' as attribution_model,
        coalesce(post_credit.attributed_leads, 0) as attributed_leads,
        coalesce(post_credit.attributed_opportunities, 0) as attributed_opportunities,
        coalesce(post_credit.attributed_pipeline_usd, 0) as attributed_pipeline_usd,
        coalesce(post_credit.attributed_customers, 0) as attributed_customers,
        coalesce(post_credit.attributed_revenue_usd, 0) as attributed_revenue_usd

    from posts
    left join post_sessions
        on posts.post_id = post_sessions.post_id and posts.platform = post_sessions.platform
    left join post_credit
        on posts.post_id = post_credit.post_id and posts.platform = post_credit.platform

),

final as (

    select
        *,
        -- engagement rate per person reached (reach, not views: one person seeing a post twice
        -- is not twice as engaged); NULL when the platform reports no reach
        {{ round_dbl(fdiv('engagements', 'nullif(reach, 0)'), 6) }} as engagement_rate,
        {{ round_dbl(fdiv('link_clicks', 'nullif(views, 0)'), 6) }} as click_through_rate,
        {{ round_dbl(fdiv('attributed_revenue_usd * 1000', 'nullif(views, 0)'), 6) }} as revenue_per_1k_views_usd,
        -- 1 = most; equal values share a rank. rank_gap > 0: the post ranks higher on engagement
        -- than on revenue (vanity), < 0: it earns more than its engagement suggests
        rank() over (order by engagements desc nulls last) as engagement_rank,
        rank() over (order by {{ round_dbl('attributed_revenue_usd', 6) }} desc nulls last) as revenue_rank,
        rank() over (order by {{ round_dbl('attributed_revenue_usd', 6) }} desc nulls last)
            - rank() over (order by engagements desc nulls last) as rank_gap

    from measured

)

select * from final
