with

source as (

    select * from {{ source('salesforce', 'tasks') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as task_id,
        who_id,
        what_id,
        -- call or email (also task, listemail, cadence…): the action that logged it
        lower(task_subtype) as task_subtype,
        -- one vocabulary for every engagement: inbound (the person reached us), outbound, internal
        lower(call_type) as call_direction,
        call_duration_in_seconds as call_duration_seconds,
        call_disposition,
        status as task_status,
        -- the day of the call or e-mail, as the rep's or the CTI adapter's time zone says
        -- (Salesforce keeps no start time for a call)
        activity_date,
        owner_id,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
