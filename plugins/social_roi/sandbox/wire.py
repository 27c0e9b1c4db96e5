"""Transport-neutral request/response types shared by the API families and the server."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

JSON = "application/json; charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]]  # ordered pairs, as sent
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # scheme://host[:port] the client used, for absolute paging links
    raw_query: str = ""  # the query string as sent (Rest.li syntax depends on what is encoded)

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str], body: bytes, base_url: str) -> Request:
        path, _, raw_query = target.partition("?")
        return cls(
            method.upper(),
            path,
            parse_qsl(raw_query, keep_blank_values=True),
            {k.lower(): v for k, v in headers.items()},
            body,
            base_url,
            raw_query,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in reversed(self.query):
            if key == name:
                return value
        return default

    def bearer(self) -> str | None:
        auth = self.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None

    def json(self):
        return json.loads(self.body.decode("utf-8") or "null")

    def url_with(self, **params: str | None) -> str:
        """Absolute URL of this request with some query params replaced (None drops them)."""
        pairs = [(k, v) for k, v in self.query if k not in params]
        pairs += [(k, v) for k, v in params.items() if v is not None]
        return f"{self.base_url}{self.path}?{urlencode(pairs)}"

    def digest(self) -> bytes:
        """Stable fingerprint of the request (for deterministic trace/correlation ids)."""
        h = hashlib.sha256(f"{self.method} {self.path}?{urlencode(self.query)}".encode())
        h.update(self.body)
        return h.digest()


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON


def dumps(obj) -> bytes:
    # Compact like the real APIs; key order is insertion order, so output is deterministic.
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_response(status: int, obj, headers: dict[str, str] | None = None) -> Response:
    return Response(status, dumps(obj), dict(headers or {}))


def trace_id(req: Request, n: int = 23) -> str:
    return base64.urlsafe_b64encode(req.digest()).decode()[:n]


def correlation_id(req: Request) -> str:
    return str(uuid.UUID(bytes=req.digest()[:16], version=4))


def encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"sandbox-cursor:{index}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Inverse of encode_cursor; raises ValueError for anything else."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    prefix, _, index = raw.partition(":")
    if prefix != "sandbox-cursor" or not index.isdigit():
        raise ValueError(cursor)
    return int(index)


class Clock:
    """An API's present (X, Salesforce), in epoch seconds: starts at ``start`` and runs at
    wall-clock speed; ``set`` moves it (a test playing a daily schedule)."""

    def __init__(self, start: float) -> None:
        self._offset = start - time.time()

    def now(self) -> float:
        return time.time() + self._offset

    def set(self, moment: datetime) -> None:
        self._offset = moment.timestamp() - time.time()
