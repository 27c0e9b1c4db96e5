"""GA4 Data API v1beta ``runReport`` (api_shapes.md §5.1), computed from the same world as the
BigQuery export (``ga4_export.py``), behind Google's JSON errors and the property's token quotas.

Route: ``POST /v1beta/properties/{property_id}:runReport``

The report counts what GA4's own processing would count, so it agrees with the export except
where GA4 itself differs from a warehouse reading the export, on purpose and explainably:

* **Consent mode.** Visitors who denied analytics storage reach GA4 as cookieless pings. GA4's
  behavioural modelling (blended reporting identity) reports them as sessions, users and engaged
  sessions; the export has their hits without a client id or session id, so a warehouse cannot
  sessionise them. The sandbox's "model" is exact: each consent-denied visit is one session and
  one user. A real property's modelled figures are estimates.
* Everything else is equal by construction: a session is one ``ga_session_id`` (no visit in the
  world changes campaign mid-way or crosses midnight), the property's time zone is UTC, and the
  reports are neither thresholded nor sampled, with no ``(other)`` row.

Values are strings, ``date`` is ``YYYYMMDD``, ``rowCount`` is the total of the query whatever the
``limit``/``offset`` (proto3 JSON: ``rows`` is omitted on an empty page, ``rowCount`` when nothing
matches). ``conversions``, the
metric GA4 renamed ``keyEvents``, is refused like any unknown field (400 INVALID_ARGUMENT). Each
request spends tokens of the property's hourly and daily quotas (``quota_limits``; the Standard
property's by default); past them the answer is GA4's 429 RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from social_roi.sandbox import catalog as C
from social_roi.sandbox.ga4_export import _campaign_parts
from social_roi.sandbox.wire import Request, Response, json_response
from social_roi.sandbox.world import Session, World

PREFIX = "/v1beta/properties"
_ROUTE = re.compile(r"^/v1beta/properties/([^/:]+):runReport$")
SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"
QUOTA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas"
KEY_EVENTS = ("generate_lead",)  # the property's key events (Admin > Data display > Key events)
DEFAULT_LIMIT, MAX_LIMIT = 10_000, 250_000
MAX_DIMENSIONS, MAX_METRICS = 9, 10
TOKENS_PER_REQUEST = 10
# Standard property (quotas page): core tokens per property per day / per hour
STANDARD_QUOTA = {"tokensPerDay": 200_000, "tokensPerHour": 40_000}

_DIMENSIONS: dict[str, Callable[[Session], str]] = {
    "date": lambda s: datetime.fromtimestamp(s.ga_session_id, UTC).strftime("%Y%m%d"),
    "sessionDefaultChannelGroup": lambda s: C.CHANNEL_GROUP[s.medium],
    "sessionSource": lambda s: _campaign_parts(s)[0],
    "sessionMedium": lambda s: _campaign_parts(s)[1],
    "sessionCampaignName": lambda s: _campaign_parts(s)[2],
    "sessionSourceMedium": lambda s: " / ".join(_campaign_parts(s)[:2]),
    "sessionManualAdContent": lambda s: _campaign_parts(s)[3] or "(not set)",
    "deviceCategory": lambda s: s.visitor.device[1],
    "country": lambda s: s.visitor.geo[3],
}
# metric -> (type, per-session value); users are counted distinct, ratios derived afterwards
_SUMS: dict[str, tuple[str, Callable[[Session], float]]] = {
    "sessions": ("TYPE_INTEGER", lambda s: 1),
    "engagedSessions": ("TYPE_INTEGER", lambda s: int(s.is_engaged)),
    "userEngagementDuration": ("TYPE_SECONDS", lambda s: s.engagement_ms / 1000),
    "keyEvents": ("TYPE_INTEGER", lambda s: sum(e[2] in KEY_EVENTS for e in s.events)),
    "screenPageViews": ("TYPE_INTEGER", lambda s: sum(e[2] == "page_view" for e in s.events)),
    "eventCount": ("TYPE_INTEGER", lambda s: len(s.events)),
}
_USERS = {"totalUsers": lambda s: True, "newUsers": lambda s: s.events[0][2] == "first_visit"}
_RATIOS = {"engagementRate": ("TYPE_FLOAT", "engagedSessions", "sessions"),
           "averageSessionDuration": ("TYPE_SECONDS", "_duration", "sessions")}
METRIC_TYPES = {**{m: t for m, (t, _f) in _SUMS.items()}, **dict.fromkeys(_USERS, "TYPE_INTEGER"),
                **{m: t for m, (t, _a, _b) in _RATIOS.items()}}


def data_api_error(status: int, state: str, message: str) -> Response:
    """Google's JSON error body, as the Data API sends it."""
    return json_response(status, {"error": {"code": status, "message": message, "status": state}})


