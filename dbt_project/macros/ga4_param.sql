{#- One GA4 event parameter by key. GA4 puts each value in exactly one typed member; the export
    has been seen to switch types (ga_session_id as a string), so ints fall back to the string. -#}
{% macro ga4_param(key, type='string') -%}
    {%- set value = "list_filter(event_params, lambda p: p.key = '" ~ key ~ "')[1].value" -%}
    {%- if type == 'int' -%}
    coalesce({{ value }}.int_value, try_cast({{ value }}.string_value as bigint))
    {%- else -%}
    coalesce({{ value }}.string_value, cast({{ value }}.int_value as varchar))
    {%- endif -%}
{%- endmacro %}
