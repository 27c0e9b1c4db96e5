{#- The UTC calendar month of a timestamptz, as a date. date_trunc on a timestamptz goes through
    ICU in the session's time zone (~2 s per 30 M rows on the attribution marts); truncating its
    UTC wall-clock time (from epoch microseconds) is plain arithmetic and does not depend on the
    session's time zone. -#}
{% macro utc_month(column) -%}
    {{ return(adapter.dispatch('utc_month', 'social_roi')(column)) }}
{%- endmacro %}

{% macro default__utc_month(column) -%}
    cast(date_trunc('month', make_timestamp(epoch_us({{ column }}))) as date)
{%- endmacro %}

{#- Postgres: the UTC wall-clock time, truncated -#}
{% macro postgres__utc_month(column) -%}
    cast(date_trunc('month', {{ column }} at time zone 'UTC') as date)
{%- endmacro %}
