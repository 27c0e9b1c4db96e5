-- The funnel by cohort: people grouped by the month (UTC) and platform of their first touch
-- (their lead month, "(no touch)", when no touch of theirs before the lead is known: a touch
-- identified only after the lead, e.g. a later login, is not how they were acquired), with how
-- many reached each later stage and the median days between consecutive stages. A person is a
-- CRM contact; a stage counts once per person, at its first occurrence.
{%- set stages = ['lead', 'mql', 'sql', 'opportunity', 'customer'] %}

with

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where person_id is not null and not is_suspected_bot

),

conversions as (

    select * from {{ ref('fct_conversions') }}
    -- the sales funnel's stages only: a partner inquiry alone does not make a cohort member
    where person_id is not null and conversion_type in ('{{ stages | join("', '") }}')

),

milestones as (

    select
        person_id,
        {%- for stage in stages %}
        min(converted_at) filter (where conversion_type = '{{ stage }}') as {{ stage }}_at
        {{- ',' if not loop.last }}
        {%- endfor %}
    from conversions
    group by person_id

),

-- the first touch at or before becoming a lead (within the sources' clock-skew tolerance)
first_touches as (

    select
        touchpoints.person_id,
        min(touchpoints.touchpoint_at) as first_touch_at,
        {{ arg_min('touchpoints.channel_group', 'touchpoints.touchpoint_at, touchpoints.touchpoint_id') }}
            as channel_group,
        {{ arg_min('touchpoints.platform', 'touchpoints.touchpoint_at, touchpoints.touchpoint_id') }}
            as platform
    from touchpoints
    inner join milestones on touchpoints.person_id = milestones.person_id
    where touchpoints.touchpoint_at
        <= milestones.lead_at + {{ interval(var('attribution_clock_skew_seconds'), 'second') }}
    group by touchpoints.person_id

),

people as (

    select
        milestones.*,
        -- the earlier of the first touch and the lead (a touch may trail the lead within the
        -- clock-skew tolerance: the person then enters at the lead)
        coalesce(least(first_touches.first_touch_at, milestones.lead_at), milestones.lead_at)
            as entered_at,
        coalesce(first_touches.channel_group, '(no touch)') as first_touch_channel_group,
        coalesce(first_touches.platform, '(no touch)') as first_touch_platform
    from milestones
    left join first_touches on milestones.person_id = first_touches.person_id

),

final as (

    select
        {{ utc_month('entered_at') }} as cohort_month,
        first_touch_channel_group,
        first_touch_platform,
        count(*) as people,
        {%- for stage in stages %}
        count({{ stage }}_at) as reached_{{ stage }},
        {{ round_dbl(fdiv('count(' ~ stage ~ '_at)', 'count(*)'), 4) }} as {{ stage }}_share,
        {%- endfor %}
        -- median days between consecutive stages, over the people who reached both
        {{ round_dbl(median(epoch('lead_at - entered_at') ~ ' / 86400.0'), 2) }} as median_days_touch_to_lead,
        {%- for stage in stages[1:] %}
        {%- set previous = stages[loop.index0] %}
        {{ round_dbl(median(epoch(stage ~ '_at - ' ~ previous ~ '_at') ~ ' / 86400.0'), 2) }}
            as median_days_{{ previous }}_to_{{ stage }}{{ ',' if not loop.last }}
        {%- endfor %}

    from people
    group by 1, 2, 3

)

select * from final
