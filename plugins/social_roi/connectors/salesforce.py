"""Salesforce: the CRM objects the marketing model needs, by SOQL over the REST API.

Leads, contacts, opportunities, their stage history (``OpportunityHistory``) and contact roles,
campaigns and campaign members, and the calls and e-mails logged on them (``Task``, with each
e-mail's ``EmailMessage`` for its direction: Enhanced Email): every record whose
``SystemModstamp`` falls in the run's day or the ``lookback_days`` before it (default 45),
through ``queryAll``, so that a record deleted since (in the recycle bin: ``IsDeleted = true``)
lands deleted and drops out downstream. The
lookback re-reads what a missed or failed run, or a transaction that committed after the run read
its window, would otherwise leave out; staging keeps each record's latest ``SystemModstamp``.
Batches follow ``nextRecordsUrl`` (2,000 records by default, ``page_size`` to ask for fewer).

E-mail addresses are hashed before landing (``social_roi.pii``, the normalisation ad platforms
match on); names, phone numbers, companies and titles are never requested, nor an activity's
subject, body or addresses.

Errors: 401 ``INVALID_SESSION_ID`` (an expired or revoked access token) fails at once naming the
connection; 403 ``REQUEST_LIMIT_EXCEEDED`` (the org's rolling 24-hour API allocation) fails at once
as an exhausted quota saying what to do; the concurrent long-running request limit (also
``REQUEST_LIMIT_EXCEEDED``, "ConcurrentPerOrgLongTxn") and 5xx are retried with backoff.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator
from requests import Response

from social_roi.connectors.base import Entity, SourceConfig, paged, rest_client
from social_roi.errors import SchemaViolation, SourceError
from social_roi.pii import email_sha256

SOURCE = "salesforce"
CONN_ID = "salesforce"

API_VERSION = "v65.0"
LOOKBACK_DAYS = 45
BATCH_SIZE = 2000  # Salesforce's default and maximum; it may answer with fewer
QUOTA_RESET = ("as the calls of the last 24 hours age out (Salesforce's daily allocation is a "
               "rolling 24-hour window shared by every integration of the org; Setup > Company "
               "Information shows the usage): or ask for a higher allocation")

TIMESTAMP = pa.timestamp("us", tz="UTC")
DATETIME_FIELDS = {"CreatedDate", "LastModifiedDate", "SystemModstamp", "MQL_Date__c", "SQL_Date__c",
                   "MessageDate"}
DATE_FIELDS = {"ConvertedDate", "CloseDate", "StartDate", "EndDate", "FirstRespondedDate", "ActivityDate"}
BOOLEAN_FIELDS = {"IsDeleted", "IsConverted", "IsClosed", "IsWon", "IsPrimary", "IsActive",
                  "HasResponded", "Incoming"}
NUMBER_FIELDS = {"Amount", "Probability", "ExpectedRevenue", "BudgetedCost", "ActualCost"}
INTEGER_FIELDS = {"CallDurationInSeconds"}
EMAIL_FIELD = "Email"  # requested to be hashed: lands as email_sha256, never in clear
REQUIRED = {"Id", "IsDeleted", "CreatedDate", "SystemModstamp"}


@dataclass(frozen=True)
class SObject:
    """One queried object: its API name, its landing entity (columns named by ``column``) and the
    fields selected (API names, in the contract's order)."""

    name: str
    entity: Entity
    fields: tuple[str, ...]


def column(field: str) -> str:
    """The landing column of an API field: snake case, custom fields keep ``__c``
    (``SystemModstamp`` -> ``system_modstamp``, ``GA_Client_ID__c`` -> ``ga_client_id__c``);
    ``Email`` lands hashed as ``email_sha256``."""
    if field == EMAIL_FIELD:
        return "email_sha256"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field).lower()


def _arrow_type(field: str) -> pa.DataType:
    if field in DATETIME_FIELDS:
        return TIMESTAMP
    if field in DATE_FIELDS:
        return pa.date32()
    if field in BOOLEAN_FIELDS:
        return pa.bool_()
    if field in NUMBER_FIELDS:
        return pa.float64()
    if field in INTEGER_FIELDS:
        return pa.int64()
    return pa.string()


def _sobject(name: str, entity: str, fields: tuple[str, ...], required: tuple[str, ...] = ()) -> SObject:
    schema = pa.schema([pa.field(column(f), _arrow_type(f), nullable=f not in REQUIRED | set(required))
                        for f in fields])
    return SObject(name, Entity(entity, schema, "id"), fields)


