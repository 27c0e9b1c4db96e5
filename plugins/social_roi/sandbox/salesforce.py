"""Salesforce REST API shapes (api_shapes.md §7): SOQL queries over the same people and deals the
HubSpot sandbox serves, as a Salesforce org records them.

Routes (prefix ``/services/data``):
  GET /services/data                                   the API versions
  GET /services/data/vNN.N/query?q=<SOQL>              live records
  GET /services/data/vNN.N/queryAll?q=<SOQL>           also deleted ones (``IsDeleted = true``)
  GET /services/data/vNN.N/query[All]/<locator>-<n>    the next batch (``nextRecordsUrl``)
  GET /services/data/vNN.N/limits                      ``DailyApiRequests``

What the documentation says, and this fake does:
* The answer is ``{totalSize, done, nextRecordsUrl?, records}``; each record starts with
  ``attributes {type, url}`` and carries the selected fields in the order asked for. Ids are
  18-character (with the case-safe suffix), datetimes ``YYYY-MM-DDTHH:MM:SS.000+0000`` (second
  precision), dates ``YYYY-MM-DD``, numbers JSON numbers, booleans real booleans.
* Batches of 2,000 records by default; ``Sforce-Query-Options: batchSize=N`` asks for 200-2,000
  (``max_batch`` lowers the ceiling, so tests can page through a small world). A query locator
  stays valid while used; an unknown one is 400 ``INVALID_QUERY_LOCATOR``; at most 10 stay open
  (the oldest is dropped).
* The SOQL subset: ``SELECT f, … FROM Object [WHERE …] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST],
  …] [LIMIT n] [OFFSET n]`` with ``AND`` / ``OR`` / ``NOT`` / parentheses, ``= != <> < <= > >=``,
  ``IN`` / ``NOT IN`` and ``LIKE``; literals as SOQL writes them (datetimes unquoted, strings in
  single quotes). An unknown field is 400 ``INVALID_FIELD`` with the caret message, an unknown
  object ``INVALID_TYPE``, a quoted datetime ``INVALID_FIELD`` ("must be of type dateTime and
  should not be enclosed in quotes"), anything else ``MALFORMED_QUERY``.
* Errors are a JSON *array* of ``{message, errorCode}``: 401 ``INVALID_SESSION_ID`` for a wrong
  token, 403 ``REQUEST_LIMIT_EXCEEDED`` once ``daily_api_limit`` calls are used (Salesforce's
  rolling 24-hour allocation; every answer says ``Sforce-Limit-Info: api-usage=used/limit``).

How the world maps onto the org (decision 44):
* Every CRM contact is first a **Lead** (``LeadSource`` + the custom ``Lead_Source_Detail__c``
  say where it came from when the form captured no UTMs; custom fields carry the form's UTMs,
  the GA client id, click ids, site login, partner type and the MQL / SQL dates). When its deal is
  created the lead is **converted**: a **Contact**, an Account, the **Opportunity** and an
  **OpportunityContactRole** (primary) appear, and the lead keeps ``IsConverted`` and the ids.
* An Opportunity's stages are HubSpot's, renamed to Salesforce's default sales process
  (``STAGES``); every stage change is an **OpportunityHistory** row.
* Every call and e-mail the HubSpot sandbox serves as an engagement is a **Task** (``TaskSubtype``
  Call or Email; a call's ``CallType`` Inbound / Outbound, ``CallDurationInSeconds``,
  ``CallDisposition``; ``ActivityDate`` the call's or message's day, the org's users working in
  UTC) on the person's lead, moved to the contact when the lead is converted, or on no one (a
  caller the rep could not match). An e-mail is also an **EmailMessage** (Enhanced Email:
  ``ActivityId`` = its Task, ``Incoming``, ``MessageDate``, addresses, subject and body): an e-mail
  Task itself says nothing of the direction.
* A person whose lead carries a campaign (a tagged visit, or an ad's lead form synced by the
  integration) is a **CampaignMember** of the **Campaign** of that name.
* The org answers "now": ``Salesforce.clock`` starts at the world's horizon end and each record is
  served as it stood then (``SystemModstamp`` = its last change so far); ``clock.set`` replays a
  daily schedule. ``enhanced_email = False`` is an org without EmailMessage (``INVALID_TYPE``).
  ``delete(id, at)`` moves a record to the recycle bin (``queryAll`` shows it with
  ``IsDeleted = true`` for 15 days, ``query`` never).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Clock, Request, Response, json_response
from social_roi.sandbox.world import DAY_MS, UTC, Contact, Deal, Engagement, World

PREFIX = "/services/data"
VERSIONS = tuple(f"{n}.0" for n in range(31, 68))  # what the org still serves (v31.0 .. v67.0)
DEFAULT_BATCH, MIN_BATCH, MAX_BATCH = 2000, 200, 2000
MAX_OPEN_LOCATORS = 10
DAILY_API_LIMIT = 100_000
RECYCLE_BIN_DAYS = 15
EXPECTED_CLOSE_DAYS = 30  # an open opportunity's CloseDate: its expected close
CAMPAIGNS_CREATED_DAYS_BEFORE = 14

# HubSpot default-pipeline stage -> Salesforce default sales process: (StageName, Probability,
# ForecastCategoryName, IsClosed, IsWon)
STAGES = {
    "appointmentscheduled": ("Prospecting", 10.0, "Pipeline", False, False),
    "qualifiedtobuy": ("Qualification", 10.0, "Pipeline", False, False),
    "presentationscheduled": ("Value Proposition", 50.0, "Pipeline", False, False),
    "decisionmakerboughtin": ("Id. Decision Makers", 60.0, "Pipeline", False, False),
    "contractsent": ("Negotiation/Review", 90.0, "Pipeline", False, False),
    "closedwon": ("Closed Won", 100.0, "Closed", True, True),
    "closedlost": ("Closed Lost", 0.0, "Omitted", True, False),
}
# HubSpot analytics source (and drill-down) -> the org's LeadSource picklist value. The detail
# (search engine, ad platform) goes to Lead_Source_Detail__c.
LEAD_SOURCES = {
    "PAID_SOCIAL": "Paid Social",
    "SOCIAL_MEDIA": "Social Media",
    "ORGANIC_SEARCH": "Organic Search",
    "DIRECT_TRAFFIC": "Direct Traffic",
    ("OFFLINE", "CRM_UI"): "Phone Inquiry",
    ("OFFLINE", "CONVERSATIONS"): "Email Inquiry",
}
LEAD_STATUS = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted")
# HubSpot engagement direction -> Task.CallType (calls) / EmailMessage.Incoming (e-mails); a
# forwarded thread is a message the rep sent
CALL_TYPES = {"INBOUND": "Inbound", "OUTBOUND": "Outbound"}
INCOMING = {"INCOMING_EMAIL": True, "EMAIL": False, "FORWARDED_EMAIL": False}
EMAIL_STATUS = {True: "1", False: "3"}  # EmailMessage.Status: 0 New, 1 Read, 2 Replied, 3 Sent, ...

# Field types of the objects the org serves (only those this sandbox models).
_AUDIT = {"CreatedDate": "datetime", "LastModifiedDate": "datetime", "SystemModstamp": "datetime",
          "IsDeleted": "boolean", "CreatedById": "reference", "LastModifiedById": "reference"}
SCHEMA: dict[str, dict[str, str]] = {
    "Lead": {
        "Id": "id", "MasterRecordId": "reference", "FirstName": "string", "LastName": "string",
        "Name": "string", "Company": "string", "Title": "string", "Email": "email", "Phone": "phone",
        "Status": "picklist", "LeadSource": "picklist", "IsConverted": "boolean",
        "ConvertedDate": "date", "ConvertedAccountId": "reference", "ConvertedContactId": "reference",
        "ConvertedOpportunityId": "reference", "OwnerId": "reference", **_AUDIT,
        "Lead_Source_Detail__c": "string", "MQL_Date__c": "datetime", "SQL_Date__c": "datetime",
        "utm_source__c": "string", "utm_medium__c": "string", "utm_campaign__c": "string",
        "utm_content__c": "string", "GA_Client_ID__c": "string", "App_User_ID__c": "string",
        "GCLID__c": "string", "FBCLID__c": "string", "LI_FAT_ID__c": "string",
        "Partner_Type__c": "picklist",
    },
    "Contact": {
        "Id": "id", "AccountId": "reference", "FirstName": "string", "LastName": "string",
        "Name": "string", "Title": "string", "Email": "email", "Phone": "phone",
        "LeadSource": "picklist", "OwnerId": "reference", **_AUDIT,
    },
    "Account": {"Id": "id", "Name": "string", "OwnerId": "reference", **_AUDIT},
    "Opportunity": {
        "Id": "id", "AccountId": "reference", "Name": "string", "StageName": "picklist",
        "Amount": "currency", "CurrencyIsoCode": "picklist", "CloseDate": "date",
        "IsClosed": "boolean", "IsWon": "boolean", "LeadSource": "picklist",
        "CampaignId": "reference", "Probability": "percent", "Type": "picklist",
        "ForecastCategoryName": "picklist", "OwnerId": "reference", **_AUDIT,
    },
    "OpportunityHistory": {
        "Id": "id", "OpportunityId": "reference", "StageName": "picklist", "Amount": "currency",
        "ExpectedRevenue": "currency", "CloseDate": "date", "Probability": "percent",
        "ForecastCategory": "picklist", "CreatedDate": "datetime", "CreatedById": "reference",
        "SystemModstamp": "datetime", "IsDeleted": "boolean",
    },
    "OpportunityContactRole": {
        "Id": "id", "OpportunityId": "reference", "ContactId": "reference", "Role": "picklist",
        "IsPrimary": "boolean", **_AUDIT,
    },
    "Campaign": {
        "Id": "id", "Name": "string", "Type": "picklist", "Status": "picklist",
        "IsActive": "boolean", "StartDate": "date", "EndDate": "date", "ParentId": "reference",
        "BudgetedCost": "currency", "ActualCost": "currency", "OwnerId": "reference", **_AUDIT,
    },
    "CampaignMember": {
        "Id": "id", "CampaignId": "reference", "LeadId": "reference", "ContactId": "reference",
        "LeadOrContactId": "reference", "Status": "picklist", "HasResponded": "boolean",
        "FirstRespondedDate": "date", **_AUDIT,
    },
    # calls and e-mails (activities); the Call* fields are Salesforce CRM Call Center's
    "Task": {
        "Id": "id", "WhoId": "reference", "WhatId": "reference", "AccountId": "reference",
        "Subject": "combobox", "Description": "textarea", "TaskSubtype": "picklist", "Type": "picklist",
        "CallType": "picklist", "CallDurationInSeconds": "int", "CallDisposition": "string",
        "CallObject": "string", "Status": "picklist", "Priority": "picklist", "IsClosed": "boolean",
        "ActivityDate": "date", "CompletedDateTime": "datetime", "OwnerId": "reference",
        "IsArchived": "boolean", **_AUDIT,
    },
    # Enhanced Email: every e-mail logged on the org is an EmailMessage and its Task (ActivityId)
    "EmailMessage": {
        "Id": "id", "ParentId": "reference", "ActivityId": "reference", "RelatedToId": "reference",
        "Subject": "string", "FromName": "string", "FromAddress": "email", "ToAddress": "string",
        "CcAddress": "string", "BccAddress": "string", "TextBody": "textarea", "HtmlBody": "textarea",
        "Incoming": "boolean", "MessageDate": "datetime", "Status": "picklist",
        "HasAttachment": "boolean", "IsClientManaged": "boolean", "MessageIdentifier": "string",
        **_AUDIT,
    },
}
OBJECT_NAMES = {name.lower(): name for name in SCHEMA}
KEY_PREFIXES = {"Lead": "00Q", "Contact": "003", "Account": "001", "Opportunity": "006",
                "OpportunityHistory": "008", "OpportunityContactRole": "00K", "Campaign": "701",
                "CampaignMember": "00v", "Task": "00T", "EmailMessage": "02s", "User": "005"}
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
INTEGRATION_USER = "005Hz0000000001AAA"


def sf_id(sobject: str, number: int) -> str:
    """An 18-character record id: key prefix, instance, number in base 62, case-safe suffix."""
    digits = ""
    while True:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
        if not number:
            break
    return case_safe_id(f"{KEY_PREFIXES[sobject]}Hz{digits.rjust(10, '0')}")


def case_safe_id(short: str) -> str:
    """The 18-character form of a 15-character id: one letter per 5 characters, a bit for every
    upper-case one (so that case-insensitive tools keep ids apart)."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, ch in enumerate(short[chunk * 5:chunk * 5 + 5]) if ch.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