def invalid(message: str) -> Response:
    return data_api_error(400, "INVALID_ARGUMENT", message)


@dataclass
class _Cell:
    sums: dict[str, float] = field(default_factory=dict)
    users: dict[str, set] = field(default_factory=dict)


class GA4DataApi:
    def __init__(self, world: World) -> None:
        self.world = world
        self.quota_limits = dict(STANDARD_QUOTA)  # tests lower them to exhaust a quota
        self._consumed = dict.fromkeys(STANDARD_QUOTA, 0)
        self._lock = threading.Lock()
        self.reports: list[dict] = []  # every accepted request body, for tests
        self._by_day: dict[date, list[Session]] = {}
        for s in world.sessions + world.consent_denied_sessions:
            self._by_day.setdefault(datetime.fromtimestamp(s.ga_session_id, UTC).date(), []).append(s)

    def reset_quota(self, *periods: str) -> None:
        """A new hour or day: the tokens of those periods (all by default) return."""
        with self._lock:
            for period in periods or tuple(self._consumed):
                self._consumed[period] = 0

    def handle(self, req: Request, token: str) -> Response:
        if req.bearer() is None:
            return data_api_error(
                401, "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.")
        if req.bearer() != token:
            return data_api_error(
                401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                "login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.")
        route = _ROUTE.match(req.path)
        if route is None or req.method != "POST":
            return data_api_error(404, "NOT_FOUND", f"Method not found: {req.method} {req.path}")
        if route.group(1) != C.GA4_PROPERTY_ID:
            return data_api_error(
                403, "PERMISSION_DENIED",
                "User does not have sufficient permissions for this property. To learn more about "
                "Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/"
                "property-id.")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return invalid("Invalid JSON payload received.")
        if not isinstance(body, dict):
            return invalid("Invalid JSON payload received. Expected an object.")
        exhausted = self._spend_tokens()
        if exhausted is not None:
            return exhausted
        try:
            report = self.run_report(body)
        except ValueError as exc:
            return invalid(str(exc))
        with self._lock:
            self.reports.append(body)
        return json_response(200, report)

    def _spend_tokens(self) -> Response | None:
        with self._lock:
            if self._consumed["tokensPerDay"] + TOKENS_PER_REQUEST > self.quota_limits["tokensPerDay"]:
                return data_api_error(429, "RESOURCE_EXHAUSTED",
                                      "Exhausted property tokens per day. These quota tokens will "
                                      "return tomorrow.")
            if self._consumed["tokensPerHour"] + TOKENS_PER_REQUEST > self.quota_limits["tokensPerHour"]:
                return data_api_error(
                    429, "RESOURCE_EXHAUSTED",
                    "Exhausted property tokens per hour. These quota tokens will return in under "
                    f"an hour. To learn more, see {QUOTA_URL}")
            for period in self._consumed:
                self._consumed[period] += TOKENS_PER_REQUEST
        return None

    def property_quota(self) -> dict:
        with self._lock:
            used = dict(self._consumed)
        return {period: {"consumed": TOKENS_PER_REQUEST,
                         "remaining": max(0, self.quota_limits[period] - used[period])}
                for period in self._consumed} | {
            "concurrentRequests": {"consumed": 0, "remaining": 10},
            "serverErrorsPerProjectPerHour": {"consumed": 0, "remaining": 10},
            "potentiallyThresholdedRequestsPerHour": {"consumed": 0, "remaining": 120},
        }

    # ---- the report ----------------------------------------------------------------------------

    def run_report(self, body: dict) -> dict:
        """The runReport response for a request body; ValueError (400) for what GA4 refuses."""
        first, last = _date_range(body.get("dateRanges"))
        dimensions = _names(body.get("dimensions", []), "dimension", _DIMENSIONS, MAX_DIMENSIONS)
        metrics = _names(body.get("metrics", []), "metric", METRIC_TYPES, MAX_METRICS)
        if not metrics:
            raise ValueError("At least one metric is required.")
        limit = min(_int64(body.get("limit", DEFAULT_LIMIT), "limit"), MAX_LIMIT)
        offset = _int64(body.get("offset", 0), "offset")
        if limit <= 0 or offset < 0:
            raise ValueError("limit must be positive and offset non-negative.")

        cells: dict[tuple[str, ...], _Cell] = {}
        for day in sorted(self._by_day):
            if not first <= day <= last:
                continue
            for s in self._by_day[day]:
                cell = cells.setdefault(tuple(_DIMENSIONS[d](s) for d in dimensions), _Cell())
                for name, (_type, value) in _SUMS.items():
                    cell.sums[name] = cell.sums.get(name, 0) + value(s)
                cell.sums["_duration"] = cell.sums.get("_duration", 0) + (
                    s.events[-1][0] - s.events[0][0]) / 1e6
                for name, counts in _USERS.items():
                    if counts(s):  # a consent-denied visit is a user of its own (modelled)
                        cell.users.setdefault(name, set()).add(id(s) if s.consent_denied
                                                               else s.visitor.user_pseudo_id)
        rows = [(key, [_metric(cell, m) for m in metrics]) for key, cell in cells.items()]
        rows = _ordered(rows, body.get("orderBys"), dimensions, metrics)
        response: dict = {
            "dimensionHeaders": [{"name": d} for d in dimensions],
            "metricHeaders": [{"name": m, "type": METRIC_TYPES[m]} for m in metrics],
        }
        page = rows[offset:offset + limit]
        if page:  # proto3 JSON: an empty list and a zero count are omitted
            response["rows"] = [{"dimensionValues": [{"value": v} for v in key],
                                 "metricValues": [{"value": _render(v, METRIC_TYPES[m])}
                                                  for m, v in zip(metrics, values, strict=True)]}
                                for key, values in page]
        if rows:
            response["rowCount"] = len(rows)
        response["metadata"] = {"currencyCode": "USD", "timeZone": "Etc/UTC"}
        if body.get("returnPropertyQuota"):
            response["propertyQuota"] = self.property_quota()
        response["kind"] = "analyticsData#runReport"
        return response


