-- The account-level contract: the follower total of each own account at the end of a day, every
-- platform, unioned here only. Meta reports a daily history; X only "now" (one reading a day,
-- by the run of the day after: stg_x__account_followers).
with

meta_followers as (

    select * from {{ ref('stg_meta__account_followers') }}

),

x_followers as (

    select * from {{ ref('stg_x__account_followers') }}

),

unioned as (

    select platform, account_id, follower_date, followers
    from meta_followers

    union all

    select platform, account_id, follower_date, followers
    from x_followers

)

select * from unioned
