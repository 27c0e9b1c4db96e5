with

source as (

    select * from {{ source('hubspot', 'deal_contacts') }}

),

latest as (

    -- associations land with their deal: the deal's latest landing day holds the current set
    {{ latest_landing_day('source', 'deal_id') }}

),

renamed as (

    select distinct
        deal_id,
        contact_id

    from latest

)

select * from renamed
