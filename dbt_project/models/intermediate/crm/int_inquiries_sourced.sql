-- Phone and e-mail inquiries: every inbound call and incoming e-mail logged on the CRM (outbound
-- follow-ups and forwarded threads are not inquiries), dated in the reporting time zone and
-- credited like the lead: to the source/medium/campaign of the visit in which its contact became
-- a lead (int_contacts_sourced). An engagement with several contacts goes to the one who became a
-- lead first, as deals do; one logged without a contact keeps a null source.
with

calls as (

    select * from {{ ref('stg_hubspot__calls') }}
    where not is_archived

),

emails as (

    select * from {{ ref('stg_hubspot__emails') }}
    where not is_archived

),

engagement_contacts as (

    select * from {{ ref('stg_hubspot__engagement_contacts') }}

),

contacts as (

    select * from {{ ref('int_contacts_sourced') }}

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

first_contact as (

    select
        engagement_contacts.engagement_type,
        engagement_contacts.engagement_id,
        arg_min(contacts.contact_id, (contacts.lead_at, contacts.contact_id)) as contact_id

    from engagement_contacts
    inner join contacts on engagement_contacts.contact_id = contacts.contact_id
    group by engagement_contacts.engagement_type, engagement_contacts.engagement_id

),

final as (

    select
        inbound.engagement_type || ':' || inbound.engagement_id as inquiry_id,
        inbound.engagement_type,
        inbound.engagement_id,
        inbound.inquired_at,
        {{ reporting_date('inbound.inquired_at') }} as inquiry_date,
        first_contact.contact_id,
        contacts.partner_type,
        contacts.source,
        contacts.medium,
        contacts.campaign

    from inbound
    left join first_contact
        on inbound.engagement_type = first_contact.engagement_type
        and inbound.engagement_id = first_contact.engagement_id
    left join contacts on first_contact.contact_id = contacts.contact_id

)

select * from final
