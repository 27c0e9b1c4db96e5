-- A merge in HubSpot keeps one contact (the survivor, whose `hs_merged_object_ids` lists the
-- others) and makes the merged-away ids stop existing: search no longer returns them, so their
-- last landed version would otherwise stay live. Their deals and engagements move to the
-- survivor, but a deal is not modified by it: downstream maps old contact ids to the survivor.
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where not is_archived

),

merged as (

    select
        trim({{ split_to_rows('merged_contact_ids', ';') }}) as merged_contact_id,
        contact_id,
        updated_at

    from contacts
    where merged_contact_ids is not null

),

final as (

    -- a survivor merged into another contact later stopped existing too: HubSpot lists every id
    -- merged so far on the last survivor, so an id names the survivor that still exists
    select {{ distinct_on('merged_contact_id') }}
        merged_contact_id,
        contact_id

    from merged
    where
        merged_contact_id <> ''
        and contact_id not in (select merged.merged_contact_id from merged)
    {{ first_per('merged_contact_id', 'updated_at desc, contact_id') }}

)

select * from final
