-- One row per month × channel group × platform × campaign × cost category: what marketing cost
-- there, in the reporting currency. `media` is ad spend (fct_funnel_daily, so the funnel and ROI
-- never disagree on it); the other categories are the non_media_costs seed's lines, allocated:
--   * a line's filled targets (channel group, platform, campaign) select that month's rows of the
--     funnel that have web sessions; blank targets mean "spread over all of them";
--   * the line is split over the selected rows in proportion to their sessions, to the cent, by
--     largest remainder, so that the parts add up exactly to the line (docs/roi.md says why
--     sessions);
--   * a line that selects no row keeps its whole amount, the blank targets shown '(unallocated)'.
{%- set unallocated = "'(unallocated)'" %}

with

funnel as (

    select * from {{ ref('fct_funnel_daily') }}

),

non_media_costs as (

    select * from {{ ref('int_non_media_costs') }}

),

monthly_activity as (

    select
        cast(date_trunc('month', funnel_date) as date) as period_month,
        channel_group,
        platform,
        campaign,
        sum(sessions) as sessions,
        -- the funnel's spend is rounded to the cent per day: the decimal sum is exact
        sum(cast(spend_usd as decimal(18, 2))) as media_cost_usd
    from funnel
    group by 1, 2, 3, 4

),

media_costs as (

    select period_month, channel_group, platform, campaign, 'media' as cost_category,
        media_cost_usd as cost_usd
    from monthly_activity
    where media_cost_usd <> 0

),

-- every (cost line, funnel row) pair the line may be spread over
scopes as (

    select
        non_media_costs.cost_line,
        non_media_costs.cost_month as period_month,
        non_media_costs.cost_category,
        cast(non_media_costs.cost_usd * 100 as {{ big_int() }}) as line_cents,
        monthly_activity.channel_group,
        monthly_activity.platform,
        monthly_activity.campaign,
        monthly_activity.sessions,
        sum(monthly_activity.sessions) over (partition by non_media_costs.cost_line) as line_sessions
    from non_media_costs
    inner join monthly_activity
        on monthly_activity.period_month = non_media_costs.cost_month
        and monthly_activity.sessions > 0
        and (non_media_costs.channel_group is null
            or lower(monthly_activity.channel_group) = lower(non_media_costs.channel_group))
        and (non_media_costs.platform is null
            or lower(monthly_activity.platform) = lower(non_media_costs.platform))
        and (non_media_costs.campaign is null
            or monthly_activity.campaign = non_media_costs.campaign)

),

-- integer cents: each row gets the floor of its share, and the cents left over go one each to
-- the rows with the largest remainders (ties: by channel group, platform, campaign)
shares as (

    select
        *,
        {{ idiv('abs(line_cents) * sessions', 'line_sessions') }} as floor_cents,
        abs(line_cents) * sessions % line_sessions as remainder
    from scopes

),

ranked as (

    select
        *,
        abs(line_cents) - sum(floor_cents) over (partition by cost_line) as leftover_cents,
        row_number() over (partition by cost_line
            order by remainder desc, channel_group, platform, campaign) as remainder_rank
    from shares

),

allocated as (

    select
        period_month, channel_group, platform, campaign, cost_category,
        -- a credit note (negative line) is split like a charge, then keeps its sign
        cast(sign(line_cents) * (floor_cents + cast(remainder_rank <= leftover_cents as integer))
            as decimal(18, 0)) * 0.01 as cost_usd
    from ranked

),

unallocated as (

    select
        cost_month as period_month,
        coalesce(channel_group, {{ unallocated }}) as channel_group,
        coalesce(platform, {{ unallocated }}) as platform,
        coalesce(campaign, {{ unallocated }}) as campaign,
        cost_category,
        cost_usd
    from non_media_costs
    where cost_line not in (select cost_line from scopes)

),

unioned as (

    select * from media_costs
    union all
    select * from allocated where cost_usd <> 0
    union all
    select * from unallocated

),

final as (

    select
        period_month,
        channel_group,
        platform,
        campaign,
        cost_category,
        cast(sum(cost_usd) as {{ dbl() }}) as cost_usd
    from unioned
    group by 1, 2, 3, 4, 5

)

select * from final
