{#- The stages of HubSpot's default deal pipeline whose entry times deals carry
    (hs_date_entered_<stage>: stg_hubspot__deals' entered_<stage>_at). -#}
{% macro hubspot_deal_stages() -%}
    {{ return(['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled',
               'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost']) }}
{%- endmacro %}
