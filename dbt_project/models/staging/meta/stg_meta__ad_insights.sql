with

source as (

    select * from {{ source('meta', 'ad_insights') }}

),

renamed as (

    select
        ad_id,
        date_start as report_date,
        publisher_platform as platform,
        account_id,
        account_currency,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_name,
        -- the Marketing API sends every number as a string
        cast(impressions as bigint) as impressions,
        cast(reach as bigint) as reach,
        cast(clicks as bigint) as clicks,
        cast(inline_link_clicks as bigint) as link_clicks,
        cast(spend as decimal(18, 2)) as spend,
        cast(json(actions) as struct(action_type varchar, value varchar)[]) as actions,
        cast(json(action_values) as struct(action_type varchar, value varchar)[]) as action_values

    from source

),

with_actions as (

    select
        * exclude (actions, action_values),
        coalesce(cast(list_filter(actions, lambda a: a.action_type = 'post_reaction')[1].value as bigint), 0)
            as reactions,
        coalesce(cast(list_filter(actions, lambda a: a.action_type = 'lead')[1].value as bigint), 0)
            as platform_reported_leads,
        coalesce(cast(list_filter(action_values, lambda a: a.action_type = 'lead')[1].value as decimal(18, 2)), 0)
            as platform_reported_value

    from renamed

)

select * from with_actions
