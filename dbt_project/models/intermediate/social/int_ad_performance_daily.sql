-- The ad-platform contract: one row per ad × day × platform, money in the account currency.
-- Meta is the first ad platform; LinkedIn Ads joins this union with the same columns.
with

meta_ads as (

    select * from {{ ref('stg_meta__ad_insights') }}

),

unioned as (

    select
        ad_id, report_date, platform, campaign_id, campaign_name, impressions, reach,
        link_clicks, reactions, platform_reported_leads, spend, account_currency as currency
    from meta_ads

)

select * from unioned
