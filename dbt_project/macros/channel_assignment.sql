{#- Two CTEs, `channel_pairs` and `channel_assignment`: every distinct lower-cased (source, medium)
    of `relation` with the channel group and platform of the first matching rule of the
    channel_mapping seed (lowest priority; patterns match in full). Join on
    (lower(source), lower(medium)); unmatched pairs are absent (callers use 'Other'). Matching
    distinct pairs, not rows, keeps the regular expressions off the big tables. -#}
{% macro channel_assignment(relation) -%}
channel_pairs as (

    select distinct lower(source) as source, lower(medium) as medium
    from {{ relation }}

),

channel_assignment as (

    select
        channel_pairs.source,
        channel_pairs.medium,
        {{ arg_min('rules.channel_group', 'rules.priority') }} as channel_group,
        {{ arg_min("coalesce(nullif(rules.platform, ''), channel_pairs.source)", 'rules.priority') }}
            as platform

    from channel_pairs
    inner join {{ ref('channel_mapping') }} as rules
        on {{ regexp_full_match("coalesce(channel_pairs.source, '')", 'rules.source_pattern') }}
        and {{ regexp_full_match("coalesce(channel_pairs.medium, '')", "coalesce(rules.medium_pattern, '')") }}
    group by channel_pairs.source, channel_pairs.medium

)
{%- endmacro %}