_AUDIT = ("IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
# Custom fields (the org's web-to-lead form and lead-ads integration fill them; README lists
# them; a connection can map each to the org's own name with extra ``field_map``).
LEAD_CUSTOM_FIELDS = (
    "Lead_Source_Detail__c", "MQL_Date__c", "SQL_Date__c",
    "utm_source__c", "utm_medium__c", "utm_campaign__c", "utm_content__c",
    "GA_Client_ID__c", "App_User_ID__c", "GCLID__c", "FBCLID__c", "LI_FAT_ID__c", "Partner_Type__c",
)
LEADS = _sobject("Lead", "leads", (
    "Id", EMAIL_FIELD, "Status", "LeadSource", "IsConverted", "ConvertedDate", "ConvertedContactId",
    "ConvertedAccountId", "ConvertedOpportunityId", "OwnerId", *_AUDIT, *LEAD_CUSTOM_FIELDS,
))
CONTACTS = _sobject("Contact", "contacts", (
    "Id", "AccountId", EMAIL_FIELD, "LeadSource", "OwnerId", *_AUDIT,
))
OPPORTUNITIES = _sobject("Opportunity", "opportunities", (
    "Id", "AccountId", "Name", "StageName", "Amount", "CurrencyIsoCode", "CloseDate", "IsClosed",
    "IsWon", "LeadSource", "CampaignId", "Probability", "Type", "ForecastCategoryName", "OwnerId",
    *_AUDIT,
), required=("StageName", "IsClosed", "IsWon"))
# one row per change of stage, amount, close date or probability; immutable once written
OPPORTUNITY_HISTORY = _sobject("OpportunityHistory", "opportunity_history", (
    "Id", "OpportunityId", "StageName", "Amount", "CloseDate", "Probability", "ForecastCategory",
    "IsDeleted", "CreatedDate", "SystemModstamp",
), required=("OpportunityId", "StageName"))
OPPORTUNITY_CONTACT_ROLES = _sobject("OpportunityContactRole", "opportunity_contact_roles", (
    "Id", "OpportunityId", "ContactId", "Role", "IsPrimary", *_AUDIT,
), required=("OpportunityId", "ContactId"))
CAMPAIGNS = _sobject("Campaign", "campaigns", (
    "Id", "Name", "Type", "Status", "IsActive", "StartDate", "EndDate", "ParentId", "BudgetedCost",
    "ActualCost", *_AUDIT,
))
CAMPAIGN_MEMBERS = _sobject("CampaignMember", "campaign_members", (
    "Id", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded", "FirstRespondedDate", *_AUDIT,
), required=("CampaignId",))

# Calls and e-mails logged on a lead or a contact (WhoId; none for a caller the rep could not
# match): TaskSubtype Call or Email, a call's CallType (Inbound / Outbound / Internal) and result.
# ActivityDate is the call's day (Salesforce keeps no start time for a call). Subject and
# Description are free text about a person: never requested.
TASKS = _sobject("Task", "tasks", (
    "Id", "WhoId", "WhatId", "TaskSubtype", "CallType", "CallDurationInSeconds", "CallDisposition",
    "Status", "ActivityDate", "OwnerId", *_AUDIT,
))
# An e-mail Task has no direction: its EmailMessage (ActivityId) says whether it came in. Only the
# link, the direction and the moment: no address, subject or body.
EMAIL_MESSAGES = _sobject("EmailMessage", "email_messages", (
    "Id", "ActivityId", "Incoming", "MessageDate", "Status", *_AUDIT,
), required=("Incoming",))

SOBJECTS = (LEADS, CONTACTS, OPPORTUNITIES, OPPORTUNITY_HISTORY, OPPORTUNITY_CONTACT_ROLES, CAMPAIGNS,
            CAMPAIGN_MEMBERS, TASKS, EMAIL_MESSAGES)
ENTITIES = tuple(sobject.entity for sobject in SOBJECTS)
# only an org with multiple currencies has it (asking a single-currency org is INVALID_FIELD)
MULTI_CURRENCY_FIELDS = {"CurrencyIsoCode"}


def _errors(response: Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    return [e for e in body if isinstance(e, dict)] if isinstance(body, list) else []


def _limit_exceeded(response: Response) -> list[dict[str, Any]]:
    return [e for e in _errors(response) if e.get("errorCode") == "REQUEST_LIMIT_EXCEEDED"]


def is_quota_error(response: Response) -> bool:
    """The org's daily API allocation is used up: 403 REQUEST_LIMIT_EXCEEDED ("TotalRequests
    Limit exceeded."), not the concurrent-request limit, which a retry outlasts."""
    errors = _limit_exceeded(response)
    return response.status_code == 403 and bool(errors) and not is_concurrency_limit(response)


def is_concurrency_limit(response: Response) -> bool:
    return any("ConcurrentPerOrgLongTxn" in str(e.get("message")) for e in _limit_exceeded(response))


def is_auth_error(response: Response) -> bool:
    """401 INVALID_SESSION_ID, or a 403 that is not a limit (API access disabled for the user or
    the org, an object the user may not read)."""
    return response.status_code == 401 or (response.status_code == 403 and not _limit_exceeded(response))


def error_text(response: Response) -> str:
    """Salesforce's error array, one ``CODE: message`` each. A SOQL error echoes the whole query
    with a caret before its last line, which says what is wrong: only that line is kept."""
    errors = _errors(response)
    if not errors:
        return response.text[:500]
    parts = []
    for error in errors:
        lines = str(error.get("message") or "").strip().splitlines() or [""]
        where = next((line for line in lines if line.startswith("ERROR at Row:")), None)
        text = f"{error.get('errorCode')}: {lines[-1]}" + (f" ({where})" if where else "")
        if error.get("errorCode") == "INVALID_FIELD" and "No such column" in lines[-1]:
            text += (" - the org lacks this field: create it (README, Salesforce connection) or map "
                     "the org's own name with the connection's extra field_map")
        elif error.get("errorCode") == "INVALID_TYPE" and "EmailMessage" in lines[-1]:
            text += " - the org does not store e-mails as EmailMessage: turn on Enhanced Email (Setup)"
        elif response.status_code == 403 and error.get("errorCode") != "REQUEST_LIMIT_EXCEEDED":
            text += (" - the connection's user lacks a permission: API Enabled, and read access to "
                     "the object and its fields (README, Salesforce connection)")
        parts.append(text)
    return "; ".join(parts)[:1000]


def _retry(response: Response | None, exception: BaseException | None) -> bool:
    return response is not None and response.status_code == 403 and is_concurrency_limit(response)


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    version = str(config.extra.get("api_version", API_VERSION))
    if not version.startswith("v"):
        version = f"v{version}"
    lookback = int(config.extra.get("lookback_days", LOOKBACK_DAYS))
    batch = int(config.extra.get("page_size", BATCH_SIZE))
    client = rest_client(
        config,
        auth=BearerTokenAuth(config.token),
        paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
        retry_condition=_retry,
        headers={"Sforce-Query-Options": f"batchSize={batch}"},
    )
    start = datetime.combine(day - timedelta(days=lookback), time(), tzinfo=UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    field_map = _field_map(config)
    multi_currency = str(config.extra.get("multi_currency", "false")).lower() == "true"
    rows: dict[str, list[dict[str, Any]]] = {}
    for sobject in SOBJECTS:
        selected = [f for f in sobject.fields if multi_currency or f not in MULTI_CURRENCY_FIELDS]
        api_names = [field_map.get(f"{sobject.name}.{f}", f) for f in selected]
        soql = (f"SELECT {', '.join(api_names)} FROM {sobject.name} "
                f"WHERE SystemModstamp >= {_literal(start)} AND SystemModstamp < {_literal(end)} "
                "ORDER BY SystemModstamp, Id")
        records = paged(client, SOURCE, sobject.entity.name, day, f"/services/data/{version}/queryAll",
                        params={"q": soql}, data_selector="records", conn_id=config.conn_id,
                        auth_error=is_auth_error, quota_reset=QUOTA_RESET, quota_error=is_quota_error,
                        error_text=error_text)
        rows[sobject.entity.name] = [_row(sobject, dict(zip(selected, (r.get(n) for n in api_names),
                                                              strict=True)), day)
                                     for r in records]
    return rows


def _field_map(config: SourceConfig) -> Mapping[str, str]:
    """``field_map``: ``{"Lead.MQL_Date__c": "MQL_Date_Time__c"}``, the org's names of the custom
    fields the contract expects."""
    mapping = config.extra.get("field_map") or {}
    if not isinstance(mapping, Mapping):
        raise SourceError(config.conn_id, "config", None,
                          "connection extra 'field_map' must map 'Object.Field__c' to the org's field")
    return {str(k): str(v) for k, v in mapping.items()}


def _literal(moment: datetime) -> str:
    """A SOQL dateTime literal: unquoted, UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(sobject: SObject, record: dict[str, Any], day: date) -> dict[str, Any]:
    row = {}
    for field in sobject.fields:
        value = record.get(field)
        if field == EMAIL_FIELD:
            value = email_sha256(value)
        elif value is not None and field in DATETIME_FIELDS:
            value = _datetime(value, sobject, record, day)
        elif value is not None and field in DATE_FIELDS:
            value = date.fromisoformat(value)
        row[column(field)] = value
    return row


def _datetime(value: str, sobject: SObject, record: dict[str, Any], day: date) -> datetime:
    """Salesforce writes ``2026-10-01T09:14:03.000+0000``."""
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)
    except ValueError:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            raise SchemaViolation(SOURCE, sobject.entity.name, day, f"not a Salesforce datetime: {value!r}",
                                  record_id=str(record.get("Id"))) from None
