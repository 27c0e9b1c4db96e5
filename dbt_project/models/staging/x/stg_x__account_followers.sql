with

source as (

    select * from {{ source('x', 'account_followers') }}

),

renamed as (

    select
        'x' as platform,
        account_id,
        date as follower_date,
        cast(followers_count as bigint) as followers,
        cast(following_count as bigint) as following,
        cast(tweet_count as bigint) as posts,
        cast(listed_count as bigint) as listed,
        observed_at

    from source

)

select * from renamed
