{#- One GA4 event parameter by key. GA4 puts each value in exactly one typed member; the export
    has been seen to switch types (ga_session_id as a string), so ints fall back to the string.
    On Postgres event_params is jsonb (social_roi.warehouse_load). -#}
{% macro ga4_param(key, type='string') -%}
    {{ return(adapter.dispatch('ga4_param', 'social_roi')(key, type)) }}
{%- endmacro %}

{% macro default__ga4_param(key, type) -%}
    {%- set value = "list_filter(event_params, lambda p: p.key = '" ~ key ~ "')[1].value" -%}
    {%- if type == 'int' -%}
    coalesce({{ value }}.int_value, try_cast({{ value }}.string_value as bigint))
    {%- else -%}
    coalesce({{ value }}.string_value, cast({{ value }}.int_value as varchar))
    {%- endif -%}
{%- endmacro %}

{% macro postgres__ga4_param(key, type) -%}
    {%- set value = "jsonb_path_query_first(event_params, '$[*] ? (@.key == \"" ~ key ~ "\").value')" -%}
    {%- if type == 'int' -%}
    coalesce(cast({{ value }} ->> 'int_value' as bigint),
        case when {{ value }} ->> 'string_value' ~ '^\s*[-+]?[0-9]+\s*$'
            then cast({{ value }} ->> 'string_value' as bigint) end)
    {%- else -%}
    coalesce({{ value }} ->> 'string_value', {{ value }} ->> 'int_value')
    {%- endif -%}
{%- endmacro %}
