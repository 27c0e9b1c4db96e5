-- One row per conversion: the CRM milestones of a person, from the CRM contract (either CRM, or
-- both: a person is one person across them). Lead, MQL and SQL are the person's lifecycle
-- milestones (a person with a partner type made a partner inquiry instead of becoming a lead:
-- conversion type partner_inquiry, attributed like any other); an opportunity is a deal's
-- creation; a customer conversion is a won deal with its amount. A deal is the person's who
-- became a lead first among its contacts (int_crm_opportunities).
-- Money is in the reporting currency: an opportunity carries the deal amount as pipeline (rate of
-- its creation day), a customer as revenue (rate of its closing day).
with

people as (

    select * from {{ ref('int_crm_people') }}

),

milestones as (

    select * from {{ ref('int_crm_lifecycle_milestones') }}

),

deals as (

    select * from {{ ref('int_deals_converted') }}

),

lifecycle_conversions as (

    select
        person_id,
        milestone as conversion_type,
        milestone_at as converted_at,
        person_id as source_record_id
    from milestones

),

deal_conversions as (

    select
        person_id,
        'opportunity' as conversion_type,
        created_at as converted_at,
        deal_id as source_record_id,
        created_at as opportunity_at,
        0.0 as revenue_usd,
        cast(pipeline_usd as {{ dbl() }}) as pipeline_usd
    from deals

    union all

    select
        person_id,
        'customer',
        closed_at,
        deal_id,
        created_at,
        cast(revenue_usd as {{ dbl() }}),
        0.0
    from deals
    where is_won

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
        people.lead_at,
        coalesce(unioned.opportunity_at,
            case when unioned.conversion_type = 'opportunity' then unioned.converted_at end)
            as opportunity_at
    from unioned
    left join people on unioned.person_id = people.person_id

)

select * from final
