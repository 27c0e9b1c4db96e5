-- The CRM contract, lifecycle milestones: one row per person and milestone reached, whichever CRM
-- recorded it. A person becomes a lead when first recorded (a would-be partner makes a partner
-- inquiry instead, docs/decisions.md 32), then an MQL and an SQL on the CRM's lifecycle dates
-- (HubSpot's lifecycle stage dates; Salesforce's MQL / SQL date fields). Opportunities and won
-- deals are int_crm_opportunities.
with

people as (

    select * from {{ ref('int_crm_people') }}

),

unioned as (

    select
        person_id,
        case when partner_type is null then 'lead' else 'partner_inquiry' end as milestone,
        lead_at as milestone_at
    from people
    union all
    select person_id, 'mql', became_mql_at
    from people
    where became_mql_at is not null
    union all
    select person_id, 'sql', became_sql_at
    from people
    where became_sql_at is not null

),

final as (

    select
        person_id,
        milestone,
        milestone_at,
        {{ reporting_date('milestone_at') }} as milestone_date

    from unioned

)

select * from final
