from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import hubspot
from social_roi.connectors.base import SourceConfig, land_day
from social_roi.errors import SourceAuthError, SourceError
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world

from .conftest import TOKEN, WORLD, requests_to

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
    landed = land_all_days(config, tmp_path, lookback_days=0)
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
    landed = land_all_days(config, tmp_path, page_size=3, search_result_cap=5, lookback_days=0)
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
    landed = land_all_days(config, tmp_path, lookback_days=0)
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


def test_the_lookback_re_reads_the_days_before_the_run(config, world, tmp_path):
    """A run lands what was modified on its day and the ``lookback_days`` before it (what a failed
    run would have lost), each record once; the default is 3 days."""
    last = WORLD.start_date + timedelta(days=WORLD.days - 1)
    land_day(hubspot, config("hubspot"), last, tmp_path)
    contacts = landing.read_partition(tmp_path, "hubspot", "contacts", last).to_pandas()
    first = datetime.combine(last - timedelta(days=hubspot.LOOKBACK_DAYS), dt_time(), UTC)
    expected = [c.contact_id for c in world.contacts
                if c.lastmodified_ms >= first.timestamp() * 1000]
    assert contacts.contact_id.is_unique
    assert sorted(contacts.contact_id) == sorted(expected)
    assert contacts.updated_at.dt.date.min() < last
    land_day(hubspot, config("hubspot", lookback_days=0), last, tmp_path)
    only_day = landing.read_partition(tmp_path, "hubspot", "contacts", last).to_pandas()
    assert (only_day.updated_at.dt.date == last).all() and len(only_day) < len(contacts)


@pytest.fixture(scope="module")
def deal_world():
    """A world long enough to have deals (the shared 4-day one has none yet)."""
    world = generate_world(WorldConfig(seed=3, start_date=WORLD.start_date, days=20, scale=0.3))
    with SandboxServer(world, token=TOKEN) as srv:
        yield world, srv


def test_archived_records_and_merges_land_in_the_run_of_their_day(deal_world, tmp_path):
    """An archived contact or deal leaves search; the run whose window holds its ``archivedAt``
    lands it with ``archived = true`` and that moment as ``updated_at``. A merge modifies the
    survivor, whose ``hs_merged_object_ids`` names the contact that stopped existing; the merged
    contact's deal now belongs to the survivor."""
    world, server = deal_world
    config = SourceConfig("hubspot", server.base_url, TOKEN, {"lookback_days": 0}, backoff_factor=0.01)
    last = world.config.start_date + timedelta(days=world.config.days - 1)
    at = datetime.combine(last, dt_time(12), UTC)
    deal = world.deals[0]
    survivor = next(c for c in world.contacts if c.deal is None)
    gone = next(c for c in world.contacts if c.deal is None and c is not survivor)
    portal = server.hubspot
    portal.archive("deals", deal.deal_id, at)
    portal.archive("contacts", gone.contact_id, at)
    portal.merge(survivor.contact_id, deal.contact.contact_id, at)
    other = next(d for d in world.deals[1:] if d.contact is not deal.contact)
    portal.update("deals", other.deal_id, at)  # modified at the merge: its contacts are re-read
    try:
        land_day(hubspot, config, last, tmp_path)
        before = last - timedelta(days=1)
        land_day(hubspot, config, before, tmp_path)
    finally:
        portal.reset()
    contacts, deals = (landing.read_partition(tmp_path, "hubspot", entity, last).to_pandas()
                       .set_index(key) for entity, key in (("contacts", "contact_id"), ("deals", "deal_id")))
    assert deals.loc[other.deal_id, "updated_at"] == at and not deals.loc[other.deal_id, "archived"]
    assert bool(deals.loc[deal.deal_id, "archived"]) and deals.loc[deal.deal_id, "updated_at"] == at
    assert bool(contacts.loc[gone.contact_id, "archived"])
    assert contacts.loc[gone.contact_id, "updated_at"] == at
    assert contacts.loc[survivor.contact_id, "hs_merged_object_ids"] == deal.contact.contact_id
    assert not contacts.loc[survivor.contact_id, "archived"]
    assert deal.contact.contact_id not in contacts.index  # merged away: it no longer exists
    # a day whose window does not hold the archival lands nothing archived
    earlier = landing.read_partition(tmp_path, "hubspot", "contacts", before).to_pandas()
    assert not earlier.archived.any()


def test_a_negative_lookback_is_refused(config, tmp_path):
    with pytest.raises(SourceError, match="lookback_days"):
        land_day(hubspot, config("hubspot", lookback_days=-1), WORLD.start_date, tmp_path)


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
