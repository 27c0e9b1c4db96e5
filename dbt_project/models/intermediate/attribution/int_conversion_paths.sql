-- One row per conversion × touchpoint on its path, the table every attribution model reads
-- (contract: docs/attribution.md). A conversion with no touch in its lookback window gets one
-- '(unattributed)' row so that its credit, and its revenue, still add up.
-- Incremental (decision 65): a run rebuilds the conversions whose path may have changed, found by
-- comparing the inputs with the paths the table holds (int_conversion_paths_changed), whatever
-- the reason: a new or late-won deal, a CRM delete or merge, a touch whose person, time, channel
-- or bot flag changed, or a touch that entered a conversion's lookback window. `path_digest`
-- (a digest of the conversion's path rows) tells int_attribution_rule_based which paths changed.
{{ config(materialized='incremental', incremental_strategy='replace_keys', unique_key='conversion_id',
          keys_macro='int_conversion_paths_changed') }}
{%- set lookback = var('attribution_lookback_days') %}
{%- set skew = interval(var('attribution_clock_skew_seconds'), 'second') %}

with

conversions as (

    select * from {{ ref('fct_conversions') }}
    {%- if is_incremental() %}
    where conversion_id in ({{ int_conversion_paths_changed() }})
    {%- endif %}

),

touchpoints as (

    select * from {{ ref('fct_touchpoints') }}
    where person_id is not null and not is_suspected_bot

),

on_path as materialized (

    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.person_id,
        conversions.converted_at,
        conversions.revenue_usd,
        conversions.lead_at,
        conversions.opportunity_at,
        touchpoints.touchpoint_id,
        touchpoints.touchpoint_at,
        touchpoints.channel_group,
        touchpoints.platform,
        touchpoints.campaign,
        touchpoints.is_direct,
        touchpoints.{{ var('attribution_channel') }} as channel,
        row_number() over (
            partition by conversions.conversion_id
            order by touchpoints.touchpoint_at, touchpoints.touchpoint_id
        ) as position

    from conversions
    inner join touchpoints
        on conversions.person_id = touchpoints.person_id
        -- a touch that trails the conversion by less than the sources' clock skew is before it
        and touchpoints.touchpoint_at <= conversions.converted_at + {{ skew }}
        and touchpoints.touchpoint_at >= conversions.converted_at - {{ interval(lookback, 'day') }}

),

-- per-conversion facts as one hash aggregate (much cheaper than window aggregates at scale)
per_conversion as (

    select
        conversion_id,
        count(*) as n_touches,
        -- the last touch at or before each milestone; without one, the earlier milestone's
        -- touch (lead → first touch, opportunity → lead touch): docs/attribution.md choice 3
        coalesce(max(position) filter (where touchpoint_at <= lead_at + {{ skew }}), 1) as lead_position,
        max(position) filter (where touchpoint_at <= opportunity_at + {{ skew }}) as opportunity_position_found

    from on_path
    group by conversion_id

),

milestones as (

    select
        on_path.*,
        per_conversion.n_touches,
        per_conversion.lead_position,
        per_conversion.opportunity_position_found,
        -- elapsed days from epoch microseconds: subtracting two timestamptz goes through ICU's
        -- calendar arithmetic (~1 s per 3 M rows, and in a DST time zone it counts wall-clock
        -- time, not elapsed time). Whole days + the rest in seconds is how epoch() adds up the
        -- interval that subtraction gives in UTC, so the numbers are the same to the last bit.
        {{ days_between('on_path.converted_at', 'on_path.touchpoint_at') }} as days_before

    from on_path
    inner join per_conversion on on_path.conversion_id = per_conversion.conversion_id

),

flagged as (

    select
        conversion_id, conversion_type, person_id, converted_at, revenue_usd, lead_at, opportunity_at,
        touchpoint_id, touchpoint_at, channel_group, platform, campaign, is_direct, channel,
        position, n_touches, days_before,
        position = lead_position as is_lead_touch,
        position = coalesce(opportunity_position_found, lead_position) as is_opportunity_touch,
        conversion_type = 'customer' and position = n_touches as is_win_touch

    from milestones

),

unattributed as (

    select
        conversion_id, conversion_type, person_id, converted_at, revenue_usd, lead_at, opportunity_at,
        cast(null as varchar) as touchpoint_id,
        cast(null as timestamptz) as touchpoint_at,
        '(unattributed)' as channel_group,
        '(unattributed)' as platform,
        '(unattributed)' as campaign,
        false as is_direct,
        '(unattributed)' as channel,
        0 as position,
        0 as n_touches,
        cast(null as {{ dbl() }}) as days_before,
        false as is_lead_touch,
        false as is_opportunity_touch,
        false as is_win_touch

    from conversions
    where conversion_id not in (select conversion_id from per_conversion)

),

path_rows as (

    select * from flagged
    union all
    select * from unattributed

),

digests as (

    select
        conversion_id,
        bit_xor({{ row_hash(path_digest_columns()) }}) as path_digest
    from path_rows
    group by conversion_id

),

final as (

    select path_rows.*, digests.path_digest
    from path_rows
    inner join digests on path_rows.conversion_id = digests.conversion_id

)

select * from final
