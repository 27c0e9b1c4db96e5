from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import hubspot
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError

from .conftest import WORLD, requests_to

SEARCH = "/crm/v3/objects/contacts/search"


def land_all_days(config, tmp_path, **extra) -> dict[str, pd.DataFrame]:
    for offset in range(WORLD.days):
        land_day(hubspot, config("hubspot", **extra), WORLD.start_date + timedelta(offset),
                 tmp_path)
    return {
        entity.name: pd.concat(
            landing.read_partition(tmp_path, "hubspot", entity.name,
                                   WORLD.start_date + timedelta(offset)).to_pandas()
            for offset in range(WORLD.days))
        for entity in hubspot.ENTITIES
    }


def test_every_contact_and_deal_lands_once_on_its_last_modification_day(config, world, tmp_path):
    landed = land_all_days(config, tmp_path)
    contacts, deals = landed["contacts"], landed["deals"]
    assert contacts.contact_id.is_unique and deals.deal_id.is_unique
    assert set(contacts.contact_id) == set(world.truth["contacts"].contact_id.astype(str))
    assert set(deals.deal_id) == set(world.truth["deals"].deal_id.astype(str))
    assert contacts.email.notna().all()
    truth = world.truth["contacts"].set_index("contact_id")
    # the form copies the landing URL's click id into its platform's property (fbclid, li_fat_id)
    contacts["click_id"] = contacts.hs_facebook_click_id.fillna(contacts.li_fat_id)
    assert contacts.li_fat_id.notna().any() and contacts.hs_facebook_click_id.notna().any()
    for prop, column in (("ga_client_id", "ga_client_id"), ("click_id", "click_id"),
                         ("app_user_id", "app_user_id"), ("partner_type", "partner_type")):
        assert (contacts.set_index("contact_id")[prop].fillna("")
                == truth.loc[contacts.contact_id, column].fillna("").values).all()
    assert contacts.partner_type.notna().any()  # partner inquiries land their custom property

    links = landed["deal_contacts"]
    truth_links = {(str(d), str(c)) for d, c in
                   world.truth["deals"][["deal_id", "contact_id"]].itertuples(index=False)}
    assert set(zip(links.deal_id, links.contact_id, strict=True)) == truth_links


def test_cursor_paging_and_window_splitting_keep_every_record_once(config, world, tmp_path):
    landed = land_all_days(config, tmp_path, page_size=3, search_result_cap=5)
    assert landed["contacts"].contact_id.is_unique
    assert len(landed["contacts"]) == len(world.truth["contacts"])


def test_429_with_retry_after_is_honoured(config, server, tmp_path):
    limit = {"status": "error", "message": "You have reached your secondly limit.",
             "correlationId": "c0ffee", "category": "RATE_LIMITS"}
    server.add_fault(SEARCH, 429, times=1, headers={"Retry-After": "1"}, body=limit)
    before = requests_to(server, SEARCH)
    started = time.perf_counter()
    counts = land_day(hubspot, config("hubspot"), WORLD.start_date, tmp_path)
    assert time.perf_counter() - started >= 1.0, "waited as Retry-After asked"
    assert requests_to(server, SEARCH) - before == 2
    assert counts["contacts"] > 0


def test_unauthorised_token_fails_fast(config, server, tmp_path):
    before = requests_to(server, SEARCH)
    with pytest.raises(SourceAuthError, match="renew the Airflow connection 'hubspot'"):
        land_day(hubspot, config("hubspot", token="revoked"), WORLD.start_date, tmp_path)
    assert requests_to(server, SEARCH) - before == 1
