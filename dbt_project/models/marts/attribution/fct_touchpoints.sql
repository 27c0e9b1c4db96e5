-- One row per touchpoint: a web session (int_web_sessions) or an ad lead-form submission
-- (stg_meta__form_leads), with the person an identifier ties it to (null = anonymous: the
-- data-driven models use those as non-converting journeys), its channel from the editable
-- channel_mapping rules, and the social post or ad behind it when its utm_content / ad id names
-- one. A browser, or a person, with more than `bot_sessions_per_day` sessions on a day (a
-- crawler, a monitoring script signing in from fresh browsers) is flagged for that day and kept
-- out of every attribution path.
with

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

session_identity as (

    select * from {{ ref('int_session_identity') }}

),

form_leads as (

    select * from {{ ref('stg_meta__form_leads') }}

),

email_owners as (

    select identifier as email_hash, person_id
    from {{ ref('int_person_identifiers') }}
    where identifier_type = 'email_hash'

),

-- a post's links carry its utm_content (the post id unless the team chose another tag); a
-- tag reused by several posts goes to the earliest of them
posts as (

    select
        platform,
        coalesce(utm_content, post_id) as content,
        {{ arg_min('post_id', 'created_at, post_id') }} as post_id
    from {{ ref('int_organic_posts_unioned') }}
    group by 1, 2

),

-- paid links carry the ad id in utm_content (Meta's ad id URL parameter)
ads as (

    select distinct platform, ad_id, campaign_name as ad_campaign_name
    from {{ ref('int_ad_performance_daily') }}

),

busy_browsers as (

    select user_pseudo_id, session_date
    from sessions
    group by 1, 2
    having count(*) > {{ var('bot_sessions_per_day') }}

),

busy_people as (

    select session_identity.person_id, sessions.session_date
    from sessions
    inner join session_identity on sessions.session_key = session_identity.session_key
    where session_identity.person_id is not null
    group by 1, 2
    having count(*) > {{ var('bot_sessions_per_day') }}

),

web_touches as (

    select
        sessions.session_key as touchpoint_id,
        'web_session' as touchpoint_type,
        session_identity.person_id,
        session_identity.match_method,
        sessions.user_pseudo_id,
        sessions.session_start_at as touchpoint_at,
        sessions.source,
        sessions.medium,
        sessions.campaign,
        sessions.content,
        coalesce(sessions.gclid, sessions.fbclid, sessions.li_fat_id) as click_id,
        sessions.is_engaged,
        sessions.engagement_time_msec,
        sessions.has_lead,
        busy_browsers.user_pseudo_id is not null or busy_people.person_id is not null
            as is_suspected_bot

    from sessions
    inner join session_identity on sessions.session_key = session_identity.session_key
    left join busy_browsers
        on sessions.user_pseudo_id = busy_browsers.user_pseudo_id
        and sessions.session_date = busy_browsers.session_date
    left join busy_people
        on session_identity.person_id = busy_people.person_id
        and sessions.session_date = busy_people.session_date

),

-- an instant form is a paid-social touch of its ad, tied to a person by the hashed e-mail only
form_touches as (

    select
        'meta_lead:' || form_leads.lead_id as touchpoint_id,
        'lead_form' as touchpoint_type,
        email_owners.person_id,
        case when email_owners.person_id is not null then 'hashed_email' end as match_method,
        cast(null as varchar) as user_pseudo_id,
        form_leads.created_at as touchpoint_at,
        form_leads.platform as source,
        'paid_social' as medium,
        ads.ad_campaign_name as campaign,
        form_leads.ad_id as content,
        cast(null as varchar) as click_id,
        cast(null as boolean) as is_engaged,
        cast(null as bigint) as engagement_time_msec,
        true as has_lead,
        false as is_suspected_bot

    from form_leads
    left join email_owners on form_leads.email_hash = email_owners.email_hash
    left join ads on form_leads.platform = ads.platform and form_leads.ad_id = ads.ad_id

),

touches as (

    select * from web_touches
    {{ union_all_by_name() }}
    select * from form_touches

),

{{ channel_assignment('touches') }},

mapped as (

    select
        touches.*,
        coalesce(channel_assignment.channel_group, 'Other') as channel_group,
        coalesce(channel_assignment.platform, touches.source) as platform

    from touches
    left join channel_assignment
        on lower(touches.source) = channel_assignment.source
        and lower(touches.medium) = channel_assignment.medium

),

final as (

    select
        mapped.touchpoint_id,
        mapped.touchpoint_type,
        mapped.person_id,
        mapped.match_method,
        mapped.user_pseudo_id,
        mapped.touchpoint_at,
        cast(mapped.touchpoint_at as date) as touchpoint_date,
        mapped.channel_group,
        mapped.platform,
        mapped.source,
        mapped.medium,
        coalesce(mapped.campaign, '{{ var("not_set_label") }}') as campaign,
        mapped.content,
        posts.post_id,
        ads.ad_id,
        mapped.click_id,
        mapped.is_engaged,
        mapped.engagement_time_msec,
        mapped.has_lead,
        mapped.channel_group = 'Direct' as is_direct,
        mapped.is_suspected_bot

    from mapped
    left join posts
        on mapped.platform = posts.platform
        and mapped.content = posts.content
        and mapped.channel_group = 'Organic Social'
    left join ads
        on mapped.platform = ads.platform
        and mapped.content = ads.ad_id
        and mapped.channel_group <> 'Organic Social'

)

select * from final
