{#- Every non-null date of the column is the first day of a month (monthly inputs are keyed so). -#}
{% test first_of_month(model, column_name) %}
select {{ column_name }}
from {{ model }}
where extract(day from {{ column_name }}) <> 1
{% endtest %}
