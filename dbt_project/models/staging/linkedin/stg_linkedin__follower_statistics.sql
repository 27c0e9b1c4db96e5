with

source as (

    select * from {{ source('linkedin', 'follower_statistics') }}

),

renamed as (

    select
        organizational_entity as organization_urn,
        time_range_start as follower_date,
        organic_follower_gain,
        paid_follower_gain,
        -- the day's net change: LinkedIn reports gains, never a total for a past day
        organic_follower_gain + paid_follower_gain as follower_gain,
        extra_fields

    from source

)

select * from renamed
