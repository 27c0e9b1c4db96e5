with

source as (

    select * from {{ source('hubspot', 'engagement_contacts') }}

),

latest as (

    -- associations land with their engagement: its latest landing day holds the current set
    {{ latest_landing_day('source', 'engagement_type, engagement_id') }}

),

renamed as (

    select distinct
        case engagement_type
            when 'calls' then 'call'
            when 'emails' then 'email'
            else engagement_type
        end as engagement_type,
        engagement_id,
        contact_id

    from latest

)

select * from renamed
