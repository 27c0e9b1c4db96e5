with

source as (

    select * from {{ source('meta', 'ig_media') }}

),

renamed as (

    select
        media_id,
        ig_user_id,
        'instagram' as platform,
        created_time as created_at,
        cast(created_time as date) as created_date,
        caption,
        media_type,
        media_product_type,
        permalink,
        {{ utm_param('caption', 'utm_campaign') }} as utm_campaign,
        {{ utm_param('caption', 'utm_content') }} as utm_content,
        views,
        reach,
        coalesce(like_count, 0) as reactions,
        coalesce(comments_count, 0) as comments,
        coalesce(shares, 0) as shares,
        coalesce(saved, 0) as saves

    from source

)

select * from renamed
