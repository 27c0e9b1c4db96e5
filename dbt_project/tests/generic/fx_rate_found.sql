{#- Money is never dropped silently: every amount that needs converting found a rate. Fails with
    one row per (currency, date) that has no rate on or before it in the fx_rates_daily seed into
    the reporting currency; `column_name` is the looked-up rate, null when none was found. -#}
{% test fx_rate_found(model, column_name, currency_column, date_column) %}
select distinct
    {{ currency_column }} as currency,
    {{ date_column }} as rate_needed_on,
    '{{ var("reporting_currency") }}' as reporting_currency
from {{ model }}
where {{ column_name }} is null
    and {{ date_column }} is not null
{% endtest %}
