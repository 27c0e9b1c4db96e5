with

source as (

    select * from {{ source('salesforce', 'leads') }}

),

latest as (

    -- each run re-reads its lookback window: keep the latest SystemModstamp
    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as lead_id,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted,
        -- hashed by the connector (social_roi.pii): the address never lands
        {{ pii_hash('email_sha256') }} as email_hash,
        status as lead_status,
        lead_source,
        lead_source_detail__c as lead_source_detail,
        is_converted,
        converted_date,
        converted_contact_id,
        converted_opportunity_id,
        mql_date__c as became_mql_at,
        sql_date__c as became_sql_at,
        ga_client_id__c as ga_client_id,
        app_user_id__c as app_user_id,
        gclid__c as gclid,
        fbclid__c as fbclid,
        li_fat_id__c as li_fat_id,
        lower(utm_source__c) as utm_source,
        lower(utm_medium__c) as utm_medium,
        utm_campaign__c as utm_campaign,
        utm_content__c as utm_content,
        -- custom picklist of the partner inquiry form: set only on would-be partners
        nullif(lower(trim(partner_type__c)), '') as partner_type

    from latest

)

select * from renamed
