with

source as (

    select * from {{ source('salesforce', 'opportunity_history') }}

),

latest as (

    -- history rows never change, but each run of the lookback window lands them again
    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as opportunity_history_id,
        opportunity_id,
        stage_name,
        cast(amount as decimal(18, 2)) as amount,
        close_date,
        probability,
        created_date as changed_at,
        is_deleted

    from latest

)

select * from renamed
