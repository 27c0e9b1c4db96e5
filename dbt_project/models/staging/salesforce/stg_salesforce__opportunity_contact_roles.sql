with

source as (

    select * from {{ source('salesforce', 'opportunity_contact_roles') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as opportunity_contact_role_id,
        opportunity_id,
        contact_id,
        role as contact_role,
        is_primary,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