def sf_datetime(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _seconds(ms: int | None) -> int | None:
    """Salesforce keeps datetimes to the second."""
    return None if ms is None else ms - ms % 1000


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, UTC).date().isoformat()


class SalesforceError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# ---- the org's records, as they stand at a moment ------------------------------------------


@dataclass(frozen=True)
class _Record:
    sobject: str
    fields: dict[str, Any]  # API name -> value; datetimes as epoch ms, dates as ISO strings


class _Org:
    """Builds every record of the org as of ``as_of_ms`` from the world's contacts and deals."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.campaign_names = sorted({c.campaign for c in world.contacts if self._campaign_of(c)})
        self.campaign_ids = {name: sf_id("Campaign", 1000 + i)
                             for i, name in enumerate(self.campaign_names)}
        self.campaigns_created_ms = (world.config.start_ts * 1000
                                     - CAMPAIGNS_CREATED_DAYS_BEFORE * DAY_MS)
        paid = {c.campaign for c in world.contacts
                if self._campaign_of(c) and c.hs_source == "PAID_SOCIAL"}
        self.campaign_types = {name: "Advertisement" if name in paid else "Other"
                               for name in self.campaign_names}

    @staticmethod
    def _campaign_of(c: Contact) -> str | None:
        """The campaign the CRM knows for a person: the form's tagged visit, or the ad whose lead
        form the integration synced (HubSpot's analytics source drill-down, the same rule)."""
        s = c.session
        if c.inquiry is not None or (s is not None and not s.tagged):
            return None
        return c.campaign

    def records(self, sobject: str, as_of_ms: int) -> list[_Record]:
        build = {"Lead": self._leads, "Contact": self._contacts, "Account": self._accounts,
                 "Opportunity": self._opportunities, "OpportunityHistory": self._opportunity_history,
                 "OpportunityContactRole": self._contact_roles, "Campaign": self._campaigns,
                 "CampaignMember": self._campaign_members, "Task": self._tasks,
                 "EmailMessage": self._email_messages}[sobject]
        return [r for r in build(as_of_ms) if r is not None]

    # people ------------------------------------------------------------------------------------

    def _leads(self, t: int) -> list[_Record | None]:
        return [self._lead(c, t) for c in self.world.contacts]

    def _lead(self, c: Contact, t: int) -> _Record | None:
        if c.created_ms > t:
            return None
        s = c.session
        tagged = s is not None and s.tagged
        mql = c.mql_ms if c.mql_ms is not None and c.mql_ms <= t else None
        sql = c.sql_ms if c.sql_ms is not None and c.sql_ms <= t else None
        converted = c.deal is not None and c.deal.created_ms <= t
        changes = [c.created_ms, mql, sql, c.deal.created_ms if converted else None]
        modstamp = _seconds(max(ms for ms in changes if ms is not None))
        status = LEAD_STATUS[2] if converted else LEAD_STATUS[1] if mql else LEAD_STATUS[0]
        source = LEAD_SOURCES.get(c.hs_source) or LEAD_SOURCES.get((c.hs_source, c.hs_source_data_1))
        detail = None if c.hs_source in ("DIRECT_TRAFFIC", "OFFLINE") else c.hs_source_data_1
        phone = c.inquiry.counterpart if c.inquiry is not None and c.inquiry.kind == "call" else None
        return _Record("Lead", {
            "Id": sf_id("Lead", int(c.contact_id)), "MasterRecordId": None,
            "FirstName": c.firstname, "LastName": c.lastname, "Name": f"{c.firstname} {c.lastname}",
            "Company": c.company, "Title": c.jobtitle, "Email": c.email, "Phone": phone,
            "Status": status, "LeadSource": source, "IsConverted": converted,
            "ConvertedDate": _day(c.deal.created_ms) if converted else None,
            "ConvertedAccountId": sf_id("Account", int(c.contact_id)) if converted else None,
            "ConvertedContactId": sf_id("Contact", int(c.contact_id)) if converted else None,
            "ConvertedOpportunityId": sf_id("Opportunity", int(c.deal.deal_id)) if converted else None,
            "OwnerId": _owner(c.owner), **_audit(c.created_ms, modstamp),
            "Lead_Source_Detail__c": detail,
            "MQL_Date__c": _seconds(mql), "SQL_Date__c": _seconds(sql),
            "utm_source__c": s.source if tagged else None,
            "utm_medium__c": s.medium if tagged else None,
            "utm_campaign__c": s.campaign if tagged else None,
            "utm_content__c": s.content if tagged else None,
            "GA_Client_ID__c": c.ga_client_id, "App_User_ID__c": c.app_user_id, "GCLID__c": None,
            "FBCLID__c": c.click_id if c.platform != "linkedin" else None,
            "LI_FAT_ID__c": c.click_id if c.platform == "linkedin" else None,
            "Partner_Type__c": c.partner_type,
        })

    def _converted(self, t: int) -> list[tuple[Contact, Deal]]:
        return [(d.contact, d) for d in self.world.deals if d.created_ms <= t]

    def _contacts(self, t: int) -> list[_Record]:
        out = []
        for c, d in self._converted(t):
            lead = self._lead(c, t)
            out.append(_Record("Contact", {
                "Id": sf_id("Contact", int(c.contact_id)), "AccountId": sf_id("Account", int(c.contact_id)),
                "FirstName": c.firstname, "LastName": c.lastname, "Name": f"{c.firstname} {c.lastname}",
                "Title": c.jobtitle, "Email": c.email, "Phone": lead.fields["Phone"],
                "LeadSource": lead.fields["LeadSource"], "OwnerId": _owner(c.owner),
                **_audit(d.created_ms, d.created_ms),
            }))
        return out

    def _accounts(self, t: int) -> list[_Record]:
        return [_Record("Account", {"Id": sf_id("Account", int(c.contact_id)), "Name": c.company,
                                    "OwnerId": _owner(c.owner), **_audit(d.created_ms, d.created_ms)})
                for c, d in self._converted(t)]

    # opportunities -----------------------------------------------------------------------------

    def _history_so_far(self, d: Deal, t: int) -> list[tuple[str, int]]:
        return [(stage, ms) for stage, ms in d.history if ms <= t]

    def _close_date(self, d: Deal, closed_ms: int | None) -> str:
        return _day(closed_ms) if closed_ms is not None else _day(d.created_ms + EXPECTED_CLOSE_DAYS * DAY_MS)

    def _opportunities(self, t: int) -> list[_Record]:
        out = []
        for c, d in self._converted(t):
            history = self._history_so_far(d, t)
            stage, probability, forecast, closed, won = STAGES[history[-1][0]]
            out.append(_Record("Opportunity", {
                "Id": sf_id("Opportunity", int(d.deal_id)), "AccountId": sf_id("Account", int(c.contact_id)),
                "Name": d.dealname, "StageName": stage, "Amount": d.amount, "CurrencyIsoCode": C.CURRENCY,
                "CloseDate": self._close_date(d, history[-1][1] if closed else None),
                "IsClosed": closed, "IsWon": won,
                "LeadSource": self._lead(c, t).fields["LeadSource"],
                "CampaignId": self.campaign_ids.get(self._campaign_of(c)),
                "Probability": probability, "Type": "New Business", "ForecastCategoryName": forecast,
                "OwnerId": _owner(d.owner), **_audit(d.created_ms, _seconds(history[-1][1])),
            }))
        return out

    def _opportunity_history(self, t: int) -> list[_Record]:
        out = []
        for _c, d in self._converted(t):
            for n, (hs_stage, ms) in enumerate(self._history_so_far(d, t)):
                stage, probability, forecast, closed, _won = STAGES[hs_stage]
                out.append(_Record("OpportunityHistory", {
                    "Id": sf_id("OpportunityHistory", int(d.deal_id) * 10 + n),
                    "OpportunityId": sf_id("Opportunity", int(d.deal_id)), "StageName": stage,
                    "Amount": d.amount, "ExpectedRevenue": round(d.amount * probability / 100, 2),
                    "CloseDate": self._close_date(d, ms if closed else None),
                    "Probability": probability, "ForecastCategory": forecast,
                    "CreatedDate": _seconds(ms), "CreatedById": _owner(d.owner),
                    "SystemModstamp": _seconds(ms), "IsDeleted": False,
                }))
        return out

    def _contact_roles(self, t: int) -> list[_Record]:
        # lead conversion makes the converted contact the opportunity's primary contact
        return [_Record("OpportunityContactRole", {
            "Id": sf_id("OpportunityContactRole", int(d.deal_id)),
            "OpportunityId": sf_id("Opportunity", int(d.deal_id)),
            "ContactId": sf_id("Contact", int(c.contact_id)), "Role": None, "IsPrimary": True,
            **_audit(d.created_ms, d.created_ms)}) for c, d in self._converted(t)]

    # campaigns ---------------------------------------------------------------------------------

    def _campaigns(self, t: int) -> list[_Record]:
        if self.campaigns_created_ms > t:
            return []
        cfg = self.world.config
        return [_Record("Campaign", {
            "Id": self.campaign_ids[name], "Name": name, "Type": self.campaign_types[name],
            "Status": "In Progress", "IsActive": True, "StartDate": cfg.start_date.isoformat(),
            "EndDate": (cfg.start_date + timedelta(days=cfg.days - 1)).isoformat(), "ParentId": None,
            "BudgetedCost": None, "ActualCost": None, "OwnerId": INTEGRATION_USER,
            **_audit(self.campaigns_created_ms, self.campaigns_created_ms)})
            for name in self.campaign_names]

    def _campaign_members(self, t: int) -> list[_Record]:
        out = []
        for c in self.world.contacts:
            name = self._campaign_of(c)
            if name is None or c.created_ms > t:
                continue
            converted = c.deal is not None and c.deal.created_ms <= t
            contact_id = sf_id("Contact", int(c.contact_id)) if converted else None
            lead_id = sf_id("Lead", int(c.contact_id))
            out.append(_Record("CampaignMember", {
                "Id": sf_id("CampaignMember", int(c.contact_id)), "CampaignId": self.campaign_ids[name],
                "LeadId": lead_id, "ContactId": contact_id, "LeadOrContactId": contact_id or lead_id,
                "Status": "Responded", "HasResponded": True, "FirstRespondedDate": _day(c.created_ms),
                # conversion fills in the contact: the membership changes with it
                **_audit(c.created_ms, c.deal.created_ms if converted else c.created_ms),
            }))
        return out

    # activities ----------------------------------------------------------------------------------

    def _tasks(self, t: int) -> list[_Record | None]:
        return [self._task(e, t) for e in self.world.engagements]

    def _task(self, e: Engagement, t: int) -> _Record | None:
        """A call or an e-mail a rep (or the CTI adapter, or Enhanced Email) logged: on the lead,
        and on the contact once the lead is converted (conversion moves the lead's activities to
        the contact, a change of the task); on no one for a caller the rep could not match."""
        if e.logged_ms > t:
            return None
        c = e.contact
        modified = e.modified_ms if e.modified_ms <= t else e.logged_ms
        who = what = account = None
        if c is not None:
            converted = c.deal is not None and c.deal.created_ms <= t
            who = sf_id("Contact" if converted else "Lead", int(c.contact_id))
            if converted:
                account = sf_id("Account", int(c.contact_id))
                modified = max(modified, c.deal.created_ms)
                if c.deal.created_ms <= e.logged_ms:  # logged on the open opportunity
                    what = sf_id("Opportunity", int(c.deal.deal_id))
        call = e.kind == "call"
        return _Record("Task", {
            "Id": sf_id("Task", int(e.engagement_id)), "WhoId": who, "WhatId": what, "AccountId": account,
            "Subject": e.subject if call else f"Email: {e.subject}",
            "Description": f"{e.subject}: spoke about the product." if call and e.duration_ms else None,
            "TaskSubtype": "Call" if call else "Email", "Type": "Call" if call else "Email",
            "CallType": CALL_TYPES[e.direction] if call else None,
            "CallDurationInSeconds": e.duration_ms // 1000 if call else None,
            "CallDisposition": e.status.replace("_", " ").capitalize() if call and e.status else None,
            "CallObject": None, "Status": "Completed", "Priority": "Normal", "IsClosed": True,
            "ActivityDate": _day(e.ts_ms), "CompletedDateTime": _seconds(e.logged_ms),
            "OwnerId": _owner(e.owner), "IsArchived": False, **_audit(e.logged_ms, modified),
        })

    def _email_messages(self, t: int) -> list[_Record]:
        out = []
        for e in self.world.engagements:
            if e.kind != "email" or e.logged_ms > t:
                continue
            incoming = INCOMING[e.direction]
            task = self._task(e, t)
            person = e.counterpart or None
            out.append(_Record("EmailMessage", {
                "Id": sf_id("EmailMessage", int(e.engagement_id)), "ParentId": None,
                "ActivityId": task.fields["Id"], "RelatedToId": task.fields["WhatId"],
                "Subject": e.subject, "FromName": None,
                "FromAddress": person if incoming else C.SALES_EMAIL,
                "ToAddress": C.SALES_EMAIL if incoming else person, "CcAddress": None, "BccAddress": None,
                "TextBody": f"{e.subject}\n\nBest regards", "HtmlBody": None,
                "Incoming": incoming, "MessageDate": _seconds(e.ts_ms), "Status": EMAIL_STATUS[incoming],
                "HasAttachment": False, "IsClientManaged": True,
                "MessageIdentifier": f"<{e.engagement_id}@mail.example.com>",
                **_audit(e.logged_ms, e.modified_ms if e.modified_ms <= t else e.logged_ms),
            }))
        return out


def _owner(owner: str) -> str:
    return sf_id("User", int(owner))


def _audit(created_ms: int, modified_ms: int) -> dict[str, Any]:
    return {"CreatedDate": _seconds(created_ms), "LastModifiedDate": _seconds(modified_ms),
            "SystemModstamp": _seconds(modified_ms), "IsDeleted": False,
            "CreatedById": INTEGRATION_USER, "LastModifiedById": INTEGRATION_USER}


# ---- SOQL ----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))
  | (?P<date>\d{4}-\d\d-\d\d)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<other>\S)
