{#- Records land once per day they changed (the partition `date`), or once per run that re-read
    them (Salesforce's lookback): keep each record's latest version by its modification time
    (`updated`). Ties go to the later landing day. -#}
{% macro latest_landed(relation, key, updated='updated_at') -%}
    select {{ distinct_on(key) }} *
    from {{ relation }}
    {{ first_per(key, updated ~ ' desc, date desc') }}
{%- endmacro %}
