with

source as (

    select * from {{ source('linkedin', 'ad_analytics') }}

),

renamed as (

    select
        creative_id as ad_id,
        date_range_start as report_date,
        'linkedin' as platform,
        account_id,
        upper(currency) as account_currency,
        campaign_id,
        campaign_name,
        campaign_objective,
        impressions,
        clicks,
        landing_page_clicks as link_clicks,
        reactions,
        -- money arrives as decimal strings in the account currency
        cast(cost_in_local_currency as decimal(18, 2)) as spend,
        -- the Insight Tag's conversions (post-click and post-view) and Lead Gen Form leads
        coalesce(external_website_conversions, 0) + coalesce(one_click_leads, 0) as platform_reported_leads,
        coalesce(cast(conversion_value_in_local_currency as decimal(18, 2)), 0) as platform_reported_value,
        extra_fields

    from source

)

select * from renamed
