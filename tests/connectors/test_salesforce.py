"""The Salesforce connector against the sandbox org over HTTP: SOQL by SystemModstamp with a
lookback, nextRecordsUrl paging, hashed e-mails, deletes, and every error the REST API answers."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import salesforce
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError, SourceError, SourceQuotaExhausted
from social_roi.pii import email_sha256
from social_roi.sandbox.faults import salesforce_error
from social_roi.sandbox.salesforce import sf_id
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import DAY_MS, WorldConfig, generate_world

from .conftest import TOKEN, WORLD, requests_to

QUERY = "/services/data/v65.0/queryAll"
PERSONAL_DATA = {"email", "first_name", "last_name", "name", "phone", "company", "title"}
LATE = WorldConfig(seed=7, start_date=date(2026, 9, 1), days=50, scale=0.3)


@pytest.fixture
def small_batches(server):
    """The sandbox org answers 3 records a batch, so a small world pages too."""
    server.salesforce.max_batch = 3
    yield
    server.salesforce.max_batch = 2000


def landed(root, days: list[date]) -> dict[str, pd.DataFrame]:
    return {entity.name: pd.concat(
        landing.read_partition(root, "salesforce", entity.name, day).to_pandas().assign(landed_day=day)
        for day in days) for entity in salesforce.ENTITIES}


def latest(frame: pd.DataFrame) -> pd.DataFrame:
    """What staging keeps: each record's latest SystemModstamp, then the latest landing day."""
    return (frame.sort_values(["system_modstamp", "landed_day"])
            .drop_duplicates("id", keep="last").set_index("id"))


def test_every_object_lands_as_the_world_has_it_with_emails_hashed(config, world, tmp_path):
    days = [WORLD.start_date + timedelta(days=n) for n in range(WORLD.days)]
    for day in days:
        land_day(salesforce, config("salesforce"), day, tmp_path)
    frames = landed(tmp_path, days)
    leads, contacts = latest(frames["leads"]), world.truth["contacts"]
    assert sorted(leads.index) == sorted(sf_id("Lead", int(c)) for c in contacts.contact_id)
    by_lead = contacts.assign(id=[sf_id("Lead", int(c)) for c in contacts.contact_id]).set_index("id")
    assert (leads.email_sha256 == by_lead.loc[leads.index, "email"].map(email_sha256)).all()
    assert (leads.created_date == by_lead.loc[leads.index, "created_at"].dt.floor("s")).all()
    assert (leads.ga_client_id__c.fillna("") == by_lead.loc[leads.index, "ga_client_id"].fillna("")).all()
    assert leads.lead_source.notna().all() and leads.utm_source__c.notna().any()
    for frame in frames.values():  # no address, name or phone number lands, in clear or at all
        assert not frame.astype(str).apply(lambda col: col.str.contains("@")).any().any()
    assert not PERSONAL_DATA & {*frames["leads"].columns, *frames["contacts"].columns}
    # lookback: every run re-reads the days before it, so the first day's leads land again later
    assert frames["leads"].groupby("id").landed_day.nunique().max() == WORLD.days
    statuses = [json.loads(landing.status_file(tmp_path, "salesforce", day).read_text()) for day in days]
    assert all(s["configured"] and s["rows"]["leads"] > 0 for s in statuses)


def test_the_query_is_soql_over_the_lookback_window_on_systemmodstamp_through_queryall(
        config, server, tmp_path):
    server.clear_requests()
    land_day(salesforce, config("salesforce", lookback_days=3), date(2026, 10, 4), tmp_path)
    queries = [parse_qs(query)["q"][0] for path, query in server.queries if path == QUERY]
    assert len(queries) == len(salesforce.SOBJECTS)
    assert queries[0].startswith("SELECT Id, Email, Status, LeadSource,")
    assert all("WHERE SystemModstamp >= 2026-10-01T00:00:00Z AND SystemModstamp < 2026-10-05T00:00:00Z "
               "ORDER BY SystemModstamp, Id" in q for q in queries)
    assert {q.split(" FROM ")[1].split()[0] for q in queries} == {s.name for s in salesforce.SOBJECTS}
    assert not any("Phone" in q or "FirstName" in q for q in queries)
    assert "CurrencyIsoCode" in queries[2]  # a multi-currency org (the sandbox connection says so)
    single = config("salesforce", lookback_days=3, multi_currency="false")
    server.clear_requests()
    land_day(salesforce, single, date(2026, 10, 4), tmp_path)
    assert not any("CurrencyIsoCode" in q for _p, q in server.queries)


