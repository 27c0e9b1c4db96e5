with

source as (

    select * from {{ source('hubspot', 'deal_contacts') }}

),

latest as (

    -- associations land with their deal: the deal's latest landing day holds the current set
    select *
    from source
    qualify dense_rank() over (partition by deal_id order by date desc) = 1

),

renamed as (

    select distinct
        deal_id,
        contact_id

    from latest

)

select * from renamed
