-- How well touchpoints are tied to known people: one row per day × data source × platform with
-- the touchpoints, those matched to a CRM person, and the split by the method that decided
-- (int_session_identity's precedence). Suspected bots are counted, and counted apart.
with

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}

),

final as (

    select
        touchpoint_date as match_date,
        case touchpoint_type
            when 'web_session' then 'ga4'
            when 'lead_form' then 'meta_lead_ads'
        end as data_source,
        platform,
        count(*) as touchpoints,
        count(person_id) as matched_touchpoints,
        {{ round_dbl(fdiv('count(person_id)', 'count(*)'), 4) }} as match_rate,
        count(*) filter (where match_method = 'user_id') as matched_by_user_id,
        count(*) filter (where match_method = 'ga_client_id') as matched_by_ga_client_id,
        count(*) filter (where match_method = 'click_id') as matched_by_click_id,
        count(*) filter (where match_method = 'hashed_email') as matched_by_hashed_email,
        count(*) filter (where is_suspected_bot) as suspected_bot_touchpoints

    from touchpoints
    group by 1, 2, 3

)

select * from final