def test_paging_follows_next_records_url_across_batches(config, server, world, tmp_path, small_batches):
    server.clear_requests()
    counts = land_day(salesforce, config("salesforce"), WORLD.start_date + timedelta(days=3), tmp_path)
    assert counts["leads"] == len(world.truth["contacts"]) > 3
    more = [path for _method, path in server.requests if path.startswith(QUERY + "/01g")]
    assert len(more) >= counts["leads"] // 3  # one request per further batch of 3
    ids = landing.read_partition(tmp_path, "salesforce", "leads",
                                 WORLD.start_date + timedelta(days=3)).column("id").to_pylist()
    assert len(set(ids)) == len(ids) == counts["leads"]


@pytest.fixture(scope="module")
def late_server():
    with SandboxServer(generate_world(LATE), token=TOKEN) as srv:
        yield srv


def test_lookback_rereads_an_opportunity_won_on_a_day_whose_run_was_missed(late_server, tmp_path):
    """A deal won weeks after it was created: the run of the winning day never happened (a failed
    run, ``catchup=False``). Two days later, a run with the lookback still reads its win; one
    without it does not, and the warehouse would keep it open."""
    world = late_server.world
    deal = max((d for d in world.deals if d.is_won), key=lambda d: d.closed_ms - d.created_ms)
    created = datetime.fromtimestamp(deal.created_ms / 1000, UTC).date()
    won = datetime.fromtimestamp(deal.closed_ms / 1000, UTC).date()
    assert (won - created).days >= 20
    opportunity = sf_id("Opportunity", int(deal.deal_id))

    def run(day: date, root, **extra) -> pd.Series:
        # a daily schedule: the run of a day happens just after it, on the org's clock
        late_server.salesforce.clock.set(datetime.combine(day + timedelta(days=1), time(0, 5), UTC))
        config = salesforce.SourceConfig("salesforce", late_server.base_url, TOKEN,
                                         {"multi_currency": "true", **extra},
                                         max_attempts=2, backoff_factor=0.01)
        land_day(salesforce, config, day, root)
        frame = landing.read_partition(root, "salesforce", "opportunities", day).to_pandas()
        return frame.set_index("id").loc[opportunity] if opportunity in set(frame.id) else None

    try:
        for root, extra in ((tmp_path / "lookback", {}), (tmp_path / "none", {"lookback_days": 0})):
            on_creation = run(created, root, **extra)
            assert not on_creation.is_won and not on_creation.is_closed
            after = run(won + timedelta(days=2), root, **extra)  # the winning day's run is missed
            if extra:
                assert after is None, "without a lookback the win is never read"
            else:
                assert after.is_won and after.is_closed and after.stage_name == "Closed Won"
                assert after.system_modstamp.date() == won
                history = landing.read_partition(root, "salesforce", "opportunity_history",
                                                 won + timedelta(days=2)).to_pandas()
                stages = history[history.opportunity_id == opportunity].sort_values("created_date")
                assert stages.stage_name.iloc[0] == "Prospecting"
                assert stages.stage_name.iloc[-1] == "Closed Won"
                assert stages.created_date.iloc[-1].date() == won
    finally:
        late_server.salesforce.clock.set(datetime.fromtimestamp(LATE.end_ts, UTC))


