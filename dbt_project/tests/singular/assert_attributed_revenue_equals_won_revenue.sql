-- Per model, attributed revenue adds up to the won revenue (reference: "Money").
with won as (
    select coalesce(sum(revenue_usd), 0) as revenue from {{ ref('fct_conversions') }}
    where conversion_type = 'customer'
)
select attribution_model, sum(attributed_revenue_usd) as attributed, max(won.revenue) as won_revenue
from {{ ref('fct_attribution') }}
cross join won
where conversion_type = 'customer'
group by attribution_model
having abs(sum(attributed_revenue_usd) - max(won.revenue)) > 1e-6 * greatest(1, max(won.revenue))
