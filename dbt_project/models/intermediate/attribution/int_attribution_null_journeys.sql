-- The data-driven models' non-converting journeys (without them the models are meaningless):
-- every anonymous visitor, as a null path for every conversion type (conversion_type null), and
-- every known person for each conversion type they have not reached. A journey is all of its
-- touches in order; its period is the month of its last touch (docs/attribution.md choice 7).
{{ config(materialized='table') }}

with

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where not is_suspected_bot

),

conversions as (

    select * from {{ ref('fct_conversions') }}

),

-- an anonymous journey is a browser's sessions; a touch without a browser (an unmatched ad
-- lead form) is a journey of its own
journey_keys as (

    select
        *,
        coalesce(person_id, 'anonymous:' || coalesce(user_pseudo_id, touchpoint_id)) as journey_id
    from touchpoints

),

journeys as (

    select
        journey_id,
        person_id,
        {{ var('attribution_channel') }} as channel,
        row_number() over (
            partition by journey_id order by touchpoint_at, touchpoint_id
        ) as position,
        cast(date_trunc('month', max(touchpoint_at) over (partition by journey_id)) as date)
            as period

    from journey_keys

),

conversion_types as (

    select * from (values ('lead'), ('mql'), ('sql'), ('opportunity'), ('customer'), ('partner_inquiry'))
        as types (conversion_type)

),

anonymous as (

    select journey_id, cast(null as varchar) as conversion_type, period, position, channel
    from journeys
    where person_id is null

),

known_without_that_conversion as (

    -- one journey per person and type it has not reached: ids must not repeat across types
    select journeys.journey_id || '|' || conversion_types.conversion_type as journey_id,
        conversion_types.conversion_type, journeys.period,
        journeys.position, journeys.channel
    from journeys
    cross join conversion_types
    where journeys.person_id is not null
        and not exists (
            select 1 from conversions
            where conversions.person_id = journeys.person_id
                and conversions.conversion_type = conversion_types.conversion_type
        )

)

select * from anonymous
union all
select * from known_without_that_conversion
