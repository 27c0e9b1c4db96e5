with

source as (

    select * from {{ source('salesforce', 'email_messages') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as email_message_id,
        activity_id as task_id,
        -- one vocabulary for every engagement: inbound (the person wrote to us) or outbound
        case when incoming then 'inbound' else 'outbound' end as direction,
        message_date as emailed_at,
        status as email_status,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