def test_opportunities_history_roles_and_campaigns_land_as_the_org_has_them(late_server, tmp_path):
    """Every object of a world with deals, read in one run whose lookback covers the whole world."""
    world = late_server.world
    config = salesforce.SourceConfig("salesforce", late_server.base_url, TOKEN,
                                     {"multi_currency": "true", "lookback_days": LATE.days + 20})
    last = LATE.start_date + timedelta(days=LATE.days - 1)
    counts = land_day(salesforce, config, last, tmp_path)
    frames = {e.name: landing.read_partition(tmp_path, "salesforce", e.name, last).to_pandas()
              for e in salesforce.ENTITIES}
    deals = world.truth["deals"].assign(id=lambda d: [sf_id("Opportunity", int(i)) for i in d.deal_id])
    opportunities = frames["opportunities"].set_index("id").loc[deals.id]
    assert (opportunities.amount.values == deals.amount.values).all()
    assert (opportunities.is_won.values == deals.is_won.values).all()
    assert set(opportunities.currency_iso_code) == {"USD"}
    assert counts["opportunity_history"] == sum(len(d.history) for d in world.deals)
    roles = frames["opportunity_contact_roles"]
    assert set(zip(roles.opportunity_id, roles.contact_id, strict=True)) == {
        (sf_id("Opportunity", int(d)), sf_id("Contact", int(c)))
        for d, c in zip(world.truth["deals"].deal_id, world.truth["deals"].contact_id, strict=True)}
    assert roles.is_primary.all() and counts["contacts"] == len(world.deals)
    leads = frames["leads"].set_index("id")
    converted = leads[leads.is_converted]
    assert len(converted) == len(world.deals) and converted.converted_opportunity_id.notna().all()
    members, campaigns = frames["campaign_members"], frames["campaigns"]
    assert set(members.campaign_id) <= set(campaigns.id) and len(members) > len(campaigns) > 3
    assert members.lead_id.isin(leads.index).all()


def test_calls_and_emails_land_as_tasks_with_their_direction_and_no_personal_data(late_server, tmp_path):
    """Every call and e-mail of the world, read in one run whose lookback covers it all: a call's
    direction and duration, an e-mail's direction from its EmailMessage; subjects, bodies and
    addresses are never asked for."""
    world = late_server.world
    late_server.clear_requests()
    config = salesforce.SourceConfig("salesforce", late_server.base_url, TOKEN,
                                     {"multi_currency": "true", "lookback_days": LATE.days + 20})
    last = LATE.start_date + timedelta(days=LATE.days - 1)
    counts = land_day(salesforce, config, last, tmp_path)
    tasks = landing.read_partition(tmp_path, "salesforce", "tasks", last).to_pandas().set_index("id")
    messages = landing.read_partition(tmp_path, "salesforce", "email_messages", last).to_pandas()
    truth = world.truth["engagements"].assign(id=lambda e: [sf_id("Task", int(i)) for i in e.engagement_id])
    truth = truth.set_index("id").loc[tasks.index]
    assert counts["tasks"] == len(world.engagements) > 100
    calls = truth.object_type == "calls"
    assert (tasks.task_subtype == calls.map({True: "Call", False: "Email"})).all()
    assert (tasks[calls].call_type.str.upper() == truth[calls].direction).all()
    seconds = {sf_id("Task", int(e.engagement_id)): e.duration_ms // 1000
               for e in world.engagements if e.kind == "call"}
    assert tasks[calls].call_duration_in_seconds.astype(int).to_dict() == seconds
    schema = landing.read_partition(tmp_path, "salesforce", "tasks", last).schema
    assert str(schema.field("call_duration_in_seconds").type) == "int64"
    assert (tasks.activity_date == truth.date).all()
    assert tasks.who_id.isna().sum() == truth.contact_id.isna().sum() > 0
    incoming = set(messages[messages.incoming].activity_id)
    assert incoming == set(truth[truth.direction == "INCOMING_EMAIL"].index) != set()
    assert counts["email_messages"] == (~calls).sum()
    for frame in (tasks.reset_index(), messages):
        assert not frame.astype(str).apply(lambda col: col.str.contains("@")).any().any()
        assert not {"subject", "description", "from_address", "to_address", "text_body"} & set(frame.columns)
    soql = [parse_qs(q)["q"][0] for p, q in late_server.queries if p == QUERY]
    assert not any("Subject" in q or "Address" in q or "Body" in q for q in soql)


