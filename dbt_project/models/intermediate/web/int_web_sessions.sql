-- One row per web session, sessionised here from the events rather than taken from GA4's
-- ga_session_id (docs/attribution.md, "Sessions"): a browser's session ends after
-- `session_timeout_minutes` without an event, and a hit that brings another campaign (source /
-- medium / campaign / content) starts a new session, as GA4 defines sessions. The key is
-- `<client id>-<start, unix seconds>`: GA4's own user_pseudo_id-ga_session_id when the two agree.
-- Incremental (decision 65): a browser's sessions depend on its events only, so a run rebuilds,
-- from all their events, the browsers with an event in the re-delivery window (new or re-delivered
-- days; a session across midnight included) and the browsers whose sessions were built from a
-- day in it (a re-delivered day can take events away).
{{ config(materialized='incremental', incremental_strategy='replace_keys', unique_key='user_pseudo_id',
          keys_macro='int_web_sessions_browsers') }}

with

events as (

    select
        *,
        case when source is not null
            then concat_ws('|', lower(source), lower(medium), campaign, content)
        end as traffic_key
    from {{ ref('stg_ga4__events') }}
    where user_pseudo_id is not null
    {%- if is_incremental() %}
        and user_pseudo_id in ({{ int_web_sessions_browsers() }})
    {%- endif %}

),

-- a total order per browser: at equal timestamps the tagged hit first, so it defines the session
ordered as (

    select
        *,
        row_number() over (
            partition by user_pseudo_id order by event_at, traffic_key nulls last, event_name
        ) as event_order
    from events

),

gaps as (

    select
        *,
        coalesce(
            event_at - lag(event_at) over (partition by user_pseudo_id order by event_order)
                > {{ interval(var('session_timeout_minutes'), 'minute') }},
            true) as starts_visit
    from ordered

),

visits as (

    select
        *,
        sum(cast(starts_visit as integer)) over (
            partition by user_pseudo_id order by event_order
        ) as visit_number
    from gaps

),

-- a tagged hit whose campaign differs from the one in force starts a session; so does a tagged
-- hit after the start of a visit that began untagged (direct → campaign)
campaign_changes as (

    select
        *,
        traffic_key is not null and (
            traffic_key is distinct from {{ last_value_ignore_nulls('traffic_key', 'earlier_in_visit') }}
            and ({{ last_value_ignore_nulls('traffic_key', 'earlier_in_visit') }} is not null
                 or event_at > min(event_at) over (partition by user_pseudo_id, visit_number))
        ) as starts_campaign
    from visits
    window earlier_in_visit as (
        partition by user_pseudo_id, visit_number order by event_order
        rows between unbounded preceding and 1 preceding
    )

),

numbered as (

    select
        *,
        visit_number + sum(cast(starts_campaign as integer)) over (
            partition by user_pseudo_id order by event_order
        ) as session_number
    from campaign_changes

),

sessions as (

    select
        user_pseudo_id,
        session_number,
        min(event_at) as session_start_at,
        max(event_at) as session_end_at,
        {{ arg_min('ga_session_id', 'event_order') }} as ga_session_id,
        {{ arg_min('source', 'event_order', 'traffic_key is not null') }} as source,
        {{ arg_min('medium', 'event_order', 'traffic_key is not null') }} as medium,
        {{ arg_min('campaign', 'event_order', 'traffic_key is not null') }} as campaign,
        {{ arg_min('content', 'event_order', 'traffic_key is not null') }} as content,
        {{ arg_min('gclid', 'event_order', 'gclid is not null') }} as gclid,
        {{ arg_min('fbclid', 'event_order', 'fbclid is not null') }} as fbclid,
        {{ arg_min('li_fat_id', 'event_order', 'li_fat_id is not null') }} as li_fat_id,
        -- the first signed-in user of the session (GA4 sets user_id from the login on)
        {{ arg_min('user_id', 'event_order', 'user_id is not null') }} as user_id,
        count(*) as events,
        count(*) filter (where event_name = 'page_view') as page_views,
        -- the property's key events (var ga4_key_events), as GA4's keyEvents metric counts them
        count(*) filter (where event_name in {{ ga4_key_events() }}) as key_events,
        coalesce(sum(engagement_time_msec), 0) as engagement_time_msec,
        coalesce(bool_or(is_session_engaged), false) as is_engaged,
        -- a sales lead's form; the partner form is a partner inquiry, not a lead
        coalesce(bool_or(event_name = 'generate_lead'
            and form_name is distinct from '{{ var("partner_inquiry_form_name") }}'), false) as has_lead,
        coalesce(bool_or(event_name = 'generate_lead'
            and form_name = '{{ var("partner_inquiry_form_name") }}'), false) as has_partner_inquiry,
        {{ arg_min('form_name', 'event_order', "event_name = 'generate_lead'") }}
            as lead_form_name,
        max(landed_date) as landed_date

    from numbered
    group by user_pseudo_id, session_number

),

keyed as (

    select
        *,
        user_pseudo_id || '-' || cast(floor({{ epoch('session_start_at') }}) as bigint) as second_key,
        -- two sessions of one browser starting in the same second (a campaign change): suffix
        row_number() over (
            partition by user_pseudo_id, floor({{ epoch('session_start_at') }}) order by session_number
        ) as same_second_rank
    from sessions

),

final as (

    select
        case when same_second_rank = 1 then second_key
            else second_key || '.' || same_second_rank end as session_key,
        user_pseudo_id,
        ga_session_id,
        session_start_at,
        session_end_at,
        cast(session_start_at as date) as session_date,
        lower(coalesce(source, '(direct)')) as source,
        lower(coalesce(medium, '(none)')) as medium,
        campaign,
        content,
        gclid,
        fbclid,
        li_fat_id,
        user_id,
        events,
        page_views,
        key_events,
        engagement_time_msec,
        is_engaged,
        has_lead,
        lead_form_name,
        -- the last landing day of its events: the incremental run's bookkeeping
        landed_date

    from keyed

)

select * from final
