with

source as (

    select * from {{ source('hubspot', 'contacts') }}

),

latest as (

    {{ latest_landed('source', 'contact_id') }}

),

renamed as (

    select
        contact_id,
        created_at,
        updated_at,
        archived as is_archived,
        -- personal data never leaves staging in clear: a keyed hash of the normalised e-mail's
        -- SHA-256 (what ad platforms' lead forms are matched on) and of the phone number
        {{ email_hash('email') }} as email_hash,
        {{ phone_hash('phone') }} as phone_hash,
        lifecyclestage as lifecycle_stage,
        cast(hs_lifecyclestage_lead_date as timestamptz) as became_lead_at,
        cast(hs_lifecyclestage_marketingqualifiedlead_date as timestamptz) as became_mql_at,
        cast(hs_lifecyclestage_salesqualifiedlead_date as timestamptz) as became_sql_at,
        cast(hs_lifecyclestage_opportunity_date as timestamptz) as became_opportunity_at,
        cast(hs_lifecyclestage_customer_date as timestamptz) as became_customer_at,
        hs_analytics_source as analytics_source,
        hs_analytics_source_data_1 as analytics_source_data_1,
        hs_analytics_source_data_2 as analytics_source_data_2,
        ga_client_id,
        app_user_id,
        hs_facebook_click_id as fbclid,
        hs_google_click_id as gclid,
        li_fat_id,
        lower(utm_source) as utm_source,
        lower(utm_medium) as utm_medium,
        utm_campaign,
        utm_content,
        -- custom property of the partner inquiry form: set only on would-be partners
        nullif(lower(trim(partner_type)), '') as partner_type,
        -- the contacts merged into this one (";"-separated ids): they no longer exist in HubSpot
        hs_merged_object_ids as merged_contact_ids

    from latest

)

select * from renamed
