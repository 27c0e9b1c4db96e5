-- The ad-platform contract: one row per ad × day × platform, spend and the platform-reported
-- conversions and their value in the account currency and in the reporting currency (rate of the
-- report day). Ad platforms report days in the ad account's time zone (LinkedIn: UTC): a day's
-- spend cannot be split again, so the report date is taken as the reporting day. An "ad" is the
-- unit the platform's links name in utm_content: a Meta ad, a LinkedIn creative.
with

meta_ads as (

    select * from {{ ref('stg_meta__ad_insights') }}

),

linkedin_ads as (

    select * from {{ ref('stg_linkedin__ad_analytics') }}

),

unioned as (

    select
        ad_id, report_date, platform, campaign_id, campaign_name, impressions, reach,
        link_clicks, reactions, platform_reported_leads, platform_reported_value, spend,
        upper(account_currency) as currency
    from meta_ads

    union all

    select
        ad_id, report_date, platform, campaign_id, campaign_name, impressions,
        -- approximateMemberReach is not reported by day: unknown, not zero
        cast(null as bigint) as reach,
        link_clicks, reactions, platform_reported_leads, platform_reported_value, spend,
        account_currency as currency
    from linkedin_ads

),

converted as (

    select
        unioned.*,
        fx.rate as fx_rate,
        {{ to_reporting_currency('unioned.spend', 'fx.rate') }} as spend_usd,
        {{ to_reporting_currency('unioned.platform_reported_value', 'fx.rate') }}
            as platform_reported_value_usd
    from unioned
    {{ fx_rate_join('fx', 'unioned.currency', 'unioned.report_date') }}

)

select * from converted
