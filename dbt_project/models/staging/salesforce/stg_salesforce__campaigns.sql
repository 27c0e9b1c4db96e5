with

source as (

    select * from {{ source('salesforce', 'campaigns') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as campaign_id,
        name as campaign_name,
        type as campaign_type,
        status as campaign_status,
        is_active,
        start_date,
        end_date,
        parent_id as parent_campaign_id,
        budgeted_cost,
        actual_cost,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
