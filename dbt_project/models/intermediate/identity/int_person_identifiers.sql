-- One row per identifier a CRM person carries (identity graph, docs/attribution.md "Identity"):
-- the GA4 client id and click ids their form captured, their site login (GA4 user_id) and the
-- hash of their e-mail, from every record of the person in every connected CRM. An identifier two
-- people share goes to the one who became a lead first (then the lower id): a deterministic
-- owner, never a double count.
with

records as (

    select * from {{ ref('int_crm_person_records') }}

),

people as (

    select * from {{ ref('int_crm_people') }}

),

identifiers as (

    {{ unpivot_columns(
        "select records.person_id, people.lead_at, records.ga_client_id,
            records.app_user_id as user_id, records.gclid, records.fbclid, records.li_fat_id,
            records.email_hash
        from records
        inner join people on records.person_id = people.person_id",
        ['person_id', 'lead_at'],
        ['ga_client_id', 'user_id', 'gclid', 'fbclid', 'li_fat_id', 'email_hash'],
        'identifier_type', 'identifier') }}

),

final as (

    select
        identifier_type,
        identifier,
        {{ arg_min('person_id', 'lead_at, person_id') }} as person_id
    from identifiers
    where identifier is not null and identifier <> ''
    group by identifier_type, identifier

)

select * from final
