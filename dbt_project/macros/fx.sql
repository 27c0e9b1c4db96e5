{#- Currency conversion into var('reporting_currency') with int_fx_rates (one row per currency ×
    validity period [valid_from, valid_to) of a rate). `fx_rate_join` is a left join: a missing
    rate leaves the rate null, which the `fx_rate_found` test turns into a failed build naming
    the currency and date; an inner join would drop the money silently. -#}
{% macro fx_rate_join(alias, currency, on_date) -%}
    left join {{ ref('int_fx_rates') }} as {{ alias }}
        on {{ alias }}.currency = {{ currency }}
        and {{ on_date }} >= {{ alias }}.valid_from
        and {{ on_date }} < {{ alias }}.valid_to
{%- endmacro %}

{#- An amount in the reporting currency, rounded to the cent per amount (as a ledger would): sums
    of converted amounts are then exact decimals. (Widened first: decimal(18, 2) × decimal(18, 8)
    would leave 8 integer digits.) -#}
{% macro to_reporting_currency(amount, rate) -%}
    cast(round(cast({{ amount }} as decimal(38, 10)) * {{ rate }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- The money columns of the marts are named `_usd`: converting into another currency is refused
    until they are renamed with their suites (docs/decisions.md, entry 28). -#}
{% macro reporting_currency() -%}
    {%- if var('reporting_currency') != 'USD' -%}
    {{ exceptions.raise_compiler_error(
        "reporting_currency is " ~ var('reporting_currency') ~ ", but the marts' money columns are "
        ~ "named _usd: rename them and their suites first (docs/decisions.md, entry 28)") }}
    {%- endif -%}
    {{ return(var('reporting_currency')) }}
{%- endmacro %}
