-- The CRM contract, stage history: one row per time an opportunity entered a stage. HubSpot
-- keeps, per deal, when it last entered each stage of its pipeline (hs_date_entered_<stage>);
-- Salesforce writes an OpportunityHistory row on every change of stage, amount, close date or
-- probability, so a stage is entered where the row's stage differs from the row before.
-- Stages are each CRM's own names (HubSpot stage ids, Salesforce stage labels).
with

hubspot_deals as (

    select * from {{ ref('stg_hubspot__deals') }}
    where not is_archived

),

salesforce_history as (

    select * from {{ ref('stg_salesforce__opportunity_history') }}
    where not is_deleted

),

hubspot_entries as (

    {%- set columns = [] %}
    {%- for stage in hubspot_deal_stages() %}{% do columns.append('entered_' ~ stage ~ '_at') %}{% endfor %}
    {{ unpivot_columns('select deal_id, ' ~ columns | join(', ') ~ ' from hubspot_deals',
                       ['deal_id'], columns, 'stage_column', 'entered_at') }}

),

salesforce_changes as (

    select
        opportunity_id,
        stage_name,
        changed_at,
        lag(stage_name) over (
            partition by opportunity_id order by changed_at, opportunity_history_id
        ) as previous_stage_name
    from salesforce_history

),

unioned as (

    select
        'hubspot' as crm,
        deal_id as opportunity_id,
        {{ regexp_extract('stage_column', '^entered_(.*)_at$', 1) }} as stage,
        entered_at
    from hubspot_entries
    union all
    select 'salesforce', opportunity_id, stage_name, changed_at
    from salesforce_changes
    where previous_stage_name is null or previous_stage_name <> stage_name

),

final as (

    select
        crm,
        opportunity_id,
        row_number() over (partition by crm, opportunity_id order by entered_at, stage)
            as stage_number,
        stage,
        entered_at

    from unioned

)

select * from final
