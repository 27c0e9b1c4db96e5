from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import hubspot
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError, SourceError

from .conftest import WORLD, requests_to

SEARCH = "/crm/v3/objects/contacts/search"
# engagement properties that identify or quote a person (the sandbox serves them all)
PERSONAL_DATA = {"hs_call_from_number", "hs_call_to_number", "hs_call_title", "hs_call_body",
                 "hs_email_from_email", "hs_email_to_email", "hs_email_subject", "hs_email_text",
                 "hs_email_html"}


def land_all_days(config, tmp_path, **extra) -> dict[str, pd.DataFrame]:
    for offset in range(WORLD.days):
        land_day(hubspot, config("hubspot", **extra), WORLD.start_date + timedelta(offset),
                 tmp_path)
    return {
        entity.name: pd.concat(
            landing.read_partition(tmp_path, "hubspot", entity.name,
                                   WORLD.start_date + timedelta(offset)).to_pandas()
            .assign(landed_day=WORLD.start_date + timedelta(offset))
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
    engagements = world.truth["engagements"]
    for entity, key, object_type in (("calls", "call_id", "calls"), ("emails", "email_id", "emails")):
        assert landed[entity][key].is_unique
        assert len(landed[entity]) == (engagements.object_type == object_type).sum() > 5


def test_calls_and_emails_land_on_their_modification_day_without_personal_data(config, world,
                                                                                 tmp_path):
    """Each call and e-mail lands once, in the partition of its last modification, with its
    timestamp, direction, status and duration as HubSpot sends them; its contact (if any) lands
    in engagement_contacts. No phone number, address, subject or body is even requested."""
    landed = land_all_days(config, tmp_path)
    truth = world.truth["engagements"].set_index("engagement_id")
    for entity, key, direction in (("calls", "call_id", "hs_call_direction"),
                                   ("emails", "email_id", "hs_email_direction")):
        frame = landed[entity].set_index(key)
        expected = truth[truth.object_type == entity]
        assert sorted(frame.index) == sorted(expected.index)
        assert (frame[direction] == expected.loc[frame.index, "direction"]).all()
        assert (pd.to_datetime(frame.hs_timestamp) == expected.loc[frame.index, "occurred_at"]).all()
        assert (frame.updated_at == expected.loc[frame.index, "modified_at"]).all()
        assert (frame.landed_day == frame.updated_at.dt.date).all()  # the day filter
        assert not PERSONAL_DATA & {*frame.columns, *hubspot.CALL_PROPERTIES, *hubspot.EMAIL_PROPERTIES}
    assert set(landed["calls"].hs_call_direction) == {"INBOUND", "OUTBOUND"}
    assert set(landed["emails"].hs_email_direction) >= {"INCOMING_EMAIL", "EMAIL"}
    assert landed["calls"].hs_call_duration.str.fullmatch(r"\d+").all()

    links = landed["engagement_contacts"]
    linked = truth.dropna(subset=["contact_id"])
    assert sorted(zip(links.engagement_id, links.contact_id, strict=True)) == sorted(
        zip(linked.index, linked.contact_id, strict=True))
    assert (links.engagement_type == truth.loc[links.engagement_id, "object_type"].values).all()
    assert set(links.association_type_id) == {194, 198}
    assert truth.contact_id.isna().any(), "a call without a contact lands without an association"


def test_a_failed_association_read_fails_the_day(config, server, tmp_path):
    """Objects without a contact are fine (HTTP 207 'no associations'); any other error entry of
    a partial failure stops the day instead of dropping associations."""
    failure = {"status": "COMPLETE", "results": [], "numErrors": 1, "errors": [{
        "status": "error", "category": "RATE_LIMITS", "subCategory": "crm.associations.TOO_MANY",
        "message": "try later", "context": {"fromObjectId": ["1"]}}]}
    server.add_fault("/crm/v4/associations/emails/contacts/batch/read", 207, times=1, body=failure)
    with pytest.raises(SourceError, match=r"engagement_contacts.*partly failed"):
        land_day(hubspot, config("hubspot"), WORLD.start_date, tmp_path)
    assert not (tmp_path / "hubspot").exists()  # nothing of the day was written


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
