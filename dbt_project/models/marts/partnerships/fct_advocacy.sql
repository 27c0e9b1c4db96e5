-- Brand ambassadors' contribution, one row per day × ambassador × platform (PRODUCT.md:
-- advocates and ambassadors): the web sessions their shares' tracked links brought
-- (utm_medium=advocacy, utm_content=<ambassador_id>: channel group Advocacy), the engaged ones,
-- the sessions that ended with a sales-lead form (leads by last click), and the leads, partner
-- inquiries, customers and revenue attributed to those sessions under
-- `performance_attribution_model`. The day is the session's (UTC), as in the funnel.
{%- set model = var('performance_attribution_model') %}

with

ambassadors as (

    select * from {{ ref('ambassadors') }}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where channel_group = 'Advocacy'

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where attribution_model = '{{ model }}'

),

-- a link without utm_content (hand-made) still counts, under the not-set label
advocacy_touches as (

    select
        touchpoint_id,
        touchpoint_date as activity_date,
        coalesce(lower(content), '{{ var("not_set_label") }}') as ambassador_id,
        platform,
        is_engaged,
        has_lead
    from touchpoints

),

sessions_by_day as (

    select
        activity_date,
        ambassador_id,
        platform,
        count(*) as sessions,
        count(*) filter (where is_engaged) as engaged_sessions,
        count(*) filter (where has_lead) as last_click_leads
    from advocacy_touches
    group by 1, 2, 3

),

credit_by_day as (

    select
        advocacy_touches.activity_date,
        advocacy_touches.ambassador_id,
        advocacy_touches.platform,
        {{ attributed_measures('attribution', partner_inquiries=true) }}
    from attribution
    inner join advocacy_touches on attribution.touchpoint_id = advocacy_touches.touchpoint_id
    group by 1, 2, 3

),

final as (

    select
        sessions_by_day.activity_date,
        sessions_by_day.ambassador_id,
        ambassadors.ambassador_name,
        ambassadors.ambassador_kind,
        sessions_by_day.platform,
        sessions_by_day.sessions,
        sessions_by_day.engaged_sessions,
        sessions_by_day.last_click_leads,
        '{{ model }}' as attribution_model,
        coalesce(credit_by_day.attributed_leads, 0) as attributed_leads,
        coalesce(credit_by_day.attributed_partner_inquiries, 0) as attributed_partner_inquiries,
        coalesce(credit_by_day.attributed_customers, 0) as attributed_customers,
        coalesce(credit_by_day.attributed_revenue_usd, 0) as attributed_revenue_usd

    from sessions_by_day
    left join ambassadors on sessions_by_day.ambassador_id = ambassadors.ambassador_id
    left join credit_by_day
        on sessions_by_day.activity_date = credit_by_day.activity_date
        and sessions_by_day.ambassador_id = credit_by_day.ambassador_id
        and sessions_by_day.platform = credit_by_day.platform

)

select * from final
