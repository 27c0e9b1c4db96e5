"""HubSpot CRM v3 objects + v4 associations shapes (api_shapes.md §6).

Routes:
  POST /crm/v3/objects/{contacts|deals|calls|emails}/search
  GET  /crm/v3/objects/{contacts|deals|calls|emails}[/{id}]
  POST /crm/v4/associations/{from}/{to}/batch/read GET /crm/v4/objects/{from}/{id}/associations/{to}
  GET  /crm/v3/pipelines/deals

Tests change the portal as a user would (``archive`` / ``restore``, ``merge`` two contacts,
``update`` a record's properties at a moment): an archived record leaves search and the default
listing and shows in ``?archived=true`` with its ``archivedAt``; a merged-away contact stops
existing (its deals and engagements move to the survivor, whose ``hs_merged_object_ids`` lists
it and whose ``lastmodifieddate`` is the merge).

Calls and e-mails are engagement objects (HubSpot docs "Activities | Calls", "Activities | Email"):
`hs_timestamp`, `hs_call_direction` (INBOUND / OUTBOUND), `hs_call_status`, `hs_call_duration`
(milliseconds), `hs_email_direction` (EMAIL / INCOMING_EMAIL / FORWARDED_EMAIL), `hs_email_status`,
and personal data (numbers, addresses, subjects, bodies) a connector should not ask for.
"""

from __future__ import annotations

import re
from datetime import datetime

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Request, Response, correlation_id, json_response
from social_roi.sandbox.world import UTC, Contact, Deal, Engagement, World

SEARCH_MAX_LIMIT = 200
SEARCH_CAP = 10_000
LIST_MAX_LIMIT = 100
BATCH_MAX = 1000

LIFECYCLE_STAGES = ("lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")
STAGE_LABELS = {
    "appointmentscheduled": ("Appointment Scheduled", "0.2"),
    "qualifiedtobuy": ("Qualified To Buy", "0.4"),
    "presentationscheduled": ("Presentation Scheduled", "0.6"),
    "decisionmakerboughtin": ("Decision Maker Bought-In", "0.8"),
    "contractsent": ("Contract Sent", "0.9"),
    "closedwon": ("Closed Won", "1.0"),
    "closedlost": ("Closed Lost", "0.0"),
}
DATETIME_PROPS = {
    "createdate",
    "hs_createdate",
    "hs_timestamp",
    "lastmodifieddate",
    "hs_lastmodifieddate",
    "closedate",
    "first_conversion_date",
    "recent_conversion_date",
    *(f"hs_lifecyclestage_{s}_date" for s in LIFECYCLE_STAGES),
    *(f"hs_date_entered_{s}" for s in STAGE_LABELS),
}
NUMBER_PROPS = {
    "hs_object_id",
    "amount",
    "amount_in_home_currency",
    "hs_closed_amount",
    "num_conversion_events",
    "num_associated_deals",
    "num_associated_contacts",
    "hs_deal_stage_probability",
    "hs_call_duration",
}
DEFAULT_PROPS = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    "calls": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "emails": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
}
ALWAYS_PROPS = {
    "contacts": ("hs_object_id", "createdate", "lastmodifieddate"),
    "deals": ("hs_object_id", "createdate", "hs_lastmodifieddate"),
    "calls": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate"),
    "emails": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate"),
}
CREATED_PROP = {"contacts": "createdate", "deals": "createdate", "calls": "hs_createdate",
                "emails": "hs_createdate"}
MODIFIED_PROP = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate",
                 "calls": "hs_lastmodifieddate", "emails": "hs_lastmodifieddate"}
# HUBSPOT_DEFINED association type ids (v4): deal→contact 3, call→contact 194, email→contact 198
ASSOC_TYPE = {("deals", "contacts"): 3, ("contacts", "deals"): 4, ("calls", "contacts"): 194,
              ("contacts", "calls"): 193, ("emails", "contacts"): 198, ("contacts", "emails"): 197}
SINGULAR = {"contacts": "contact", "deals": "deal", "companies": "company", "calls": "call",
            "emails": "email"}
OBJECT_TYPE_IDS = {"0-1": "contacts", "0-3": "deals", "0-48": "calls", "0-49": "emails"}
SEARCH_TEXT_PROPS = {"contacts": ("email", "firstname", "lastname", "company"), "deals": ("dealname",),
                     "calls": ("hs_call_title", "hs_call_body"), "emails": ("hs_email_subject",)}
