with

source as (

    select * from {{ source('hubspot', 'deals') }}

),

latest as (

    {{ latest_landed('source', 'deal_id') }}

),

renamed as (

    select
        deal_id,
        created_at,
        updated_at,
        archived as is_archived,
        dealname as deal_name,
        cast(amount as decimal(18, 2)) as amount,
        coalesce(deal_currency_code, 'USD') as currency,
        dealstage as deal_stage,
        pipeline,
        cast(closedate as timestamptz) as closed_at,
        hs_is_closed = 'true' as is_closed,
        hs_is_closed_won = 'true' as is_won,
        -- when the deal last entered each stage of the default pipeline (the stage history)
        {%- for stage in hubspot_deal_stages() %}
        cast(hs_date_entered_{{ stage }} as timestamptz) as entered_{{ stage }}_at{{ ',' if not loop.last }}
        {%- endfor %}

    from latest

)

select * from renamed
