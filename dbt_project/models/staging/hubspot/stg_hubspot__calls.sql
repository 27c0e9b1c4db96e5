with

source as (

    select * from {{ source('hubspot', 'calls') }}

),

latest as (

    {{ latest_landed('source', 'call_id') }}

),

renamed as (

    select
        call_id,
        created_at,
        updated_at,
        archived as is_archived,
        cast(hs_timestamp as timestamptz) as called_at,
        -- one vocabulary for every engagement: inbound (the person reached us) or outbound
        case upper(hs_call_direction)
            when 'INBOUND' then 'inbound'
            when 'OUTBOUND' then 'outbound'
            else lower(hs_call_direction)
        end as direction,
        lower(hs_call_status) as call_status,
        cast(hs_call_duration as bigint) as duration_ms

    from latest

)

select * from renamed
