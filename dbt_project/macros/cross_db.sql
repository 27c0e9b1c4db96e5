{#- The warehouse's dialect (decision 56): the same model files build on DuckDB (default) and on
    PostgreSQL. Each macro renders, on DuckDB, exactly the SQL the models had before (so the
    DuckDB build is unchanged), and on Postgres its equivalent. Dispatched by adapter:
    `default__` is DuckDB's, `postgres__` Postgres'. -#}

{#- Sources: on DuckDB the landed Parquet (the sources' external_location); on Postgres the
    table social_roi.warehouse_load copied it into: raw.<source>__<entity>. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {{ return(adapter.dispatch('landed_source', 'social_roi')(relation, source_name, table_name)) }}
{%- endmacro %}
{% macro default__landed_source(relation, source_name, table_name) -%}
    {{ return(relation) }}
{%- endmacro %}
{% macro postgres__landed_source(relation, source_name, table_name) -%}
    {{ return(api.Relation.create(database=target.database, schema='raw',
                                  identifier=source_name ~ '__' ~ table_name)) }}
{%- endmacro %}

{#- what a Postgres build needs before its models: pgcrypto (HMAC of personal data) and the
    functions DuckDB has built in -#}
{% macro warehouse_setup() -%}
    {{ return(adapter.dispatch('warehouse_setup', 'social_roi')()) }}
{%- endmacro %}
{% macro default__warehouse_setup() -%}
{%- endmacro %}
{% macro postgres__warehouse_setup() -%}
    create extension if not exists pgcrypto;
    create schema if not exists {{ target.schema }};
    -- DuckDB's url_decode: %XX sequences as UTF-8 bytes, '+' kept
    create or replace function {{ target.schema }}.url_decode(input text) returns text
    language sql immutable strict as $$
        select coalesce(convert_from(decode(string_agg(
            case when length(m[1]) = 1 then encode(convert_to(m[1], 'UTF8'), 'hex')
                else substring(m[1] from 2 for 2) end, '' order by n), 'hex'), 'UTF8'), '')
        from regexp_matches(input, '%[0-9a-fA-F]{2}|.', 'g') with ordinality as r(m, n)
    $$
{%- endmacro %}

{#- types -#}
{% macro dbl() -%}{{ return(adapter.dispatch('dbl', 'social_roi')()) }}{%- endmacro %}
{% macro default__dbl() -%}double{%- endmacro %}
{% macro postgres__dbl() -%}double precision{%- endmacro %}

{% macro big_int() -%}{{ return(adapter.dispatch('big_int', 'social_roi')()) }}{%- endmacro %}
{% macro default__big_int() -%}hugeint{%- endmacro %}
{% macro postgres__big_int() -%}numeric(38, 0){%- endmacro %}

{#- a / b as a float division (DuckDB's `/`; Postgres divides integers as integers) -#}
{% macro fdiv(a, b) -%}{{ return(adapter.dispatch('fdiv', 'social_roi')(a, b)) }}{%- endmacro %}
{% macro default__fdiv(a, b) -%}{{ a }} / {{ b }}{%- endmacro %}
{% macro postgres__fdiv(a, b) -%}cast({{ a }} as double precision) / {{ b }}{%- endmacro %}

{#- round(x, n) of a double (Postgres rounds numerics only), still a double -#}
{% macro round_dbl(x, n) -%}{{ return(adapter.dispatch('round_dbl', 'social_roi')(x, n)) }}{%- endmacro %}
{% macro default__round_dbl(x, n) -%}round({{ x }}, {{ n }}){%- endmacro %}
{% macro postgres__round_dbl(x, n) -%}
    cast(round(cast({{ x }} as numeric), {{ n }}) as double precision)
{%- endmacro %}

{#- arg_min / arg_max: `arg` of the row with the least / greatest `order` (a column, or several
    comma-separated: a tuple), over the rows where `arg` and `order` are not null, optionally
    only those matching `filter`. -#}
{% macro arg_min(arg, order, filter=none) -%}
    {{ return(adapter.dispatch('arg_min', 'social_roi')(arg, order, filter, 'min')) }}
{%- endmacro %}
{% macro arg_max(arg, order, filter=none) -%}
    {{ return(adapter.dispatch('arg_min', 'social_roi')(arg, order, filter, 'max')) }}
{%- endmacro %}
{% macro default__arg_min(arg, order, filter, kind) -%}
    arg_{{ kind }}({{ arg }}, {{ '(' ~ order ~ ')' if ',' in order else order }})
    {%- if filter %} filter (where {{ filter }}){% endif %}
{%- endmacro %}
{% macro postgres__arg_min(arg, order, filter, kind) -%}
    {#- DuckDB skips a null `arg` and a null single `order`; a tuple with a null member sorts last -#}
    {%- set direction = ' asc' if kind == 'min' else ' desc nulls last' -%}
    {%- set keys = order.split(',') | map('trim') | list -%}
    (array_agg({{ arg }} order by {% for key in keys %}{{ key }}{{ direction }}{{ ', ' if not loop.last }}{% endfor %})
        filter (where {{ arg }} is not null{% if keys | length == 1 %} and {{ keys[0] }} is not null{% endif %}
        {%- if filter %} and ({{ filter }}){% endif %}))[1]
{%- endmacro %}

{#- `select {{ distinct_on(key) }} … {{ first_per(key, order) }}`: one row per `key`, the first
    by `order` (DuckDB: qualify row_number() = 1; Postgres: distinct on). `order` may say
    `desc nulls last`, DuckDB's default. -#}
{% macro distinct_on(key) -%}{{ return(adapter.dispatch('distinct_on', 'social_roi')(key)) }}{%- endmacro %}
{% macro default__distinct_on(key) -%}{%- endmacro %}
{% macro postgres__distinct_on(key) -%}distinct on ({{ key }}){%- endmacro %}
{% macro first_per(key, order) -%}{{ return(adapter.dispatch('first_per', 'social_roi')(key, order)) }}{%- endmacro %}
{% macro default__first_per(key, order) -%}
    qualify row_number() over (partition by {{ key }} order by {{ order }}) = 1
{%- endmacro %}
{% macro postgres__first_per(key, order) -%}
    order by {{ key }}, {{ order }}
{%- endmacro %}

{#- the rows of `relation` from the latest landing day of each `key` -#}
{% macro latest_landing_day(relation, key) -%}
    {{ return(adapter.dispatch('latest_landing_day', 'social_roi')(relation, key)) }}
{%- endmacro %}
{% macro default__latest_landing_day(relation, key) -%}
    select *
    from {{ relation }}
    qualify dense_rank() over (partition by {{ key }} order by date desc) = 1
{%- endmacro %}
{% macro postgres__latest_landing_day(relation, key) -%}
    select *
    from {{ relation }}
    where ({{ key }}, date) in (select {{ key }}, max(date) from {{ relation }} group by {{ key }})
{%- endmacro %}

{#- one row per element of `text` split on `separator` (a set-returning select expression) -#}
{% macro split_to_rows(text, separator) -%}
    {{ return(adapter.dispatch('split_to_rows', 'social_roi')(text, separator)) }}
{%- endmacro %}
{% macro default__split_to_rows(text, separator) -%}unnest(string_split({{ text }}, '{{ separator }}')){%- endmacro %}
{% macro postgres__split_to_rows(text, separator) -%}unnest(string_to_array({{ text }}, '{{ separator }}')){%- endmacro %}

{#- capture group `group` of the first match of `pattern` in `text`; '' when none (DuckDB) -#}
{% macro regexp_extract(text, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract', 'social_roi')(text, pattern, group)) }}
{%- endmacro %}
{% macro default__regexp_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, '{{ pattern }}', {{ group }})
{%- endmacro %}
{% macro postgres__regexp_extract(text, pattern, group) -%}
    coalesce((regexp_match({{ text }}, '{{ pattern }}'))[{{ group }}], '')
{%- endmacro %}

{#- `text` matches `pattern` in full -#}
{% macro regexp_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'social_roi')(text, pattern)) }}
{%- endmacro %}
{% macro default__regexp_full_match(text, pattern) -%}regexp_full_match({{ text }}, {{ pattern }}){%- endmacro %}
{% macro postgres__regexp_full_match(text, pattern) -%}({{ text }} ~ ('^(?:' || {{ pattern }} || ')$')){%- endmacro %}

{% macro url_decode(text) -%}{{ return(adapter.dispatch('url_decode', 'social_roi')(text)) }}{%- endmacro %}
{% macro default__url_decode(text) -%}url_decode({{ text }}){%- endmacro %}
{% macro postgres__url_decode(text) -%}{{ target.schema }}.url_decode({{ text }}){%- endmacro %}

{#- the hex SHA-256 of a text -#}
{% macro sha256_hex(text) -%}{{ return(adapter.dispatch('sha256_hex', 'social_roi')(text)) }}{%- endmacro %}
{% macro default__sha256_hex(text) -%}sha256({{ text }}){%- endmacro %}
{% macro postgres__sha256_hex(text) -%}encode(sha256(convert_to({{ text }}, 'UTF8')), 'hex'){%- endmacro %}

{#- time: a timestamptz from epoch microseconds, its epoch microseconds, a YYYYMMDD date -#}
{% macro timestamp_from_us(us) -%}{{ return(adapter.dispatch('timestamp_from_us', 'social_roi')(us)) }}{%- endmacro %}
{% macro default__timestamp_from_us(us) -%}make_timestamptz({{ us }}){%- endmacro %}
{% macro postgres__timestamp_from_us(us) -%}(timestamptz 'epoch' + {{ us }} * interval '1 microsecond'){%- endmacro %}

{% macro epoch_us(ts) -%}{{ return(adapter.dispatch('epoch_us', 'social_roi')(ts)) }}{%- endmacro %}
{% macro default__epoch_us(ts) -%}epoch_us({{ ts }}){%- endmacro %}
{% macro postgres__epoch_us(ts) -%}cast(extract(epoch from {{ ts }}) * 1000000 as bigint){%- endmacro %}

{#- seconds since the epoch (a timestamptz) or in an interval, as a double -#}
{% macro epoch(x) -%}{{ return(adapter.dispatch('epoch', 'social_roi')(x)) }}{%- endmacro %}
{% macro default__epoch(x) -%}epoch({{ x }}){%- endmacro %}
{% macro postgres__epoch(x) -%}cast(extract(epoch from {{ x }}) as double precision){%- endmacro %}

{% macro date_from_yyyymmdd(text) -%}{{ return(adapter.dispatch('date_from_yyyymmdd', 'social_roi')(text)) }}{%- endmacro %}
{% macro default__date_from_yyyymmdd(text) -%}strptime({{ text }}, '%Y%m%d')::date{%- endmacro %}
{% macro postgres__date_from_yyyymmdd(text) -%}to_date({{ text }}, 'YYYYMMDD'){%- endmacro %}

{#- nested data: a struct's field (DuckDB) / a jsonb object's member as text (Postgres) -#}
{% macro field(column) -%}{{ return(adapter.dispatch('field', 'social_roi')(column, varargs)) }}{%- endmacro %}
{% macro default__field(column, path) -%}{{ column }}{% for name in path %}.{{ name }}{% endfor %}{%- endmacro %}
{% macro postgres__field(column, path) -%}
    ({{ column }}{% for name in path %}{{ ' ->> ' if loop.last else ' -> ' }}'{{ name }}'{% endfor %})
{%- endmacro %}

{#- the `value_field` of the first element of a JSON array text `json_text` whose `key_field`
    is `key` (as text) -#}
{% macro json_array_lookup(json_text, key_field, key, value_field) -%}
    {{ return(adapter.dispatch('json_array_lookup', 'social_roi')(json_text, key_field, key, value_field)) }}
{%- endmacro %}
{% macro default__json_array_lookup(json_text, key_field, key, value_field) -%}
    list_filter(cast(json({{ json_text }}) as struct({{ key_field }} varchar, {{ value_field }} varchar)[]),
        lambda a: a.{{ key_field }} = '{{ key }}')[1].{{ value_field }}
{%- endmacro %}
{% macro postgres__json_array_lookup(json_text, key_field, key, value_field) -%}
    jsonb_path_query_first(cast({{ json_text }} as jsonb),
        '$[*] ? (@.{{ key_field }} == "{{ key }}").{{ value_field }}') #>> '{}'
{%- endmacro %}

{#- the sum of a JSON object text's values (integers) -#}
{% macro json_values_sum(json_text) -%}
    {{ return(adapter.dispatch('json_values_sum', 'social_roi')(json_text)) }}
{%- endmacro %}
{% macro default__json_values_sum(json_text) -%}
    list_sum(map_values(cast(json({{ json_text }}) as map(varchar, bigint))))
{%- endmacro %}
{% macro postgres__json_values_sum(json_text) -%}
    (select sum(cast(value as bigint)) from jsonb_each_text(cast({{ json_text }} as jsonb)))
{%- endmacro %}

{#- element `index` (0-based) of a JSON array text, as text -#}
{% macro json_element_text(json_text, index) -%}
    {{ return(adapter.dispatch('json_element_text', 'social_roi')(json_text, index)) }}
{%- endmacro %}
{% macro default__json_element_text(json_text, index) -%}json_extract_string({{ json_text }}, '$[{{ index }}]'){%- endmacro %}
{% macro postgres__json_element_text(json_text, index) -%}(cast({{ json_text }} as jsonb) ->> {{ index }}){%- endmacro %}

{#- On Postgres, a Python model's result computed outside dbt (social_roi.warehouse_postgres) -#}
{% macro computed_in_python(model_name) -%}
    {{ return(api.Relation.create(database=target.database, schema='raw', identifier='python__' ~ model_name)) }}
{%- endmacro %}

{#- `union all by name` (DuckDB). Postgres has only the positional union: there the selects it
    joins must list the same columns in the same order (the models that use it do). -#}
{% macro union_all_by_name() -%}{{ return(adapter.dispatch('union_all_by_name', 'social_roi')()) }}{%- endmacro %}
{% macro default__union_all_by_name() -%}union all by name{%- endmacro %}
{% macro postgres__union_all_by_name() -%}union all{%- endmacro %}

{#- One row per (row of `query`, non-null value of one of `columns`): the `keys` and
    `name_column` (the column's name), `value_column` (its value). DuckDB's unpivot. -#}
{% macro unpivot_columns(query, keys, columns, name_column, value_column) -%}
    {{ return(adapter.dispatch('unpivot_columns', 'social_roi')(query, keys, columns, name_column, value_column)) }}
{%- endmacro %}
{% macro default__unpivot_columns(query, keys, columns, name_column, value_column) -%}
    unpivot (
        {{ query }}
    )
    on {{ columns | join(', ') }}
    into name {{ name_column }} value {{ value_column }}
{%- endmacro %}
{% macro postgres__unpivot_columns(query, keys, columns, name_column, value_column) -%}
    select {% for key in keys %}unpivoted.{{ key }}, {% endfor %}pairs.{{ name_column }}, pairs.{{ value_column }}
    from (
        {{ query }}
    ) as unpivoted
    cross join lateral (values
        {%- for column in columns %}
        ('{{ column }}', unpivoted.{{ column }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as pairs ({{ name_column }}, {{ value_column }})
    where pairs.{{ value_column }} is not null
{%- endmacro %}

{#- a sum over a group in a fixed order (DuckDB sums doubles in parallel, in varying order) -#}
{% macro ordered_sum(expression, order) -%}
    {{ return(adapter.dispatch('ordered_sum', 'social_roi')(expression, order)) }}
{%- endmacro %}
{% macro default__ordered_sum(expression, order) -%}list_sum(list({{ expression }} order by {{ order }})){%- endmacro %}
{% macro postgres__ordered_sum(expression, order) -%}sum({{ expression }}){%- endmacro %}

{#- days (fractional) from `earlier` to `later`, two timestamptz, exact to the microsecond -#}
{% macro days_between(later, earlier) -%}
    {{ return(adapter.dispatch('days_between', 'social_roi')(later, earlier)) }}
{%- endmacro %}
{% macro default__days_between(later, earlier) -%}
        (
            (epoch_us({{ later }}) - epoch_us({{ earlier }})) // 86400000000 * 86400
            + (epoch_us({{ later }}) - epoch_us({{ earlier }})) % 86400000000 / 1e6
        ) / 86400.0
{%- endmacro %}
{% macro postgres__days_between(later, earlier) -%}
        cast(extract(epoch from ({{ later }} - {{ earlier }})) / 86400.0 as double precision)
{%- endmacro %}

{#- the last non-null `expression` over `window` (DuckDB: last_value … ignore nulls; Postgres,
    which has no `ignore nulls`, takes the last element of the window's non-null values) -#}
{% macro last_value_ignore_nulls(expression, window) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'social_roi')(expression, window)) }}
{%- endmacro %}
{% macro default__last_value_ignore_nulls(expression, window) -%}
    last_value({{ expression }} ignore nulls) over {{ window }}
{%- endmacro %}
{% macro postgres__last_value_ignore_nulls(expression, window) -%}
    (array_agg({{ expression }}) filter (where {{ expression }} is not null) over {{ window }})[
        cardinality(array_agg({{ expression }}) filter (where {{ expression }} is not null) over {{ window }})]
{%- endmacro %}

{#- a literal interval of `n` `unit`s -#}
{% macro interval(n, unit) -%}{{ return(adapter.dispatch('interval', 'social_roi')(n, unit)) }}{%- endmacro %}
{% macro default__interval(n, unit) -%}interval {{ n }} {{ unit }}{%- endmacro %}
{% macro postgres__interval(n, unit) -%}interval '{{ n }} {{ unit }}'{%- endmacro %}

{#- median of a double -#}
{% macro median(expression) -%}{{ return(adapter.dispatch('median', 'social_roi')(expression)) }}{%- endmacro %}
{% macro default__median(expression) -%}median({{ expression }}){%- endmacro %}
{% macro postgres__median(expression) -%}percentile_cont(0.5) within group (order by {{ expression }}){%- endmacro %}

{#- `select * from a union all by name select * from b …` over CTEs with different columns:
    `relations` maps each CTE to its columns, `types` every column to its type. DuckDB matches
    the columns by name itself; Postgres gets each select spelled out, a missing column as a
    typed null (in the order of first appearance, as DuckDB's). -#}
{% macro union_by_name(relations, types) -%}
    {{ return(adapter.dispatch('union_by_name', 'social_roi')(relations, types)) }}
{%- endmacro %}
{% macro default__union_by_name(relations, types) -%}
    {%- for relation in relations %}
    {{ 'union all by name ' if not loop.first }}select * from {{ relation }}
    {%- endfor %}
{%- endmacro %}
{% macro postgres__union_by_name(relations, types) -%}
    {%- set ns = namespace(columns=[]) %}
    {%- for relation, columns in relations.items() %}{% for column in columns %}
        {%- if column not in ns.columns %}{% set ns.columns = ns.columns + [column] %}{% endif %}
    {%- endfor %}{% endfor %}
    {%- for relation, columns in relations.items() %}
    {{ 'union all ' if not loop.first }}select
        {%- for column in ns.columns %}
        {% if column in columns %}cast({{ column }} as {{ types[column] }}){% else %}cast(null as {{ types[column] }}){% endif %} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- endfor %}
{%- endmacro %}

{#- integer division of two non-negative integers (DuckDB's //) -#}
{% macro idiv(a, b) -%}{{ return(adapter.dispatch('idiv', 'social_roi')(a, b)) }}{%- endmacro %}
{% macro default__idiv(a, b) -%}{{ a }} // {{ b }}{%- endmacro %}
{% macro postgres__idiv(a, b) -%}div({{ a }}, {{ b }}){%- endmacro %}

{#- any value of the group, for a column that is the same on every row of it (Postgres 15 has
    no any_value: min) -#}
{% macro any_value(expression) -%}{{ return(adapter.dispatch('any_value', 'social_roi')(expression)) }}{%- endmacro %}
{% macro default__any_value(expression) -%}any_value({{ expression }}){%- endmacro %}
{% macro postgres__any_value(expression) -%}min({{ expression }}){%- endmacro %}

{#- one row per element of a Jinja list of strings, in column `column` -#}
{% macro list_rows(values, column) -%}{{ return(adapter.dispatch('list_rows', 'social_roi')(values, column)) }}{%- endmacro %}
{% macro default__list_rows(values, column) -%}select unnest({{ values }}) as {{ column }}{%- endmacro %}
{% macro postgres__list_rows(values, column) -%}
    select unnest(array[{% for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %}]::varchar[]) as {{ column }}
{%- endmacro %}

{#- an interval of `n` calendar months -#}
{% macro months(n) -%}{{ return(adapter.dispatch('months', 'social_roi')(n)) }}{%- endmacro %}
{% macro default__months(n) -%}to_months({{ n }}){%- endmacro %}
{% macro postgres__months(n) -%}interval '{{ n }} month'{%- endmacro %}

{#- one row per day in [start, end), column date_day -#}
{% macro date_spine_days(start, end) -%}{{ return(adapter.dispatch('date_spine_days', 'social_roi')(start, end)) }}{%- endmacro %}
{% macro default__date_spine_days(start, end) -%}
select cast(range as date) as date_day
from range({{ start }}, {{ end }}, interval 1 day)
{%- endmacro %}
{% macro postgres__date_spine_days(start, end) -%}
select cast(day as date) as date_day
from generate_series({{ start }}, {{ end }} - 1, interval '1 day') as days (day)
{%- endmacro %}
