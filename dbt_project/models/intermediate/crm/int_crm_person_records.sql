-- The CRM contract, people: one row per live person record of every connected CRM, in one shape
-- (a HubSpot contact; a Salesforce lead, or a Salesforce contact), with the source / medium /
-- campaign of the visit in which it became a lead: the form's UTMs when it captured any, else
-- the CRM's own record of where the lead came from (HubSpot's analytics source; Salesforce's
-- lead source, through the salesforce_lead_sources seed, and its first campaign).
-- Records of one person share a person_id: the same e-mail (its hash) in any CRM is one person,
-- and a Salesforce contact converted from a lead is that lead's person. The person is the record
-- that became a lead first (ties: HubSpot first, then the lower id), so with one CRM the person
-- id is that CRM's own record id. A CRM that is not configured has no rows.
with

hubspot_contact_merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

-- archived contacts and contacts merged into another one are gone from HubSpot
hubspot_contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where
        not is_archived
        and contact_id not in (select hubspot_contact_merges.merged_contact_id from hubspot_contact_merges)

),

salesforce_leads as (

    select * from {{ ref('stg_salesforce__leads') }}
    where not is_deleted

),

salesforce_contacts as (

    select * from {{ ref('stg_salesforce__contacts') }}
    where not is_deleted

),

salesforce_campaign_members as (

    select * from {{ ref('stg_salesforce__campaign_members') }}
    where not is_deleted

),

salesforce_campaigns as (

    select * from {{ ref('stg_salesforce__campaigns') }}
    where not is_deleted

),

salesforce_lead_sources as (

    select * from {{ ref('salesforce_lead_sources') }}

),

hubspot_records as (

    select
        'hubspot' as crm,
        contact_id as record_id,
        'contact' as record_type,
        contact_id as anchor_record_id,
        email_hash,
        created_at,
        coalesce(became_lead_at, created_at) as lead_at,
        became_mql_at,
        became_sql_at,
        partner_type,
        ga_client_id,
        app_user_id,
        gclid,
        fbclid,
        li_fat_id,
        utm_source,
        utm_medium,
        utm_campaign,
        -- HubSpot's analytics source in the source / medium vocabulary
        case analytics_source
            when 'DIRECT_TRAFFIC' then '(direct)'
            else lower(analytics_source_data_1)
        end as crm_source,
        case analytics_source
            when 'DIRECT_TRAFFIC' then '(none)'
            when 'ORGANIC_SEARCH' then 'organic'
            when 'PAID_SEARCH' then 'cpc'
            when 'SOCIAL_MEDIA' then 'social'
            when 'PAID_SOCIAL' then 'paid_social'
            else lower(analytics_source)
        end as crm_medium,
        -- without form UTMs (e.g. an ad platform's lead form synced by an integration) HubSpot
        -- keeps the paid campaign in the analytics source's second field
        case when analytics_source in ('PAID_SOCIAL', 'PAID_SEARCH')
            then analytics_source_data_2 end as crm_campaign

    from hubspot_contacts

),

-- a Salesforce person's campaign: the first campaign they became a member of (the tagged form,
-- the ad whose lead form the integration synced)
first_campaigns as (

    select
        coalesce(salesforce_campaign_members.lead_id, salesforce_campaign_members.contact_id)
            as record_id,
        {{ arg_min('salesforce_campaigns.campaign_name',
            'salesforce_campaign_members.created_at, salesforce_campaign_members.campaign_member_id') }}
            as campaign_name

    from salesforce_campaign_members
    inner join salesforce_campaigns
        on salesforce_campaign_members.campaign_id = salesforce_campaigns.campaign_id
    group by 1

),

