-- One row per date × channel group × platform × campaign: the funnel from views to revenue.
-- Every source contributes the measures it knows, tagged with a source/medium; the
-- channel_mapping rules (macro channel_assignment) turn those into channel group and platform.
{%- set not_set = "'" ~ var('not_set_label') ~ "'" %}
{#- each KPI of the funnel, stage by stage (PRODUCT.md); the yml states every formula -#}
{%- set measures = [
    'views', 'reach', 'follower_growth', 'reactions', 'comments', 'shares', 'saves', 'link_clicks',
    'direct_messages', 'new_conversations',
    'sessions', 'engaged_sessions', 'engagement_time_msec',
    'content_downloads', 'demo_requests', 'contact_requests', 'phone_inquiries',
    'email_inquiries', 'leads',
    'mqls', 'sqls', 'opportunities', 'pipeline_usd',
    'customers', 'revenue_usd', 'spend_usd'] %}

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

people as (

    select * from {{ ref('int_crm_people') }}

),

inquiries as (

    select * from {{ ref('int_inquiries_sourced') }}

),

deals as (

    select * from {{ ref('int_deals_sourced') }}

),

followers as (

    select * from {{ ref('fct_followers_daily') }}

),

direct_messages as (

    select * from {{ ref('stg_meta__direct_messages') }}

),

-- net new followers of our accounts, an organic-social measure of the platform
follower_measures as (

    select follower_date as funnel_date, platform as source, 'social' as medium,
        cast(null as varchar) as campaign, follower_growth
    from followers
    where follower_growth is not null

),

-- conversation: direct messages people sent to our Page / Instagram account that day (the
-- page's own replies are not counted), and the conversations a person opened that day; an
-- organic-social measure of the platform, like followers
direct_message_measures as (

    select
        sent_date as funnel_date, platform as source, 'social' as medium,
        cast(null as varchar) as campaign,
        count(*) filter (where not is_from_page) as direct_messages,
        count(*) filter (where not is_from_page and is_conversation_start) as new_conversations
    from direct_messages
    group by 1, 2, 3, 4

),

-- organic views/reactions count on the day the post was published (lifetime insights)
post_measures as (

    select
        created_date as funnel_date, platform as source, 'social' as medium, campaign,
        views, reach, reactions, comments, shares, saves, link_clicks
    from organic_posts

),

-- paid impressions count as views; spend in the reporting currency (int_ad_performance_daily)
ad_measures as (

    select
        report_date as funnel_date, platform as source, 'paid_social' as medium,
        campaign_name as campaign, impressions as views, reach, reactions, link_clicks,
        cast(spend_usd as {{ dbl() }}) as spend_usd
    from ads

),

session_measures as (

    select
        session_date as funnel_date, source, medium, campaign,
        1 as sessions, cast(is_engaged as integer) as engaged_sessions, engagement_time_msec,
        -- website actions: the form filled in the session (GA4 generate_lead form_name)
        cast(lead_form_name = 'ebook_download' as integer) as content_downloads,
        cast(lead_form_name = 'demo_request' as integer) as demo_requests,
        cast(lead_form_name = 'contact_us' as integer) as contact_requests
    from sessions

),

-- phone and e-mail inquiries: inbound calls and incoming e-mails on the day they happened,
-- credited like the lead (int_inquiries_sourced; "(unknown)" without a contact)
inquiry_measures as (

    select
        inquiry_date as funnel_date, source, medium, campaign,
        cast(engagement_type = 'call' as integer) as phone_inquiries,
        cast(engagement_type = 'email' as integer) as email_inquiries
    from inquiries
    where partner_type is null  -- a would-be partner is not sales demand (fct_partner_inquiries)

),

lead_measures as (

    select lead_date as funnel_date, source, medium, campaign, 1 as leads
    from people
    where partner_type is null  -- a partner inquiry is not a sales lead (fct_partner_inquiries)

),

-- qualified demand counts on the day of each milestone, credited like the lead
mql_measures as (

    select mql_date as funnel_date, source, medium, campaign, 1 as mqls
    from people
    where mql_date is not null

),

sql_measures as (

    select sql_date as funnel_date, source, medium, campaign, 1 as sqls
    from people
    where sql_date is not null

),

-- an opportunity is a deal's creation; its amount then is the pipeline it adds (reporting
-- currency, rate of the creation day)
opportunity_measures as (

    select
        created_date as funnel_date, source, medium, campaign,
        1 as opportunities, cast(pipeline_usd as {{ dbl() }}) as pipeline_usd
    from deals

),

-- a customer is a contact with a won deal that day; revenue is the won amount (reporting
-- currency, rate of the closing day)
customer_measures as (

    select
        won_date as funnel_date, source, medium, campaign,
        count(distinct person_id) as customers, sum(cast(revenue_usd as {{ dbl() }})) as revenue_usd
    from deals
    where is_won
    group by 1, 2, 3, 4

),

unioned as (

    {%- set keys = ['funnel_date', 'source', 'medium', 'campaign'] %}
    {%- set types = {'funnel_date': 'date', 'source': 'varchar', 'medium': 'varchar', 'campaign': 'varchar'} %}
    {%- for measure in measures %}{% do types.update({measure: dbl() if measure.endswith('_usd') else 'bigint'}) %}{% endfor %}
    {{ union_by_name({
        'post_measures': keys + ['views', 'reach', 'reactions', 'comments', 'shares', 'saves', 'link_clicks'],
        'follower_measures': keys + ['follower_growth'],
        'direct_message_measures': keys + ['direct_messages', 'new_conversations'],
        'ad_measures': keys + ['views', 'reach', 'reactions', 'link_clicks', 'spend_usd'],
        'session_measures': keys + ['sessions', 'engaged_sessions', 'engagement_time_msec', 'content_downloads',
                                    'demo_requests', 'contact_requests'],
        'inquiry_measures': keys + ['phone_inquiries', 'email_inquiries'],
        'lead_measures': keys + ['leads'],
        'mql_measures': keys + ['mqls'],
        'sql_measures': keys + ['sqls'],
        'opportunity_measures': keys + ['opportunities', 'pipeline_usd'],
        'customer_measures': keys + ['customers', 'revenue_usd'],
    }, types) }}

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
        {{ round_dbl('coalesce(sum(' ~ measure ~ '), 0)', 2) }} as {{ measure }}{{ ',' if not loop.last }}
        {%- else %}
        cast(coalesce(sum({{ measure }}), 0) as bigint) as {{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}

    from mapped
    group by funnel_date, channel_group, platform, campaign

)

select * from final
