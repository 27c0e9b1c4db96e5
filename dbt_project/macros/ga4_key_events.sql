{#- The property's key events (var `ga4_key_events`) as a SQL list: `('generate_lead')`. -#}
{% macro ga4_key_events() -%}
    ({%- for name in var('ga4_key_events') -%}'{{ name }}'{{ ', ' if not loop.last }}{%- endfor -%})
{%- endmacro %}
