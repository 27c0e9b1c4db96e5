{#- The attributed outcomes of a set of touches, for marts that group fct_attribution rows (one
    model) by a touch dimension (a post, an ambassador): leads and new customers as summed credit,
    and won revenue, summed exactly (exact_sum). Partner inquiries on request: only the marts
    about partnerships report them. Opportunities and pipeline when `conversions` names the
    fct_conversions relation joined on conversion_id (pipeline = credit × the deal's amount, as
    in fct_roi_monthly). -#}
{% macro attributed_measures(relation='attribution', partner_inquiries=false, conversions=none) -%}
        {{ exact_sum(relation ~ '.credit', 15, relation ~ ".conversion_type = 'lead'") }}
            as attributed_leads,
        {%- if conversions %}
        {{ exact_sum(relation ~ '.credit', 15, relation ~ ".conversion_type = 'opportunity'") }}
            as attributed_opportunities,
        {{ exact_sum(relation ~ '.credit * ' ~ conversions ~ '.pipeline_usd', 6,
                     relation ~ ".conversion_type = 'opportunity'") }}
            as attributed_pipeline_usd,
        {%- endif %}
        {%- if partner_inquiries %}
        {{ exact_sum(relation ~ '.credit', 15, relation ~ ".conversion_type = 'partner_inquiry'") }}
            as attributed_partner_inquiries,
        {%- endif %}
        {{ exact_sum(relation ~ '.credit', 15, relation ~ ".conversion_type = 'customer'") }}
            as attributed_customers,
        {{ exact_sum(relation ~ '.attributed_revenue_usd', 6, relation ~ ".conversion_type = 'customer'") }}
            as attributed_revenue_usd
{%- endmacro %}
