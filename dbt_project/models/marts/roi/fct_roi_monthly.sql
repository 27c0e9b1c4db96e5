-- One row per month × channel group × platform × campaign × attribution model: what marketing
-- cost there (fct_costs_monthly) next to what each attribution model credits it with
-- (fct_attribution_by_channel; pipeline, new customers and lifetime revenue from fct_attribution),
-- and the ROI measures of PRODUCT.md. Money in the reporting currency; months in the reporting
-- time zone. Every ratio is NULL when its denominator is zero. Formulas: _roi__models.yml.
{%- set models = attribution_models() %}
{%- set horizon = var('ltv_horizon_months') %}

with

costs as (

    select * from {{ ref('fct_costs_monthly') }}

),

by_channel as (

    select * from {{ ref('fct_attribution_by_channel') }}

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where conversion_type in ('opportunity', 'customer')

),

conversions as (

    select * from {{ ref('fct_conversions') }}
    where conversion_type in ('opportunity', 'customer')

),

gross_margin as (

    select * from {{ ref('gross_margin') }}

),

-- a customer is new at their first won deal (a deal without a person is a customer of its own);
-- their lifetime revenue is what they win from then until the horizon's end (the first win
-- included), so the LTV of recent months only counts the revenue seen so far
customer_wins as (

    select
        conversion_id,
        converted_at,
        revenue_usd,
        coalesce(person_id, conversion_id) as customer_key,
        row_number() over (partition by coalesce(person_id, conversion_id)
            order by converted_at, conversion_id) = 1 as is_new_customer,
        min(converted_at) over (partition by coalesce(person_id, conversion_id)) as first_win_at
    from conversions
    where conversion_type = 'customer'

),

lifetime_revenue as (

    select
        firsts.conversion_id,
        sum(wins.revenue_usd) as lifetime_revenue_usd
    from customer_wins as firsts
    inner join customer_wins as wins
        on firsts.customer_key = wins.customer_key
        and wins.converted_at < firsts.first_win_at + {{ months(horizon) }}
    where firsts.is_new_customer
    group by firsts.conversion_id

),

conversion_values as (

    select
        conversions.conversion_id,
        conversions.pipeline_usd,
        coalesce(customer_wins.is_new_customer, false) as is_new_customer,
        coalesce(lifetime_revenue.lifetime_revenue_usd, 0) as lifetime_revenue_usd
    from conversions
    left join customer_wins on conversions.conversion_id = customer_wins.conversion_id
    left join lifetime_revenue on conversions.conversion_id = lifetime_revenue.conversion_id

),

-- exact sums (macro exact_sum), as in fct_attribution_by_channel: reruns give identical numbers
deal_values as (

    select
        {{ reporting_month('attribution.converted_at') }} as period_month,
        attribution.attribution_model,
        attribution.channel_group,
        attribution.platform,
        attribution.campaign,
        {{ exact_sum('attribution.credit * conversion_values.pipeline_usd') }}
            as attributed_pipeline_usd,
        {{ exact_sum('attribution.credit', 15, 'conversion_values.is_new_customer') }}
            as attributed_customers,
        {{ exact_sum('attribution.credit * conversion_values.lifetime_revenue_usd') }}
            as attributed_lifetime_revenue_usd
    from attribution
    inner join conversion_values on attribution.conversion_id = conversion_values.conversion_id
    group by 1, 2, 3, 4, 5

),

conversion_counts as (

    select
        period_month, attribution_model, channel_group, platform, campaign,
        {%- for type, name in [('lead', 'leads'), ('mql', 'mqls'), ('sql', 'sqls'),
                               ('opportunity', 'opportunities')] %}
        {{ exact_sum('attributed_conversions', 15, "conversion_type = '" ~ type ~ "'") }}
            as attributed_{{ name }},
        {%- endfor %}
        {{ exact_sum('attributed_revenue_usd', 6, "conversion_type = 'customer'") }}
            as attributed_revenue_usd
    from by_channel
    group by 1, 2, 3, 4, 5

),

cost_totals as (

    select
        period_month, channel_group, platform, campaign,
        sum(case when cost_category = 'media' then cast(cost_usd as decimal(18, 2)) else 0 end)
            as media_cost_usd,
        sum(case when cost_category <> 'media' then cast(cost_usd as decimal(18, 2)) else 0 end)
            as non_media_cost_usd
    from costs
    group by 1, 2, 3, 4

),

