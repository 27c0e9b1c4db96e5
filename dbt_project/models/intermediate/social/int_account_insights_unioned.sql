-- The account-level contract: one row per own account and day on every organic platform, with
-- what the platform reports of it, unioned here only (decision 43). NULL where a platform does
-- not report a measure, never a made-up 0:
--   followers      the end-of-day total: Meta (page_follows, follower_count); X, read the day
--                  after (stg_x__account_followers); LinkedIn reports none for a past day
--   follower_gain  the day's net gain as reported: LinkedIn only (organic net of unfollows + paid)
--   views, reach   Meta only (page_media_view / page_total_media_view_unique; Instagram views /
--                  reach); X's API has no account-level figure, LinkedIn's daily organization
--                  statistics are not landed (yet)
with

meta_accounts as (

    select * from {{ ref('stg_meta__account_insights') }}

),

x_accounts as (

    select * from {{ ref('stg_x__account_followers') }}

),

linkedin_followers as (

    select * from {{ ref('stg_linkedin__follower_statistics') }}

),

unioned as (

    select
        platform, account_id, report_date, followers,
        cast(null as bigint) as follower_gain, views, reach
    from meta_accounts

    union all

    select
        platform, account_id, follower_date as report_date, followers,
        cast(null as bigint) as follower_gain, cast(null as bigint) as views,
        cast(null as bigint) as reach
    from x_accounts

    union all

    select
        'linkedin' as platform, organization_urn as account_id, follower_date as report_date,
        cast(null as bigint) as followers, follower_gain, cast(null as bigint) as views,
        cast(null as bigint) as reach
    from linkedin_followers

)

select * from unioned
