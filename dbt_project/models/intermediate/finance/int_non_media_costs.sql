-- One row per line of the non_media_costs seed, in the reporting currency at the rate of the
-- cost month's first day (the latest rate on or before it). Blank targets become null ("spread").
with

costs as (

    select * from {{ ref('non_media_costs') }}

),

keyed as (

    select
        -- the seed has no key of its own (it is edited by hand): its line number in a fixed order
        row_number() over (order by cost_month, cost_category, description, amount, currency,
            channel_group, platform, campaign) as cost_line,
        cost_month,
        cost_category,
        description,
        amount,
        upper(currency) as currency,
        nullif(trim(channel_group), '') as channel_group,
        nullif(trim(platform), '') as platform,
        nullif(trim(campaign), '') as campaign
    from costs

),

converted as (

    select
        keyed.*,
        fx.rate as fx_rate,
        {{ to_reporting_currency('keyed.amount', 'fx.rate') }} as cost_usd
    from keyed
    {{ fx_rate_join('fx', 'keyed.currency', 'keyed.cost_month') }}

)

select * from converted
