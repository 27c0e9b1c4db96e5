-- One row per conversion: the CRM milestones of a person. Lead, MQL and SQL come from the
-- contact's lifecycle dates (a contact with a partner type made a partner inquiry instead of
-- becoming a lead: conversion type partner_inquiry, attributed like any other); an opportunity is a deal's creation; a customer conversion is a won
-- deal with its amount. A deal is the person's who became a lead first among its contacts.
-- Money is in the reporting currency: an opportunity carries the deal amount as pipeline (rate of
-- its creation day), a customer as revenue (rate of its closing day).
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived

),

deals as (

    select * from {{ ref('int_deals_converted') }}

),

deal_contacts as (

    select * from {{ ref('stg_hubspot__deal_contacts') }}

),

contact_milestones as (

    select
        contact_id,
        coalesce(became_lead_at, created_at) as lead_at,
        partner_type,
        became_mql_at,
        became_sql_at
    from contacts

),

deal_people as (

    select
        deal_contacts.deal_id,
        arg_min(contact_milestones.contact_id, (contact_milestones.lead_at, contact_milestones.contact_id))
            as person_id
    from deal_contacts
    inner join contact_milestones on deal_contacts.contact_id = contact_milestones.contact_id
    group by deal_contacts.deal_id

),

lifecycle_conversions as (

    select contact_id as person_id,
        case when partner_type is null then 'lead' else 'partner_inquiry' end as conversion_type,
        lead_at as converted_at,
        contact_id as source_record_id
    from contact_milestones
    union all
    select contact_id, 'mql', became_mql_at, contact_id
    from contact_milestones where became_mql_at is not null
    union all
    select contact_id, 'sql', became_sql_at, contact_id
    from contact_milestones where became_sql_at is not null

),

deal_conversions as (

    select
        deal_people.person_id,
        'opportunity' as conversion_type,
        deals.created_at as converted_at,
        deals.deal_id as source_record_id,
        deals.created_at as opportunity_at,
        0.0 as revenue_usd,
        cast(deals.pipeline_usd as double) as pipeline_usd
    from deals
    left join deal_people on deals.deal_id = deal_people.deal_id

    union all

    select
        deal_people.person_id,
        'customer',
        deals.closed_at,
        deals.deal_id,
        deals.created_at,
        cast(deals.revenue_usd as double),
        0.0
    from deals
    left join deal_people on deals.deal_id = deal_people.deal_id
    where deals.is_won

),

unioned as (

    select person_id, conversion_type, converted_at, source_record_id,
        cast(null as timestamptz) as opportunity_at, 0.0 as revenue_usd, 0.0 as pipeline_usd
    from lifecycle_conversions
    union all
    select * from deal_conversions

),

final as (

    select
        unioned.conversion_type || ':' || unioned.source_record_id as conversion_id,
        unioned.person_id,
        unioned.conversion_type,
        unioned.converted_at,
        {{ reporting_date('unioned.converted_at') }} as conversion_date,  -- reporting time zone
        unioned.revenue_usd,
        unioned.pipeline_usd,
        contact_milestones.lead_at,
        coalesce(unioned.opportunity_at,
            case when unioned.conversion_type = 'opportunity' then unioned.converted_at end)
            as opportunity_at
    from unioned
    left join contact_milestones on unioned.person_id = contact_milestones.contact_id

)

select * from final
