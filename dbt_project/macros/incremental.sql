{#- Incremental builds of the large models (decision 65). An incremental run rebuilds the keys its
    inputs may have changed and leaves the other rows alone; `--full-refresh` rebuilds everything
    and gives the same rows. -#}

{#- The strategy `replace_keys`: delete every row whose `unique_key` is among the keys the model's
    macro `keys_macro` (a config) selects, then insert the model's rows, which are exactly those
    keys' rows (config `replace_also`: a predicate naming more rows to replace, which the model
    also selects). dbt's delete+insert deletes only the keys present in the new rows, so a key whose
    rows all vanished (a CRM delete, a browser gone from a re-delivered day) would stay. The keys
    query runs before the delete, so it may read the table as it was. -#}
{% macro get_incremental_replace_keys_sql(arg_dict) -%}
    {%- set target_relation = arg_dict['target_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set keys_macro = config.require('keys_macro') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target_relation }}
    where {{ key }} in ({{ context[keys_macro]() }})
    {%- if config.get('replace_also') %} or {{ config.get('replace_also') }}{% endif %};
    insert into {{ target_relation }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- The first landing day an incremental run re-reads: `days` before the latest day the table
    holds (a re-delivered or re-landed day inside the source's lookback), or the var
    `reprocess_from` (a date) when it is earlier: a backfill of older days without a full refresh.
    An empty table gives 1900-01-01, i.e. everything. -#}
{% macro reprocess_from(relation, column, days) -%}
    {%- set latest = 'coalesce((select max(' ~ column ~ ') from ' ~ relation ~ "), date '1900-01-01')" -%}
    {%- if var('reprocess_from', none) -%}
        least({{ latest }} - {{ days }}, cast('{{ var("reprocess_from") }}' as date))
    {%- else -%}
        ({{ latest }} - {{ days }})
    {%- endif -%}
{%- endmacro %}

{#- An order-independent 64-bit digest of a group of rows (bit_xor of a hash of each row's
    values): equal rows give equal digests on every run and after a full refresh. -#}
{% macro row_hash(columns) -%}{{ return(adapter.dispatch('row_hash', 'social_roi')(columns)) }}{%- endmacro %}
{% macro default__row_hash(columns) -%}cast(hash({{ columns | join(', ') }}) >> 1 as bigint){%- endmacro %}
{% macro postgres__row_hash(columns) -%}
    ('x' || left(md5(concat_ws('|'
        {%- for column in columns %}, coalesce(cast({{ column }} as text), '\N'){% endfor %})), 16))::bit(64)::bigint
{%- endmacro %}

{#- keys of the incremental models: what an incremental run deletes and rebuilds -#}

{#- stg_ga4__events: the landing days inside the re-delivery window, landed or built -#}
{% macro stg_ga4__events_days() -%}
    select landed_date from {{ this }}
    where landed_date >= {{ reprocess_from(this, 'landed_date', var('ga4_redelivery_days')) }}
{%- endmacro %}

{#- int_web_sessions: browsers with an event landed in the window, or a session built from one -#}
{% macro int_web_sessions_browsers() -%}
    {%- set window_start = reprocess_from(this, 'landed_date', var('ga4_redelivery_days')) -%}
    select user_pseudo_id from {{ ref('stg_ga4__events') }}
    where landed_date >= {{ window_start }} and user_pseudo_id is not null
    union
    select user_pseudo_id from {{ this }}
    where landed_date >= {{ window_start }}
{%- endmacro %}

{#- int_conversion_paths: the columns whose digest is `path_digest` -#}
{% macro path_digest_columns() -%}
    {{ return(['conversion_id', 'conversion_type', 'person_id', 'converted_at', 'revenue_usd', 'lead_at',
               'opportunity_at', 'touchpoint_id', 'touchpoint_at', 'channel_group', 'platform', 'campaign',
               'is_direct', 'channel', 'position', 'n_touches', 'days_before', 'is_lead_touch',
               'is_opportunity_touch', 'is_win_touch']) }}
{%- endmacro %}

{#- int_conversion_paths: the conversions whose path may differ from the one the table holds. A
    path is a function of its conversion's row and of the eligible touches (a person's, not a
    bot's) of that person inside its window, so it can change only if (a) the conversion is new,
    changed or gone, (b) a touch on it changed or stopped being eligible, or (c) a touch that
    is new or changed (not on any path as it is now) falls inside the window of one of its
    person's conversions. Each set may hold more conversions than changed: rebuilding an
    unchanged path gives the same rows. -#}
{% macro int_conversion_paths_changed() -%}
    {%- set conversion = 'conversion_id, conversion_type, person_id, converted_at, revenue_usd, lead_at, opportunity_at' -%}
    {%- set touch = 'touchpoint_id, person_id, touchpoint_at, channel_group, platform, campaign, is_direct, channel' -%}
    {%- set skew = interval(var('attribution_clock_skew_seconds'), 'second') -%}
    {%- set eligible -%}
        select touchpoint_id, person_id, touchpoint_at, channel_group, platform, campaign, is_direct,
            {{ var('attribution_channel') }} as channel
        from {{ ref('fct_touchpoints') }}
        where person_id is not null and not is_suspected_bot
    {%- endset -%}
    select conversion_id from (
        select {{ conversion }} from {{ ref('fct_conversions') }}
        except
        select {{ conversion }} from {{ this }}
    ) as new_or_changed
    union
    select conversion_id from (
        select {{ conversion }} from {{ this }}
        except
        select {{ conversion }} from {{ ref('fct_conversions') }}
    ) as gone_or_changed
    union
    select on_path.conversion_id
    from {{ this }} as on_path
    inner join (
        select {{ touch }} from {{ this }} where touchpoint_id is not null
        except
        {{ eligible }}
    ) as stale_touches on on_path.touchpoint_id = stale_touches.touchpoint_id
    union
    select conversions.conversion_id
    from {{ ref('fct_conversions') }} as conversions
    inner join (
        {{ eligible }}
        except
        select {{ touch }} from {{ this }} where touchpoint_id is not null
    ) as fresh_touches
        on conversions.person_id = fresh_touches.person_id
        and fresh_touches.touchpoint_at <= conversions.converted_at + {{ skew }}
        and fresh_touches.touchpoint_at >= conversions.converted_at
            - {{ interval(var('attribution_lookback_days'), 'day') }}
{%- endmacro %}

{#- the conversions whose path_digest in `upstream` differs from the one this table holds, or
    that are gone from `upstream` (int_attribution_rule_based; fct_attribution, a published mart,
    stays a table: its digests would be a bookkeeping column in BI) -#}
{% macro paths_changed_since(upstream) -%}
    select conversion_id from (
        select conversion_id, path_digest from {{ upstream }}
        except
        select conversion_id, path_digest from {{ this }}
    ) as changed
    union
    select conversion_id from (
        select conversion_id from {{ this }}
        except
        select conversion_id from {{ upstream }}
    ) as gone
{%- endmacro %}
{% macro int_attribution_rule_based_changed() -%}
    {{ paths_changed_since(ref('int_conversion_paths')) }}
{%- endmacro %}
