-- One row per date × channel group × platform × campaign: the funnel from views to revenue.
-- Every source contributes the measures it knows, tagged with a source/medium; the
-- channel_mapping rules (macro channel_assignment) turn those into channel group and platform.
{%- set not_set = "'" ~ var('not_set_label') ~ "'" %}
{%- set measures = ['views', 'reactions', 'comments', 'shares', 'link_clicks', 'sessions',
                    'engaged_sessions', 'leads', 'customers', 'revenue_usd', 'spend_usd'] %}

with

organic_posts as (

    select * from {{ ref('int_organic_posts_unioned') }}

),

ads as (

    select * from {{ ref('int_ad_performance_daily') }}

),

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

contacts as (

    select * from {{ ref('int_contacts_sourced') }}

),

won_deals as (

    select * from {{ ref('int_deals_won') }}

),

-- organic views/reactions count on the day the post was published (lifetime insights)
post_measures as (

    select
        created_date as funnel_date, platform as source, 'social' as medium, campaign,
        views, reactions, comments, shares, link_clicks
    from organic_posts

),

-- paid impressions count as views; spend in the reporting currency (int_ad_performance_daily)
ad_measures as (

    select
        report_date as funnel_date, platform as source, 'paid_social' as medium,
        campaign_name as campaign, impressions as views, reactions, link_clicks,
        cast(spend_usd as double) as spend_usd
    from ads

),

session_measures as (

    select
        session_date as funnel_date, source, medium, campaign,
        1 as sessions, cast(is_engaged as integer) as engaged_sessions
    from sessions

),

lead_measures as (

    select lead_date as funnel_date, source, medium, campaign, 1 as leads
    from contacts

),

-- a customer is a contact with a won deal that day; revenue is the won amount (reporting currency)
customer_measures as (

    select
        won_date as funnel_date, source, medium, campaign,
        count(distinct contact_id) as customers, sum(cast(revenue_usd as double)) as revenue_usd
    from won_deals
    group by all

),

unioned as (

    select * from post_measures
    union all by name select * from ad_measures
    union all by name select * from session_measures
    union all by name select * from lead_measures
    union all by name select * from customer_measures

),

{{ channel_assignment('unioned') }},

mapped as (

    select
        unioned.funnel_date,
        coalesce(channel_assignment.channel_group, 'Other') as channel_group,
        coalesce(channel_assignment.platform, lower(unioned.source), '(unknown)') as platform,
        coalesce(unioned.campaign, {{ not_set }}) as campaign,
        {%- for measure in measures %}
        unioned.{{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}

    from unioned
    left join channel_assignment
        on lower(unioned.source) = channel_assignment.source
        and lower(unioned.medium) = channel_assignment.medium

),

final as (

    select
        funnel_date,
        channel_group,
        platform,
        campaign,
        {%- for measure in measures %}
        {%- if measure.endswith('_usd') %}
        round(coalesce(sum({{ measure }}), 0), 2) as {{ measure }}{{ ',' if not loop.last }}
        {%- else %}
        cast(coalesce(sum({{ measure }}), 0) as bigint) as {{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from mapped
    group by funnel_date, channel_group, platform, campaign

)

select * from final
