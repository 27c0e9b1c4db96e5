with

source as (

    select * from {{ source('meta', 'account_followers') }}

),

renamed as (

    select
        platform,
        account_id,
        date as follower_date,
        followers

    from source

)

select * from renamed
