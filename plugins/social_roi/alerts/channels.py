"""Where alerts go, configured only by Airflow connections (``AIRFLOW_CONN_<ID>``, the UI or a
secrets backend) — README, "Alerts":

* ``social_roi_alerts_webhook`` — Slack-compatible JSON POSTed to the URL in ``password`` (Slack's
  incoming-webhook URL is itself the secret), or in ``host`` for a receiver without one.
* ``social_roi_alerts_smtp`` — a plain-text e-mail; the SMTP provider's connection fields
  (``host``, ``port``, ``login``, ``password``; extras ``from_email``, ``disable_ssl``,
  ``disable_tls``) plus ``to``.

Both take the extras ``attempts`` (default 3), ``retry_delay`` (seconds before the second
attempt, doubling; default 2) and ``timeout`` (seconds per attempt; default 10).

Delivery never raises: the failure being reported stays the task's failure. A refused or lost
alert is logged as an error (after the retries, or at once when retrying cannot help: a webhook
URL the receiver does not know, a recipient the server refuses). No channel configured: one
warning says alerts are off. Logs name a channel by its connection id and host, never by its
URL or password.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

from social_roi.alerts.message import Alert

log = logging.getLogger(__name__)

WEBHOOK_CONN_ID = "social_roi_alerts_webhook"
SMTP_CONN_ID = "social_roi_alerts_smtp"


@dataclass(frozen=True)
class Retries:
    attempts: int = 3
    retry_delay: float = 2.0
    timeout: float = 10.0

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> Retries:
        defaults = cls()
        return cls(attempts=max(1, int(extra.get("attempts", defaults.attempts))),
                   retry_delay=float(extra.get("retry_delay", defaults.retry_delay)),
                   timeout=float(extra.get("timeout", defaults.timeout)))


class DeliveryRefused(Exception):
    """The receiver answered, and said no in a way a retry cannot change."""


class Channel(Protocol):
    retries: Retries

    @property
    def name(self) -> str: ...  # safe to log

    def secrets(self) -> Sequence[str]: ...  # strings that must never reach a log

    def send(self, alert: Alert) -> None: ...


@dataclass(frozen=True)
class Webhook:
    conn_id: str
    url: str = field(repr=False)
    retries: Retries = Retries()

    @classmethod
    def from_connection(cls, conn_id: str, conn: Any) -> Webhook:
        password, host = conn.password or "", conn.host or ""
        if "://" in password:
            url = password
        elif host:
            url = host if "://" in host else f"https://{host}"
            if conn.port:
                parts = urlsplit(url)
                url = parts._replace(netloc=f"{parts.hostname}:{conn.port}").geturl()
        else:
            raise ValueError(f"connection '{conn_id}' holds no webhook URL: put it in password "
                             "(or in host when it carries no secret)")
        return cls(conn_id, url, Retries.from_extra(conn.extra_dejson))

    @property
    def name(self) -> str:
        parts = urlsplit(self.url)
        return f"webhook '{self.conn_id}' ({parts.scheme}://{parts.hostname})"

    def secrets(self) -> Sequence[str]:
        parts = urlsplit(self.url)
        return [s for s in (self.url, parts.path, parts.query, parts.password) if s and len(s) > 1]

    def send(self, alert: Alert) -> None:
        import requests

        response = requests.post(self.url, json=alert.slack_payload(), timeout=self.retries.timeout)
        if response.status_code < 300:
            return
        answer = f"HTTP {response.status_code} {response.text[:200]!r}"
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise DeliveryRefused(answer)  # Slack: invalid_payload, no_service, channel_is_archived…
        raise OSError(answer)  # 5xx, 408, 429: worth another attempt


@dataclass(frozen=True)
class Email:
    conn_id: str
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    security: str = "ssl"  # "ssl", "starttls" or "none"
    retries: Retries = Retries()

    @classmethod
    def from_connection(cls, conn_id: str, conn: Any) -> Email:
        extra = conn.extra_dejson
        to = extra.get("to") or []
        recipients = tuple(a.strip() for a in (to.split(",") if isinstance(to, str) else to) if a.strip())
        sender = extra.get("from_email") or conn.login
        if not conn.host or not recipients or not sender:
            raise ValueError(f"connection '{conn_id}' needs host, extra 'to' (the recipients) and "
                             "extra 'from_email' (or login)")
        if not _flag(extra.get("disable_ssl")):
            security, port = "ssl", 465
        elif not _flag(extra.get("disable_tls")):
            security, port = "starttls", 587
        else:
            security, port = "none", 25
        return cls(conn_id, conn.host, int(conn.port or port), sender, recipients, conn.login or None,
                   conn.password or None, security, Retries.from_extra(extra))

    @property
    def name(self) -> str:
        return f"e-mail '{self.conn_id}' ({self.host}:{self.port})"

    def secrets(self) -> Sequence[str]:
        return [self.password] if self.password else []

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = alert.email_subject()
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(alert.text())
        client = smtplib.SMTP_SSL if self.security == "ssl" else smtplib.SMTP
        kwargs: dict[str, Any] = {"timeout": self.retries.timeout}
        if self.security == "ssl":
            kwargs["context"] = ssl.create_default_context()
        try:
            with client(self.host, self.port, **kwargs) as smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self.login and self.password:
                    smtp.login(self.login, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise DeliveryRefused(f"every recipient refused: SMTP {codes}") from None
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:  # 5xx is permanent in SMTP (535: bad credentials, 554…)
                raise DeliveryRefused(f"SMTP {exc.smtp_code} {exc.smtp_error!r}") from None
            raise


def configured_channels(get_connection: Callable[[str], Any] | None = None) -> list[Channel]:
    """The channels whose Airflow connection exists. A connection that cannot be read or is
    incomplete is logged as an error and left out; the others still get the alert."""
    if get_connection is None:
        from airflow.sdk import Connection

        get_connection = Connection.get
    from airflow.sdk.exceptions import AirflowNotFoundException

    builders: dict[str, Callable[[str, Any], Channel]] = {
        WEBHOOK_CONN_ID: Webhook.from_connection, SMTP_CONN_ID: Email.from_connection}
    channels: list[Channel] = []
    for conn_id, build in builders.items():
        try:
            conn = get_connection(conn_id)
        except AirflowNotFoundException:
            continue
        except Exception as exc:
            log.error("alerts: cannot read Airflow connection '%s' (%s): that channel is off",
                      conn_id, type(exc).__name__)
            continue
        try:
            channel = build(conn_id, conn)
        except (ValueError, TypeError) as exc:
            log.error("alerts: %s: that channel is off", exc)
            continue
        _mask(channel.secrets())
        channels.append(channel)
    return channels


def deliver(alert: Alert, channels: Sequence[Channel] | None = None) -> dict[str, bool]:
    """Send ``alert`` through every channel (default: the configured ones); returns, per
    channel name, whether it was delivered. Never raises."""
    if channels is None:
        try:
            channels = configured_channels()
        except Exception as exc:  # Airflow itself unusable: say so, do not hide the failure
            log.error("alerts: cannot look up the alert connections (%s): alert not sent: %s",
                      type(exc).__name__, alert.title)
            return {}
    if not channels:
        log.warning("alerts are off: no Airflow connection '%s' or '%s'; not sent: %s",
                    WEBHOOK_CONN_ID, SMTP_CONN_ID, alert.title)
        return {}
    return {channel.name: _send(channel, alert) for channel in channels}


def _send(channel: Channel, alert: Alert) -> bool:
    retries = channel.retries
    for attempt in range(1, retries.attempts + 1):
        try:
            channel.send(alert)
        except DeliveryRefused as exc:
            log.error("alerts: %s refused the alert (not retried): %s", channel.name,
                      _safe(exc, channel))
            return False
        except Exception as exc:
            if attempt == retries.attempts:
                log.error("alerts: %s failed %d times, alert not delivered: %s", channel.name,
                          attempt, _safe(exc, channel))
                return False
            delay = retries.retry_delay * 2 ** (attempt - 1)
            log.warning("alerts: %s failed (attempt %d of %d), retrying in %.1f s: %s",
                        channel.name, attempt, retries.attempts, delay, _safe(exc, channel))
            time.sleep(delay)
        else:
            log.info("alerts: sent via %s: %s", channel.name, alert.title)
            return True
    return False


def _safe(error: BaseException, channel: Channel) -> str:
    """The error, without the channel's secrets (a requests error quotes the URL it called)."""
    text = f"{type(error).__name__}: {error}"
    for secret in sorted(channel.secrets(), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text[:500]


def _mask(secrets: Sequence[str]) -> None:
    """Airflow's task logs mask a connection's password, here the whole URL; register its
    parts too (an HTTP library's debug line quotes the path alone)."""
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:
        return
    for secret in secrets:
        mask_secret(secret)


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes")
