{#- Every attribution model of fct_attribution: the rule-based ones, then the data-driven ones. -#}
{% macro attribution_models() -%}
    {{ return(rule_based_models() + ['markov', 'shapley']) }}
{%- endmacro %}
