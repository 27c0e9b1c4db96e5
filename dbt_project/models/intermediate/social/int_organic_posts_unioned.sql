-- The organic-post contract: every platform's posts with the same columns, unioned here only.
-- Platform metrics map onto the contract as written in docs/decisions.md (X: views =
-- impressions, reactions = likes, comments = replies, shares = reposts + quotes, saves =
-- bookmarks, link_clicks = url_link_clicks; X reports no reach).
with

facebook_posts as (

    select * from {{ ref('stg_meta__page_posts') }}

),

instagram_media as (

    select * from {{ ref('stg_meta__ig_media') }}

),

x_posts as (

    select * from {{ ref('stg_x__tweets') }}

),

linkedin_posts as (

    select * from {{ ref('stg_linkedin__posts') }}

),

unioned as (

    select
        post_id, platform, created_at, created_date, utm_campaign as campaign, utm_content,
        status_type as post_type, permalink_url as permalink,
        -- Facebook reports no saves for Page posts: unknown, not zero
        views, reach, reactions, comments, shares, cast(null as bigint) as saves,
        clicks as link_clicks
    from facebook_posts

    union all

    select
        media_id as post_id, platform, created_at, created_date, utm_campaign as campaign, utm_content,
        media_type as post_type, permalink,
        -- Instagram posts carry no clickable link: their clicks are the sessions they bring
        views, reach, reactions, comments, shares, saves, 0 as link_clicks
    from instagram_media

    union all

    select
        tweet_id as post_id, platform, created_at, created_date, utm_campaign as campaign, utm_content,
        'post' as post_type, permalink,
        -- X has no reach; link clicks are non-public, NULL once a Post was 30 days old at extraction
        impressions as views, cast(null as bigint) as reach, likes as reactions, replies as comments,
        reposts + quotes as shares, bookmarks as saves, url_link_clicks as link_clicks
    from x_posts

    union all

    select
        post_id, platform, created_at, created_date, utm_campaign as campaign, utm_content,
        case when article_url is not null then 'article' else 'text' end as post_type, permalink,
        -- LinkedIn reports no saves; its clickCount also counts clicks on the company name and
        -- logo, the closest it has to link clicks
        views, reach, reactions, comments, shares, cast(null as bigint) as saves,
        clicks as link_clicks
    from linkedin_posts

)

select * from unioned
