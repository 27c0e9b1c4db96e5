-- One row per identifier a CRM person carries (identity graph, docs/attribution.md "Identity"):
-- the GA4 client id and click ids their form captured, their site login (GA4 user_id) and the
-- hash of their e-mail. An identifier two contacts share goes to the one who became a lead
-- first (then the lower id): a deterministic owner, never a double count.
with

contacts as (

    select * from {{ ref('int_contacts_sourced') }}

),

identifiers as (

    unpivot (
        select contact_id, lead_at, ga_client_id, app_user_id as user_id, gclid, fbclid, li_fat_id,
            email_sha256
        from contacts
    )
    on ga_client_id, user_id, gclid, fbclid, li_fat_id, email_sha256
    into name identifier_type value identifier

),

final as (

    select
        identifier_type,
        identifier,
        arg_min(contact_id, (lead_at, contact_id)) as person_id
    from identifiers
    where identifier is not null and identifier <> ''
    group by identifier_type, identifier

)

select * from final
