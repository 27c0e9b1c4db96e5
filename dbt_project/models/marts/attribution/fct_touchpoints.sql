-- One row per touchpoint: a web session, tied to a known person when an identifier links it.
-- Identity today: the GA4 client id the CRM form captured (every session of that browser, before
-- and after the form, belongs to the person). Sessions nobody claims stay anonymous: the
-- data-driven models use them as non-converting journeys.
with

sessions as (

    select * from {{ ref('int_web_sessions_aggregated') }}

),

contacts as (

    select * from {{ ref('int_contacts_sourced') }}
    where ga_client_id is not null

),

channel_mapping as (

    select * from {{ ref('channel_mapping') }}

),

-- one person per client id: if two contacts share a browser, the earliest lead keeps it
people_by_client_id as (

    select
        ga_client_id,
        arg_min(contact_id, (lead_at, contact_id)) as person_id
    from contacts
    group by ga_client_id

),

final as (

    select
        sessions.session_key as touchpoint_id,
        people_by_client_id.person_id,
        case when people_by_client_id.person_id is not null then 'ga_client_id' end
            as match_method,
        sessions.user_pseudo_id,
        sessions.session_start_at as touchpoint_at,
        sessions.session_date as touchpoint_date,
        coalesce(channel_mapping.channel_group, 'Other') as channel_group,
        coalesce(channel_mapping.platform, sessions.source) as platform,
        sessions.source,
        sessions.medium,
        coalesce(sessions.campaign, '{{ var("not_set_label") }}') as campaign,
        sessions.content,
        coalesce(channel_mapping.channel_group, 'Other') = 'Direct' as is_direct

    from sessions
    left join people_by_client_id on sessions.user_pseudo_id = people_by_client_id.ga_client_id
    left join channel_mapping
        on sessions.source = channel_mapping.source
        and sessions.medium = channel_mapping.medium

)

select * from final
