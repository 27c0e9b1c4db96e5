"""HubSpot CRM: contacts, deals, calls and e-mails modified in the run's day or the
``lookback_days`` before it (search API), the records archived in that window (the
``archived=true`` listing), and the contacts associated with those deals, calls and e-mails
(v4 batch read).

Records land in the partition of the run's day: a record that changes on several days lands
several versions, and staging keeps the latest (``updated_at``, then the landing day). The
lookback (default 3 days, connection extra ``lookback_days``) re-reads what a failed or missed
run would have lost. An archived record lands with ``archived = true`` and its ``archivedAt`` as
``updated_at``, so it is the latest version and drops out downstream; a merged-away contact stops
existing in HubSpot and is named by its survivor's ``hs_merged_object_ids``. All property values
arrive as strings and stay strings in landing. The search API stops at 10,000 results per query,
so a window with more is split in halves until each half fits.

Calls and e-mails (engagements) land without personal data: ids, timestamps, direction, status
and duration only — no phone numbers, e-mail addresses, subjects or bodies are requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pyarrow as pa
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator
from requests import Response

from social_roi.connectors.base import (
    Entity,
    SourceConfig,
    pages,
    request,
    rest_client,
    split_while_capped,
)
from social_roi.errors import SourceError

SOURCE = "hubspot"
CONN_ID = "hubspot"

SEARCH_PAGE_SIZE = 200
LIST_PAGE_SIZE = 100  # the list endpoint's maximum (the archived listing)
LOOKBACK_DAYS = 3
SEARCH_RESULT_CAP = 10_000
ASSOCIATION_BATCH = 1000

CONTACT_PROPERTIES = (
    "email", "firstname", "lastname", "phone", "lifecyclestage",
    *(f"hs_lifecyclestage_{stage}_date" for stage in (
        "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")),
    "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2",
    # identifiers the forms capture (custom properties: ga_client_id, app_user_id, li_fat_id)
    "ga_client_id", "app_user_id", "hs_facebook_click_id", "hs_google_click_id", "li_fat_id",
    "utm_source", "utm_medium", "utm_campaign", "utm_content",
    # custom property of the partner inquiry form: reseller, distributor or referral (else empty)
    "partner_type",
    # ";"-separated ids of the contacts merged into this one: they no longer exist in HubSpot
    "hs_merged_object_ids",
    "createdate", "lastmodifieddate",
)
# the default sales pipeline's stages: HubSpot records when a deal last entered each of them
# (hs_date_entered_<stage id>), the stage history of the CRM contract
DEAL_STAGES = ("appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
               "decisionmakerboughtin", "contractsent", "closedwon", "closedlost")
DEAL_PROPERTIES = (
    "dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "closedate",
    "createdate", "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won",
    *(f"hs_date_entered_{stage}" for stage in DEAL_STAGES),
)
# hs_timestamp: when the call started / the e-mail was sent; direction INBOUND or OUTBOUND for
# calls, INCOMING_EMAIL, EMAIL (sent) or FORWARDED_EMAIL for e-mails; duration in milliseconds.
CALL_PROPERTIES = (
    "hs_timestamp", "hs_call_direction", "hs_call_status", "hs_call_duration",
    "hs_createdate", "hs_lastmodifieddate",
)
EMAIL_PROPERTIES = (
    "hs_timestamp", "hs_email_direction", "hs_email_status", "hs_createdate", "hs_lastmodifieddate",
)
TIMESTAMP = pa.timestamp("us", tz="UTC")


def _record_entity(name: str, id_field: str, properties: tuple[str, ...]) -> Entity:
    return Entity(name, pa.schema([
        pa.field(id_field, pa.string(), nullable=False),
        pa.field("created_at", TIMESTAMP, nullable=False),
        pa.field("updated_at", TIMESTAMP, nullable=False),
        pa.field("archived", pa.bool_(), nullable=False),
        *((prop, pa.string()) for prop in properties),
    ]), id_field)


CONTACTS = _record_entity("contacts", "contact_id", CONTACT_PROPERTIES)
DEALS = _record_entity("deals", "deal_id", DEAL_PROPERTIES)
DEAL_CONTACTS = Entity("deal_contacts", pa.schema([
    pa.field("deal_id", pa.string(), nullable=False),
    pa.field("contact_id", pa.string(), nullable=False),
    ("association_type_id", pa.int64()),
    ("association_category", pa.string()),
]), "deal_id")
CALLS = _record_entity("calls", "call_id", CALL_PROPERTIES)
EMAILS = _record_entity("emails", "email_id", EMAIL_PROPERTIES)
# one entity for the contacts of every engagement type (calls, emails): meetings or notes would
# add rows, not entities
ENGAGEMENT_CONTACTS = Entity("engagement_contacts", pa.schema([
    pa.field("engagement_type", pa.string(), nullable=False),
    pa.field("engagement_id", pa.string(), nullable=False),
    pa.field("contact_id", pa.string(), nullable=False),
    ("association_type_id", pa.int64()),
    ("association_category", pa.string()),
]), "engagement_id")

ENTITIES = (CONTACTS, DEALS, DEAL_CONTACTS, CALLS, EMAILS, ENGAGEMENT_CONTACTS)
# the v4 batch read answers an object without any association of the type with this error entry
NO_ASSOCIATIONS = "crm.associations.NO_ASSOCIATIONS_FOUND"


def is_auth_error(response: Response) -> bool:
    return response.status_code in (401, 403)


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    client = rest_client(
        config,
        auth=BearerTokenAuth(config.token),
        paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after",
                                              cursor_body_path="after"),
    )
    lookback = int(config.extra.get("lookback_days", LOOKBACK_DAYS))
    if lookback < 0:
        raise SourceError(SOURCE, "contacts", day, f"lookback_days must be 0 or more (got {lookback})")
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    start = end - timedelta(days=1 + lookback)
    search = _Search(client, config, day,
                     int(config.extra.get("page_size", SEARCH_PAGE_SIZE)),
                     int(config.extra.get("search_result_cap", SEARCH_RESULT_CAP)))

    def changed(entity: Entity, object_type: str, modified_property: str,
                properties: tuple[str, ...]) -> tuple[list, list]:
        """(live records modified in the window, records archived in it)"""
        return (search.modified_between(entity, object_type, modified_property, properties, start, end),
                _archived_between(client, config, day, entity, object_type, properties, start, end))

    contacts, archived_contacts = changed(CONTACTS, "contacts", "lastmodifieddate", CONTACT_PROPERTIES)
    deals, archived_deals = changed(DEALS, "deals", "hs_lastmodifieddate", DEAL_PROPERTIES)
    calls, archived_calls = changed(CALLS, "calls", "hs_lastmodifieddate", CALL_PROPERTIES)
    emails, archived_emails = changed(EMAILS, "emails", "hs_lastmodifieddate", EMAIL_PROPERTIES)
    deal_links = _associated_contacts(client, config, day, DEAL_CONTACTS, "deals",
                                      [deal["id"] for deal in deals])
    engagement_links = [
        {"engagement_type": object_type, "engagement_id": from_id, **link}
        for object_type, records in (("calls", calls), ("emails", emails))
        for from_id, link in _associated_contacts(client, config, day, ENGAGEMENT_CONTACTS, object_type,
                                                  [record["id"] for record in records])
    ]
    return {
        CONTACTS.name: [_record_row(r, CONTACTS) for r in [*contacts, *archived_contacts]],
        DEALS.name: [_record_row(r, DEALS) for r in [*deals, *archived_deals]],
        DEAL_CONTACTS.name: [{"deal_id": from_id, **link} for from_id, link in deal_links],
        CALLS.name: [_record_row(r, CALLS) for r in [*calls, *archived_calls]],
        EMAILS.name: [_record_row(r, EMAILS) for r in [*emails, *archived_emails]],
        ENGAGEMENT_CONTACTS.name: engagement_links,
    }


def _archived_between(client, config, day, entity: Entity, object_type: str,
                      properties: tuple[str, ...], start: datetime, end: datetime) -> list:
    """The records archived in [start, end). Search never returns archived records and the
    listing of archived ones has no time filter: it is read whole (HubSpot keeps archived records
    90 days) and filtered on ``archivedAt``. A record archived and restored since is live again,
    with a later modification, and comes from search instead."""
    found = []
    for page in pages(client, SOURCE, entity.name, day, f"/crm/v3/objects/{object_type}",
                      params={"archived": "true", "limit": LIST_PAGE_SIZE,
                              "properties": ",".join(properties)},
                      paginator=JSONResponseCursorPaginator(cursor_path="paging.next.after",
                                                            cursor_param="after"),
                      data_selector="results", conn_id=config.conn_id, auth_error=is_auth_error):
        for record in page:
            archived_at = _parse(record.get("archivedAt"))
            if archived_at is not None and start <= archived_at < end:
                updated = max(_parse(record.get("updatedAt")) or archived_at, archived_at)
                found.append({**record, "archived": True, "updatedAt": updated.isoformat()})
    return found


@dataclass
class _Search:
    client: RESTClient
    config: SourceConfig
    day: date
    page_size: int
    result_cap: int

    def modified_between(self, entity: Entity, object_type: str, modified_property: str,
                         properties: tuple[str, ...], start: datetime, end: datetime) -> list:
        """All records modified in [start, end); halves the window while a query exceeds the
        search API's result cap (asking past it is an HTTP 400)."""

        def fetch(lo: datetime, hi: datetime):
            body = {
                "filterGroups": [{"filters": [
                    {"propertyName": modified_property, "operator": "GTE", "value": _millis(lo)},
                    {"propertyName": modified_property, "operator": "LT", "value": _millis(hi)},
                ]}],
                "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                "properties": list(properties),
                "limit": self.page_size,
            }
            return pages(self.client, SOURCE, entity.name, self.day,
                         f"/crm/v3/objects/{object_type}/search", method="POST", json=body,
                         data_selector="results", conn_id=self.config.conn_id,
                         auth_error=is_auth_error)

        return split_while_capped(fetch, lambda page: page.response.json().get("total", 0),
                                  start, end, self.result_cap, source=SOURCE, entity=entity.name,
                                  day=self.day)