""", re.VERBOSE)
KEYWORDS = {"select", "from", "where", "and", "or", "not", "in", "like", "order", "by", "asc", "desc",
            "nulls", "first", "last", "limit", "offset", "true", "false", "null"}


@dataclass
class _Tok:
    kind: str
    text: str
    column: int  # 1-based, as Salesforce's error messages count

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


@dataclass
class Query:
    sobject: str
    fields: list[str]  # API names, as the schema spells them, in the order asked for
    where: Any  # a predicate tree, or None
    order: list[tuple[str, bool, bool]]  # (field, descending, nulls first)
    limit: int | None
    offset: int


class _Parser:
    def __init__(self, soql: str, hidden: frozenset[str] = frozenset()) -> None:
        self.soql = soql
        self.hidden = hidden  # objects the org does not have (features turned off)
        self.toks = [_Tok(m.lastgroup, m.group(), m.start() + 1) for m in _TOKEN.finditer(soql)
                     if m.lastgroup != "space"]
        self.i = 0
        self.schema: dict[str, str] = {}
        self.sobject = ""

    # token helpers
    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise SalesforceError(400, "MALFORMED_QUERY", "unexpected token: <EOF>")
        self.i += 1
        return tok

    def accept(self, *words: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.word in words:
            self.i += 1
            return True
        return False

    def expect(self, word: str) -> None:
        tok = self.take()
        if tok.word != word and tok.text != word:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {tok.text}")

    def error_at(self, tok: _Tok, code: str, message: str) -> SalesforceError:
        caret = " " * (tok.column - 1) + "^"
        return SalesforceError(400, code, f"\n{self.soql}\n{caret}\nERROR at Row:1:Column:{tok.column}\n"
                                          f"{message}")

    # grammar
    def parse(self) -> Query:
        self.expect("select")
        field_toks = [self.take()]
        while self.peek() is not None and self.peek().text == ",":
            self.take()
            field_toks.append(self.take())
        self.expect("from")
        obj = self.take()
        if obj.kind != "name" or obj.word in KEYWORDS:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {obj.text}")
        if obj.text.lower() not in OBJECT_NAMES or OBJECT_NAMES[obj.text.lower()] in self.hidden:
            raise self.error_at(obj, "INVALID_TYPE",
                                f"sObject type '{obj.text}' is not supported. If you are attempting to use "
                                "a custom object, be sure to append the '__c' after the entity name. Please "
                                "reference your WSDL or the describe call for the appropriate names.")
        self.sobject = OBJECT_NAMES[obj.text.lower()]
        self.schema = SCHEMA[self.sobject]
        fields = [self.field(tok) for tok in field_toks]
        where = self.expression() if self.accept("where") else None
        order: list[tuple[str, bool, bool]] = []
        if self.accept("order"):
            self.expect("by")
            while True:
                name = self.field(self.take())
                descending = self.accept("desc")
                if not descending:
                    self.accept("asc")
                nulls_first = not descending
                if self.accept("nulls"):
                    nulls_first = self.take().word == "first"
                order.append((name, descending, nulls_first))
                if self.peek() is None or self.peek().text != ",":
                    break
                self.take()
        limit = self.integer() if self.accept("limit") else None
        offset = self.integer() if self.accept("offset") else 0
        if self.peek() is not None:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {self.peek().text}")
        return Query(self.sobject, fields, where, order, limit, offset)

    def integer(self) -> int:
        tok = self.take()
        if tok.kind != "number" or not tok.text.isdigit():
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {tok.text}")
        return int(tok.text)

    def field(self, tok: _Tok) -> str:
        if tok.kind != "name" or tok.word in KEYWORDS:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {tok.text}")
        for name in self.schema:
            if name.lower() == tok.text.lower():
                return name
        raise self.error_at(tok, "INVALID_FIELD",
                            f"No such column '{tok.text}' on entity '{self.sobject}'. If you are attempting "
                            "to use a custom field, be sure to append the '__c' after the custom field "
                            "name. Please reference your WSDL or the describe call for the appropriate "
                            "names.")

    def expression(self):
        terms = [self.term()]
        while self.accept("or"):
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else ("or", terms)

    def term(self):
        factors = [self.factor()]
        while self.accept("and"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else ("and", factors)

    def factor(self):
        if self.accept("not"):
            return ("not", self.factor())
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        name_tok = self.take()
        name = self.field(name_tok)
        negate = self.accept("not")
        if self.accept("in"):
            self.expect("(")
            values = [self.value(name, name_tok)]
            while self.peek() is not None and self.peek().text == ",":
                self.take()
                values.append(self.value(name, name_tok))
            self.expect(")")
            return ("in", name, values, negate)
        if negate:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {self.peek().text}")
        if self.accept("like"):
            pattern = self.take()
            if pattern.kind != "string":
                raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {pattern.text}")
            regex = re.escape(_unquote(pattern.text)).replace("%", ".*").replace("_", ".")
            return ("like", name, re.compile(regex, re.IGNORECASE | re.DOTALL))
        op = self.take()
        if op.kind != "op":
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {op.text}")
        return ("cmp", name, {"<>": "!="}.get(op.text, op.text), self.value(name, name_tok))

    def value(self, name: str, name_tok: _Tok):
        tok = self.take()
        ftype = self.schema[name]
        if tok.word == "null":
            return None
        wanted = {"datetime": "dateTime", "date": "date", "boolean": "boolean"}.get(ftype)
        if ftype in ("double", "currency", "percent", "int"):
            wanted = "number"
        if wanted == "dateTime" and tok.kind == "datetime":
            return _parse_datetime(tok.text)
        if wanted == "date" and tok.kind == "date":
            return tok.text
        if wanted == "boolean" and tok.word in ("true", "false"):
            return tok.word == "true"
        if wanted == "number" and tok.kind == "number":
            return float(tok.text)
        if wanted is None and tok.kind == "string":
            return _unquote(tok.text)
        if wanted is None:
            raise SalesforceError(400, "MALFORMED_QUERY", f"unexpected token: {tok.text}")
        quoted = " and should not be enclosed in quotes" if tok.kind == "string" else ""
        raise self.error_at(name_tok, "INVALID_FIELD",
                            f"value of filter criterion for field '{name}' must be of type {wanted}{quoted}")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _parse_datetime(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


def parse_soql(soql: str, hidden: frozenset[str] = frozenset()) -> Query:
    return _Parser(soql, hidden).parse()


def _evaluate(node, record: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return all(_evaluate(n, record) for n in node[1])
    if kind == "or":
        return any(_evaluate(n, record) for n in node[1])
    if kind == "not":
        return not _evaluate(node[1], record)
    actual = record.get(node[1])
    if kind == "in":
        hit = any(_equal(actual, v) for v in node[2])
        return hit != node[3]
    if kind == "like":
        return actual is not None and bool(node[2].fullmatch(str(actual)))
    op, value = node[2], node[3]
    if op == "=":
        return _equal(actual, value)
    if op == "!=":
        return not _equal(actual, value)
    if actual is None or value is None:
        return False
    if isinstance(actual, str):
        actual, value = actual.lower(), str(value).lower()
    return {"<": actual < value, "<=": actual <= value, ">": actual > value, ">=": actual >= value}[op]


def _equal(actual, value) -> bool:
    if isinstance(actual, str) and isinstance(value, str):
        return actual.lower() == value.lower()  # SOQL compares strings case-insensitively
    return actual == value


def _sort_key(record: dict[str, Any], order: list[tuple[str, bool, bool]], types: dict[str, str]):
    key = []
    for name, descending, nulls_first in order:
        value = record.get(name)
        if isinstance(value, str) and types[name] not in ("id", "reference"):
            value = value.lower()  # text sorts case-insensitively, ids as they are
        missing = value is None
        rank = 0 if missing == nulls_first else 1
        key.append((rank, _Desc(value) if descending and not missing else value if not missing else 0))
    return key


class _Desc:
    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __lt__(self, other: _Desc) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and other.value == self.value


# ---- the API ---------------------------------------------------------------------------------


@dataclass
class _Cursor:
    records: list[dict]
    batch: int
    endpoint: str  # query | queryAll
    version: str


class Salesforce:
    def __init__(self, world: World) -> None:
        self.world = world
        self.org = _Org(world)
        self.clock = Clock(float(world.config.end_ts))
        self.max_batch = MAX_BATCH
        self.enhanced_email = True  # off: the org has no EmailMessage object (e-mails are Tasks only)
        self.daily_api_limit = DAILY_API_LIMIT
        self.api_usage = 0
        self.deleted: dict[str, int] = {}  # record id -> when it went to the recycle bin (ms)
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()
        self._lock = threading.Lock()
        self._next_locator = 1
        self._records = lru_cache(maxsize=32)(self._records_as_of)

    def delete(self, record_id: str, at: datetime) -> None:
        """Move a record to the recycle bin at ``at`` (its ``SystemModstamp``)."""
        self.deleted[record_id] = _seconds(int(at.timestamp() * 1000))

    def undelete(self, record_id: str) -> None:
        """Restore a record from the recycle bin (as if it had never been deleted)."""
        self.deleted.pop(record_id, None)

    # ---- transport -------------------------------------------------------------------------

    def handle(self, req: Request, token: str) -> Response:
        with self._lock:
            used = self.api_usage
            over = used >= self.daily_api_limit
            if not over:
                self.api_usage = used = used + 1
        headers = {"Sforce-Limit-Info": f"api-usage={used}/{self.daily_api_limit}"}
        try:
            if req.bearer() != token:
                raise SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")
            if over:
                raise SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            if req.method != "GET":
                raise SalesforceError(405, "METHOD_NOT_ALLOWED",
                                      f"HTTP Method '{req.method}' not allowed. Allowed are GET,HEAD")
            return json_response(200, self._route(req), headers)
        except SalesforceError as e:
            return json_response(e.status, [{"message": e.message, "errorCode": e.code}], headers)

    def _route(self, req: Request):
        path = req.path.rstrip("/")
        if path == PREFIX:
            return [{"label": f"v{v}", "url": f"{PREFIX}/v{v}", "version": v} for v in VERSIONS]
        hit = re.fullmatch(rf"{PREFIX}/v(\d+\.\d)(/.*)?", path)
        if hit is None or hit.group(1) not in VERSIONS:
            raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")
        version, rest = hit.group(1), hit.group(2) or ""
        if rest in ("/query", "/queryAll"):
            soql = req.arg("q")
            if not soql:
                raise SalesforceError(400, "MALFORMED_QUERY", "A query string has to be specified")
            return self._query(version, rest[1:], soql, self._batch_size(req))
        if more := re.fullmatch(r"/(query|queryAll)/([0-9A-Za-z]+)-(\d+)", rest):
            return self._more(version, more.group(2), int(more.group(3)))
        if rest == "/limits":
            return {"DailyApiRequests": {"Max": self.daily_api_limit,
                                         "Remaining": max(0, self.daily_api_limit - self.api_usage)}}
        raise SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")

    def _batch_size(self, req: Request) -> int:
        options = req.headers.get("sforce-query-options", "")
        hit = re.search(r"batchSize\s*=\s*(\d+)", options)
        asked = int(hit.group(1)) if hit else DEFAULT_BATCH
        return min(max(asked, MIN_BATCH), MAX_BATCH, self.max_batch)

    # ---- queries ---------------------------------------------------------------------------

    def _records_as_of(self, sobject: str, as_of_ms: int) -> list[dict]:
        return [record.fields for record in self.org.records(sobject, as_of_ms)]

    def _visible(self, sobject: str, now_ms: int, include_deleted: bool) -> list[dict]:
        """The org's records now: the world as it stood (it ends at the horizon), less what is in
        the recycle bin (``queryAll`` shows those, deleted, for 15 days) or was purged from it."""
        out = []
        for fields in self._records(sobject, min(now_ms, self.world.config.end_ts * 1000)):
            deleted_at = self.deleted.get(fields["Id"])
            if deleted_at is not None and deleted_at <= now_ms:
                if not include_deleted or now_ms - deleted_at > RECYCLE_BIN_DAYS * DAY_MS:
                    continue
                fields = {**fields, "IsDeleted": True, "SystemModstamp": deleted_at}
                if "LastModifiedDate" in fields:
                    fields["LastModifiedDate"] = deleted_at
            out.append(fields)
        return out

    def _query(self, version: str, endpoint: str, soql: str, batch: int) -> dict:
        query = parse_soql(soql, frozenset() if self.enhanced_email else frozenset({"EmailMessage"}))
        now_ms = _seconds(int(self.clock.now() * 1000))
        rows = [r for r in self._visible(query.sobject, now_ms, endpoint == "queryAll")
                if query.where is None or _evaluate(query.where, r)]
        if query.order:
            rows.sort(key=lambda r: _sort_key(r, query.order, SCHEMA[query.sobject]))
        rows = rows[query.offset:]
        if query.limit is not None:
            rows = rows[:query.limit]
        served = [self._shape(query, version, row) for row in rows]
        with self._lock:
            locator = "01gHz" + f"{self._next_locator:010d}AAA"
            self._next_locator += 1
            self._cursors[locator] = _Cursor(served, batch, endpoint, version)
            while len(self._cursors) > MAX_OPEN_LOCATORS:
                self._cursors.popitem(last=False)
        return self._page(locator, 0)

    def _more(self, version: str, locator: str, offset: int) -> dict:
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is not None:
                self._cursors.move_to_end(locator)
        if cursor is None or offset > len(cursor.records) or cursor.version != version:
            raise SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, offset)

    def _page(self, locator: str, offset: int) -> dict:
        cursor = self._cursors[locator]
        end = offset + cursor.batch
        page = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
        if not page["done"]:
            page["nextRecordsUrl"] = f"{PREFIX}/v{cursor.version}/{cursor.endpoint}/{locator}-{end}"
        page["records"] = cursor.records[offset:end]
        return page

    def _shape(self, query: Query, version: str, row: dict[str, Any]) -> dict:
        types = SCHEMA[query.sobject]
        out: dict[str, Any] = {"attributes": {
            "type": query.sobject, "url": f"{PREFIX}/v{version}/sobjects/{query.sobject}/{row['Id']}"}}
        for name in query.fields:
            value = row.get(name)
            out[name] = sf_datetime(value) if types[name] == "datetime" else value
        return out
