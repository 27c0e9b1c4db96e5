{#- Dates and months in the reporting time zone (var('reporting_timezone')), for timestamptz
    columns. In UTC the month is plain epoch arithmetic (utc_month: no ICU on the attribution hot
    paths, decision 24); another zone goes through the calendar, which is correct across DST. -#}
{% macro reporting_month(column) -%}
    {%- if var('reporting_timezone') == 'UTC' -%}
    {{ utc_month(column) }}
    {%- else -%}
    cast(date_trunc('month', timezone('{{ var("reporting_timezone") }}', {{ column }})) as date)
    {%- endif -%}
{%- endmacro %}

{% macro reporting_date(column) -%}
    {%- if var('reporting_timezone') == 'UTC' -%}
    {{ utc_date(column) }}
    {%- else -%}
    cast(timezone('{{ var("reporting_timezone") }}', {{ column }}) as date)
    {%- endif -%}
{%- endmacro %}

{% macro utc_date(column) -%}
    {{ return(adapter.dispatch('utc_date', 'social_roi')(column)) }}
{%- endmacro %}
{% macro default__utc_date(column) -%}
    cast(make_timestamp(epoch_us({{ column }})) as date)
{%- endmacro %}
{% macro postgres__utc_date(column) -%}
    cast({{ column }} at time zone 'UTC' as date)
{%- endmacro %}
