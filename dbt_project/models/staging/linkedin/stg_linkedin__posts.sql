with

source as (

    select * from {{ source('linkedin', 'posts') }}

),

renamed as (

    select
        post_id,
        author as organization_urn,
        'linkedin' as platform,
        published_at as created_at,
        cast(published_at as date) as created_date,
        lifecycle_state,
        visibility,
        commentary,
        article_url,
        -- the shared link carries the UTMs (its URN as utm_content, percent-encoded)
        {{ url_decode(utm_param('coalesce(article_url, commentary)', 'utm_campaign')) }} as utm_campaign,
        {{ url_decode(utm_param('coalesce(article_url, commentary)', 'utm_content')) }} as utm_content,
        'https://www.linkedin.com/feed/update/' || post_id || '/' as permalink,
        -- lifetime share statistics; NULL when LinkedIn returned none for the post
        impression_count as views,
        unique_impressions_count as reach,
        like_count as reactions,
        comment_count as comments,
        share_count as shares,
        click_count as clicks,
        engagement as linkedin_engagement_rate,
        extra_fields

    from source

)

select * from renamed
