"""The ROI mart against the sandbox's ground truth (one month; the LinkedIn ad account bills in
EUR, every other amount is USD): media cost to the cent, pipeline to the cent, and first- and
last-touch revenue per platform as the independent journeys of test_attribution_against_truth
give it."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.dbt.test_attribution_against_truth import assert_same, truth_totals
from tests.money import spend_usd


@pytest.fixture(scope="module")
def roi(month_build) -> pd.DataFrame:
    _, build_db = month_build
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(
            "select attribution_model, platform, sum(media_cost_usd) as media_cost, "
            "sum(total_cost_usd) as total_cost, sum(attributed_revenue_usd) as revenue, "
            "sum(attributed_pipeline_usd) as pipeline "
            "from main_marts.fct_roi_monthly group by all").df()


def test_media_cost_per_platform_is_the_ad_spend_under_every_model(month_build, roi):
    truth = month_build[0].truth
    ads = truth["ad_daily"]
    spend = spend_usd(ads).groupby(ads.platform).sum()  # each amount converted on its day
    assert len(spend) == 3 and spend.sum() > 0
    assert spend.linkedin > ads[ads.platform == "linkedin"].spend.sum()  # EUR is worth more
    assert roi.attribution_model.nunique() == 10
    for model, rows in roi.groupby("attribution_model"):
        media = rows[rows.media_cost > 0].set_index("platform").media_cost
        assert media.round(2).to_dict() == spend.round(2).to_dict(), model
        # every model carries the same costs; the non-media seed adds to the ad spend
        assert rows.total_cost.sum() == pytest.approx(roi.total_cost.sum() / 10, abs=0.005)
        assert rows.total_cost.sum() > spend.sum()


def test_pipeline_is_every_deals_amount_under_every_model(month_build, roi):
    deals = month_build[0].truth["deals"]
    assert deals.amount.sum() > 0
    # fractional credits × amounts are summed as decimals of 6 places: equal to the cent
    for model, rows in roi.groupby("attribution_model"):
        assert rows.pipeline.sum() == pytest.approx(deals.amount.sum(), abs=0.01), model


def test_first_and_last_touch_revenue_per_platform_match_ground_truth_journeys(month_build, roi):
    truth = month_build[0].truth
    deals = truth["deals"][truth["deals"].is_won]
    won = pd.DataFrame({"contact_id": deals.contact_id, "converted_at": deals.closed_at,
                        "value": deals.amount.astype(float)})
    assert won.value.sum() > 0
    expected = {k: v for k, v in truth_totals(truth, won).items()
                if k[0] in ("first_touch", "last_touch")}
    actual = {(r.attribution_model, r.platform): r.revenue for r in roi.itertuples()
              if r.attribution_model in ("first_touch", "last_touch")}
    assert_same(expected, actual)
