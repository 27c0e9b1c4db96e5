-- Followers of our own accounts per day and platform, and their growth: the day's total minus
-- the previous day's (net: new followers minus unfollows; NULL on the first day known, when
-- there is nothing to compare with, or after a gap in the data, never a guess).
with

followers as (

    select
        follower_date,
        platform,
        sum(followers) as followers  -- several accounts of one platform add up
    from {{ ref('int_account_followers_unioned') }}
    group by all

),

final as (

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

)

select * from final
