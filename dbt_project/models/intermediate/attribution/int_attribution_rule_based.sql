-- Credits of the eight rule-based models (definitions: shared/reference/attribution.md; open
-- choices: docs/attribution.md): one row per path row, keyed by (conversion_id, position), one
-- credit column per model. Narrow on purpose: the path's other columns stay in
-- int_conversion_paths and the marts join them; one row per touch instead of one per touch × model
-- writes the keys once instead of eight times (docs/decisions.md 23). An '(unattributed)' row
-- (n_touches = 0) gets credit 1 in every model.
-- Incremental (decision 65): a run rebuilds the conversions whose path_digest differs from the one
-- the table holds (or that are gone); a credit depends on its conversion's path only.
{{ config(materialized='incremental', incremental_strategy='replace_keys', unique_key='conversion_id',
          keys_macro='int_attribution_rule_based_changed') }}
{%- set first_w = var('attribution_position_first') %}
{%- set last_w = var('attribution_position_last') %}
{%- set w_milestone = var('attribution_w_shaped_milestone') %}
{%- set fp_milestone = var('attribution_full_path_milestone') %}

with

paths as (

    select * from {{ ref('int_conversion_paths') }}
    {%- if is_incremental() %}
    where conversion_id in ({{ int_attribution_rule_based_changed() }})
    {%- endif %}

),

touch_weights as (

    select
        conversion_id,
        conversion_type,
        position,
        path_digest,
        n_touches,
        is_direct,
        pow(2.0, -days_before / {{ var('attribution_half_life_days') }}) as decay_weight,
        -- how many of the W-shaped milestones (first, lead, opportunity) this touch holds
        (cast(position = 1 as integer) + cast(is_lead_touch as integer)
            + cast(is_opportunity_touch as integer)) as w_milestones,
        (cast(position = 1 as integer) + cast(is_lead_touch as integer)
            + cast(is_opportunity_touch as integer) + cast(is_win_touch as integer))
            as fp_milestones

    from paths
    where n_touches > 0

),

-- per-conversion totals as one hash aggregate (window aggregates sort once each: slow at scale)
per_conversion as (

    select
        conversion_id,
        -- last non-direct: the last touch that is not direct, else the last touch
        coalesce(max(position) filter (where not is_direct), max(position))
            as last_non_direct_position,
        -- summed in path order: a float sum in hash-aggregate order can differ in the last bit
        -- between runs, and reruns must give identical credits
        {{ ordered_sum('decay_weight', 'position') }} as decay_total,
        count(*) filter (where w_milestones = 0) as w_others,
        count(*) filter (where w_milestones > 0) as w_holders,
        count(*) filter (where fp_milestones = 0) as fp_others,
        count(*) filter (where fp_milestones > 0) as fp_holders

    from touch_weights
    group by conversion_id

),

with_counts as (

    select
        touch_weights.*,
        per_conversion.last_non_direct_position,
        per_conversion.decay_total,
        per_conversion.w_others,
        per_conversion.w_holders,
        per_conversion.fp_others,
        per_conversion.fp_holders
    from touch_weights
    inner join per_conversion on touch_weights.conversion_id = per_conversion.conversion_id

),

credits as (

    select
        *,
        case when position = 1 then 1.0 else 0.0 end as first_touch,
        case when position = n_touches then 1.0 else 0.0 end as last_touch,
        case when position = last_non_direct_position then 1.0 else 0.0 end as last_non_direct,
        1.0 / n_touches as linear,
        case
            when n_touches = 1 then 1.0
            when n_touches = 2 then 0.5
            when position = 1 then {{ first_w }}
            when position = n_touches then {{ last_w }}
            else (1.0 - {{ first_w }} - {{ last_w }}) / (n_touches - 2)
        end as position_based,
        decay_weight / decay_total as time_decay,
        -- milestone shares add up on a touch holding several; the remainder goes to the other
        -- touches, or, when every touch is a milestone, equally to the milestone touches
        w_milestones * {{ w_milestone }} + (1.0 - 3 * {{ w_milestone }}) * case
            when w_others > 0 then {{ fdiv('cast(w_milestones = 0 as integer)', 'w_others') }}
            else 1.0 / w_holders
        end as w_shaped_milestones,
        fp_milestones * {{ fp_milestone }} + (1.0 - 4 * {{ fp_milestone }}) * case
            when fp_others > 0 then {{ fdiv('cast(fp_milestones = 0 as integer)', 'fp_others') }}
            else 1.0 / fp_holders
        end as full_path_milestones

    from with_counts

),

by_type as (

    select
        *,
        -- W-shaped is defined for opportunities and customers; earlier stages use U-shaped
        case when conversion_type in ('opportunity', 'customer') then w_shaped_milestones
            else position_based end as w_shaped,
        -- full path is defined for customers; other types fall back to W-shaped
        case
            when conversion_type = 'customer' then full_path_milestones
            when conversion_type = 'opportunity' then w_shaped_milestones
            else position_based
        end as full_path

    from credits

),

final as (

    -- every credit a double (the 0/1 models are decimal literals), rounded to 1e-15 so that
    -- equal definitions give equal numbers (0.2, not 0.19999999999999996); the rounding moves a
    -- conversion's total by < n × 5e-16, far inside the 1e-9 tolerance
    select
        conversion_id,
        position,
        {%- for model in rule_based_models() %}
        {{ round_dbl('cast(' ~ model ~ ' as ' ~ dbl() ~ ')', 15) }} as {{ model }},
        {%- endfor %}
        path_digest
    from by_type

    union all

    select
        conversion_id,
        position,
        {%- for model in rule_based_models() %}
        1.0 as {{ model }},
        {%- endfor %}
        path_digest
    from paths
    where n_touches = 0

)

select * from final
