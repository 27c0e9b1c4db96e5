"""Injected failures: each API's real throttling / server error replies (api_shapes.md §1.4, §3.1, §4.4,
§5.1, §6.4, §7.3, §8.1).

Helpers return keyword arguments for ``SandboxServer.add_fault``::

    server.add_fault("/crm/v3/objects/contacts/search", **hubspot_rate_limit(retry_after=1))
    server.add_fault(f"/v24.0/act_{AD_ACCOUNT_ID}/insights", times=2, **meta_throttle(80000))
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Response, dumps


def _compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


META_THROTTLES = {
    4: ("(#4) Application request limit reached", None),
    17: ("(#17) User request limit reached", 2446079),
    32: ("(#32) Page request limited reached", None),
    613: ("(#613) Calls to this api have exceeded the rate limit.", None),
    80000: (
        "(#80000) There have been too many calls from this ad-account. Wait a bit and try again. "
        "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
        "rate-limiting.",
        2446079,
    ),
    80001: (
        "(#80001) There have been too many calls to this Page account. Wait a bit and try again. "
        "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/"
        "rate-limiting.",
        2446079,
    ),
    80002: (
        "(#80002) There have been too many calls to this Instagram account. Wait a bit and try "
        "again. For more info, please refer to https://developers.facebook.com/docs/graph-api/"
        "overview/rate-limiting.",
        2446079,
    ),
}
_BUC_TYPE = {80000: "ads_insights", 80001: "pages", 80002: "instagram", 613: "ads_insights", 32: "pages"}


def meta_throttle(code: int = 17, *, regain_minutes: int = 1, business_id: str | None = None) -> dict:
    """Meta throttling: HTTP 400 (never 429), error code in the body, usage headers at 100 %."""
    message, subcode = META_THROTTLES[code]
    kind = _BUC_TYPE.get(code, "ads_insights")
    owner = business_id or {"pages": C.PAGE_ID, "instagram": C.IG_USER_ID}.get(kind, C.AD_ACCOUNT_ID)
    err: dict = {"message": message, "type": "OAuthException", "is_transient": True, "code": code}
    if subcode:
        err["error_subcode"] = subcode
    err["fbtrace_id"] = f"SandboxThrottle{code}"
    return {
        "status": 400,
        "body": {"error": err},
        "headers": {
            "X-App-Usage": _compact({"call_count": 100, "total_cputime": 30, "total_time": 40}),
            "X-Business-Use-Case-Usage": _compact(
                {
                    owner: [
                        {
                            "type": kind,
                            "call_count": 100,
                            "total_cputime": 30,
                            "total_time": 40,
                            "estimated_time_to_regain_access": regain_minutes,
                        }
                    ]
                }
            ),
        },
    }


def meta_server_error(status: int = 500) -> dict:
    """Meta's unknown/transient failure (code 1 / code 2)."""
    if status >= 500:
        err = {
            "message": "An unknown error occurred",
            "type": "OAuthException",
            "is_transient": True,
            "code": 1,
            "error_subcode": 99,
            "fbtrace_id": "SandboxUnknown",
        }
    else:
        err = {
            "message": "(#2) Service temporarily unavailable",
            "type": "OAuthException",
            "is_transient": True,
            "code": 2,
            "fbtrace_id": "SandboxUnavailable",
        }
    return {"status": status, "body": {"error": err}}


def hubspot_rate_limit(retry_after: int = 1, policy: str = "SECONDLY") -> dict:
    """HubSpot 429 (recorded shape) with Retry-After in seconds."""
    message = {
        "SECONDLY": "You have reached your secondly limit.",
        "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
        "DAILY": "You have reached your daily limit.",
    }[policy]
    return {
        "status": 429,
        "headers": {"Retry-After": str(retry_after)},
        "body": {
            "status": "error",
            "message": message,
            "errorType": "RATE_LIMIT",
            "correlationId": "de61843f-b3ab-4bc1-8c54-358e37eb0621",
            "policyName": policy,
            "category": "RATE_LIMITS",
        },
    }


def hubspot_server_error(status: int = 502) -> dict:
    return {
        "status": status,
        "body": {
            "status": "error",
            "message": "internal error",
            "correlationId": "0b5f9d3c-1e2a-4c1b-9b7e-5d7a8c0f1e2d",
            "category": "INTERNAL_ERROR",
        },
    }


def google_error(status: int = 503) -> dict:
    """Google JSON error (GCS / GA4): 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE."""
    state, message = {
        429: ("RESOURCE_EXHAUSTED", "The rate of requests exceeds the rate limit."),
        500: ("INTERNAL", "Internal error encountered."),
        502: ("UNAVAILABLE", "Bad gateway."),
        503: ("UNAVAILABLE", "The service is currently unavailable."),
    }[status]
    return {"status": status, "body": {"error": {"code": status, "message": message, "status": state}}}


GA4_QUOTA_MESSAGES = {
    "hour": "Exhausted property tokens per hour for a project per property. These quota tokens will "
            "return in under an hour. To learn more, see "
            "https://developers.google.com/analytics/devguides/reporting/data/v1/quotas",
    "day": "Exhausted property tokens per day. These quota tokens will return tomorrow.",
}


