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
        -- JSON lists of {action_type, value}: the value of one action type
        coalesce(cast({{ json_array_lookup('actions', 'action_type', 'post_reaction', 'value') }} as bigint), 0)
            as reactions,
        coalesce(cast({{ json_array_lookup('actions', 'action_type', 'lead', 'value') }} as bigint), 0)
            as platform_reported_leads,
        coalesce(cast({{ json_array_lookup('action_values', 'action_type', 'lead', 'value') }} as decimal(18, 2)), 0)
            as platform_reported_value

    from source

)

select * from renamed
