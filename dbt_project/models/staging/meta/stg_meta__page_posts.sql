with

source as (

    select * from {{ source('meta', 'page_posts') }}

),

renamed as (

    select
        post_id,
        page_id,
        'facebook' as platform,
        created_time as created_at,
        cast(created_time as date) as created_date,
        message,
        permalink_url,
        status_type,
        {{ utm_param('message', 'utm_campaign') }} as utm_campaign,
        {{ utm_param('message', 'utm_content') }} as utm_content,
        post_media_view as views,
        post_total_media_view_unique as reach,
        post_clicks as clicks,
        -- total reactions = sum over reaction types (like, love, wow, haha, sad, angry)
        coalesce({{ json_values_sum('post_reactions_by_type_total') }}, 0) as reactions,
        coalesce(comments_count, 0) as comments,
        coalesce(shares_count, 0) as shares

    from source

)

select * from renamed
