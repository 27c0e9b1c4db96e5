"""What every connector shares: configuration, the HTTP client (paging, retries, auth errors,
exhausted quotas), the landing contract check (with the fields an API added kept, not dropped),
and the fetch-everything-then-land sequence.

A connector only knows its API: which endpoints, which paginator, how to flatten a record.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from dlt.sources.helpers.requests import Client
from dlt.sources.helpers.requests.retry import DEFAULT_RETRY_STATUS
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.paginators import BasePaginator
from requests import HTTPError, PreparedRequest, RequestException, Response
from requests.adapters import HTTPAdapter

from social_roi import landing
from social_roi.errors import SchemaViolation, SourceAuthError, SourceError, SourceQuotaExhausted

log = logging.getLogger(__name__)

RetryPredicate = Callable[[Response | None, BaseException | None], bool]


@dataclass(frozen=True)
class SourceConfig:
    """Connection settings of one source. Built from an Airflow connection (``from_airflow``) in
    DAGs, or directly in tests. The token is never logged (``repr`` hides it)."""

    conn_id: str
    base_url: str
    token: str = field(repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict)
    max_attempts: int = 5
    backoff_factor: float = 1.0
    max_retry_delay: float = 300.0

    @classmethod
    def from_airflow(cls, conn_id: str) -> SourceConfig:
        from airflow.sdk import Connection  # heavy import: only inside tasks

        conn = Connection.get(conn_id)
        return cls.from_fields(conn_id, conn.host, conn.password, conn.extra_dejson,
                               conn_type=conn.conn_type, port=conn.port)

    @classmethod
    def from_fields(cls, conn_id: str, host: str | None, password: str | None,
                    extra: Mapping[str, Any], *, conn_type: str | None = None,
                    port: int | None = None) -> SourceConfig:
        """From an Airflow connection's fields (also what an ``AIRFLOW_CONN_<ID>`` JSON holds)."""
        host = host or ""
        base_url = host if "://" in host else f"{conn_type or 'https'}://{host}"
        if port:
            base_url = f"{base_url}:{port}"
        retry = {k: type(v)(extra[k]) for k, v in _RETRY_DEFAULTS.items() if k in extra}
        return cls(conn_id, base_url.rstrip("/"), password or "", extra, **retry)

    def require(self, key: str) -> str:
        try:
            return str(self.extra[key])
        except KeyError:
            raise SourceError(
                self.conn_id, "config", None, f"connection extra is missing '{key}'"
            ) from None


_RETRY_DEFAULTS = {"max_attempts": 5, "backoff_factor": 1.0, "max_retry_delay": 300.0}


