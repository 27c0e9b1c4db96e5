-- Phone and e-mail inquiries: every inbound call and incoming e-mail logged on a connected CRM
-- (int_crm_inquiries, the CRM contract), credited like the lead: to the source/medium/campaign of
-- the visit in which its person became a lead (int_crm_people). One logged without a contact
-- keeps a null source.
with

inquiries as (

    select * from {{ ref('int_crm_inquiries') }}

),

people as (

    select * from {{ ref('int_crm_people') }}

),

final as (

    select
        inquiries.inquiry_id,
        inquiries.crm,
        inquiries.engagement_type,
        inquiries.engagement_id,
        inquiries.inquired_at,
        inquiries.inquiry_date,
        inquiries.person_id,
        people.partner_type,
        people.source,
        people.medium,
        people.campaign

    from inquiries
    left join people on inquiries.person_id = people.person_id

)

select * from final
