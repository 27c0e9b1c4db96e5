{#- The eight rule-based attribution models, in the order of the reference: the credit columns
    of int_attribution_rule_based, and the attribution_model values the marts give them. -#}
{% macro rule_based_models() -%}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based',
               'time_decay', 'w_shaped', 'full_path']) }}
{%- endmacro %}