OPERATORS = {
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


def iso_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def parse_ms(value) -> int:
    """Epoch-millis (string or number) or ISO-8601 datetime/date -> epoch millis."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class HubSpotError(Exception):
    def __init__(self, status: int, category: str, message: str, **extra) -> None:
        super().__init__(message)
        self.status, self.category, self.message, self.extra = status, category, message, extra


def contact_properties(c: Contact) -> dict[str, str | None]:
    s = c.session  # None for a Meta instant-form lead: synced by the integration, no web visit
    tagged = s is not None and s.tagged
    campaign = c.campaign if tagged or s is None else None  # the integration records the campaign
    dates = {
        "lead": c.created_ms if c.partner_type is None else None,  # a partner inquiry is stage "other"
        "marketingqualifiedlead": c.mql_ms,
        "salesqualifiedlead": c.sql_ms,
        "opportunity": c.opp_ms,
        "customer": c.customer_ms,
    }
    props = {
        "createdate": iso_ms(c.created_ms),
        "lastmodifieddate": iso_ms(c.lastmodified_ms),
        "hs_object_id": c.contact_id,
        "email": c.email,
        "firstname": c.firstname,
        "lastname": c.lastname,
        "company": c.company,
        "jobtitle": c.jobtitle,
        # typed as people type them; the number only a keyed hash of which may leave staging
        "phone": f"+1 (555) {int(c.contact_id) // 10_000 % 1000:03d}-{int(c.contact_id) % 10_000:04d}",
        "lifecyclestage": c.lifecyclestage,
        **{f"hs_lifecyclestage_{k}_date": iso_ms(v) for k, v in dates.items()},
        "ga_client_id": c.ga_client_id,
        "app_user_id": c.app_user_id,
        # the form copies the landing URL's click id into the property of its platform
        "hs_facebook_click_id": c.click_id if c.platform != "linkedin" else None,
        "hs_google_click_id": None,
        "li_fat_id": c.click_id if c.platform == "linkedin" else None,  # custom property
        "partner_type": c.partner_type,  # custom property filled by the partner inquiry form
        "utm_source": s.source if tagged else None,
        "utm_medium": s.medium if tagged else None,
        "utm_campaign": s.campaign if tagged else None,
        "utm_content": s.content if tagged else None,
        "hs_analytics_source": c.hs_source,
        "hs_analytics_source_data_1": c.hs_source_data_1,
        "hs_analytics_source_data_2": campaign,
        "hs_latest_source": c.hs_source,
        "hs_latest_source_data_1": c.hs_source_data_1,
        "hs_latest_source_data_2": campaign,
        "hs_analytics_first_url": s.landing_url if s else None,
        # a contact created from a call or an e-mail converted on no form
        "first_conversion_event_name": c.form_name,
        "first_conversion_date": iso_ms(c.created_ms) if c.form_name else None,
        "recent_conversion_event_name": c.form_name,
        "recent_conversion_date": iso_ms(c.created_ms) if c.form_name else None,
        "num_conversion_events": "1" if c.form_name else "0",
        "hubspot_owner_id": c.owner,
        "num_associated_deals": "1" if c.deal is not None else None,
        "hs_merged_object_ids": None,  # ";"-separated ids of the contacts merged into this one
    }
    return props


def deal_properties(d: Deal) -> dict[str, str | None]:
    c = d.contact
    closed = d.closed_ms is not None
    amount = f"{d.amount:.2f}"
    return {
        "amount": amount,
        "amount_in_home_currency": amount,
        "closedate": iso_ms(d.closed_ms),
        "createdate": iso_ms(d.created_ms),
        "dealname": d.dealname,
        "dealstage": d.dealstage,
        "dealtype": "newbusiness",
        "deal_currency_code": C.CURRENCY,
        "hs_closed_amount": amount if d.is_won else "0",
        "hs_deal_stage_probability": STAGE_LABELS[d.dealstage][1],
        "hs_is_closed": "true" if closed else "false",
        "hs_is_closed_won": "true" if d.is_won else "false",
        "hs_lastmodifieddate": iso_ms(d.lastmodified_ms),
        "hs_object_id": d.deal_id,
        "hubspot_owner_id": d.owner,
        "pipeline": "default",
        "hs_analytics_source": c.hs_source,
        "hs_analytics_source_data_1": c.hs_source_data_1,
        "hs_analytics_source_data_2": c.campaign if c.session is None or c.session.tagged else None,
        "num_associated_contacts": "1",
        # when the deal last entered each stage of its pipeline (calculated properties)
        **{f"hs_date_entered_{stage}": None for stage in STAGE_LABELS},
        **{f"hs_date_entered_{stage}": iso_ms(ms) for stage, ms in d.history},
    }


def engagement_properties(e: Engagement) -> dict[str, str | None]:
    common = {
        "hs_object_id": e.engagement_id,
        "hs_createdate": iso_ms(e.logged_ms),
        "hs_lastmodifieddate": iso_ms(e.modified_ms),
        "hs_timestamp": iso_ms(e.ts_ms),
        "hubspot_owner_id": e.owner,
    }
    if e.kind == "call":
        inbound = e.direction == "INBOUND"
        return {
            **common,
            "hs_call_direction": e.direction,
            "hs_call_status": e.status,
            "hs_call_duration": str(e.duration_ms),
            "hs_call_title": e.subject,
            "hs_call_body": f"<p>{e.subject}: spoke about the product.</p>" if e.duration_ms else None,
            "hs_call_from_number": e.counterpart if inbound else C.SALES_PHONE,
            "hs_call_to_number": C.SALES_PHONE if inbound else e.counterpart,
            "hs_call_callee_object_id": e.contact.contact_id if e.contact else None,
            "hs_call_callee_object_type": "CONTACT" if e.contact else None,
        }
    incoming = e.direction == "INCOMING_EMAIL"
    return {
        **common,
        "hs_email_direction": e.direction,
        "hs_email_status": e.status,
        "hs_email_subject": e.subject,
        "hs_email_text": f"{e.subject}\n\nBest regards",
        "hs_email_from_email": e.counterpart if incoming else C.SALES_EMAIL,
        "hs_email_to_email": C.SALES_EMAIL if incoming else e.counterpart,
    }


def _typed(name: str, value):
    if name in DATETIME_PROPS:
        return parse_ms(value)
    if name in NUMBER_PROPS:
        return float(value)
    return str(value).lower()  # HubSpot string comparisons are case-insensitive


def _matches(props: dict, f: dict) -> bool:
    name, op = f.get("propertyName"), f.get("operator")
    if not name or op not in OPERATORS:
        raise HubSpotError(400, "VALIDATION_ERROR", f"Invalid filter: operator {op!r} on property {name!r}")
    actual = props.get(name)
    if op == "HAS_PROPERTY":
        return actual is not None
    if op == "NOT_HAS_PROPERTY":
        return actual is None
    if actual is None:
        return op in ("NEQ", "NOT_IN", "NOT_CONTAINS_TOKEN")
    try:
        a = _typed(name, actual)
        if op in ("IN", "NOT_IN"):
            hit = a in {_typed(name, v) for v in f.get("values") or []}
            return hit if op == "IN" else not hit
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            hit = str(f.get("value", "")).strip("*").lower() in str(actual).lower()
            return hit if op == "CONTAINS_TOKEN" else not hit
        v = _typed(name, f.get("value"))
        if op == "BETWEEN":
            return v <= a <= _typed(name, f.get("highValue"))
    except (TypeError, ValueError):
        raise HubSpotError(
            400, "VALIDATION_ERROR", f"Invalid value for property {name!r} in filter: {f.get('value')!r}"
        ) from None
    return {"EQ": a == v, "NEQ": a != v, "LT": a < v, "LTE": a <= v, "GT": a > v, "GTE": a >= v}[op]


class HubSpot:
    def __init__(self, world: World) -> None:
        self.world = world
        engagements = {kind: [e for e in world.engagements if e.object_type == kind]
                       for kind in ("calls", "emails")}
        self.props = {
            "contacts": {c.contact_id: contact_properties(c) for c in world.contacts},
            "deals": {d.deal_id: deal_properties(d) for d in world.deals},
            **{kind: {e.engagement_id: engagement_properties(e) for e in es}
               for kind, es in engagements.items()},
        }
        self.objects = {
            "contacts": {c.contact_id: c for c in world.contacts},
            "deals": {d.deal_id: d for d in world.deals},
            **{kind: {e.engagement_id: e for e in es} for kind, es in engagements.items()},
        }
        self.engagements_of: dict[tuple[str, str], list[str]] = {}  # (contact id, type) -> ids
        for kind, es in engagements.items():
            for e in es:
                if e.contact is not None:
                    self.engagements_of.setdefault((e.contact.contact_id, kind), []).append(e.engagement_id)
        self.ordered = {t: sorted(ids, key=int) for t, ids in self.props.items()}
        self.archived: dict[tuple[str, str], int] = {}  # (type, id) -> archivedAt (ms)
        self.merged_into: dict[str, str] = {}  # merged-away contact id -> surviving contact id
        self._originals: dict[tuple[str, str], dict] = {}  # properties before a test changed them

    # ---- the portal's users: tests archive, merge and edit records ---------------------------

    def _touch(self, otype: str, oid: str, at: datetime, **props: str | None) -> None:
        self._originals.setdefault((otype, oid), dict(self.props[otype][oid]))
        self.props[otype][oid].update(props, **{MODIFIED_PROP[otype]: iso_ms(_ms(at))})

    def update(self, otype: str, oid: str, at: datetime, **props: str | None) -> None:
        """A user edits the record at ``at`` (e.g. moves a deal to closedwon): its properties and
        its last modification change."""
        self._touch(otype, oid, at, **props)

    def archive(self, otype: str, oid: str, at: datetime) -> None:
        self.archived[(otype, oid)] = _ms(at)

    def restore(self, otype: str, oid: str) -> None:
        self.archived.pop((otype, oid), None)

    def merge(self, survivor: str, merged: str, at: datetime) -> None:
        """Merges contact ``merged`` into ``survivor`` at ``at``."""
        self.merged_into[merged] = survivor
        ids = [i for i in (self.props["contacts"][survivor]["hs_merged_object_ids"] or "").split(";") if i]
        self._touch("contacts", survivor, at, hs_merged_object_ids=";".join([*ids, merged]))

    def reset(self) -> None:
        """Undoes every archive, merge and edit of the tests."""
        self.archived.clear()
        self.merged_into.clear()
        for (otype, oid), props in self._originals.items():
            self.props[otype][oid] = props
        self._originals.clear()

    def _exists(self, otype: str, oid: str) -> bool:
        return (otype, oid) not in self.archived and not (otype == "contacts" and oid in self.merged_into)

    def handle(self, req: Request, token: str) -> Response:
        cid = correlation_id(req)
        headers = {
            "X-HubSpot-RateLimit-Daily": "250000",
            "X-HubSpot-RateLimit-Daily-Remaining": "249999",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": "100",
            "X-HubSpot-RateLimit-Remaining": "99",
            "X-HubSpot-RateLimit-Secondly": "10",
            "X-HubSpot-RateLimit-Secondly-Remaining": "9",
            "X-HubSpot-Correlation-Id": cid,
        }
        try:
            if req.bearer() != token:
                raise HubSpotError(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            status, body = self._route(req)
            return json_response(status, body, headers)
        except HubSpotError as e:
            body = {"status": "error", "message": e.message, "correlationId": cid, "category": e.category}
            body.update(e.extra)
            return json_response(e.status, body, headers)

    def _route(self, req: Request) -> tuple[int, dict]:
        p, m = req.path.rstrip("/"), req.method
        if (hit := re.fullmatch(r"/crm/v3/objects/(\w+)/search", p)) and m == "POST":
            return 200, self._search(self._type(hit.group(1)), self._body(req), req)
        if (hit := re.fullmatch(r"/crm/v3/objects/(\w+)", p)) and m == "GET":
            return 200, self._list(self._type(hit.group(1)), req)
        if (hit := re.fullmatch(r"/crm/v3/objects/(\w+)/(\d+)", p)) and m == "GET":
            otype = self._type(hit.group(1))
            if hit.group(2) not in self.props[otype] or not self._exists(otype, hit.group(2)):
                raise HubSpotError(404, "OBJECT_NOT_FOUND", "resource not found")
            return 200, self._record(otype, hit.group(2), self._prop_names(otype, req.arg("properties")))
        if (hit := re.fullmatch(r"/crm/v4/associations/(\w+)/(\w+)/batch/read", p)) and m == "POST":
            return self._batch_associations(hit.group(1), hit.group(2), self._body(req))
        if (hit := re.fullmatch(r"/crm/v4/objects/(\w+)/(\d+)/associations/(\w+)", p)) and m == "GET":
            targets = self._associated(self._type(hit.group(1)), hit.group(2), self._type(hit.group(3)))
            kind = ASSOC_TYPE.get((hit.group(1), hit.group(3)))
            return 200, {
                "results": [
                    {
                        "toObjectId": int(t),
                        "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": kind, "label": None}],
                    }
                    for t in targets
                ]
            }
        if p == "/crm/v3/pipelines/deals" and m == "GET":
            return 200, self._pipelines()
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"No route for {m} {req.path}")

    # ---- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _type(name: str) -> str:
        if name in OBJECT_TYPE_IDS:
            return OBJECT_TYPE_IDS[name]
        for plural, singular in SINGULAR.items():
            if name in (plural, singular) and plural in CREATED_PROP:
                return plural
        raise HubSpotError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {name}")

    @staticmethod
    def _body(req: Request) -> dict:
        try:
            body = req.json()
        except ValueError:
            raise HubSpotError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1") from None
        if not isinstance(body, dict):
            raise HubSpotError(400, "VALIDATION_ERROR", "Invalid input JSON: expected an object")
        return body

    @staticmethod
    def _prop_names(otype: str, requested) -> tuple[str, ...]:
        if isinstance(requested, str):
            requested = [p.strip() for p in requested.split(",") if p.strip()]
        names = tuple(requested or DEFAULT_PROPS[otype])
        return tuple(dict.fromkeys(names + ALWAYS_PROPS[otype]))

    def _record(self, otype: str, oid: str, names: tuple[str, ...]) -> dict:
        props = self.props[otype][oid]
        # Unknown property names are left out; known-but-unset ones come back as null.
        record = {
            "id": oid,
            "properties": {n: props[n] for n in sorted(names) if n in props},
            "createdAt": props[CREATED_PROP[otype]],
            "updatedAt": props[MODIFIED_PROP[otype]],
            "archived": (otype, oid) in self.archived,
        }
        if record["archived"]:
            record["archivedAt"] = iso_ms(self.archived[(otype, oid)])
        return record

    # ---- endpoints ---------------------------------------------------------------------------

    def _search(self, otype: str, body: dict, req: Request) -> dict:
        try:
            limit = int(body.get("limit", 10))
            after = int(body.get("after") or 0)
        except (TypeError, ValueError):
            raise HubSpotError(400, "VALIDATION_ERROR", "limit and after must be integers") from None
        if not 0 <= limit <= SEARCH_MAX_LIMIT:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"limit must be between 0 and {SEARCH_MAX_LIMIT} (got {limit})"
            )
        if after >= SEARCH_CAP:  # the real API refuses to page past 10,000 results
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"Search results are capped at {SEARCH_CAP}: after={after} is past the cap",
            )
        groups = body.get("filterGroups") or []
        if (
            len(groups) > 5
            or sum(len(g.get("filters") or []) for g in groups) > 25
            or any(len(g.get("filters") or []) > 10 for g in groups)
        ):
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                "Too many filters: at most 5 filterGroups, 10 filters each, 25 in total",
            )
        ids = [i for i in self.ordered[otype] if self._exists(otype, i)]
        props = self.props[otype]
        if groups:
            ids = [
                i
                for i in ids
                if any(all(_matches(props[i], f) for f in g.get("filters") or []) for g in groups)
            ]
        query = str(body.get("query") or "").strip().lower()
        if query:
            fields = SEARCH_TEXT_PROPS[otype]
            ids = [i for i in ids if any(query in (props[i].get(f) or "").lower() for f in fields)]
        ids = self._sorted(ids, props, body.get("sorts") or [])
        names = self._prop_names(otype, body.get("properties"))
        page = ids[after : after + limit]
        out: dict = {"total": len(ids), "results": [self._record(otype, i, names) for i in page]}
        if after + limit < len(ids) and limit > 0:
            out["paging"] = {"next": {"after": str(after + limit)}}
        return out

    @staticmethod
    def _sorted(ids: list[str], props: dict, sorts: list) -> list[str]:
        if not sorts:
            return ids
        first = sorts[0]
        if isinstance(first, str):
            name, desc = first.lstrip("-"), first.startswith("-")
        else:
            name, desc = first.get("propertyName"), first.get("direction", "ASCENDING") == "DESCENDING"
        try:
            have = [i for i in ids if props[i].get(name) is not None]
            missing = [i for i in ids if props[i].get(name) is None]
            have.sort(key=lambda i: (_typed(name, props[i][name]), int(i)), reverse=desc)
        except (TypeError, ValueError):
            raise HubSpotError(400, "VALIDATION_ERROR", f"Cannot sort by {name}") from None
        return have + missing

    def _list(self, otype: str, req: Request) -> dict:
        try:
            limit = min(LIST_MAX_LIMIT, max(1, int(req.arg("limit", "10"))))
            after = int(req.arg("after") or 0)
        except ValueError:
            raise HubSpotError(400, "VALIDATION_ERROR", "limit and after must be integers") from None
        archived = req.arg("archived", "false") == "true"
        ids = [i for i in self.ordered[otype] if int(i) >= after
               and ((otype, i) in self.archived if archived else self._exists(otype, i))]
        names = self._prop_names(otype, req.arg("properties"))
        assoc = [self._type(a.strip()) for a in (req.arg("associations") or "").split(",") if a.strip()]
        results = []
        for oid in ids[:limit]:
            record = self._record(otype, oid, names)
            if assoc:
                record["associations"] = {
                    t: {
                        "results": [
                            {"id": x, "type": f"{SINGULAR[otype]}_to_{SINGULAR[t]}"}
                            for x in self._associated(otype, oid, t)
                        ]
                    }
                    for t in assoc
                    if self._associated(otype, oid, t)
                }
            results.append(record)
        out: dict = {"results": results}
        if len(ids) > limit:
            nxt = ids[limit]  # the cursor is the next record's id, like HubSpot's
            out["paging"] = {"next": {"after": nxt, "link": req.url_with(after=nxt)}}
        return out

    def _associated(self, from_type: str, oid: str, to_type: str) -> list[str]:
        """Associations follow merges: a merged-away contact's records belong to its survivor."""
        if from_type == "contacts":
            merged = [m for m, s in self.merged_into.items() if s == oid]
            if oid in self.merged_into:
                return []
            return list(dict.fromkeys(t for i in (oid, *merged)
                                      for t in self._raw_associated(from_type, i, to_type)))
        return [self.merged_into.get(t, t) if to_type == "contacts" else t
                for t in self._raw_associated(from_type, oid, to_type)]

    def _raw_associated(self, from_type: str, oid: str, to_type: str) -> list[str]:
        obj = self.objects[from_type].get(oid)
        if obj is None or from_type == to_type:
            return []
        if from_type == "deals":
            return [obj.contact.contact_id] if to_type == "contacts" else []
        if from_type in ("calls", "emails"):  # an engagement logged without a contact has none
            return [obj.contact.contact_id] if to_type == "contacts" and obj.contact else []
        if to_type in ("calls", "emails"):
            return list(self.engagements_of.get((oid, to_type), []))
        return [obj.deal.deal_id] if to_type == "deals" and obj.deal is not None else []

    def _batch_associations(self, from_raw: str, to_raw: str, body: dict) -> tuple[int, dict]:
        from_type, to_type = self._type(from_raw), self._type(to_raw)
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) and "id" in i for i in inputs):
            raise HubSpotError(400, "VALIDATION_ERROR", 'inputs must be a list of {"id": ...} objects')
        if len(inputs) > BATCH_MAX:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Batch input is limited to {BATCH_MAX} inputs (got {len(inputs)})"
            )
        kind = ASSOC_TYPE.get((from_type, to_type))
        if kind is None:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"No association type between {from_raw} and {to_raw}"
            )
        results, errors = [], []
        for item in inputs:
            oid = str(item["id"])
            targets = self._associated(from_type, oid, to_type)
            if targets:
                results.append(
                    {
                        "from": {"id": oid},
                        "to": [
                            {
                                "toObjectId": t,
                                "associationTypes": [
                                    {"category": "HUBSPOT_DEFINED", "typeId": kind, "label": None}
                                ],
                            }
                            for t in targets
                        ],
                    }
                )
            else:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "context": {"fromObjectId": [oid]},
                        "links": {},
                        "message": f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} {oid}.",
                    }
                )
        stamp = iso_ms(self.world.horizon_end_ms)  # deterministic "now": the world's present
        out: dict = {"status": "COMPLETE", "results": results}
        if errors:
            out["numErrors"] = len(errors)
            out["errors"] = errors
        out["startedAt"], out["completedAt"] = stamp, stamp
        return (207 if errors else 200), out

    def _pipelines(self) -> dict:
        stamp = iso_ms(self.world.config.start_ts * 1000 - 365 * 86400 * 1000)
        stages = [
            {
                "label": label,
                "displayOrder": i,
                "metadata": {
                    "isClosed": "true" if sid.startswith("closed") else "false",
                    "probability": prob,
                },
                "id": sid,
                "createdAt": stamp,
                "updatedAt": stamp,
                "archived": False,
            }
            for i, (sid, (label, prob)) in enumerate(STAGE_LABELS.items())
        ]
        return {
            "results": [
                {
                    "label": "Sales Pipeline",
                    "displayOrder": 0,
                    "id": "default",
                    "stages": stages,
                    "createdAt": stamp,
                    "updatedAt": stamp,
                    "archived": False,
                }
            ]
        }
