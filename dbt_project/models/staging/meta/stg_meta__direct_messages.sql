with

source as (

    select * from {{ source('meta', 'direct_messages') }}

),

renamed as (

    select
        message_id,
        conversation_id,
        -- the Conversations API's `platform` parameter: messenger is the Facebook Page's inbox
        case platform when 'messenger' then 'facebook' else platform end as platform,
        account_id,
        sender_id,
        created_time as sent_at,
        cast(created_time as date) as sent_date,
        is_from_page,
        is_conversation_start

    from source

)

select * from renamed
