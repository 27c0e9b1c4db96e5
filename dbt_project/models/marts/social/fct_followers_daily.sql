-- Followers of our own accounts per day and platform, and their growth. Meta reports the day's
-- total: growth is the day's total minus the previous day's (net: new followers minus unfollows;
-- NULL on the first day known, when there is nothing to compare with, or after a gap in the data,
-- never a guess). LinkedIn reports the day's gains instead (organic net of unfollows, plus paid)
-- and no total for a past day: its growth is the reported gain and its total stays NULL.
with

followers as (

    select
        follower_date,
        platform,
        sum(followers) as followers  -- several accounts of one platform add up
    from {{ ref('int_account_followers_unioned') }}
    group by all

),

gains as (

    select
        follower_date,
        'linkedin' as platform,
        sum(follower_gain) as follower_growth  -- several organizations add up
    from {{ ref('stg_linkedin__follower_statistics') }}
    group by all

),

from_totals as (

    select
        follower_date,
        platform,
        cast(followers as bigint) as followers,
        case when lag(follower_date) over by_platform = follower_date - 1
            then cast(followers - lag(followers) over by_platform as bigint)
        end as follower_growth,
        case when lag(follower_date) over by_platform = follower_date - 1
            then round((followers - lag(followers) over by_platform)
                / nullif(lag(followers) over by_platform, 0), 6)
        end as follower_growth_rate

    from followers
    window by_platform as (partition by platform order by follower_date)

),

from_gains as (

    select
        follower_date,
        platform,
        cast(null as bigint) as followers,
        cast(follower_growth as bigint) as follower_growth,
        cast(null as double) as follower_growth_rate
    from gains

),

final as (

    select * from from_totals
    union all
    select * from from_gains

)

select * from final
