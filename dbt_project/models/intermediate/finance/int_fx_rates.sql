-- One row per currency × period in which one rate applies: the seed's daily rates into the
-- reporting currency, each valid from its date until the next one (the latest rate on or before a
-- date applies, so weekends and holidays need no row). The reporting currency converts at 1.
{%- set reporting_currency = reporting_currency() %}

with

rates as (

    select * from {{ ref('fx_rates_daily') }}
    where quote_currency = '{{ reporting_currency }}'
        and currency <> '{{ reporting_currency }}'

),

periods as (

    select
        upper(currency) as currency,
        rate_date as valid_from,
        coalesce(lead(rate_date) over (partition by upper(currency) order by rate_date),
            date '9999-12-31') as valid_to,
        rate
    from rates

),

reporting_currency as (

    select
        '{{ reporting_currency }}' as currency,
        date '0001-01-01' as valid_from,
        date '9999-12-31' as valid_to,
        cast(1 as decimal(18, 8)) as rate

),

final as (

    select * from periods
    union all
    select * from reporting_currency

)

select * from final
