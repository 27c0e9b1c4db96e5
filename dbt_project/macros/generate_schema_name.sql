{#- Use the folder schema as is (main_staging, main_marts…) rather than dbt's default
    "<target>_<custom>" prefixing, so the published table names are stable across targets. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ target.schema }}_{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
