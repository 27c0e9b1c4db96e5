{#- A float sum that is the same on every run: DuckDB's parallel aggregation adds rows in varying
    order, so a plain sum(double) can differ in the last bit between reruns (docs/decisions.md
    19). Summed as a decimal with `scale` digits (credits carry 15, money 6), returned as double.
    With a `filter` condition the sum is over the matching rows only. -#}
{% macro exact_sum(expression, scale=6, filter=none) -%}
    cast(sum(cast({{ expression }} as decimal(38, {{ scale }})))
        {%- if filter %} filter (where {{ filter }}){% endif %} as {{ dbl() }})
{%- endmacro %}
