{#- Every listed column is non-null: the `not_null` tests of a model's columns as one test, so one
    dbt node and one scan instead of one of each per column (dbt's per-node overhead is most of a
    small test's cost: docs/decisions.md 46). Fails with one row per column that has nulls,
    naming it and counting its null rows. -#}
{% test not_null_columns(model, columns) %}
with

null_counts as (

    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}

    from {{ model }}

)

{% for column in columns -%}
select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}
union all

{% endif -%}
{%- endfor %}
{% endtest %}