def test_lookback_rereads_a_task_moved_to_the_contact_on_a_missed_day(late_server, tmp_path):
    """Lead conversion moves the lead's calls and e-mails to the new contact (a change of each
    task). The conversion day's run is missed: two days later the lookback still reads the task
    again, now on the contact; without the lookback it stays on the lead."""
    world = late_server.world
    e = next(e for e in world.engagements if e.contact is not None and e.contact.deal is not None
             and e.modified_ms < e.contact.deal.created_ms
             and (e.contact.deal.created_ms - e.logged_ms) > 3 * DAY_MS)
    task = sf_id("Task", int(e.engagement_id))
    logged = datetime.fromtimestamp(e.logged_ms / 1000, UTC).date()
    converted = datetime.fromtimestamp(e.contact.deal.created_ms / 1000, UTC).date()

    def run(day: date, root, **extra):
        late_server.salesforce.clock.set(datetime.combine(day + timedelta(days=1), time(0, 5), UTC))
        config = salesforce.SourceConfig("salesforce", late_server.base_url, TOKEN,
                                         {"multi_currency": "true", **extra})
        land_day(salesforce, config, day, root)
        frame = landing.read_partition(root, "salesforce", "tasks", day).to_pandas().set_index("id")
        return frame.loc[task] if task in frame.index else None

    try:
        for root, extra in ((tmp_path / "lookback", {}), (tmp_path / "none", {"lookback_days": 0})):
            first = run(logged, root, **extra)
            assert first.who_id == sf_id("Lead", int(e.contact.contact_id))
            later = run(converted + timedelta(days=2), root, **extra)
            if extra:
                assert later is None, "without a lookback the move is never read"
            else:
                assert later.who_id == sf_id("Contact", int(e.contact.contact_id))
                assert later.system_modstamp.date() == converted and later.created_date == first.created_date
    finally:
        late_server.salesforce.clock.set(datetime.fromtimestamp(LATE.end_ts, UTC))


def test_tasks_page_through_next_records_url(config, server, world, tmp_path, small_batches):
    day = WORLD.start_date + timedelta(days=3)
    counts = land_day(salesforce, config("salesforce"), day, tmp_path)
    ids = landing.read_partition(tmp_path, "salesforce", "tasks", day).column("id").to_pylist()
    assert len(set(ids)) == len(ids) == counts["tasks"] == len(world.engagements) > 3


def test_an_org_without_enhanced_email_fails_naming_the_setting(config, server, tmp_path):
    """Without EmailMessage an e-mail's direction is unknown: the day fails saying what to turn
    on, rather than landing e-mails that could never count as inquiries."""
    server.salesforce.enhanced_email = False
    try:
        with pytest.raises(SourceError, match=r"salesforce/email_messages.*HTTP 400.*INVALID_TYPE: sObject "
                                              r"type 'EmailMessage' is not supported.*Enhanced Email"):
            land_day(salesforce, config("salesforce"), WORLD.start_date, tmp_path)
    finally:
        server.salesforce.enhanced_email = True
    assert not (tmp_path / "salesforce").exists()


@pytest.mark.parametrize(("fault", "error", "text"), [
    (salesforce_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator"), SourceError,
     "INVALID_QUERY_LOCATOR: invalid query locator"),
    (salesforce_error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on object id"),
     SourceAuthError, "connection 'salesforce'.*INSUFFICIENT_ACCESS.*lacks a permission"),
])
def test_other_errors_mid_paging_name_their_code_and_write_nothing(config, server, tmp_path, small_batches,
                                                                   fault, error, text):
    """An expired query locator (15 minutes without a call) fails the day for Airflow to retry; a
    permission the integration user lacks fails at once."""
    server.add_fault(QUERY + "/01g", **fault)
    with pytest.raises(error, match=text):
        land_day(salesforce, config("salesforce"), WORLD.start_date + timedelta(days=2), tmp_path)
    assert not (tmp_path / "salesforce").exists()


def test_a_deleted_record_lands_deleted_and_then_leaves_the_recycle_bin(config, server, world, tmp_path):
    lead = sf_id("Lead", int(world.contacts[0].contact_id))
    day = WORLD.start_date + timedelta(days=3)
    server.salesforce.delete(lead, datetime.combine(day, time(12), UTC))
    try:
        land_day(salesforce, config("salesforce"), day, tmp_path)
        leads = landing.read_partition(tmp_path, "salesforce", "leads", day).to_pandas().set_index("id")
        assert leads.loc[lead, "is_deleted"] and leads.loc[lead, "system_modstamp"].date() == day
        assert (~leads.drop(lead).is_deleted).all()
    finally:
        server.salesforce.undelete(lead)


