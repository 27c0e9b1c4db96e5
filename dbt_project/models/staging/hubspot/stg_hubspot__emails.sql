with

source as (

    select * from {{ source('hubspot', 'emails') }}

),

latest as (

    {{ latest_landed('source', 'email_id') }}

),

renamed as (

    select
        email_id,
        created_at,
        updated_at,
        archived as is_archived,
        cast(hs_timestamp as timestamptz) as emailed_at,
        -- one vocabulary for every engagement: INCOMING_EMAIL is the person writing to us, EMAIL
        -- one we sent; FORWARDED_EMAIL a thread a rep forwarded to the CRM (sender unknown)
        case upper(hs_email_direction)
            when 'INCOMING_EMAIL' then 'inbound'
            when 'EMAIL' then 'outbound'
            when 'FORWARDED_EMAIL' then 'forwarded'
            else lower(hs_email_direction)
        end as direction,
        lower(hs_email_status) as email_status

    from latest

)

select * from renamed