def _date_range(ranges) -> tuple[date, date]:
    if not isinstance(ranges, list) or not ranges:
        raise ValueError("dateRanges is required.")
    if len(ranges) > 1:
        raise ValueError("The sandbox answers one date range per request.")
    try:
        first = date.fromisoformat(ranges[0]["startDate"])
        last = date.fromisoformat(ranges[0]["endDate"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"Invalid date range {json.dumps(ranges[0])}: dates are YYYY-MM-DD "
                         "(relative dates are not served by the sandbox).") from None
    if first > last:
        raise ValueError("The start date of a date range must be before or equal to its end date.")
    return first, last


def _names(items, kind: str, known, maximum: int) -> list[str]:
    if not isinstance(items, list) or len(items) > maximum:
        raise ValueError(f"Requests are limited to {maximum} {kind}s.")
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in known:
            raise ValueError(f"Field {name} is not a valid {kind}. For a list of valid dimensions "
                             f"and metrics, see {SCHEMA_URL} ")
        if name in names:
            raise ValueError(f"Duplicate {kind} {name}.")
        names.append(name)
    return names


def _int64(value, name: str) -> int:
    """int64 fields are JSON strings or numbers."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise ValueError(f"Invalid value at '{name}' (TYPE_INT64), {json.dumps(value)}")
    return int(value)


def _metric(cell: _Cell, name: str) -> float:
    if name in _USERS:
        return len(cell.users.get(name, ()))
    if name == "userEngagementDuration":  # GA4 reports whole seconds
        return round(cell.sums[name])
    if name in _RATIOS:
        _type, numerator, denominator = _RATIOS[name]
        return cell.sums[numerator] / cell.sums[denominator] if cell.sums[denominator] else 0.0
    return cell.sums[name]


def _render(value: float, type_: str) -> str:
    if type_ == "TYPE_INTEGER":
        return str(int(value))
    if type_ == "TYPE_SECONDS" and float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _ordered(rows: list, order_bys, dimensions: list[str], metrics: list[str]) -> list:
    """GA4's ``orderBys`` (dimension values alphanumerically, metrics numerically, ``desc``);
    without them the first metric descending. Ties keep the dimension values' order."""
    rows = sorted(rows, key=lambda row: row[0])
    if not order_bys:
        return sorted(rows, key=lambda row: -row[1][0])
    if not isinstance(order_bys, list):
        raise ValueError("orderBys must be a list.")
    for order in reversed(order_bys):
        desc = bool(order.get("desc", False)) if isinstance(order, dict) else False
        if isinstance(order, dict) and "dimension" in order:
            name = order["dimension"].get("dimensionName")
            if name not in dimensions:
                raise ValueError(f"OrderBy dimension {name} is not in the request's dimensions.")
            index = dimensions.index(name)
            rows = sorted(rows, key=lambda row, i=index: row[0][i], reverse=desc)
        elif isinstance(order, dict) and "metric" in order:
            name = order["metric"].get("metricName")
            if name not in metrics:
                raise ValueError(f"OrderBy metric {name} is not in the request's metrics.")
            index = metrics.index(name)
            rows = sorted(rows, key=lambda row, i=index: row[1][i], reverse=desc)
        else:
            raise ValueError(f"Invalid orderBy {json.dumps(order)}.")
    return rows