def test_an_expired_session_fails_fast_naming_the_connection(config, server, tmp_path):
    before = requests_to(server, QUERY)
    with pytest.raises(SourceAuthError,
                       match=r"renew the Airflow connection 'salesforce'.*INVALID_SESSION_ID"):
        land_day(salesforce, config("salesforce", token="expired"), WORLD.start_date, tmp_path)
    assert requests_to(server, QUERY) - before == 1, "a refused session is not retried"
    assert not (tmp_path / "salesforce").exists()


def test_a_session_expiring_mid_paging_writes_nothing(config, server, tmp_path, small_batches):
    server.add_fault(QUERY + "/01g", **salesforce_error(401))
    with pytest.raises(SourceAuthError, match="salesforce/leads"):
        land_day(salesforce, config("salesforce"), WORLD.start_date + timedelta(days=2), tmp_path)
    assert not (tmp_path / "salesforce").exists()


def test_the_daily_api_limit_fails_at_once_saying_when_it_frees_up(config, server, tmp_path):
    org = server.salesforce
    saved = org.daily_api_limit
    org.daily_api_limit = org.api_usage + 3  # the org has 3 calls left today
    before = requests_to(server, QUERY)
    try:
        with pytest.raises(SourceQuotaExhausted) as raised:
            land_day(salesforce, config("salesforce"), WORLD.start_date, tmp_path)
    finally:
        org.daily_api_limit = saved
    message = str(raised.value)
    assert "salesforce/opportunity_history" in message  # leads, contacts, opportunities had them
    assert "'salesforce' is used up (HTTP 403" in message and "REQUEST_LIMIT_EXCEEDED" in message
    assert "rolling 24-hour window" in message
    assert requests_to(server, QUERY) - before == 4, "an exhausted allocation is not retried"
    assert not (tmp_path / "salesforce").exists()


def test_the_concurrent_request_limit_is_retried(config, server, tmp_path):
    concurrent = salesforce_error(403, message="ConcurrentPerOrgLongTxn Limit exceeded.")
    server.add_fault(QUERY, times=2, **concurrent)
    counts = land_day(salesforce, config("salesforce"), WORLD.start_date, tmp_path)
    assert counts["leads"] > 0


def test_server_errors_are_retried(config, server, tmp_path):
    server.add_fault(QUERY, times=2, **salesforce_error(503))
    before = requests_to(server, QUERY)
    counts = land_day(salesforce, config("salesforce"), WORLD.start_date, tmp_path)
    assert counts["leads"] > 0
    assert requests_to(server, QUERY) - before == len(salesforce.SOBJECTS) + 2


def test_a_failure_after_the_retries_keeps_the_previous_day_whole(config, server, tmp_path):
    day = WORLD.start_date + timedelta(days=1)
    first = land_day(salesforce, config("salesforce"), day, tmp_path)
    before = {e.name: landing.partition_file(tmp_path, "salesforce", e.name, day).read_bytes()
              for e in salesforce.ENTITIES}
    server.add_fault(QUERY, times=len(salesforce.SOBJECTS) - 1, method="GET",
                     status=200, body={"totalSize": 0, "done": True, "records": []})
    server.add_fault(QUERY, times=10, **salesforce_error(503))  # the last object never answers
    with pytest.raises(SourceError, match=r"salesforce/email_messages day=2026-10-02.*HTTP 503"):
        land_day(salesforce, config("salesforce"), day, tmp_path)
    assert first["leads"] > 0
    assert {e.name: landing.partition_file(tmp_path, "salesforce", e.name, day).read_bytes()
            for e in salesforce.ENTITIES} == before


def test_a_field_the_org_lacks_names_it(config, tmp_path):
    mapped = config("salesforce", field_map={"Lead.MQL_Date__c": "MQL_Timestamp__c"})
    with pytest.raises(SourceError, match=r"salesforce/leads.*HTTP 400.*INVALID_FIELD: "
                                          r"No such column 'MQL_Timestamp__c'.*field_map"):
        land_day(salesforce, mapped, WORLD.start_date, tmp_path)
