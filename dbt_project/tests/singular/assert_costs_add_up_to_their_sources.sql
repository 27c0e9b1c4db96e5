-- Not a cent is lost or invented (docs/roi.md): per month, fct_costs_monthly's non-media costs
-- add up to the converted lines of the non_media_costs seed, its media costs to the funnel's ad
-- spend, and under every attribution model fct_roi_monthly's total cost to fct_costs_monthly's.
-- Compared as exact decimals (every amount is a whole number of cents).
with

seed as (
    select cost_month as period_month, sum(cost_usd) as non_media
    from {{ ref('int_non_media_costs') }}
    group by 1
),

funnel as (
    select cast(date_trunc('month', funnel_date) as date) as period_month,
        sum(cast(spend_usd as decimal(18, 2))) as media
    from {{ ref('fct_funnel_daily') }}
    group by 1
),

costs as (
    select period_month,
        sum(case when cost_category = 'media' then cast(cost_usd as decimal(18, 2)) else 0 end) as media,
        sum(case when cost_category <> 'media' then cast(cost_usd as decimal(18, 2)) else 0 end) as non_media
    from {{ ref('fct_costs_monthly') }}
    group by 1
),

roi as (
    select period_month, attribution_model, sum(cast(total_cost_usd as decimal(18, 2))) as total
    from {{ ref('fct_roi_monthly') }}
    group by 1, 2
),

expected as (
    select coalesce(seed.period_month, funnel.period_month) as period_month,
        coalesce(seed.non_media, 0) as non_media, coalesce(funnel.media, 0) as media
    from seed
    full outer join funnel on seed.period_month = funnel.period_month
)

select 'fct_costs_monthly' as mart, coalesce(expected.period_month, costs.period_month) as period_month,
    null as attribution_model, expected.media as expected_media, costs.media as media,
    expected.non_media as expected_non_media, costs.non_media as non_media
from expected
full outer join costs on expected.period_month = costs.period_month
where coalesce(expected.media, 0) <> coalesce(costs.media, 0)
    or coalesce(expected.non_media, 0) <> coalesce(costs.non_media, 0)

union all

select 'fct_roi_monthly', costs.period_month, roi.attribution_model, costs.media + costs.non_media,
    roi.total, null, null
from costs
inner join roi on costs.period_month = roi.period_month
where costs.media + costs.non_media <> roi.total