-- every cell that has a cost or a conversion, under every model (costs do not depend on it)
cells as (

    select period_month, channel_group, platform, campaign from cost_totals
    union
    select period_month, channel_group, platform, campaign from conversion_counts
    union
    select period_month, channel_group, platform, campaign from deal_values

),

models as (

    {{ list_rows(models, 'attribution_model') }}

),

margins as (

    select
        valid_from,
        coalesce(lead(valid_from) over (order by valid_from), date '9999-12-31') as valid_to,
        cast(gross_margin as {{ dbl() }}) as gross_margin
    from gross_margin

),

measures as (

    select
        cells.period_month,
        cells.channel_group,
        cells.platform,
        cells.campaign,
        models.attribution_model,
        cast(coalesce(cost_totals.media_cost_usd, 0) as {{ dbl() }}) as media_cost_usd,
        cast(coalesce(cost_totals.non_media_cost_usd, 0) as {{ dbl() }}) as non_media_cost_usd,
        cast(coalesce(cost_totals.media_cost_usd, 0) + coalesce(cost_totals.non_media_cost_usd, 0)
            as {{ dbl() }}) as total_cost_usd,
        cast(coalesce(conversion_counts.attributed_leads, 0) as {{ dbl() }}) as attributed_leads,
        cast(coalesce(conversion_counts.attributed_mqls, 0) as {{ dbl() }}) as attributed_mqls,
        cast(coalesce(conversion_counts.attributed_sqls, 0) as {{ dbl() }}) as attributed_sqls,
        cast(coalesce(conversion_counts.attributed_opportunities, 0) as {{ dbl() }})
            as attributed_opportunities,
        cast(coalesce(deal_values.attributed_customers, 0) as {{ dbl() }}) as attributed_customers,
        cast(coalesce(deal_values.attributed_pipeline_usd, 0) as {{ dbl() }}) as attributed_pipeline_usd,
        cast(coalesce(conversion_counts.attributed_revenue_usd, 0) as {{ dbl() }}) as attributed_revenue_usd,
        cast(coalesce(deal_values.attributed_lifetime_revenue_usd, 0) as {{ dbl() }})
            as attributed_lifetime_revenue_usd,
        coalesce(margins.gross_margin, 1.0) as gross_margin

    from cells
    cross join models
    left join cost_totals
        on cells.period_month = cost_totals.period_month
        and cells.channel_group = cost_totals.channel_group
        and cells.platform = cost_totals.platform
        and cells.campaign = cost_totals.campaign
    left join conversion_counts
        on cells.period_month = conversion_counts.period_month
        and cells.channel_group = conversion_counts.channel_group
        and cells.platform = conversion_counts.platform
        and cells.campaign = conversion_counts.campaign
        and models.attribution_model = conversion_counts.attribution_model
    left join deal_values
        on cells.period_month = deal_values.period_month
        and cells.channel_group = deal_values.channel_group
        and cells.platform = deal_values.platform
        and cells.campaign = deal_values.campaign
        and models.attribution_model = deal_values.attribution_model
    left join margins
        on cells.period_month >= margins.valid_from
        and cells.period_month < margins.valid_to

),

ltv as (

    select
        *,
        attributed_lifetime_revenue_usd / nullif(attributed_customers, 0) * gross_margin as ltv_usd,
        total_cost_usd / nullif(attributed_customers, 0) as cac_usd
    from measures

),

final as (

    select
        period_month,
        channel_group,
        platform,
        campaign,
        attribution_model,
        media_cost_usd,
        non_media_cost_usd,
        total_cost_usd,
        attributed_leads,
        attributed_mqls,
        attributed_sqls,
        attributed_opportunities,
        attributed_customers,
        attributed_pipeline_usd,
        attributed_revenue_usd,
        (attributed_revenue_usd - total_cost_usd) / nullif(total_cost_usd, 0) as roi,
        attributed_revenue_usd / nullif(media_cost_usd, 0) as roas,
        total_cost_usd / nullif(attributed_leads, 0) as cpl_usd,
        total_cost_usd / nullif(attributed_opportunities, 0) as cost_per_opportunity_usd,
        cac_usd,
        gross_margin,
        ltv_usd,
        ltv_usd / nullif(cac_usd, 0) as ltv_to_cac,
        -- months of the customer's gross-margin revenue (LTV spread evenly over the horizon)
        -- that pay back their acquisition cost; no payback when the LTV is not positive
        case when ltv_usd > 0 then cac_usd / (ltv_usd / {{ horizon }}) end as payback_months

    from ltv

)

select * from final
