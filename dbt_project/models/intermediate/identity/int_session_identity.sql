-- The person behind each web session, with the method that decided it (docs/attribution.md,
-- "Identity"). Precedence, strongest first:
--   1. user_id   the session itself is signed in;
--   2. user_id   another session of the same browser signed in (the browser's first login);
--   3. ga_client_id  the browser is the one whose client id a CRM form captured;
--   4. click_id  a session of the browser arrived with a click id (gclid, fbclid, li_fat_id)
--                that a CRM form captured.
-- A link found on one session of a browser holds for all its sessions, before and after.
-- Sessions no rule claims stay anonymous (person_id null).
{{ config(materialized='table') }}

with

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

identifiers as (

    select * from {{ ref('int_person_identifiers') }}

),

session_identifiers as (

    {{ unpivot_columns(
        "select session_key, user_pseudo_id, session_start_at,
            user_id, user_pseudo_id as ga_client_id, gclid, fbclid, li_fat_id
        from sessions",
        ['session_key', 'user_pseudo_id', 'session_start_at'],
        ['user_id', 'ga_client_id', 'gclid', 'fbclid', 'li_fat_id'],
        'identifier_type', 'identifier') }}

),

links as (

    select
        session_identifiers.session_key,
        session_identifiers.user_pseudo_id,
        session_identifiers.session_start_at,
        identifiers.person_id,
        case session_identifiers.identifier_type
            when 'user_id' then 'user_id'
            when 'ga_client_id' then 'ga_client_id'
            else 'click_id'
        end as match_method,
        case session_identifiers.identifier_type
            when 'user_id' then 1 when 'ga_client_id' then 2 else 3
        end as strength

    from session_identifiers
    inner join identifiers
        on session_identifiers.identifier_type = identifiers.identifier_type
        and session_identifiers.identifier = identifiers.identifier

),

-- the browser's strongest link; among equals the earliest session's
browser_links as (

    select
        user_pseudo_id,
        {{ arg_min('person_id', 'strength, session_start_at, session_key, person_id') }} as person_id,
        {{ arg_min('match_method', 'strength, session_start_at, session_key, person_id') }} as match_method
    from links
    group by user_pseudo_id

),

own_logins as (

    select session_key, person_id
    from links
    where match_method = 'user_id'

),

final as (

    select
        sessions.session_key,
        coalesce(own_logins.person_id, browser_links.person_id) as person_id,
        case when own_logins.person_id is not null then 'user_id'
            else browser_links.match_method end as match_method

    from sessions
    left join own_logins on sessions.session_key = own_logins.session_key
    left join browser_links on sessions.user_pseudo_id = browser_links.user_pseudo_id

)

select * from final
