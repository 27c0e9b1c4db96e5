-- One row per touchpoint: a web session (int_web_sessions), with the person an identifier ties
-- it to (int_session_identity; null = anonymous, which the data-driven models use as
-- non-converting journeys), its channel from the editable channel_mapping seed, and the social
-- post or ad behind it when its utm_content names one. Browsers with more than
-- `bot_sessions_per_day` sessions on a day are flagged and kept out of every attribution path.
with

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

identity as (

    select * from {{ ref('int_session_identity') }}

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}

),

-- a post's links carry its utm_content (the post id unless the team chose another tag); a
-- tag reused by several posts goes to the earliest of them
posts as (

    select
        platform,
        coalesce(utm_content, post_id) as content,
        arg_min(post_id, (created_at, post_id)) as post_id
    from {{ ref('int_organic_posts_unioned') }}
    group by all

),

-- paid links carry the ad id in utm_content (Meta's ad id URL parameter)
ads as (

    select distinct platform, ad_id, campaign_name as ad_campaign_name
    from {{ ref('int_ad_performance_daily') }}

),

busy_browsers as (

    select user_pseudo_id, session_date
    from sessions
    group by all
    having count(*) > {{ var('bot_sessions_per_day') }}

),

mapped as (

    select
        sessions.*,
        identity.person_id,
        identity.match_method,
        coalesce(channel_mapping.channel_group, 'Other') as channel_group,
        coalesce(channel_mapping.platform, sessions.source) as platform,
        busy_browsers.user_pseudo_id is not null as is_suspected_bot

    from sessions
    inner join identity on sessions.session_key = identity.session_key
    left join channel_mapping
        on sessions.source = channel_mapping.source
        and sessions.medium = channel_mapping.medium
    left join busy_browsers
        on sessions.user_pseudo_id = busy_browsers.user_pseudo_id
        and sessions.session_date = busy_browsers.session_date

),

final as (

    select
        mapped.session_key as touchpoint_id,
        'web_session' as touchpoint_type,
        mapped.person_id,
        mapped.match_method,
        mapped.user_pseudo_id,
        mapped.session_start_at as touchpoint_at,
        mapped.session_date as touchpoint_date,
        mapped.channel_group,
        mapped.platform,
        mapped.source,
        mapped.medium,
        coalesce(mapped.campaign, '{{ var("not_set_label") }}') as campaign,
        mapped.content,
        posts.post_id,
        ads.ad_id,
        coalesce(mapped.gclid, mapped.fbclid, mapped.li_fat_id) as click_id,
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