def ga4_quota_exhausted(period: str = "hour") -> dict:
    """The GA4 Data API's 429 RESOURCE_EXHAUSTED (api_shapes.md §5.1): no Retry-After; the hourly
    tokens return within the hour, the daily ones at midnight Pacific time."""
    message = GA4_QUOTA_MESSAGES[period]
    return {"status": 429, "body": {"error": {"code": 429, "message": message,
                                              "status": "RESOURCE_EXHAUSTED"}}}


def brandwatch_rate_limit(retry_after: int = 1) -> dict:
    """Brandwatch answers 429 past 30 requests per 10-minute window, in its error envelope."""
    return {
        "status": 429,
        "headers": {"Retry-After": str(retry_after)},
        "body": {"errors": [{"code": 429, "message": "Rate limit exceeded: 30 requests per 10 minutes. "
                             "Please wait before making further requests."}]},
    }


def x_server_error(status: int = 503) -> dict:
    """X API v2 server errors: problem+json (its 429 comes from the sandbox's rate limiter, with
    the x-rate-limit-* headers of the window)."""
    title = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
             504: "Gateway Timeout"}[status]
    return {"status": status, "body": {"title": title, "detail": title, "type": "about:blank",
                                       "status": status}}


def linkedin_throttle() -> dict:
    """LinkedIn's 429 (application or member daily quota, or infrastructure protection): no
    Retry-After and no rate-limit headers; the quotas reset at midnight UTC."""
    return {
        "status": 429,
        "headers": {},
        "body": {"status": 429, "serviceErrorCode": 101, "code": "TOO_MANY_REQUESTS",
                 "message": "Resource level throttle limit for calls to this resource is reached."},
    }


def linkedin_expired_token() -> dict:
    """An access token past its 60 days (or revoked: code REVOKED_ACCESS_TOKEN)."""
    return {
        "status": 401,
        "body": {"status": 401, "serviceErrorCode": 65601, "code": "EXPIRED_ACCESS_TOKEN",
                 "message": "The token used in the request has expired"},
    }


def linkedin_server_error(status: int = 500) -> dict:
    return {"status": status, "body": {"status": status, "code": "INTERNAL_SERVER_ERROR",
                                       "message": "Internal Server Error"}}


def salesforce_error(status: int = 403, code: str | None = None, message: str | None = None) -> dict:
    """Salesforce's error array (api_shapes.md §7.3): 401 ``INVALID_SESSION_ID`` (an expired or
    revoked access token), 403 ``REQUEST_LIMIT_EXCEEDED`` (the org's rolling 24-hour API
    allocation used up; also the concurrent long-running request limit, "ConcurrentPerOrgLongTxn"),
    503 ``SERVER_UNAVAILABLE``, 500 ``UNKNOWN_EXCEPTION``, 400 ``INVALID_QUERY_LOCATOR`` (a query
    locator unused for 15 minutes)."""
    default_code, default_message = {
        400: ("INVALID_QUERY_LOCATOR", "invalid query locator"),
        401: ("INVALID_SESSION_ID", "Session expired or invalid"),
        403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
        500: ("UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId if you "
                                   "contact support: 1937392043-41337 (-1234567890)"),
        503: ("SERVER_UNAVAILABLE", "Server is temporarily unavailable. Please try again later."),
    }[status]
    headers = {"Sforce-Limit-Info": "api-usage=15000/15000"} if status == 403 else {}
    return {"status": status, "headers": headers,
            "body": [{"message": message or default_message, "errorCode": code or default_code}]}


def server_error(status: int = 500) -> dict:
    """A bare 5xx from a load balancer: plain text body."""
    return {"status": status, "body": f"{status} Server Error", "headers": {}}


PRESETS = {
    "meta_throttle": meta_throttle,
    "meta_server_error": meta_server_error,
    "hubspot_rate_limit": hubspot_rate_limit,
    "hubspot_server_error": hubspot_server_error,
    "google_error": google_error,
    "ga4_quota_exhausted": ga4_quota_exhausted,
    "brandwatch_rate_limit": brandwatch_rate_limit,
    "x_server_error": x_server_error,
    "linkedin_throttle": linkedin_throttle,
    "linkedin_expired_token": linkedin_expired_token,
    "linkedin_server_error": linkedin_server_error,
    "salesforce_error": salesforce_error,
    "server_error": server_error,
}


@dataclass
class Fault:
    path_prefix: str
    status: int
    times: int = 1
    headers: dict | None = None
    body: object = None
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and path.startswith(self.path_prefix)
            and (self.method is None or self.method.upper() == method)
        )

    def response(self) -> Response:
        if self.body is None:
            body, ctype = b"", "text/plain; charset=utf-8"
        elif isinstance(self.body, bytes):
            body, ctype = self.body, "application/octet-stream"
        elif isinstance(self.body, str):
            body, ctype = self.body.encode(), "text/plain; charset=utf-8"
        else:
            body, ctype = dumps(self.body), "application/json; charset=UTF-8"
        return Response(self.status, body, dict(self.headers or {}), ctype)

    def describe(self) -> dict:
        return {
            "path_prefix": self.path_prefix,
            "status": self.status,
            "times": self.times,
            "method": self.method,
        }


class FaultQueue:
    """Thread-safe list of pending faults; the first matching one answers and is used up."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Response | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault.response()
        return None

    def pending(self) -> list[dict]:
        with self._lock:
            return [f.describe() for f in self._faults]
