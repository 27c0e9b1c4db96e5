-- Every live deal (an opportunity; won or not) with the lead source of the contact who brought
-- it. A deal with several contacts is credited to the one who became a lead first (multi-touch
-- attribution comes in its own marts).
with

deals as (

    -- live deals, amounts converted into the reporting currency
    select * from {{ ref('int_deals_converted') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

contacts as (

    select * from {{ ref('int_contacts_sourced') }}

),

first_contact as (

    select
        deal_contacts.deal_id,
        arg_min(contacts.contact_id, (contacts.lead_at, contacts.contact_id)) as contact_id

    from deal_contacts
    inner join contacts on deal_contacts.contact_id = contacts.contact_id
    group by deal_contacts.deal_id

),

final as (

    select
        deals.deal_id,
        first_contact.contact_id,
        cast(deals.created_at as date) as created_date,
        deals.is_won,
        case when deals.is_won then cast(deals.closed_at as date) end as won_date,
        deals.amount,
        deals.currency,
        deals.pipeline_usd,
        deals.revenue_usd,
        contacts.source,
        contacts.medium,
        contacts.campaign

    from deals
    left join first_contact on deals.deal_id = first_contact.deal_id
    left join contacts on first_contact.contact_id = contacts.contact_id

)

select * from final
