-- Under every attribution model, fct_roi_monthly's attributed revenue adds up to the won revenue
-- (refunds included), its pipeline to the opportunities' amounts and its customers to the new
-- customers of fct_conversions: attribution moves money between rows, never creates or loses it.
with

conversions as (
    select
        sum(case when conversion_type = 'customer' then revenue_usd else 0 end) as revenue,
        sum(case when conversion_type = 'opportunity' then pipeline_usd else 0 end) as pipeline,
        count(distinct case when conversion_type = 'customer'
            then coalesce(person_id, conversion_id) end) as customers
    from {{ ref('fct_conversions') }}
),

roi as (
    select attribution_model,
        sum(attributed_revenue_usd) as revenue,
        sum(attributed_pipeline_usd) as pipeline,
        sum(attributed_customers) as customers
    from {{ ref('fct_roi_monthly') }}
    group by 1
)

select roi.*, conversions.revenue as won_revenue, conversions.pipeline as opportunity_pipeline,
    conversions.customers as new_customers
from roi
cross join conversions
where abs(roi.revenue - conversions.revenue) > 1e-6 * greatest(1, abs(conversions.revenue))
    or abs(roi.pipeline - conversions.pipeline) > 1e-6 * greatest(1, abs(conversions.pipeline))
    or abs(roi.customers - conversions.customers) > 1e-9 * greatest(1, conversions.customers)
