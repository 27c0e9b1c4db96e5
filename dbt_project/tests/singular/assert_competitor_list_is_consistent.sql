-- The competitive set has exactly one brand of ours (share of voice is "ours vs theirs"), a
-- brand is ours or not for every one of its queries, and a query name (as the mart matches it:
-- case and surrounding spaces ignored) belongs to one row only. Returns a row per problem.
with

competitors as (

    select * from {{ ref('competitors') }}

),

brands as (

    select
        brand,
        count(distinct is_our_brand) as flag_values,
        bool_or(is_our_brand) as is_our_brand

    from competitors
    group by brand

)

select 'brand ' || brand || ' is flagged both ours and not ours' as problem
from brands
where flag_values > 1

union all

select 'the competitor list names ' || count(*) || ' brands as ours, expected 1' as problem
from brands
where is_our_brand
having count(*) != 1

union all

select 'query name "' || min(query_name) || '" is listed ' || count(*) || ' times' as problem
from competitors
group by lower(trim(query_name))
having count(*) > 1
