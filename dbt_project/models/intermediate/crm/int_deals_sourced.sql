-- Every live deal (an opportunity of either CRM; won or not) with the lead source of the person
-- it belongs to (int_crm_opportunities: among its contacts, the one who became a lead first;
-- multi-touch attribution comes in its own marts).
with

deals as (

    -- live deals, amounts converted into the reporting currency
    select * from {{ ref('int_deals_converted') }}

),

people as (

    select * from {{ ref('int_crm_people') }}

),

final as (

    select
        deals.deal_id,
        deals.crm,
        deals.person_id,
        deals.created_date,
        deals.is_won,
        deals.won_date,
        deals.amount,
        deals.currency,
        deals.pipeline_usd,
        deals.revenue_usd,
        people.source,
        people.medium,
        people.campaign

    from deals
    left join people on deals.person_id = people.person_id

)

select * from final