class _ExpectedRaiseForStatus(logging.Filter):
    """dlt warns whenever a REST client gets a session that raises on HTTP errors. Ours does on
    purpose (its retries hinge on it), so the warning is noise on every request of every day."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "raise_for_status enabled" not in record.getMessage()


logging.getLogger("dlt").addFilter(_ExpectedRaiseForStatus())


def rest_client(
    config: SourceConfig,
    *,
    auth: Any,
    paginator: BasePaginator | None = None,
    retry_condition: RetryPredicate | None = None,
    rate_limit: RateLimitHeaders | None = None,
    throttle_wait: Callable[[Response], float | None] | None = None,
    headers: Mapping[str, str] | None = None,
    retry_statuses: Sequence[int] = DEFAULT_RETRY_STATUS,
) -> RESTClient:
    """dlt's REST client: retries 429 and 5xx with exponential backoff (``backoff_factor`` × 2^n
    seconds, at most ``max_retry_delay``, ``max_attempts`` tries; a Retry-After header, when the
    API sends one, sets the wait instead), plus any API-specific retryable answer
    (``retry_condition``); 4xx auth errors are not retried. An API that announces its rate-limit
    window in headers (``rate_limit``) is waited for until the window resets, and one that says
    how long a throttled caller must wait in its own way (``throttle_wait``: seconds, or None) is
    waited for that long; never longer than the connection's ``max_retry_delay``. ``headers`` go
    on every request. ``retry_statuses`` (default 429 and 5xx) are the statuses dlt retries
    itself: a connector that must tell a retryable 429 from a final one (GA4's hourly vs daily
    quota) leaves 429 out and retries it on its own."""
    session = Client(
        request_max_attempts=config.max_attempts,
        request_backoff_factor=config.backoff_factor,
        request_max_retry_delay=config.max_retry_delay,
        retry_condition=retry_condition,
        status_codes=retry_statuses,
        raise_for_status=True,
    ).session
    if rate_limit is not None or throttle_wait is not None:
        adapter = RateLimitAdapter(config.conn_id, rate_limit, config.max_retry_delay, throttle_wait)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return RESTClient(base_url=config.base_url, auth=auth, paginator=paginator, session=session,
                      headers=dict(headers or {}))


@dataclass(frozen=True)
class RateLimitHeaders:
    """The headers in which an API announces its rate-limit window: the calls left in it, and when
    it resets (UTC epoch seconds). X sends ``x-rate-limit-remaining`` / ``x-rate-limit-reset``."""

    remaining: str
    reset: str


class RateLimitAdapter(HTTPAdapter):
    """Waits for an API's rate-limit window instead of guessing with backoff.

    * A call that used the window's last request (remaining 0) makes the next call to the same
      endpoint (URL path) wait until the reset.
    * A 429 without ``Retry-After`` gets one computed from the reset, so dlt's retry (which honours
      ``Retry-After``, capped at ``max_retry_delay``) sleeps exactly until the window reopens; an
      answer without the headers falls back to dlt's exponential backoff.

    * An API that signals throttling its own way (Meta: HTTP 400 with a usage header saying when
      access returns) gets a ``Retry-After`` from ``throttle_wait(response)``, capped at
      ``max_wait``.

    The time to wait is measured on the server's clock (reset minus the answer's ``Date``), so a
    client whose clock is off cannot cut the wait short or drag it out. Sits below dlt's retries
    (a transport adapter sees every attempt, before any response hook)."""

    def __init__(self, conn_id: str, headers: RateLimitHeaders | None, max_wait: float,
                 throttle_wait: Callable[[Response], float | None] | None = None) -> None:
        super().__init__()
        self.conn_id, self.headers, self.max_wait = conn_id, headers, max_wait
        self.throttle_wait = throttle_wait
        self._ready_at: dict[str, float] = {}  # endpoint -> time.monotonic() when it reopens
        self._lock = threading.Lock()

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        endpoint = urlsplit(request.url or "").path
        with self._lock:
            ready_at = self._ready_at.pop(endpoint, 0.0)
        pause = ready_at - time.monotonic()
        if pause > 0:
            log.warning("%s: rate-limit window of %s used up: waiting %.1f s until it resets",
                        self.conn_id, endpoint, pause)
            time.sleep(pause)
        response = super().send(request, *args, **kwargs)
        wait = self.throttle_wait(response) if self.throttle_wait is not None else None
        if wait is not None and "Retry-After" not in response.headers:
            wait = min(wait, self.max_wait)
            log.warning("%s: throttled by the API at %s: waiting %.0f s, as it asks", self.conn_id,
                        endpoint, wait)
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        seconds = self.seconds_to_reset(response)
        if seconds is None:
            return response
        if response.status_code == 429:
            response.headers.setdefault("Retry-After", str(max(1, math.ceil(seconds))))
        elif response.headers.get(self.headers.remaining, "").strip() == "0":
            with self._lock:
                self._ready_at[endpoint] = time.monotonic() + min(seconds, self.max_wait)
        return response

    def seconds_to_reset(self, response: Response) -> float | None:
        """Seconds until the window resets by the server's clock; None without the headers."""
        if self.headers is None:
            return None
        try:
            reset = float(response.headers[self.headers.reset])
        except (KeyError, ValueError):
            return None
        try:
            now = parsedate_to_datetime(response.headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError):
            now = time.time()
        return max(0.0, reset - now)


