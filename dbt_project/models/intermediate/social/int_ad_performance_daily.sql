-- The ad-platform contract: one row per ad × day × platform, spend in the account currency and in
-- the reporting currency (rate of the report day). Ad platforms report days in the ad account's
-- time zone: a day's spend cannot be split again, so the report date is taken as the reporting
-- day. Meta is the first ad platform; LinkedIn Ads joins this union with the same columns.
with

meta_ads as (

    select * from {{ ref('stg_meta__ad_insights') }}

),

unioned as (

    select
        ad_id, report_date, platform, campaign_id, campaign_name, impressions, reach,
        link_clicks, reactions, platform_reported_leads, platform_reported_value, spend,
        upper(account_currency) as currency
    from meta_ads

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
