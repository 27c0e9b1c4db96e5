-- CRM contacts with the source of the visit in which they became a lead: the UTMs the form
-- captured when there were any, else HubSpot's own analytics source.
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived

),

sourced as (

    select
        contact_id,
        -- identifiers (int_person_identifiers)
        ga_client_id,
        app_user_id,
        gclid,
        fbclid,
        li_fat_id,
        email_sha256,
        coalesce(became_lead_at, created_at) as lead_at,
        cast(coalesce(became_lead_at, created_at) as date) as lead_date,
        cast(became_mql_at as date) as mql_date,
        cast(became_sql_at as date) as sql_date,
        lifecycle_stage,
        partner_type,
        coalesce(utm_source, case analytics_source
            when 'DIRECT_TRAFFIC' then '(direct)'
            else lower(analytics_source_data_1)
        end) as source,
        coalesce(utm_medium, case analytics_source
            when 'DIRECT_TRAFFIC' then '(none)'
            when 'ORGANIC_SEARCH' then 'organic'
            when 'PAID_SEARCH' then 'cpc'
            when 'SOCIAL_MEDIA' then 'social'
            when 'PAID_SOCIAL' then 'paid_social'
            else lower(analytics_source)
        end) as medium,
        -- without form UTMs (e.g. an ad platform's lead form synced by an integration) HubSpot
        -- keeps the paid campaign in the analytics source's second field
        coalesce(utm_campaign, case when analytics_source in ('PAID_SOCIAL', 'PAID_SEARCH')
            then analytics_source_data_2 end) as campaign

    from contacts

)

select * from sourced
