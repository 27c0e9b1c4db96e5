-- One row per Post of our X account. Renames and casts only; the organic-post contract is mapped
-- in int_organic_posts_unioned. The text's links are t.co short links: the tracked URL (with its
-- UTMs) is the first expanded URL that carries any.
with

source as (

    select * from {{ source('x', 'tweets') }}

),

tracked as (

    select
        *,
        coalesce(
            -- expanded_urls is a JSON list of strings: the first one with a UTM parameter
            nullif({{ regexp_extract('expanded_urls', '"([^"]*[?&]utm_[^"]*)"', 1) }}, ''),
            {{ json_element_text('expanded_urls', 0) }}
        ) as tracked_url
    from source

),

renamed as (

    select
        tweet_id,
        author_id,
        'x' as platform,
        created_at,
        cast(created_at as date) as created_date,
        'https://x.com/i/web/status/' || tweet_id as permalink,
        text,
        lang,
        tracked_url,
        {{ utm_param('tracked_url', 'utm_campaign') }} as utm_campaign,
        {{ utm_param('tracked_url', 'utm_content') }} as utm_content,
        -- counts arrive as JSON integers; cast anyway, so no contract change can leak strings
        cast(impression_count as bigint) as impressions,
        cast(like_count as bigint) as likes,
        cast(reply_count as bigint) as replies,
        cast(retweet_count as bigint) as reposts,
        cast(quote_count as bigint) as quotes,
        cast(bookmark_count as bigint) as bookmarks,
        -- non-public: NULL when the Post was over 30 days old at extraction (unknown, not zero)
        cast(non_public_impression_count as bigint) as non_public_impressions,
        cast(url_link_clicks as bigint) as url_link_clicks,
        cast(user_profile_clicks as bigint) as user_profile_clicks,
        url_link_clicks is not null as has_non_public_metrics,
        observed_at as metrics_observed_at,
        extra_fields

    from tracked

)

select * from renamed