@dataclass(frozen=True)
class Entity:
    """The landing contract of one entity: its Arrow schema (non-nullable = required) and the
    field that identifies a record in error messages.

    A platform that revises past days (Meta ads: 28 days) is re-pulled over ``restated_days``
    days ending with the run's day, and each of them is landed in its own partition, by the
    date in ``day_field``: the landing zone keeps one current version per day. ``sticky`` names
    fields an API stops serving after a while (X's non-public metrics, 30 days): a rerun that
    gets NULL for them keeps the values the day landed before, for the same record, instead of
    forgetting them."""

    name: str
    schema: pa.Schema
    id_field: str
    restated_days: int = 1
    day_field: str | None = None
    sticky: tuple[str, ...] = ()

    def days(self, day: date) -> list[date]:
        """The partitions a run for ``day`` writes, oldest first."""
        return [day - timedelta(days=back) for back in range(self.restated_days - 1, -1, -1)]


# Schema drift: a field the API added, that the connector does not know, is not dropped. An entity
# whose contract has this column lands such fields there, as a JSON object keyed by the field's
# path in the API record; the landing logs a warning naming them and the day's status file lists
# them, so the new field is visible before anyone adds it to the contract.
EXTRA_FIELDS = "extra_fields"
EXTRA_FIELD = pa.field(EXTRA_FIELDS, pa.string())


# The known fields of a record as a tree: name -> its known children, or None when the field is
# known whole (nothing inside it is looked at).
FieldTree = dict[str, "FieldTree | None"]


def field_tree(paths: Iterable[str]) -> FieldTree:
    """Dotted paths (``public_metrics.like_count``) as a ``FieldTree``; a path that names a field
    whole (``public_metrics``) wins over paths inside it."""
    tree: FieldTree = {}
    for path in paths:
        *parents, leaf = path.split(".")
        node: FieldTree | None = tree
        for part in parents:
            node = node.setdefault(part, {})
            if node is None:
                break
        else:
            node[leaf] = None
    return tree


def unknown_fields(record: Mapping[str, Any] | None, known: Collection[str] | FieldTree,
                   prefix: str = "") -> dict[str, Any]:
    """The fields of an API record (or of a nested object, under ``prefix``) outside ``known``:
    what a row builder puts under ``EXTRA_FIELDS``. Nested objects are named by path
    (``public_metrics.view_count``) when ``known`` names the parent's fields that way; a parent
    not named in ``known`` at all is reported whole, a known parent that is null is not drift.
    A list of objects is looked into element by element: a key none of its elements should have
    is named by path too (``items.new_key``, BigQuery's notation) with one value per element
    (null where the element lacks it). ``known``: dotted paths, or a ``field_tree`` of them
    built once (a connector that checks many records)."""
    tree = known if isinstance(known, dict) else field_tree(known)
    extra: dict[str, Any] = {}
    for key, value in (record or {}).items():
        if key not in tree:
            extra[f"{prefix}{key}"] = value
            continue
        children = tree[key]
        if children is None or value is None:
            continue
        if isinstance(value, Mapping):
            extra.update(unknown_fields(value, children, f"{prefix}{key}."))
        elif isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            per_item = [unknown_fields(item, children) for item in value]
            for path in dict.fromkeys(path for item in per_item for path in item):
                extra[f"{prefix}{key}.{path}"] = [item.get(path) for item in per_item]
        else:  # a scalar where the API used to send an object
            extra[f"{prefix}{key}"] = value
    return extra


def unknown_field_names(entity: Entity, rows: list[dict[str, Any]]) -> list[str]:
    if EXTRA_FIELDS not in entity.schema.names:
        return []
    names: set[str] = set()
    for row in rows:
        extra = row.get(EXTRA_FIELDS)
        if isinstance(extra, str):
            extra = json.loads(extra)
        names.update(extra or {})
    return sorted(names)