salesforce_lead_records as (

    select
        'salesforce' as crm,
        salesforce_leads.lead_id as record_id,
        'lead' as record_type,
        salesforce_leads.lead_id as anchor_record_id,
        salesforce_leads.email_hash,
        salesforce_leads.created_at,
        salesforce_leads.created_at as lead_at,
        salesforce_leads.became_mql_at,
        salesforce_leads.became_sql_at,
        salesforce_leads.partner_type,
        salesforce_leads.ga_client_id,
        salesforce_leads.app_user_id,
        salesforce_leads.gclid,
        salesforce_leads.fbclid,
        salesforce_leads.li_fat_id,
        salesforce_leads.utm_source,
        salesforce_leads.utm_medium,
        salesforce_leads.utm_campaign,
        coalesce(nullif(salesforce_lead_sources.source, ''),
            lower(salesforce_leads.lead_source_detail), lower(salesforce_leads.lead_source),
            '{{ var("not_set_label") }}') as crm_source,
        nullif(salesforce_lead_sources.medium, '') as crm_medium,
        first_campaigns.campaign_name as crm_campaign

    from salesforce_leads
    left join salesforce_lead_sources
        on lower(salesforce_leads.lead_source) = lower(salesforce_lead_sources.lead_source)
    left join first_campaigns on salesforce_leads.lead_id = first_campaigns.record_id

),

-- a contact converted from a lead is the lead's person (the lead holds their lead date, source
-- and identifiers); a contact created directly became a lead when it was created
salesforce_contact_records as (

    select
        'salesforce' as crm,
        salesforce_contacts.contact_id as record_id,
        'contact' as record_type,
        coalesce(salesforce_leads.lead_id, salesforce_contacts.contact_id) as anchor_record_id,
        salesforce_contacts.email_hash,
        salesforce_contacts.created_at,
        case when salesforce_leads.lead_id is null then salesforce_contacts.created_at end as lead_at,
        cast(null as timestamptz) as became_mql_at,
        cast(null as timestamptz) as became_sql_at,
        cast(null as varchar) as partner_type,
        cast(null as varchar) as ga_client_id,
        cast(null as varchar) as app_user_id,
        cast(null as varchar) as gclid,
        cast(null as varchar) as fbclid,
        cast(null as varchar) as li_fat_id,
        cast(null as varchar) as utm_source,
        cast(null as varchar) as utm_medium,
        cast(null as varchar) as utm_campaign,
        coalesce(nullif(salesforce_lead_sources.source, ''), lower(salesforce_contacts.lead_source),
            '{{ var("not_set_label") }}') as crm_source,
        nullif(salesforce_lead_sources.medium, '') as crm_medium,
        first_campaigns.campaign_name as crm_campaign

    from salesforce_contacts
    left join salesforce_leads on salesforce_contacts.contact_id = salesforce_leads.converted_contact_id
    left join salesforce_lead_sources
        on lower(salesforce_contacts.lead_source) = lower(salesforce_lead_sources.lead_source)
    left join first_campaigns on salesforce_contacts.contact_id = first_campaigns.record_id

),

unioned as (

    select * from hubspot_records
    {{ union_all_by_name() }}
    select * from salesforce_lead_records
    {{ union_all_by_name() }}
    select * from salesforce_contact_records

),

-- the person key: the e-mail hash of the record's anchor (the lead a contact was converted from,
-- else the record itself); a record without an e-mail is a person of its own
keyed as (

    select
        unioned.*,
        coalesce(anchors.email_hash, unioned.crm || ':' || unioned.anchor_record_id) as person_key

    from unioned
    left join unioned as anchors
        on unioned.crm = anchors.crm
        and unioned.anchor_record_id = anchors.record_id

),

final as (

    select
        crm,
        record_id,
        record_type,
        first_value(record_id) over (
            partition by person_key order by lead_at asc nulls last, crm, record_id
        ) as person_id,
        email_hash,
        created_at,
        lead_at,
        became_mql_at,
        became_sql_at,
        partner_type,
        ga_client_id,
        app_user_id,
        gclid,
        fbclid,
        li_fat_id,
        coalesce(utm_source, crm_source) as source,
        coalesce(utm_medium, crm_medium) as medium,
        coalesce(utm_campaign, crm_campaign) as campaign

    from keyed

)

select * from final
