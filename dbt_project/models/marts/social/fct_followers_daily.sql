-- Followers of our own accounts per day and platform, their growth, and the views and reach of
-- the accounts' content, from the account-level contract only (decision 43). Meta and X report
-- the day's total: growth is the day's total minus the previous day's (net: new followers minus
-- unfollows; NULL on the first day known, when there is nothing to compare with, or after a gap
-- in the data, never a guess). LinkedIn reports the day's gains instead (organic net of
-- unfollows, plus paid) and no total for a past day: its growth is the reported gain and its
-- total stays NULL. A platform's day total is known only when every account of it reported it.
with

accounts as (

    select * from {{ ref('int_account_insights_unioned') }}

),

-- several accounts of one platform add up; reach too (a person reached by two accounts of a
-- platform counts twice: each account's reach is all Meta reports)
platform_days as (

    select
        report_date as follower_date,
        platform,
        case when count(followers) = count(*) then sum(followers) end as followers,
        case when count(follower_gain) = count(*) then sum(follower_gain) end as follower_gain,
        case when count(views) = count(*) then sum(views) end as views,
        case when count(reach) = count(*) then sum(reach) end as reach
    from accounts
    group by 1, 2

),

final as (

    select
        follower_date,
        platform,
        cast(followers as bigint) as followers,
        -- a platform's reported gain, else the change of its total since the day before
        cast(coalesce(
            follower_gain,
            case when lag(follower_date) over by_platform = follower_date - 1
                then followers - lag(followers) over by_platform
            end
        ) as bigint) as follower_growth,
        case when lag(follower_date) over by_platform = follower_date - 1
            then {{ round_dbl(fdiv('(followers - lag(followers) over by_platform)',
                                   'nullif(lag(followers) over by_platform, 0)'), 6) }}
        end as follower_growth_rate,
        cast(views as bigint) as views,
        cast(reach as bigint) as reach

    from platform_days
    window by_platform as (partition by platform order by follower_date)

)

select * from final
