-- No conversion is missing from any model (a join that drops a path would show up here).
with models as (select distinct attribution_model from {{ ref('fct_attribution') }})
select conversions.conversion_id, models.attribution_model
from {{ ref('fct_conversions') }} as conversions
cross join models
left join (select distinct conversion_id, attribution_model from {{ ref('fct_attribution') }}) as credited
    on credited.conversion_id = conversions.conversion_id
    and credited.attribution_model = models.attribution_model
where credited.conversion_id is null
