{#- A compound primary key: no two rows share the same values of `columns`.
    (Our own, so the project needs no package download.) -#}
{% test unique_combination_of_columns(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
