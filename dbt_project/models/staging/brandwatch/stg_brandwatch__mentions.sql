with

source as (

    select * from {{ source('brandwatch', 'mentions') }}

),

renamed as (

    select
        mention_id,
        resource_id,
        query_id,
        query_name,
        published_at as mentioned_at,
        cast(published_at as date) as mention_date,
        added_at as indexed_at,
        page_type,
        -- Brandwatch still calls X "twitter": the platform name the other marts use
        case page_type when 'twitter' then 'x' else page_type end as platform,
        domain,
        sentiment,
        language,
        country_code,
        reach_estimate,
        impressions,
        engagement_score,
        extra_fields

    from source

)

select * from renamed
