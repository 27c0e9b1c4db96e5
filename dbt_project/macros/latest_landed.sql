{#- Records land once per day they changed (the partition `date`): keep each record's latest
    version. Ties on updated_at go to the later landing day. -#}
{% macro latest_landed(relation, key) -%}
    select *
    from {{ relation }}
    qualify row_number() over (partition by {{ key }} order by updated_at desc, date desc) = 1
{%- endmacro %}