def _associated_contacts(client, config, day, entity: Entity, object_type: str,
                         ids: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The contacts of records of ``object_type`` (v4 batch read, 1,000 ids a request): one
    ``(record id, {contact_id, association_type_id, association_category})`` per association
    type. A record without any contact (a call logged without one) simply has no row."""
    rows = []
    for offset in range(0, len(ids), ASSOCIATION_BATCH):
        batch = ids[offset:offset + ASSOCIATION_BATCH]
        payload = request(client, SOURCE, entity.name, day, "POST",
                          f"/crm/v4/associations/{object_type}/contacts/batch/read",
                          json={"inputs": [{"id": record_id} for record_id in batch]},
                          conn_id=config.conn_id, auth_error=is_auth_error)
        # HTTP 207: some inputs have no contact (fine) or failed (never dropped silently)
        failed = [e for e in payload.get("errors") or [] if e.get("subCategory") != NO_ASSOCIATIONS]
        if failed:
            raise SourceError(SOURCE, entity.name, day,
                              f"association read partly failed: {failed[:3]}")
        for result in payload.get("results", []):
            for target in result.get("to", []):
                for kind in target.get("associationTypes") or [{}]:
                    rows.append((str(result["from"]["id"]), {
                        "contact_id": str(target["toObjectId"]),
                        "association_type_id": kind.get("typeId"),
                        "association_category": kind.get("category"),
                    }))
    return rows


def _record_row(record: dict[str, Any], entity: Entity) -> dict[str, Any]:
    properties = record.get("properties") or {}
    return {
        entity.id_field: record.get("id"),
        "created_at": _parse(record.get("createdAt")),
        "updated_at": _parse(record.get("updatedAt")),
        "archived": record.get("archived"),
        # A requested property that is unset comes back null or is omitted: both mean NULL.
        **{name: properties.get(name) for name in entity.schema.names[4:]},
    }


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))
