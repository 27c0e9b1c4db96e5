{#- The value of one query parameter (utm_source, utm_campaign…) in the first URL of a text. -#}
{% macro utm_param(text_column, param) -%}
    nullif({{ regexp_extract(text_column, '[?&]' ~ param ~ '=([^&#\s]+)', 1) }}, '')
{%- endmacro %}
