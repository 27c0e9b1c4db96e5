with

source as (

    select * from {{ source('salesforce', 'opportunities') }}

),

latest as (

    {{ latest_landed('source', 'id', 'system_modstamp') }}

),

renamed as (

    select
        id as opportunity_id,
        account_id,
        name as opportunity_name,
        stage_name,
        cast(amount as decimal(18, 2)) as amount,
        -- a single-currency org has no CurrencyIsoCode: its amounts are in the corporate currency
        upper(coalesce(currency_iso_code, '{{ var("salesforce_corporate_currency") }}')) as currency,
        close_date,
        is_closed,
        is_won,
        lead_source,
        campaign_id,
        probability,
        created_date as created_at,
        system_modstamp as updated_at,
        is_deleted

    from latest

)

select * from renamed
