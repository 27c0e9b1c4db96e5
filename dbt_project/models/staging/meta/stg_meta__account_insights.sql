with

source as (

    select * from {{ source('meta', 'account_insights') }}

),

renamed as (

    select
        platform,
        account_id,
        date as report_date,
        -- Facebook page_follows, Instagram follower_count (the total at the day's end)
        followers,
        -- Facebook page_media_view, Instagram views (asked as a total value of the day)
        views,
        -- Facebook page_total_media_view_unique, Instagram reach (people, not additive over days)
        reach

    from source

)

select * from renamed
