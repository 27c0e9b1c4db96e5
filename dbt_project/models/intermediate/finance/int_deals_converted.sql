-- One row per live deal (a CRM opportunity of the contract, int_crm_opportunities: `deal_id` is
-- its opportunity_id) with its amount in the reporting currency twice: as pipeline at the rate
-- of the day the deal was created, and as revenue (won deals) at the rate of the day it closed —
-- each amount at the rate of the day it counts in the funnel. Days are reporting-time-zone days.
with

deals as (

    select
        opportunity_id as deal_id,
        crm,
        person_id,
        created_at,
        closed_at,
        is_won,
        amount,
        currency
    from {{ ref('int_crm_opportunities') }}

),

dated as (

    select
        *,
        upper(currency) as currency_code,
        {{ reporting_date('created_at') }} as created_date,
        case when is_won then {{ reporting_date('closed_at') }} end as won_date
    from deals

),

converted as (

    select
        dated.deal_id,
        dated.crm,
        dated.person_id,
        dated.created_at,
        dated.closed_at,
        dated.is_won,
        dated.created_date,
        dated.won_date,
        dated.amount,
        dated.currency_code as currency,
        pipeline_fx.rate as pipeline_fx_rate,
        {{ to_reporting_currency('dated.amount', 'pipeline_fx.rate') }} as pipeline_usd,
        revenue_fx.rate as revenue_fx_rate,
        {{ to_reporting_currency('dated.amount', 'revenue_fx.rate') }} as revenue_usd

    from dated
    {{ fx_rate_join('pipeline_fx', 'dated.currency_code', 'dated.created_date') }}
    {{ fx_rate_join('revenue_fx', 'dated.currency_code', 'dated.won_date') }}

)

select * from converted
