"""Late changes, deletes and merges in HubSpot reach the marts on the next daily run, without a
full reload: 23 days are landed and built; then, on the 24th day, users of the portal win a deal
created weeks before, archive a won deal and a lead, and merge a customer into another contact.
Only that day is extracted and dbt rebuilds (docs/decisions.md 4 and 48)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

import duckdb
import pandas as pd
import pytest

from social_roi.sandbox.hubspot import iso_ms
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths
from social_roi.transform import dbt_build
from tests.connectors.conftest import TOKEN
from tests.dbt.conftest import land_world

WORLD = WorldConfig(seed=3, start_date=date(2026, 9, 1), days=24, scale=0.5)
LAST = WORLD.start_date + timedelta(days=WORLD.days - 1)  # the "next" day
AT = datetime.combine(LAST, time(12), UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _snapshot(build_db) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return {
            "conversions": con.execute("select * from main_marts.fct_conversions").df(),
            "funnel": con.execute("select * from main_marts.fct_funnel_daily").df(),
            "roi": con.execute("select * from main_marts.fct_roi_monthly").df(),
        }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(the world, the changed records, marts after 23 days, marts after the 24th day's run)"""
    world = generate_world(WORLD)
    root = tmp_path_factory.mktemp("crm_changes")
    paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                build_db=root / "build.duckdb")
    before_last = _ms(datetime.combine(LAST, time(), UTC))
    settled = [d for d in world.deals if d.lastmodified_ms < before_last]
    late = next(d for d in settled if d.closed_ms is None)  # open when the first 23 days ran
    won = [d for d in settled if d.is_won and d is not late]
    archived_deal, merged_deal = won[0], won[1]
    dealless = [c for c in world.contacts if c.deal is None and c.partner_type is None
                and c.lastmodified_ms < before_last]
    archived_contact, survivor = dealless[0], dealless[1]
    merged = merged_deal.contact
    changed = {"late": late, "archived_deal": archived_deal, "archived_contact": archived_contact,
               "survivor": survivor, "merged": merged, "merged_deal": merged_deal}
    with SandboxServer(world, token=TOKEN) as server:
        land_world(world, paths.landing, days=WORLD.days - 1, server=server)
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
        before = _snapshot(paths.build_db)
        portal = server.hubspot
        stamp = iso_ms(_ms(AT))
        portal.update("deals", late.deal_id, AT, dealstage="closedwon", closedate=stamp,
                      hs_is_closed="true", hs_is_closed_won="true", hs_closed_amount=f"{late.amount:.2f}",
                      hs_date_entered_closedwon=stamp)
        portal.archive("deals", archived_deal.deal_id, AT)
        portal.archive("contacts", archived_contact.contact_id, AT)
        portal.merge(survivor.contact_id, merged.contact_id, AT)
        # the next daily run: only the new day is extracted, then one dbt build
        land_world(world, paths.landing, first_day=WORLD.days - 1, server=server)
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
        after = _snapshot(paths.build_db)
    return world, changed, before, after


def _ids(snapshot, conversion_type: str) -> set[str]:
    conversions = snapshot["conversions"]
    return set(conversions.loc[conversions.conversion_type == conversion_type, "conversion_id"])


def test_a_deal_won_weeks_after_its_creation_adds_its_revenue_on_the_next_run(runs):
    world, changed, before, after = runs
    late = changed["late"]
    assert f"opportunity:{late.deal_id}" in _ids(before, "opportunity")
    assert f"customer:{late.deal_id}" not in _ids(before, "customer")
    conversions = after["conversions"].set_index("conversion_id")
    assert conversions.loc[f"customer:{late.deal_id}", "revenue_usd"] == pytest.approx(late.amount)
    assert pd.Timestamp(conversions.loc[f"customer:{late.deal_id}", "conversion_date"]).date() == LAST

    # revenue moves by exactly what changed: the day's own wins, the late win, the archived win
    natural = sum(d.amount for d in world.deals
                  if d.is_won and datetime.fromtimestamp(d.closed_ms / 1000, UTC).date() == LAST)
    expected = natural + late.amount - changed["archived_deal"].amount
    funnel_delta = after["funnel"].revenue_usd.sum() - before["funnel"].revenue_usd.sum()
    assert funnel_delta == pytest.approx(expected)
    day = after["funnel"][pd.to_datetime(after["funnel"].funnel_date).dt.date == LAST]
    assert day.revenue_usd.sum() == pytest.approx(natural + late.amount)
    for model, rows in after["roi"].groupby("attribution_model"):
        old = before["roi"][before["roi"].attribution_model == model]
        assert rows.attributed_revenue_usd.sum() - old.attributed_revenue_usd.sum() == pytest.approx(
            expected), model


def test_archived_deals_and_contacts_disappear_from_the_marts(runs):
    _world, changed, before, after = runs
    deal, contact = changed["archived_deal"], changed["archived_contact"]
    for conversion in (f"customer:{deal.deal_id}", f"opportunity:{deal.deal_id}"):
        assert conversion in set(before["conversions"].conversion_id)
        assert conversion not in set(after["conversions"].conversion_id)
    assert contact.contact_id in set(before["conversions"].person_id)
    assert contact.contact_id not in set(after["conversions"].person_id)


def test_a_merged_contact_disappears_and_its_deal_goes_to_the_survivor(runs):
    _world, changed, before, after = runs
    merged, survivor, deal = changed["merged"], changed["survivor"], changed["merged_deal"]
    assert merged.contact_id in set(before["conversions"].person_id)
    assert merged.contact_id not in set(after["conversions"].person_id)
    conversions = after["conversions"].set_index("conversion_id")
    assert conversions.loc[f"customer:{deal.deal_id}", "person_id"] == survivor.contact_id
    assert conversions.loc[f"customer:{deal.deal_id}", "revenue_usd"] == pytest.approx(deal.amount)
    # every lead of the day before is still a lead, except the two contacts that are gone
    gone = {f"lead:{changed['archived_contact'].contact_id}", f"lead:{merged.contact_id}"}
    assert _ids(before, "lead") - _ids(after, "lead") == gone
