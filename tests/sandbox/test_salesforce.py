"""Salesforce routes: SOQL subset, record shapes, nextRecordsUrl paging, the documented error
array, the org's clock and recycle bin, and the same people and revenue as the HubSpot sandbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from social_roi.sandbox.salesforce import case_safe_id, sf_id

from .conftest import DEFAULT

API = "/services/data/v65.0"
ID18 = re.compile(r"^[0-9A-Za-z]{18}$")
DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$")


def query(server, http, soql: str, *, all_rows: bool = False, batch: int | None = None):
    """Every record of a query, following nextRecordsUrl; and the pages."""
    headers = {"Sforce-Query-Options": f"batchSize={batch}"} if batch else {}
    r = http.get(f"{server.base_url}{API}/{'queryAll' if all_rows else 'query'}", params={"q": soql},
                 headers=headers)
    assert r.status_code == 200, r.text
    pages = [r.json()]
    while not pages[-1]["done"]:
        r = http.get(server.base_url + pages[-1]["nextRecordsUrl"])
        assert r.status_code == 200, r.text
        pages.append(r.json())
    return [record for page in pages for record in page["records"]], pages


def error(server, http, soql: str) -> tuple[int, dict]:
    r = http.get(f"{server.base_url}{API}/query", params={"q": soql})
    body = r.json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"message", "errorCode"}
    return r.status_code, body[0]


def test_records_have_the_documented_shape(server, http):
    records, pages = query(server, http, "SELECT Id, Amount, CloseDate, IsWon, CreatedDate, StageName "
                                         "FROM Opportunity WHERE IsWon = true ORDER BY CreatedDate LIMIT 5")
    assert pages[0]["totalSize"] == 5 and pages[0]["done"] is True and "nextRecordsUrl" not in pages[0]
    for record in records:
        assert list(record) == ["attributes", "Id", "Amount", "CloseDate", "IsWon", "CreatedDate",
                                "StageName"]
        assert record["attributes"] == {"type": "Opportunity",
                                        "url": f"{API}/sobjects/Opportunity/{record['Id']}"}
        assert ID18.match(record["Id"]) and record["Id"].startswith("006")
        assert isinstance(record["Amount"], float) and record["IsWon"] is True
        assert DATETIME.match(record["CreatedDate"]) and re.match(r"^\d{4}-\d\d-\d\d$", record["CloseDate"])
        assert record["StageName"] == "Closed Won"
    assert [r["CreatedDate"] for r in records] == sorted(r["CreatedDate"] for r in records)


def test_ids_carry_salesforce_case_safe_suffix():
    assert case_safe_id("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's own example
    lead = sf_id("Lead", 51000000007)
    assert ID18.match(lead) and lead.startswith("00Q") and case_safe_id(lead[:15]) == lead


def test_the_org_holds_the_hubspot_worlds_people_and_deals(server, world, http):
    leads, _ = query(server, http, "SELECT Id, LeadSource, Lead_Source_Detail__c, utm_source__c, "
                                   "utm_campaign__c, IsConverted, ConvertedOpportunityId, Partner_Type__c "
                                   "FROM Lead")
    contacts = world.truth["contacts"]
    assert len(leads) == len(contacts)
    assert {lead["Id"] for lead in leads} == {sf_id("Lead", int(c)) for c in contacts.contact_id}
    assert sum(lead["IsConverted"] for lead in leads) == len(world.truth["deals"])
    assert sum(lead["Partner_Type__c"] is not None for lead in leads) == contacts.partner_type.notna().sum()
    won, _ = query(server, http, "SELECT Id, Amount, CurrencyIsoCode FROM Opportunity WHERE IsWon = true")
    assert sum(o["Amount"] for o in won) == pytest.approx(world.truth["customers"].amount.sum())
    assert {o["CurrencyIsoCode"] for o in won} == {"USD"}
    roles, _ = query(server, http, "SELECT OpportunityId, ContactId, IsPrimary FROM OpportunityContactRole")
    deals = world.truth["deals"]
    pairs = zip(deals.deal_id, deals.contact_id, strict=True)
    assert {(r["OpportunityId"], r["ContactId"]) for r in roles} == {
        (sf_id("Opportunity", int(d)), sf_id("Contact", int(c))) for d, c in pairs}


def test_lead_sources_and_campaign_members_say_where_a_lead_came_from(server, world, http):
    leads, _ = query(server, http, "SELECT Id, LeadSource, Lead_Source_Detail__c, utm_source__c, "
                                   "utm_campaign__c FROM Lead")
    members, _ = query(server, http, "SELECT LeadId, CampaignId FROM CampaignMember")
    campaigns, _ = query(server, http, "SELECT Id, Name, Type FROM Campaign")
    campaign_of = {m["LeadId"]: {c["Id"]: c["Name"] for c in campaigns}[m["CampaignId"]] for m in members}
    truth = world.truth["contacts"].assign(id=lambda t: [sf_id("Lead", int(c)) for c in t.contact_id])
    truth = truth.set_index("id")
    for lead in leads:
        t = truth.loc[lead["Id"]]
        if lead["utm_source__c"]:
            platform = lead["utm_source__c"]
        else:
            offline = {"Direct Traffic": "direct", "Phone Inquiry": "offline", "Email Inquiry": "offline"}
            platform = offline.get(lead["LeadSource"]) or lead["Lead_Source_Detail__c"].lower()
        assert platform == t.platform
        campaign = lead["utm_campaign__c"] or campaign_of.get(lead["Id"])
        assert campaign == (t.campaign if isinstance(t.campaign, str) else None)
    assert {c["Type"] for c in campaigns} == {"Advertisement", "Other"}


def test_every_stage_change_is_an_opportunity_history_row(server, world, http):
    history, _ = query(server, http, "SELECT OpportunityId, StageName, CreatedDate FROM OpportunityHistory "
                                     "ORDER BY OpportunityId, CreatedDate")
    deals = world.truth["deals"]
    assert len({h["OpportunityId"] for h in history}) == len(deals)
    final = pd.DataFrame(history).groupby("OpportunityId").StageName.last()
    won = {sf_id("Opportunity", int(d)) for d in deals[deals.is_won].deal_id}
    assert set(final[final == "Closed Won"].index) == won
    wins = pd.DataFrame(history).query("StageName == 'Closed Won'")
    closed_at = wins.set_index("OpportunityId").CreatedDate
    truth = deals[deals.is_won].assign(id=lambda d: [sf_id("Opportunity", int(i)) for i in d.deal_id])
    assert (pd.to_datetime(closed_at.loc[truth.id], format="%Y-%m-%dT%H:%M:%S.%f%z").values
            == truth.closed_at.dt.floor("s").values).all()


def test_calls_and_emails_are_tasks_and_emails_also_email_messages(server, world, http):
    """Every call and e-mail of the world (the HubSpot sandbox's engagements) is a Task on the
    person's lead, or contact once converted, or on no one; a call says its direction
    (CallType), an e-mail only through its EmailMessage (Incoming)."""
    tasks, _ = query(server, http, "SELECT Id, WhoId, TaskSubtype, CallType, CallDurationInSeconds, "
                                   "CallDisposition, Status, ActivityDate, CreatedDate FROM Task")
    messages, _ = query(server, http, "SELECT Id, ActivityId, Incoming, MessageDate, FromAddress "
                                      "FROM EmailMessage")
    truth = world.truth["engagements"].assign(id=lambda e: [sf_id("Task", int(i)) for i in e.engagement_id])
    truth = truth.set_index("id")
    by_id = {t["Id"]: t for t in tasks}
    assert set(by_id) == set(truth.index) and len(tasks) == len(truth)
    for task_id, e in truth.iterrows():
        task = by_id[task_id]
        assert task["TaskSubtype"] == {"calls": "Call", "emails": "Email"}[e.object_type]
        assert task["ActivityDate"] == e.date.isoformat() and task["Status"] == "Completed"
        if e.object_type == "calls":
            assert task["CallType"] == e.direction.capitalize()
            assert isinstance(task["CallDurationInSeconds"], int)
        else:
            assert task["CallType"] is None and task["CallDurationInSeconds"] is None
        if not isinstance(e.contact_id, str):  # logged without a contact
            assert task["WhoId"] is None
        else:  # the lead, or the contact it was converted into (ids share the person's number)
            assert task["WhoId"] in (sf_id("Lead", int(e.contact_id)), sf_id("Contact", int(e.contact_id)))
    assert {t["CallDisposition"] for t in tasks if t["CallType"] == "Inbound"} == {"Completed", "Missed"}
    converted = {sf_id("Contact", int(d)) for d in world.truth["deals"].contact_id}
    assert {t["WhoId"] for t in tasks} & converted  # conversion moved the lead's activities
    emails = truth[truth.object_type == "emails"]
    assert {m["ActivityId"] for m in messages} == set(emails.index) and len(messages) == len(emails)
    incoming = {m["ActivityId"] for m in messages if m["Incoming"]}
    assert incoming == set(emails[emails.direction == "INCOMING_EMAIL"].index) != set()
    assert all("@" in m["FromAddress"] for m in messages)  # the org holds addresses: never requested
    assert all(DATETIME.match(m["MessageDate"]) for m in messages)


def test_lead_conversion_moves_a_task_to_the_contact(server, world, http):
    org = server.salesforce
    e = next(e for e in world.engagements if e.contact is not None and e.contact.deal is not None
             and e.modified_ms < e.contact.deal.created_ms)
    task_id, converted_ms = sf_id("Task", int(e.engagement_id)), e.contact.deal.created_ms
    soql = f"SELECT WhoId, SystemModstamp FROM Task WHERE Id = '{task_id}'"
    org.clock.set(datetime.fromtimestamp((converted_ms - 1000) / 1000, UTC))
    try:
        [before], _ = query(server, http, soql)
    finally:
        org.clock.set(datetime.fromtimestamp(world.config.end_ts, UTC))
    [after], _ = query(server, http, soql)
    assert before["WhoId"] == sf_id("Lead", int(e.contact.contact_id))
    assert after["WhoId"] == sf_id("Contact", int(e.contact.contact_id))
    assert after["SystemModstamp"] == datetime.fromtimestamp(converted_ms // 1000, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000")


def test_next_records_url_pages_in_the_batch_size_asked_for(server, world, http):
    records, pages = query(server, http, "SELECT Id FROM Lead ORDER BY Id", batch=200)
    n = len(world.truth["contacts"])
    assert len(records) == n and len({r["Id"] for r in records}) == n
    assert [len(p["records"]) for p in pages[:-1]] == [200] * (len(pages) - 1) and len(pages) == -(-n // 200)
    assert all(p["totalSize"] == n for p in pages)
    assert re.fullmatch(rf"{API}/query/01g[0-9A-Za-z]+-200", pages[0]["nextRecordsUrl"])
    assert [r["Id"] for r in records] == sorted(r["Id"] for r in records)
    # below the documented minimum of 200 the org still sends 200
    _, small = query(server, http, "SELECT Id FROM Lead", batch=50)
    assert len(small[0]["records"]) == 200


def test_an_unknown_query_locator_is_refused(server, http):
    r = http.get(f"{server.base_url}{API}/query/01gHz9999999999AAA-2000")
    assert r.status_code == 400
    assert r.json() == [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]


@pytest.mark.parametrize(("soql", "code", "text"), [
    ("SELECT Idd FROM Lead", "INVALID_FIELD",
     "\nSELECT Idd FROM Lead\n       ^\nERROR at Row:1:Column:8\nNo such column 'Idd' on entity 'Lead'."),
    ("SELECT Id FROM Leads", "INVALID_TYPE", "sObject type 'Leads' is not supported."),
    ("SELECT Id FORM Lead", "MALFORMED_QUERY", "unexpected token: FORM"),
    ("SELECT Id FROM Lead WHERE SystemModstamp >= '2026-10-01T00:00:00Z'", "INVALID_FIELD",
     "value of filter criterion for field 'SystemModstamp' must be of type dateTime and should not be "
     "enclosed in quotes"),
    ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected token: <EOF>"),
])
def test_soql_errors_are_the_documented_array(server, http, soql, code, text):
    status, body = error(server, http, soql)
    assert status == 400 and body["errorCode"] == code and text in body["message"]


def test_filters_combine_as_soql_says(server, http):
    everyone, _ = query(server, http, "SELECT Id FROM Lead")
    paid, _ = query(server, http, "SELECT Id FROM Lead WHERE LeadSource = 'paid social'")  # case-insensitive
    other, _ = query(server, http, "SELECT Id FROM Lead WHERE NOT (LeadSource = 'Paid Social') "
                                   "OR LeadSource = null")
    listed, _ = query(server, http, "SELECT Id FROM Lead WHERE LeadSource IN ('Paid Social', 'Social Media')")
    liked, _ = query(server, http, "SELECT Id FROM Lead WHERE LeadSource LIKE '%social%'")
    assert 0 < len(paid) < len(listed) == len(liked) < len(everyone)
    assert len(paid) + len(other) == len(everyone)
    window, _ = query(server, http, "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= "
                                    "2026-10-05T00:00:00Z AND SystemModstamp < 2026-10-06T00:00:00.000+00:00")
    assert window and all(r["SystemModstamp"].startswith("2026-10-05") for r in window)


def test_wrong_token_and_exhausted_allocation(server, http):
    r = http.get(f"{server.base_url}{API}/query", params={"q": "SELECT Id FROM Lead"},
                 headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    org = server.salesforce
    saved, org.daily_api_limit = org.daily_api_limit, org.api_usage + 1
    try:
        ok = http.get(f"{server.base_url}{API}/limits")
        refused = http.get(f"{server.base_url}{API}/query", params={"q": "SELECT Id FROM Lead"})
    finally:
        org.daily_api_limit = saved
    assert ok.status_code == 200 and ok.json()["DailyApiRequests"]["Remaining"] == 0
    used, allowed = map(int, ok.headers["Sforce-Limit-Info"].removeprefix("api-usage=").split("/"))
    assert used == allowed
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.",
                               "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def test_fault_presets_answer_in_salesforce_shape(server, http):
    created = http.post(f"{server.base_url}/_sandbox/faults",
                        json={"path_prefix": f"{API}/query", "preset": "salesforce_error",
                              "args": {"status": 403}})
    assert created.status_code == 201
    r = http.get(f"{server.base_url}{API}/query", params={"q": "SELECT Id FROM Lead"})
    assert r.status_code == 403 and r.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
    assert r.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"


def test_the_org_answers_as_of_its_clock(server, world, http):
    org = server.salesforce
    deal = max(world.deals, key=lambda d: len(d.history))
    moment = deal.history[1][1] - 1000  # just before its second stage
    org.clock.set(datetime.fromtimestamp(moment / 1000, UTC))
    try:
        then, _ = query(server, http, f"SELECT StageName, SystemModstamp FROM Opportunity "
                                            f"WHERE Id = '{sf_id('Opportunity', int(deal.deal_id))}'")
        leads, _ = query(server, http, "SELECT Id, CreatedDate FROM Lead")
    finally:
        org.clock.set(datetime.fromtimestamp(world.config.end_ts, UTC))
    assert then[0]["StageName"] == "Prospecting"
    assert len(leads) == sum(c.created_ms <= moment for c in world.contacts) < len(world.contacts)
    now, _ = query(server, http, f"SELECT StageName FROM Opportunity "
                                       f"WHERE Id = '{sf_id('Opportunity', int(deal.deal_id))}'")
    assert now[0]["StageName"] != "Prospecting"


def test_deleted_records_show_in_query_all_until_the_recycle_bin_is_emptied(small_server, small_world, http):
    org = small_server.salesforce
    lead = sf_id("Lead", int(small_world.contacts[0].contact_id))
    end = datetime.fromtimestamp(small_world.config.end_ts, UTC)
    org.delete(lead, end - timedelta(days=1))
    try:
        live, _ = query(small_server, http, "SELECT Id FROM Lead")
        every, _ = query(small_server, http, "SELECT Id, IsDeleted, SystemModstamp FROM Lead "
                                             "WHERE IsDeleted = true", all_rows=True)
        org.clock.set(end + timedelta(days=16))  # the recycle bin keeps 15 days
        purged, _ = query(small_server, http, "SELECT Id FROM Lead WHERE IsDeleted = true", all_rows=True)
    finally:
        org.undelete(lead)
        org.clock.set(end)
    assert lead not in {r["Id"] for r in live}
    assert [r["Id"] for r in every] == [lead]
    assert every[0]["SystemModstamp"] == (end - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    assert purged == []


def test_unknown_versions_and_routes_are_not_found(server, http):
    assert http.get(f"{server.base_url}/services/data/v20.0/query", params={"q": "SELECT Id FROM Lead"}
                    ).status_code == 404
    versions = http.get(f"{server.base_url}/services/data").json()
    assert {"label": "v65.0", "url": "/services/data/v65.0", "version": "65.0"} in versions
    assert DEFAULT.days == 30
