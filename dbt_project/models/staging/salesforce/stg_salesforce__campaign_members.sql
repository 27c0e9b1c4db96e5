with

source as (

    select * from {{ source('salesforce', 'campaign_members') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as campaign_member_id,
        campaign_id,
        lead_id,
        contact_id,
        status as member_status,
        has_responded,
        first_responded_date,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
