-- The CRM contract, opportunities: one row per live deal (HubSpot) or opportunity (Salesforce),
-- open, won or lost, with the person it belongs to: among its contacts (HubSpot's deal
-- associations; Salesforce's contact roles and the lead converted into it), the person who
-- became a lead first. `closed_at` is when it closed: HubSpot's close date (set when the deal
-- moves to a closed stage), Salesforce's last entry into its current, closed stage (the close
-- date field is a date reps may edit; the stage change is the moment). Each CRM's opportunities
-- count: two CRMs holding the same deal would count it twice (docs/decisions.md 44).
with

hubspot_deals as (

    select * from {{ ref('stg_hubspot__deals') }}
    where not is_archived

),

hubspot_contact_merges as (

    select * from {{ ref('stg_hubspot__contact_merges') }}

),

-- a merged-away contact's deals belong to its survivor (the deal itself was not modified)
hubspot_deal_contacts as (

    select distinct
        deal_contacts.deal_id,
        coalesce(hubspot_contact_merges.contact_id, deal_contacts.contact_id) as contact_id

    from {{ ref('stg_hubspot__deal_contacts') }} as deal_contacts
    left join hubspot_contact_merges
        on deal_contacts.contact_id = hubspot_contact_merges.merged_contact_id

),

salesforce_opportunities as (

    select * from {{ ref('stg_salesforce__opportunities') }}
    where not is_deleted

),

salesforce_contact_roles as (

    select * from {{ ref('stg_salesforce__opportunity_contact_roles') }}
    where not is_deleted

),

salesforce_leads as (

    select * from {{ ref('stg_salesforce__leads') }}
    where not is_deleted

),

stage_history as (

    select * from {{ ref('int_crm_opportunity_stage_history') }}

),

records as (

    select * from {{ ref('int_crm_person_records') }}

),

people as (

    select * from {{ ref('int_crm_people') }}

),

-- when a Salesforce opportunity last entered each stage (its current one: when it closed)
stage_entries as (

    select opportunity_id, stage, max(entered_at) as entered_at
    from stage_history
    where crm = 'salesforce'
    group by opportunity_id, stage

),

opportunity_records as (

    select 'hubspot' as crm, deal_id as opportunity_id, contact_id as record_id
    from hubspot_deal_contacts
    union all
    select 'salesforce', opportunity_id, contact_id
    from salesforce_contact_roles
    union all
    select 'salesforce', converted_opportunity_id, lead_id
    from salesforce_leads
    where converted_opportunity_id is not null

),

first_person as (

    select
        opportunity_records.crm,
        opportunity_records.opportunity_id,
        {{ arg_min('people.person_id', 'people.lead_at, people.person_id') }} as person_id

    from opportunity_records
    inner join records
        on opportunity_records.crm = records.crm
        and opportunity_records.record_id = records.record_id
    inner join people on records.person_id = people.person_id
    group by opportunity_records.crm, opportunity_records.opportunity_id

),

unioned as (

    select
        'hubspot' as crm,
        deal_id as opportunity_id,
        deal_name as opportunity_name,
        created_at,
        deal_stage as stage,
        is_closed,
        is_won,
        case when is_closed then closed_at end as closed_at,
        amount,
        currency
    from hubspot_deals
    union all
    select
        'salesforce',
        salesforce_opportunities.opportunity_id,
        salesforce_opportunities.opportunity_name,
        salesforce_opportunities.created_at,
        salesforce_opportunities.stage_name,
        salesforce_opportunities.is_closed,
        salesforce_opportunities.is_won,
        case when salesforce_opportunities.is_closed then coalesce(
            stage_entries.entered_at, cast(salesforce_opportunities.close_date as timestamptz)
        ) end,
        salesforce_opportunities.amount,
        salesforce_opportunities.currency
    from salesforce_opportunities
    left join stage_entries
        on salesforce_opportunities.opportunity_id = stage_entries.opportunity_id
        and salesforce_opportunities.stage_name = stage_entries.stage

),

final as (

    select
        unioned.crm,
        unioned.opportunity_id,
        first_person.person_id,
        unioned.opportunity_name,
        unioned.created_at,
        unioned.stage,
        unioned.is_closed,
        unioned.is_won,
        unioned.closed_at,
        unioned.amount,
        unioned.currency

    from unioned
    left join first_person
        on unioned.crm = first_person.crm
        and unioned.opportunity_id = first_person.opportunity_id

)

select * from final
