with

source as (

    select * from {{ source('meta', 'form_leads') }}

),

renamed as (

    select
        lead_id,
        form_id,
        created_time as created_at,
        ad_id,
        adset_id,
        campaign_id,
        case platform when 'fb' then 'facebook' when 'ig' then 'instagram' else platform end
            as platform,
        -- the connector's SHA-256 of the normalised address, keyed like every CRM's e-mail
        {{ pii_hash('email_sha256') }} as email_hash

    from source

)

select * from renamed
