-- Phone and e-mail inquiries: every inbound call and incoming e-mail logged on the CRM (outbound
-- follow-ups and forwarded threads are not inquiries), dated in the reporting time zone and
-- credited like the lead: to the source/medium/campaign of the visit in which its contact's person
-- became a lead (int_crm_people). An engagement with several contacts goes to the person who
-- became a lead first, as deals do; one logged without a contact keeps a null source. Only
-- HubSpot's calls and e-mails are landed so far (Salesforce Tasks: docs/decisions.md 44).
with

calls as (

    select * from {{ ref('stg_hubspot__calls') }}
    where not is_archived

),

emails as (

    select * from {{ ref('stg_hubspot__emails') }}
    where not is_archived

),

hubspot_contact_merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

-- a merged-away contact's calls and e-mails belong to its survivor
engagement_contacts as (

    select
        stg_engagement_contacts.engagement_type,
        stg_engagement_contacts.engagement_id,
        coalesce(hubspot_contact_merges.contact_id, stg_engagement_contacts.contact_id) as contact_id

    from {{ ref('stg_hubspot__engagement_contacts') }} as stg_engagement_contacts
    left join hubspot_contact_merges
        on stg_engagement_contacts.contact_id = hubspot_contact_merges.merged_contact_id

),

records as (

    select * from {{ ref('int_crm_person_records') }}
    where crm = 'hubspot'

),

people as (

    select * from {{ ref('int_crm_people') }}

),

inbound as (

    select 'call' as engagement_type, call_id as engagement_id, called_at as inquired_at
    from calls
    where direction = 'inbound'
    union all
    select 'email', email_id, emailed_at
    from emails
    where direction = 'inbound'

),

first_person as (

    select
        engagement_contacts.engagement_type,
        engagement_contacts.engagement_id,
        {{ arg_min('people.person_id', 'people.lead_at, people.person_id') }} as person_id

    from engagement_contacts
    inner join records on engagement_contacts.contact_id = records.record_id
    inner join people on records.person_id = people.person_id
    group by engagement_contacts.engagement_type, engagement_contacts.engagement_id

),

final as (

    select
        inbound.engagement_type || ':' || inbound.engagement_id as inquiry_id,
        inbound.engagement_type,
        inbound.engagement_id,
        inbound.inquired_at,
        {{ reporting_date('inbound.inquired_at') }} as inquiry_date,
        first_person.person_id,
        people.partner_type,
        people.source,
        people.medium,
        people.campaign

    from inbound
    left join first_person
        on inbound.engagement_type = first_person.engagement_type
        and inbound.engagement_id = first_person.engagement_id
    left join people on first_person.person_id = people.person_id

)

select * from final
