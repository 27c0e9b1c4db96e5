-- One row per GA4 session (user_pseudo_id × ga_session_id, as GA4 counts sessions).
-- The session's source is the one its first tagged event carries; none means direct.
with

events as (

    select * from {{ ref('stg_ga4__events') }}
    where user_pseudo_id is not null and ga_session_id is not null

),

sessions as (

    select
        user_pseudo_id,
        ga_session_id,
        min(event_at) as session_start_at,
        arg_min(source, event_at) filter (where source is not null) as source,
        arg_min(medium, event_at) filter (where medium is not null) as medium,
        arg_min(campaign, event_at) filter (where campaign is not null) as campaign,
        arg_min(content, event_at) filter (where content is not null) as content,
        count(*) filter (where event_name = 'page_view') as page_views,
        coalesce(sum(engagement_time_msec), 0) as engagement_time_msec,
        coalesce(bool_or(is_session_engaged), false) as is_engaged,
        bool_or(event_name = 'generate_lead') as has_lead

    from events
    group by user_pseudo_id, ga_session_id

),

final as (

    select
        user_pseudo_id || '-' || ga_session_id as session_key,
        user_pseudo_id,
        ga_session_id,
        session_start_at,
        cast(session_start_at as date) as session_date,
        lower(coalesce(source, '(direct)')) as source,
        lower(coalesce(medium, '(none)')) as medium,
        campaign,
        content,
        page_views,
        engagement_time_msec,
        is_engaged,
        has_lead

    from sessions

)

select * from final