def _keep_unknown_fields(source: str, entity: Entity, day: date,
                         rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if EXTRA_FIELDS not in entity.schema.names:
        return rows
    names = unknown_field_names(entity, rows)
    if names:
        carrying = [index for index, row in enumerate(rows) if row.get(EXTRA_FIELDS)]
        sample = rows[carrying[0]]
        extra = _json_object(sample[EXTRA_FIELDS])
        log.warning("[%s/%s day=%s] %d record(s) carry field(s) the landing contract does not know: "
                    "%s; landed as JSON in '%s' (add them to the %s connector's landing contract, "
                    "social_roi/connectors/, to model them). Sample: %s %s carries %s", source,
                    entity.name, day, len(carrying), ", ".join(names), EXTRA_FIELDS, source,
                    entity.id_field, _record_ref(entity, sample, carrying[0]), _shortened(extra))
    return [{**row, EXTRA_FIELDS: _json_object(row.get(EXTRA_FIELDS))} for row in rows]


def _shortened(text: str | None, limit: int = 500) -> str | None:
    return text if text is None or len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _json_object(extra: Any) -> str | None:
    if isinstance(extra, dict):
        return json.dumps(extra, sort_keys=True, default=str) if extra else None
    return extra or None


def to_table(source: str, entity: Entity, day: date, rows: list[dict[str, Any]]) -> pa.Table:
    """Check every row against the contract; on violation name the record and the field."""
    rows = _keep_unknown_fields(source, entity, day, rows)
    required = [f.name for f in entity.schema if not f.nullable]
    for index, row in enumerate(rows):
        missing = [name for name in required if row.get(name) is None]
        if missing:
            raise SchemaViolation(
                source, entity.name, day, f"required field(s) missing: {', '.join(missing)}",
                record_id=_record_ref(entity, row, index),
            )
    try:
        return pa.Table.from_pylist(rows, schema=entity.schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        pass
    for index, row in enumerate(rows):  # slow path, on failure only: find the record and field
        for f in entity.schema:
            try:
                pa.array([row.get(f.name)], type=f.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
                raise SchemaViolation(
                    source, entity.name, day,
                    f"field '{f.name}' has {type(row.get(f.name)).__name__} "
                    f"{row.get(f.name)!r}, expected {f.type}: {exc}",
                    record_id=_record_ref(entity, row, index),
                ) from None
    raise SchemaViolation(source, entity.name, day, "rows do not match the landing schema")


def _record_ref(entity: Entity, row: dict[str, Any], index: int) -> str:
    """The record's id, or when the id itself is missing, its position and known fields."""
    if row.get(entity.id_field) is not None:
        return str(row[entity.id_field])
    known = {k: v for k, v in row.items() if v is not None}
    return f"#{index + 1} of the day without {entity.id_field} {str(known)[:200]}"


def paged(*args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every record of every page; same arguments and error handling as ``pages``."""
    for page in pages(*args, **kwargs):
        yield from page


def pages(
    client: RESTClient,
    source: str,
    entity: str,
    day: date,
    path: str,
    *,
    conn_id: str,
    auth_error: Callable[[Response], bool] | None = None,
    quota_reset: str | None = None,
    quota_error: Callable[[Response], bool] | None = None,
    error_text: Callable[[Response], str] | None = None,
    **kwargs: Any,
) -> Iterator[Any]:
    """Every page of ``path`` (``page.response`` gives totals). HTTP failures that survive the
    client's retries become errors naming the source, entity and day; refused credentials
    (401, or the API's own ``auth_error`` answer) become ``SourceAuthError``; a 429 that outlasts
    the retries of an API with a periodic quota (``quota_reset`` says when it resets), or the
    API's own "quota used up" answer (``quota_error``: Salesforce's 403), becomes
    ``SourceQuotaExhausted``. ``error_text`` turns an error body into the message's "API said"
    (default: the body's first 500 characters)."""
    try:
        yield from client.paginate(path, **kwargs)
    except HTTPError as exc:
        raise http_error(source, entity, day, exc.response, conn_id, auth_error, quota_reset,
                         quota_error, error_text) from exc
    except RequestException as exc:
        raise SourceError(source, entity, day, f"API unreachable after retries: {exc}") from exc


def split_while_capped(
    fetch: Callable[[datetime, datetime], Iterator[Any]],
    total_of: Callable[[Any], int],
    start: datetime,
    end: datetime,
    cap: int,
    *,
    source: str,
    entity: str,
    day: date,
) -> list[Any]:
    """Every record of the window ``[start, end)``. ``fetch(start, end)`` yields its pages and
    ``total_of(page)`` the API's result count; while that count is above what the API lets a
    client page through (``cap``), the window is halved (on millisecond bounds, the finest
    precision these APIs take) and each half fetched on its own."""
    records: list[Any] = []
    for page in fetch(start, end):
        total = total_of(page)
        if total > cap:
            if end - start <= timedelta(milliseconds=1):
                raise SourceError(source, entity, day,
                                  f"{total} records within one millisecond at {start}: cannot "
                                  "split the window further")
            middle = start + (end - start) / 2
            middle = max(middle - timedelta(microseconds=middle.microsecond % 1000),
                         start + timedelta(milliseconds=1))
            args = (fetch, total_of)
            kwargs = {"source": source, "entity": entity, "day": day}
            return (split_while_capped(*args, start, middle, cap, **kwargs)
                    + split_while_capped(*args, middle, end, cap, **kwargs))
        records.extend(page)
    return records


def http_error(
    source: str,
    entity: str,
    day: date,
    response: Response | None,
    conn_id: str,
    auth_error: Callable[[Response], bool] | None = None,
    quota_reset: str | None = None,
    quota_error: Callable[[Response], bool] | None = None,
    error_text: Callable[[Response], str] | None = None,
) -> SourceError:
    if response is None:
        return SourceError(source, entity, day, "no response from the API")
    url = response.url.split("?")[0]  # the query may carry an access token
    body = error_text(response) if error_text is not None else response.text[:500]
    if quota_error is not None and quota_error(response):
        return SourceQuotaExhausted(
            source, entity, day,
            f"the API quota of the Airflow connection '{conn_id}' is used up (HTTP "
            f"{response.status_code} from {url}). It resets {quota_reset}; rerun the day after that. "
            f"API said: {body}",
        )
    if response.status_code == 401 or (auth_error is not None and auth_error(response)):
        return SourceAuthError(
            source, entity, day,
            f"credentials refused (HTTP {response.status_code} from {url}): renew the Airflow "
            f"connection '{conn_id}'. API said: {body}",
        )
    if response.status_code == 429 and quota_reset:
        return SourceQuotaExhausted(
            source, entity, day,
            f"still rate limited after every retry (HTTP 429 from {url}): the API quota of the "
            f"Airflow connection '{conn_id}' is used up. It resets {quota_reset}; rerun the day "
            f"after that. API said: {body}",
        )
    return SourceError(source, entity, day, f"HTTP {response.status_code} from {url}: {body}")


def land_day(
    connector: ModuleType, config: SourceConfig, day: date, landing_root: Path
) -> dict[str, int]:
    """Fetch every entity of the day first, check them, then land them. If any page fails after
    its retries, nothing of the day is written and the previous files stay as they were.

    An entity whose rows are ``None`` is a snapshot the API can no longer take for that day (X's
    follower count exists only "now"): a rerun keeps the partition landed when the day was
    current, and a day that never had one gets an empty partition ("not observed").

    A connector may describe the day beyond row counts (``day_details(rows_by_entity)``: GA4's
    consent-denied events, a report's thresholding): the details are logged and written to the
    day's status file."""
    rows_by_entity: dict[str, list[dict[str, Any]] | None] = connector.fetch_day(config, day)
    partitions: dict[str, dict[date, pa.Table]] = {}
    kept: dict[str, int] = {}
    for entity in connector.ENTITIES:
        records = rows_by_entity[entity.name]
        existing = landing.partition_file(landing_root, connector.SOURCE, entity.name, day)
        if records is None and existing.is_file():
            kept[entity.name] = pq.read_metadata(existing).num_rows
            continue
        if records and entity.sticky and existing.is_file():
            records = _carry_over(entity, records, existing)
        table = to_table(connector.SOURCE, entity, day, records or [])
        partitions[entity.name] = _by_day(connector.SOURCE, entity, day, table)
    drift = {entity.name: names for entity in connector.ENTITIES if entity.name in partitions
             and (names := unknown_field_names(entity, rows_by_entity[entity.name] or []))}
    write_contracts(connector, landing_root)
    for name, tables in partitions.items():
        for partition_day, table in tables.items():
            landing.write_partition(landing_root, connector.SOURCE, name, partition_day, table)
        if len(tables) > 1:
            log.info("landed %s/%s %s to %s (restated): %d rows", connector.SOURCE, name,
                     min(tables), max(tables), sum(t.num_rows for t in tables.values()))
        else:
            log.info("landed %s/%s %s: %d rows", connector.SOURCE, name, day, tables[day].num_rows)
    for name, count in kept.items():
        log.info("kept %s/%s %s as landed before (%d rows): the API cannot restate it",
                 connector.SOURCE, name, day, count)
    counts = {name: sum(t.num_rows for t in tables.values()) for name, tables in partitions.items()}
    rows = {entity.name: (counts | kept)[entity.name] for entity in connector.ENTITIES}
    describe = getattr(connector, "day_details", None)
    details = describe(rows_by_entity) if describe is not None else None
    if details:
        log.info("%s %s: %s", connector.SOURCE, day, json.dumps(details, sort_keys=True))
    landing.write_status(landing_root, connector.SOURCE, day, configured=True, rows=rows,
                         unknown_fields=drift, details=details)
    return rows


def _by_day(source: str, entity: Entity, day: date, table: pa.Table) -> dict[date, pa.Table]:
    """The table split into the partitions the run writes (every one, empty or not)."""
    days = entity.days(day)
    if len(days) == 1:
        return {day: table}
    column = table.column(entity.day_field)
    outside = pc.invert(pc.is_in(column, pa.array(days, pa.date32())))
    if pc.any(outside).as_py():
        index = pc.index(outside, True).as_py()
        raise SchemaViolation(
            source, entity.name, day,
            f"{entity.day_field} {column[index].as_py()} is outside the re-pulled days "
            f"{days[0]}..{days[-1]}", record_id=str(table.column(entity.id_field)[index].as_py()))
    return {d: table.filter(pc.equal(column, pa.scalar(d, pa.date32()))) for d in days}


def request(
    client: RESTClient,
    source: str,
    entity: str,
    day: date,
    method: str,
    path: str,
    *,
    conn_id: str,
    auth_error: Callable[[Response], bool] | None = None,
    quota_reset: str | None = None,
    quota_error: Callable[[Response], bool] | None = None,
    error_text: Callable[[Response], str] | None = None,
    **kwargs: Any,
) -> Any:
    """One call outside paging (a job to create or poll, a batch read): its JSON body, with the
    same error handling as ``pages``."""
    try:
        response = client.request(path, method=method, **kwargs)
        response.raise_for_status()
    except HTTPError as exc:
        raise http_error(source, entity, day, exc.response, conn_id, auth_error, quota_reset,
                         quota_error, error_text) from exc
    except RequestException as exc:
        raise SourceError(source, entity, day, f"API unreachable after retries: {exc}") from exc
    return response.json()


def _carry_over(entity: Entity, rows: list[dict[str, Any]], existing: Path) -> list[dict[str, Any]]:
    """Fill the sticky fields the API no longer serves from the partition landed before."""
    try:
        before = pq.read_table(existing, columns=[entity.id_field, *entity.sticky]).to_pylist()
    except (pa.ArrowInvalid, KeyError, OSError):  # an older contract without these columns
        return rows
    known = {record[entity.id_field]: record for record in before}
    out = []
    for row in rows:
        old = known.get(row.get(entity.id_field))
        if old is not None:
            row = {**row, **{f: old[f] for f in entity.sticky if row.get(f) is None and old[f] is not None}}
        out.append(row)
    return out


def skip_not_configured(connector: ModuleType, day: date, landing_root: Path, reason: str) -> None:
    """A source without its Airflow connection is switched off, not broken: record that for the
    day (the landing gate skips it) and keep its contracts, so the warehouse reads no rows instead
    of failing on missing files."""
    write_contracts(connector, landing_root)
    landing.write_status(landing_root, connector.SOURCE, day, configured=False, reason=reason)
    log.warning("%s is not configured (%s): nothing extracted for %s", connector.SOURCE, reason, day)


def write_contracts(connector: ModuleType, landing_root: Path) -> None:
    for entity in connector.ENTITIES:
        landing.write_contract(landing_root, connector.SOURCE, entity.name, entity.schema)
