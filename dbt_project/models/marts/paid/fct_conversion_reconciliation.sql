-- What the ad platforms claim next to what the CRM confirms, per day × platform × campaign:
-- the platform-reported leads (Meta's `lead` action, LinkedIn's website conversions and
-- one-click leads: both count view-through and late conversions) beside the CRM contacts,
-- customers and revenue whose lead source is that paid campaign. The gap is the over-reporting a team would otherwise budget on.
with

ads as (

    select * from {{ ref('int_ad_performance_daily') }}

),

funnel as (

    select * from {{ ref('fct_funnel_daily') }}

),

platform_reported as (

    select
        report_date as reconciliation_date,
        platform,
        campaign_name as campaign,
        cast(sum(link_clicks) as bigint) as link_clicks,
        cast(sum(platform_reported_leads) as bigint) as platform_reported_leads
    from ads
    group by 1, 2, 3

),

-- CRM-verified: leads and won deals credited to the paid campaign that brought the person
crm_verified as (

    select
        funnel_date as reconciliation_date,
        platform,
        campaign,
        cast(sum(leads) as bigint) as crm_leads,
        cast(sum(customers) as bigint) as crm_customers,
        {{ round_dbl('sum(revenue_usd)', 2) }} as crm_revenue_usd
    from funnel
    where channel_group like 'Paid %'
    group by 1, 2, 3

),

final as (

    select
        coalesce(platform_reported.reconciliation_date, crm_verified.reconciliation_date)
            as reconciliation_date,
        coalesce(platform_reported.platform, crm_verified.platform) as platform,
        coalesce(platform_reported.campaign, crm_verified.campaign) as campaign,
        coalesce(platform_reported.link_clicks, 0) as link_clicks,
        coalesce(platform_reported.platform_reported_leads, 0) as platform_reported_leads,
        coalesce(crm_verified.crm_leads, 0) as crm_leads,
        coalesce(platform_reported.platform_reported_leads, 0) - coalesce(crm_verified.crm_leads, 0)
            as lead_gap,
        {{ round_dbl(fdiv('crm_verified.crm_leads', 'nullif(platform_reported.platform_reported_leads, 0)'), 4) }}
            as crm_confirmed_share,
        coalesce(crm_verified.crm_customers, 0) as crm_customers,
        coalesce(crm_verified.crm_revenue_usd, 0) as crm_revenue_usd

    from platform_reported
    full outer join crm_verified
        on platform_reported.reconciliation_date = crm_verified.reconciliation_date
        and platform_reported.platform = crm_verified.platform
        and platform_reported.campaign = crm_verified.campaign

)

select * from final
