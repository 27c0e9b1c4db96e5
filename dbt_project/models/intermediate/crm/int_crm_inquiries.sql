-- The CRM contract, inquiries: one row per live inbound call or incoming e-mail logged on any
-- connected CRM (outbound calls, sent e-mails and forwarded threads are not inquiries), dated in
-- the reporting time zone, with the person it belongs to.
-- HubSpot: call and e-mail engagements (direction INBOUND / INCOMING_EMAIL), dated by
-- hs_timestamp; an engagement with several contacts goes to the person who became a lead first,
-- as deals do. Salesforce: Tasks — a call whose CallType is Inbound, dated by its ActivityDate
-- (Salesforce keeps the call's day, not its start), and an e-mail whose EmailMessage (Enhanced
-- Email) came in, dated by its MessageDate; the person is that of the lead or contact it is
-- logged on (WhoId; lead conversion moves it to the contact, the same person).
-- A call logged without a contact has no person. Each CRM's inquiries count: a call logged in
-- both CRMs would count twice, as deals do (docs/decisions.md 44, 49).
with

hubspot_calls as (

    select * from {{ ref('stg_hubspot__calls') }}
    where not is_archived

),

hubspot_emails as (

    select * from {{ ref('stg_hubspot__emails') }}
    where not is_archived

),

hubspot_contact_merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

-- a merged-away contact's calls and e-mails belong to its survivor
hubspot_engagement_contacts as (

    select
        stg_engagement_contacts.engagement_type,
        stg_engagement_contacts.engagement_id,
        coalesce(hubspot_contact_merges.contact_id, stg_engagement_contacts.contact_id) as contact_id

    from {{ ref('stg_hubspot__engagement_contacts') }} as stg_engagement_contacts
    left join hubspot_contact_merges
        on stg_engagement_contacts.contact_id = hubspot_contact_merges.merged_contact_id

),

salesforce_tasks as (

    select * from {{ ref('stg_salesforce__tasks') }}
    where not is_deleted

),

salesforce_email_messages as (

    select * from {{ ref('stg_salesforce__email_messages') }}
    where not is_deleted

),

records as (

    select * from {{ ref('int_crm_person_records') }}

),

people as (

    select * from {{ ref('int_crm_people') }}

),

inbound as (

    select
        'hubspot' as crm,
        'call' as engagement_type,
        call_id as engagement_id,
        called_at as inquired_at,
        {{ reporting_date('called_at') }} as inquiry_date
    from hubspot_calls
    where direction = 'inbound'
    union all
    select 'hubspot', 'email', email_id, emailed_at, {{ reporting_date('emailed_at') }}
    from hubspot_emails
    where direction = 'inbound'
    union all
    -- inquired_at: when the call was logged (at or after its end); the day is ActivityDate
    select 'salesforce', 'call', task_id, created_at, activity_date
    from salesforce_tasks
    where task_subtype = 'call' and call_direction = 'inbound'
    union all
    select
        'salesforce',
        'email',
        salesforce_tasks.task_id,
        salesforce_email_messages.emailed_at,
        {{ reporting_date('salesforce_email_messages.emailed_at') }}
    from salesforce_tasks
    inner join salesforce_email_messages on salesforce_tasks.task_id = salesforce_email_messages.task_id
    where salesforce_tasks.task_subtype = 'email' and salesforce_email_messages.direction = 'inbound'

),

engagement_records as (

    select 'hubspot' as crm, engagement_type, engagement_id, contact_id as record_id
    from hubspot_engagement_contacts
    union all
    select 'salesforce', task_subtype, task_id, who_id
    from salesforce_tasks
    where who_id is not null

),

first_person as (

    select
        engagement_records.crm,
        engagement_records.engagement_type,
        engagement_records.engagement_id,
        arg_min(people.person_id, (people.lead_at, people.person_id)) as person_id

    from engagement_records
    inner join records
        on engagement_records.crm = records.crm
        and engagement_records.record_id = records.record_id
    inner join people on records.person_id = people.person_id
    group by all

),

final as (

    select
        inbound.engagement_type || ':' || inbound.engagement_id as inquiry_id,
        inbound.crm,
        inbound.engagement_type,
        inbound.engagement_id,
        inbound.inquired_at,
        inbound.inquiry_date,
        first_person.person_id

    from inbound
    left join first_person
        on inbound.crm = first_person.crm
        and inbound.engagement_type = first_person.engagement_type
        and inbound.engagement_id = first_person.engagement_id

)

select * from final
