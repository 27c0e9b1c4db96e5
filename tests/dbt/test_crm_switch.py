"""One CRM contract (docs/decisions.md 44): the same synthetic world landed once with HubSpot and
once with Salesforce as the CRM (everything else identical) builds the same funnel and the same
ROI, model by model and cell by cell — phone and e-mail inquiries included (HubSpot engagements,
Salesforce Tasks), each equal to the world's truth; with both CRMs connected, people are
deduplicated by e-mail while each CRM's deals and inquiries count."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date

import duckdb
import pandas as pd
import pytest

from social_roi import pii
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths
from social_roi.transform import dbt_build
from tests.dbt.conftest import CRMS, inquiries_of, inquiry_truth, land_world

WORLD = WorldConfig(seed=3, start_date=date(2026, 9, 1), days=24, scale=0.5)
KEYS = ["funnel_date", "channel_group", "platform", "campaign"]
ROI_KEYS = ["period_month", "channel_group", "platform", "campaign", "attribution_model"]
INQUIRIES = ["phone_inquiries", "email_inquiries"]


@pytest.fixture(scope="module")
def world():
    return generate_world(WORLD)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, world) -> dict[str, duckdb.DuckDBPyConnection]:
    """Every source landed once with HubSpot; the same landing zone with Salesforce instead; and
    with both. One dbt build each."""
    root = tmp_path_factory.mktemp("crm_switch")
    land_world(world, root / "hubspot", crm="hubspot")
    shutil.copytree(root / "hubspot", root / "salesforce")
    for crm in CRMS:
        shutil.rmtree(root / "salesforce" / crm)
    land_world(world, root / "salesforce", crm="salesforce", sources=set(CRMS))
    shutil.copytree(root / "hubspot", root / "both")
    shutil.copytree(root / "salesforce" / "salesforce", root / "both" / "salesforce", dirs_exist_ok=True)
    out = {}
    for name in ("hubspot", "salesforce", "both"):
        paths = dataclasses.replace(Paths.from_env(), data_dir=root / name, landing=root / name,
                                    build_db=root / f"{name}.duckdb")
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
        out[name] = duckdb.connect(str(paths.build_db), read_only=True)
        pii.configure_duckdb(out[name])  # int_crm_person_records is a view over the keyed hashes
    yield out
    for con in out.values():
        con.close()


def frame(con, sql: str, keys: list[str]) -> pd.DataFrame:
    return con.execute(sql).df().sort_values(keys).reset_index(drop=True)


def test_the_funnel_is_the_same_with_either_crm(builds):
    sql = "select * from main_marts.fct_funnel_daily"
    hubspot, salesforce = (frame(builds[crm], sql, KEYS) for crm in ("hubspot", "salesforce"))
    assert hubspot.leads.sum() > 50 and hubspot.customers.sum() >= 5 and hubspot.revenue_usd.sum() > 0
    assert hubspot.mqls.sum() > 0 and hubspot.sqls.sum() > 0 and hubspot.opportunities.sum() > 0
    assert (hubspot[INQUIRIES].sum() > 10).all() and (salesforce[INQUIRIES].sum() > 10).all()
    pd.testing.assert_frame_equal(hubspot, salesforce, check_exact=True)


@pytest.mark.parametrize("crm", ["hubspot", "salesforce"])
def test_phone_and_email_inquiries_equal_the_truth_with_either_crm(builds, world, crm):
    """HubSpot's call and e-mail engagements and Salesforce's Tasks (a call's CallType, an
    e-mail's EmailMessage.Incoming) give the world's inquiries, day by day and platform by
    platform."""
    actual = inquiries_of(builds[crm])
    assert actual.to_dict("index") == inquiry_truth(world).to_dict("index")
    assert {"(unknown)", "offline"} <= set(actual.index.get_level_values("platform"))


def test_roi_and_attribution_are_the_same_with_either_crm(builds):
    sql = ("select * exclude (gross_margin) from main_marts.fct_roi_monthly")
    hubspot, salesforce = (frame(builds[crm], sql, ROI_KEYS) for crm in ("hubspot", "salesforce"))
    assert hubspot.attribution_model.nunique() == 10 and hubspot.attributed_revenue_usd.sum() > 0
    pd.testing.assert_frame_equal(hubspot, salesforce, check_exact=False, rtol=1e-9, atol=1e-6)
    conversions = ("select conversion_type, count(*) as n, sum(revenue_usd) as revenue, "
                   "sum(pipeline_usd) as pipeline from main_marts.fct_conversions group by all")
    pd.testing.assert_frame_equal(frame(builds["hubspot"], conversions, ["conversion_type"]),
                                  frame(builds["salesforce"], conversions, ["conversion_type"]))


def test_people_are_ids_of_their_own_crm(builds):
    ids = {crm: {row[0] for row in builds[crm].execute(
        "select distinct person_id from main_marts.fct_conversions where person_id is not null"
    ).fetchall()} for crm in ("hubspot", "salesforce")}
    assert all(i.isdigit() for i in ids["hubspot"])
    assert all(i.startswith("00Q") and len(i) == 18 for i in ids["salesforce"])
    assert len(ids["hubspot"]) == len(ids["salesforce"])


def test_with_both_crms_people_count_once_and_each_crms_deals_count(builds):
    count = ("select count(*) filter (where conversion_type = 'lead'), "
             "count(*) filter (where conversion_type = 'opportunity'), "
             "count(distinct person_id) from main_marts.fct_conversions")
    one = builds["hubspot"].execute(count).fetchone()
    both = builds["both"].execute(count).fetchone()
    assert both[0] == one[0] and both[2] == one[2]  # a person in both CRMs is one person
    assert both[1] == 2 * one[1]  # the same deals entered in two CRMs count twice
    inquiries = "select sum(phone_inquiries), sum(email_inquiries) from main_marts.fct_funnel_daily"
    one_inquiries = builds["hubspot"].execute(inquiries).fetchone()
    # the same calls and e-mails logged in two CRMs count twice, like deals (no shared key)
    assert builds["both"].execute(inquiries).fetchone() == tuple(2 * n for n in one_inquiries)
    records = builds["both"].execute(
        "select count(*), count(distinct person_id), count(distinct crm) "
        "from main_intermediate.int_crm_person_records").fetchone()
    assert records[2] == 2 and records[1] == one[2] and records[0] > 2 * records[1]
