"""Errors that name what failed: the source, the entity, the day and, where known, the record."""

from __future__ import annotations

from datetime import date


class SocialRoiError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class SourceError(SocialRoiError):
    """Extraction failed; the message says where, so the operator can act without reading a trace."""

    def __init__(
        self,
        source: str,
        entity: str,
        day: date | None,
        message: str,
        *,
        record_id: str | None = None,
    ) -> None:
        self.source, self.entity, self.day, self.record_id = source, entity, day, record_id
        where = f"{source}/{entity}"
        if day is not None:
            where += f" day={day.isoformat()}"
        if record_id is not None:
            where += f" record={record_id}"
        super().__init__(f"[{where}] {message}")


class SourceAuthError(SourceError):
    """Credentials were refused. Never retried: retrying a revoked token only burns quota."""


class SchemaViolation(SourceError):
    """A record does not match its landing contract (missing required field, wrong type)."""


class SourceQuotaExhausted(SourceError):
    """The API's quota for the period is used up and stayed so through the retries. Retrying
    before the quota resets only burns more of the next one: fail, and rerun after the reset."""


class SourceRequestRefused(SourceError):
    """The API refused the request itself (GA4's 400 INVALID_ARGUMENT: a metric or dimension it
    does not know, such as the retired ``conversions``). The same request fails the same way on
    every retry: fix the connector or the connection, then rerun."""
