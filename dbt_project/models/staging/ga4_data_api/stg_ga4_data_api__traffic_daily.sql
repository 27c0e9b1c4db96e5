with

source as (

    select * from {{ source('ga4_data_api', 'traffic_daily') }}

),

renamed as (

    select
        property_id,
        -- the Data API sends every value as a string, dates as YYYYMMDD
        {{ date_from_yyyymmdd('report_date') }} as report_date,
        session_default_channel_group as ga4_channel_group,
        session_source as source,
        session_medium as medium,
        session_campaign_name as campaign,
        cast(sessions as bigint) as sessions,
        cast(engaged_sessions as bigint) as engaged_sessions,
        cast(key_events as bigint) as key_events,
        cast(user_engagement_duration as {{ dbl() }}) as user_engagement_seconds,
        cast(total_users as bigint) as total_users,
        cast(screen_page_views as bigint) as screen_page_views,
        time_zone,
        coalesce(subject_to_thresholding, false) as is_subject_to_thresholding,
        coalesce(data_loss_from_other_row, false) as has_data_loss_from_other_row

    from source

)

select * from renamed
