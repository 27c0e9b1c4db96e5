{#- A single-column key: never null and never repeated, dbt's `unique` and `not_null` on one
    column as one test, so one dbt node and one scan instead of two (dbt's per-node overhead is
    most of a small test's cost: docs/decisions.md 46, 61). Fails with one row per offending key
    value: `null` (with how many rows have no key) or a value held by more than one row. -#}
{% test primary_key(model, column_name) %}
select
    {{ column_name }} as key_value,
    count(*) as n_rows,
    case when {{ column_name }} is null then 'null' else 'repeated' end as problem
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
