-- Incremental (decision 65): the landing days inside GA4's re-delivery window (var
-- ga4_redelivery_days: the export rewrites a day for ~72 h) are replaced on every run, the older
-- days stay as they were built.
{{ config(materialized='incremental', incremental_strategy='replace_keys', unique_key='landed_date',
          keys_macro='stg_ga4__events_days') }}

with

source as (

    select * from {{ source('ga4', 'events') }}
    {%- if is_incremental() %}
    where date >= {{ reprocess_from(this, 'landed_date', var('ga4_redelivery_days')) }}
    {%- endif %}

),

renamed as (

    select
        -- GA4 has no event id: user, timestamp, name and position in the batch identify an event
        user_pseudo_id,
        -- consent mode: a visitor who denied analytics storage sends cookieless pings, without a
        -- client id (nor ga_session_id); they cannot be sessionised
        user_pseudo_id is null as is_consent_denied,
        user_id,
        {{ timestamp_from_us('event_timestamp') }} as event_at,
        {{ date_from_yyyymmdd('event_date') }} as event_date,
        event_name,
        {{ ga4_param('ga_session_id', 'int') }} as ga_session_id,
        {{ ga4_param('ga_session_number', 'int') }} as ga_session_number,
        {{ ga4_param('page_location') }} as page_location,
        {{ ga4_param('source') }} as source,
        {{ ga4_param('medium') }} as medium,
        {{ ga4_param('campaign') }} as campaign,
        {{ ga4_param('content') }} as content,
        {{ ga4_param('form_name') }} as form_name,
        {{ ga4_param('engagement_time_msec', 'int') }} as engagement_time_msec,
        -- web streams send session_engaged as the string "1"
        {{ ga4_param('session_engaged') }} = '1' as is_session_engaged,
        -- click ids: GA4 collects gclid itself; Meta's fbclid and LinkedIn's li_fat_id stay in the URL
        coalesce({{ field('collected_traffic_source', 'gclid') }}, {{ utm_param(ga4_param('page_location'), 'gclid') }})
            as gclid,
        {{ utm_param(ga4_param('page_location'), 'fbclid') }} as fbclid,
        {{ utm_param(ga4_param('page_location'), 'li_fat_id') }} as li_fat_id,
        -- GA4's session-scoped last click (cross-channel), on every event, pings included
        {{ field('session_traffic_source_last_click', 'cross_channel_campaign', 'source') }} as last_click_source,
        {{ field('session_traffic_source_last_click', 'cross_channel_campaign', 'medium') }} as last_click_medium,
        {{ field('session_traffic_source_last_click', 'cross_channel_campaign', 'campaign_name') }} as last_click_campaign,
        {{ field('session_traffic_source_last_click', 'cross_channel_campaign', 'default_channel_group') }}
            as last_click_default_channel_group,
        {{ field('device', 'category') }} as device_category,
        {{ field('geo', 'country') }} as country,
        extra_fields,
        -- the landing partition (the export's day): what an incremental run replaces
        date as landed_date

    from source

)

select * from renamed
