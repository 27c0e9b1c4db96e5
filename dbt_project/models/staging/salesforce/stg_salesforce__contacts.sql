with

source as (

    select * from {{ source('salesforce', 'contacts') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as contact_id,
        account_id,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted,
        {{ pii_hash('email_sha256') }} as email_hash,
        lead_source

    from latest

)

select * from renamed
