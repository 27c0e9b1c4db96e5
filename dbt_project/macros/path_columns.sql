{#- The columns of int_conversion_paths carried into every attribution output. -#}
{% macro path_columns() -%}
    conversion_id, conversion_type, person_id, converted_at, revenue_usd, touchpoint_id,
    touchpoint_at, channel_group, platform, campaign, is_direct, channel, position, n_touches
{%- endmacro %}
