-- The CRM contract, people: one row per person (int_crm_person_records: the same e-mail in any
-- connected CRM is one person). The person's lead date, partner type and lead source are those
-- of the record that became a lead first; a milestone reached in any of the person's records
-- counts at the earliest time it was reached.
with

records as (

    select * from {{ ref('int_crm_person_records') }}

),

milestones as (

    select
        person_id,
        min(became_mql_at) as became_mql_at,
        min(became_sql_at) as became_sql_at,
        count(*) as crm_records

    from records
    group by person_id

),

final as (

    select
        records.person_id,
        records.crm,
        records.email_hash,
        coalesce(records.lead_at, records.created_at) as lead_at,
        {{ reporting_date('coalesce(records.lead_at, records.created_at)') }} as lead_date,
        milestones.became_mql_at,
        {{ reporting_date('milestones.became_mql_at') }} as mql_date,
        milestones.became_sql_at,
        {{ reporting_date('milestones.became_sql_at') }} as sql_date,
        records.partner_type,
        records.source,
        records.medium,
        records.campaign,
        milestones.crm_records

    from records
    inner join milestones on records.person_id = milestones.person_id
    where records.record_id = records.person_id

)

select * from final
