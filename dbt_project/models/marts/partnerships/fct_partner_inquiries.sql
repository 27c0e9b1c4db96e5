-- Partner demand (PRODUCT.md: partnerships), one row per partner inquiry × platform it is
-- credited to under `performance_attribution_model`: a person the partner inquiry form created
-- (HubSpot's `partner_type`, Salesforce's `Partner_Type__c`), attributed like every other conversion (its path, lookback and
-- models are fct_attribution's). Each inquiry's credits sum to 1; an inquiry without a tracked
-- touch has one '(unattributed)' row. Its first and last touches are repeated on each row so that
-- "inquiries by first-touch platform" needs no join.
{%- set model = var('performance_attribution_model') %}

with

people as (

    select * from {{ ref('int_crm_people') }}
    where partner_type is not null

),

paths as (

    select * from {{ ref('int_conversion_paths') }}
    where conversion_type = 'partner_inquiry'

),

attribution as (

    select * from {{ ref('fct_attribution') }}
    where attribution_model = '{{ model }}' and conversion_type = 'partner_inquiry'

),

-- position 1 is the first touch, n_touches the last (0 on an empty path: '(unattributed)')
path_ends as (

    select
        conversion_id,
        {{ any_value('converted_at') }} as inquired_at,
        {{ any_value('n_touches') }} as n_touches,
        {{ arg_min('platform', 'position') }} as first_touch_platform,
        {{ arg_min('campaign', 'position') }} as first_touch_campaign,
        {{ arg_max('platform', 'position') }} as last_touch_platform,
        {{ arg_max('campaign', 'position') }} as last_touch_campaign
    from paths
    group by conversion_id

),

credit_by_platform as (

    select
        conversion_id,
        platform,
        {{ exact_sum('credit', 15) }} as credit
    from attribution
    group by 1, 2

),

final as (

    select
        credit_by_platform.conversion_id,
        people.person_id as contact_id,
        path_ends.inquired_at,
        cast(path_ends.inquired_at as date) as inquiry_date,
        people.partner_type,
        credit_by_platform.platform,
        '{{ model }}' as attribution_model,
        credit_by_platform.credit,
        path_ends.n_touches,
        path_ends.first_touch_platform,
        path_ends.first_touch_campaign,
        path_ends.last_touch_platform,
        path_ends.last_touch_campaign

    from credit_by_platform
    inner join path_ends on credit_by_platform.conversion_id = path_ends.conversion_id
    inner join people on credit_by_platform.conversion_id = 'partner_inquiry:' || people.person_id

)

select * from final
