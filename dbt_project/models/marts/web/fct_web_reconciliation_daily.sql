-- One row per day × channel group × platform: the sessions, engaged sessions and key events the
-- warehouse computes from the GA4 export (the same sessions as fct_funnel_daily) next to what
-- GA4 itself reports through the Data API, with the difference (API − export) and the relative
-- difference (÷ API). Both sides are grouped by the same channel_mapping rules, on the session's
-- source / medium, so a difference is never a grouping artefact. Expected differences
-- (decision 45): consent-denied visits, which GA4 models as sessions while the export has only
-- their cookieless pings (counted here); on a real property also GA4's estimated (HyperLogLog++)
-- session counts, thresholding, its bot filter and sessions a campaign change splits here but not
-- in GA4. A side whose source landed nothing for the day is unknown (NULL), not zero.
with

sessions as (

    select * from {{ ref('int_web_sessions') }}

),

events as (

    select * from {{ ref('stg_ga4__events') }}

),

report as (

    select * from {{ ref('stg_ga4_data_api__traffic_daily') }}

),

-- the sessionised export: consented visits only (a session needs a client id)
export_session_measures as (

    select
        session_date as reconciliation_date,
        source,
        medium,
        1 as export_sessions,
        cast(is_engaged as integer) as export_engaged_sessions,
        key_events as export_key_events
    from sessions

),

-- consent-denied pings: in the export, in no session; GA4's last click says where they came from
consent_denied_measures as (

    select
        event_date as reconciliation_date,
        coalesce(last_click_source, '(direct)') as source,
        coalesce(last_click_medium, '(none)') as medium,
        1 as export_consent_denied_events,
        cast(event_name in {{ ga4_key_events() }} as integer) as export_key_events
    from events
    where is_consent_denied

),

api_measures as (

    select
        report_date as reconciliation_date,
        source,
        medium,
        sessions as api_sessions,
        engaged_sessions as api_engaged_sessions,
        key_events as api_key_events,
        total_users as api_total_users,
        user_engagement_seconds as api_user_engagement_seconds,
        is_subject_to_thresholding or has_data_loss_from_other_row as is_api_report_partial
    from report

),

unioned as (

    {%- set keys = ['reconciliation_date', 'source', 'medium'] %}
    {{ union_by_name({
        'export_session_measures': keys + ['export_sessions', 'export_engaged_sessions', 'export_key_events'],
        'consent_denied_measures': keys + ['export_consent_denied_events', 'export_key_events'],
        'api_measures': keys + ['api_sessions', 'api_engaged_sessions', 'api_key_events', 'api_total_users',
                                'api_user_engagement_seconds', 'is_api_report_partial'],
    }, {'reconciliation_date': 'date', 'source': 'varchar', 'medium': 'varchar', 'export_sessions': 'bigint',
        'export_engaged_sessions': 'bigint', 'export_key_events': 'bigint',
        'export_consent_denied_events': 'bigint', 'api_sessions': 'bigint', 'api_engaged_sessions': 'bigint',
        'api_key_events': 'bigint', 'api_total_users': 'bigint', 'api_user_engagement_seconds': dbl(),
        'is_api_report_partial': 'boolean'}) }}

),

{{ channel_assignment('unioned') }},

mapped as (

    select
        unioned.*,
        coalesce(channel_assignment.channel_group, 'Other') as channel_group,
        coalesce(channel_assignment.platform, lower(unioned.source), '(unknown)') as platform

    from unioned
    left join channel_assignment
        on lower(unioned.source) = channel_assignment.source
        and lower(unioned.medium) = channel_assignment.medium

),

-- the days each side landed anything: a day outside them is unknown on that side
export_days as (

    select distinct event_date as reconciliation_date from events

),

api_days as (

    select
        report_date as reconciliation_date,
        bool_or(is_subject_to_thresholding or has_data_loss_from_other_row) as is_api_report_partial
    from report
    group by 1

),

aggregated as (

    select
        reconciliation_date,
        channel_group,
        platform,
        coalesce(sum(export_sessions), 0) as export_sessions,
        coalesce(sum(export_engaged_sessions), 0) as export_engaged_sessions,
        coalesce(sum(export_key_events), 0) as export_key_events,
        coalesce(sum(export_consent_denied_events), 0) as export_consent_denied_events,
        coalesce(sum(api_sessions), 0) as api_sessions,
        coalesce(sum(api_engaged_sessions), 0) as api_engaged_sessions,
        coalesce(sum(api_key_events), 0) as api_key_events,
        coalesce(sum(api_total_users), 0) as api_total_users,
        coalesce(sum(api_user_engagement_seconds), 0) as api_user_engagement_seconds

    from mapped
    group by 1, 2, 3

),

sided as (

    select
        aggregated.reconciliation_date,
        aggregated.channel_group,
        aggregated.platform,
        {%- for measure in ['sessions', 'engaged_sessions', 'key_events', 'consent_denied_events'] %}
        case when export_days.reconciliation_date is not null
            then cast(aggregated.export_{{ measure }} as bigint) end as export_{{ measure }},
        {%- endfor %}
        {%- for measure in ['sessions', 'engaged_sessions', 'key_events', 'total_users'] %}
        case when api_days.reconciliation_date is not null
            then cast(aggregated.api_{{ measure }} as bigint) end as api_{{ measure }},
        {%- endfor %}
        case when api_days.reconciliation_date is not null
            then {{ round_dbl('aggregated.api_user_engagement_seconds', 3) }} end as api_user_engagement_seconds,
        api_days.is_api_report_partial

    from aggregated
    left join export_days
        on aggregated.reconciliation_date = export_days.reconciliation_date
    left join api_days
        on aggregated.reconciliation_date = api_days.reconciliation_date

),

final as (

    select
        reconciliation_date,
        channel_group,
        platform,
        {%- for measure, label in [('sessions', 'session'), ('engaged_sessions', 'engaged_session'),
                                   ('key_events', 'key_event')] %}
        export_{{ measure }},
        api_{{ measure }},
        api_{{ measure }} - export_{{ measure }} as {{ label }}_difference,
        {{ round_dbl(fdiv('(api_' ~ measure ~ ' - export_' ~ measure ~ ')', 'nullif(api_' ~ measure ~ ', 0)'), 4) }}
            as {{ label }}_relative_difference,
        {%- endfor %}
        export_consent_denied_events,
        api_total_users,
        api_user_engagement_seconds,
        is_api_report_partial

    from sided

)

select * from final
