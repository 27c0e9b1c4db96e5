-- Every conversion gets credit 1 in every attribution model (reference: "credits sum to exactly 1").
select conversion_id, attribution_model, sum(credit) as total_credit
from {{ ref('fct_attribution') }}
group by conversion_id, attribution_model
having abs(sum(credit) - 1) > 1e-9
