"""Google Analytics 4 BigQuery export: the daily ``events_YYYYMMDD`` table, as the files an export
job (``bq extract``, ``EXPORT DATA``, a scheduled transfer) writes to a folder or a bucket.

* **Where.** The connection's host is the export's location: ``https://…`` (a bucket's HTTPS
  endpoint, or the sandbox; the password is the bearer token), or a filesystem URL read with
  pyarrow's filesystems — ``file:///mnt/ga4-export``, ``gs://bucket``, ``s3://bucket`` — whose
  credentials come from the environment (GCP application default credentials, the AWS chain),
  never from the connection. Under it: ``[<prefix>/]analytics_<property_id>/events_YYYYMMDD.<ext>``.
  On a filesystem, a sharded extract (``events_YYYYMMDD-000000000000.<ext>``, …) is read whole.
* **Format.** Extra ``format``: ``ndjson`` (default; BigQuery's JSON rendering, INT64 as strings;
  files ``.jsonl``, ``.json`` or ``.ndjson``, optionally gzipped) or ``parquet`` (typed, nested).
  Both land the same contract: the export's nested shape (``event_params`` as key/value structs,
  ``collected_traffic_source``, ``session_traffic_source_last_click``) with its real types, so
  staging reads it exactly as it would read the BigQuery table.
* **Consent mode.** Events of visitors who denied analytics storage arrive as cookieless pings,
  without ``user_pseudo_id`` or ``ga_session_id``: they are landed (GA4 counts them), counted in
  the day's status file (``details.consent_denied_events``), and left out of sessionisation
  (``int_web_sessions``); ``fct_web_reconciliation_daily`` shows them per day and channel.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth
from requests import HTTPError, RequestException, Response

from social_roi.connectors.base import Entity, SourceConfig, http_error, rest_client
from social_roi.errors import SchemaViolation, SourceError

SOURCE = "ga4"
CONN_ID = "ga4_export"

_S = pa.string()
_PARAM_VALUE = pa.struct([("string_value", _S), ("int_value", pa.int64()),
                          ("float_value", pa.float64()), ("double_value", pa.float64())])
_CAMPAIGN = [("campaign_id", _S), ("campaign_name", _S), ("source", _S), ("medium", _S)]

EVENTS = Entity("events", pa.schema([
    pa.field("event_date", _S, nullable=False),
    pa.field("event_timestamp", pa.int64(), nullable=False),
    pa.field("event_name", _S, nullable=False),
    ("event_params", pa.list_(pa.struct([("key", _S), ("value", _PARAM_VALUE)]))),
    ("user_id", _S),
    ("user_pseudo_id", _S),  # null under consent mode without analytics storage
    ("user_first_touch_timestamp", pa.int64()),
    ("traffic_source", pa.struct([("name", _S), ("medium", _S), ("source", _S)])),
    ("collected_traffic_source", pa.struct([
        ("manual_campaign_id", _S), ("manual_campaign_name", _S), ("manual_source", _S),
        ("manual_medium", _S), ("manual_term", _S), ("manual_content", _S),
        ("gclid", _S), ("dclid", _S), ("srsltid", _S),
    ])),
    ("session_traffic_source_last_click", pa.struct([
        ("manual_campaign", pa.struct([*_CAMPAIGN, ("term", _S), ("content", _S)])),
        ("cross_channel_campaign", pa.struct([
            *_CAMPAIGN, ("default_channel_group", _S), ("primary_channel_group", _S),
        ])),
    ])),
    ("device", pa.struct([("category", _S), ("operating_system", _S), ("language", _S),
                          ("web_info", pa.struct([("browser", _S), ("hostname", _S)]))])),
    ("geo", pa.struct([("continent", _S), ("country", _S), ("region", _S), ("city", _S)])),
    ("stream_id", _S),
    ("platform", _S),
]), "event_timestamp")

ENTITIES = (EVENTS,)


def is_auth_error(response: Response) -> bool:
    return response.status_code in (401, 403)


FORMATS = {"ndjson": ("jsonl", "json", "ndjson"), "parquet": ("parquet",)}
_NOT_YET = ("the export file for this day does not exist (yet): GA4 writes the daily table once "
            "the day is complete")


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    fmt = str(config.extra.get("format", "ndjson")).lower()
    if fmt not in FORMATS:
        raise SourceError(SOURCE, EVENTS.name, day,
                          f"connection '{config.conn_id}': format '{fmt}' is not one of {sorted(FORMATS)}")
    rows: list[dict[str, Any]] = []
    for name, payload in _export_files(config, day, fmt):
        rows.extend(_parquet_rows(payload, name, day) if fmt == "parquet" else _ndjson_rows(payload, day))
    return {EVENTS.name: rows}


def day_details(rows_by_entity: dict[str, list[dict[str, Any]] | None]) -> dict[str, Any]:
    """Consent mode's gap, for the status file: events without a client id (cookieless pings)."""
    events = rows_by_entity.get(EVENTS.name) or []
    denied = sum(1 for event in events if event.get("user_pseudo_id") is None)
    return {"consent_denied_events": denied,
            "consent_denied_share": round(denied / len(events), 4) if events else 0.0}


def _folder(config: SourceConfig) -> str:
    prefix = str(config.extra.get("prefix", "ga4/export")).strip("/")
    return "/".join(p for p in (prefix, f"analytics_{config.require('property_id')}") if p)


def _export_files(config: SourceConfig, day: date, fmt: str) -> Iterator[tuple[str, bytes]]:
    """(name, content) of each file of the day's export."""
    if urlsplit(config.base_url).scheme in ("http", "https"):
        yield from _download(config, day, fmt)
    else:
        yield from _read_files(config, day, fmt)


def _download(config: SourceConfig, day: date, fmt: str) -> Iterator[tuple[str, bytes]]:
    client = rest_client(config, auth=BearerTokenAuth(config.token))
    path = f"/{_folder(config)}/events_{day:%Y%m%d}.{FORMATS[fmt][0]}"
    try:
        response = client.get(path)
        response.raise_for_status()
    except HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            raise SourceError(SOURCE, EVENTS.name, day, _NOT_YET) from exc
        raise http_error(SOURCE, EVENTS.name, day, exc.response, config.conn_id,
                         is_auth_error) from exc
    except RequestException as exc:
        raise SourceError(SOURCE, EVENTS.name, day, f"unreachable after retries: {exc}") from exc
    yield path, response.content


def _read_files(config: SourceConfig, day: date, fmt: str) -> Iterator[tuple[str, bytes]]:
    """The day's file, or its shards, under a folder or bucket prefix (pyarrow filesystems)."""
    try:
        filesystem, root = pafs.FileSystem.from_uri(config.base_url)
        folder = "/".join(p for p in (root.rstrip("/"), _folder(config)) if p)
        listing = filesystem.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
    except (OSError, pa.ArrowException) as exc:
        raise SourceError(SOURCE, EVENTS.name, day,
                          f"cannot list the export at {config.base_url} (connection "
                          f"'{config.conn_id}'): {exc}") from exc
    extensions = "|".join(FORMATS[fmt])
    wanted = re.compile(rf"events_{day:%Y%m%d}(?:[-_]\d+)?\.(?:{extensions})(?:\.gz)?")
    files = sorted(info.path for info in listing
                   if info.type == pafs.FileType.File and wanted.fullmatch(info.base_name))
    if not files:
        raise SourceError(SOURCE, EVENTS.name, day, f"{_NOT_YET} (looked in {folder})")
    for path in files:
        try:  # a .gz file is decompressed on the way (pyarrow detects it by the extension)
            with filesystem.open_input_stream(path) as stream:
                content = stream.read()
        except (OSError, pa.ArrowException) as exc:
            raise SourceError(SOURCE, EVENTS.name, day, f"cannot read {path}: {exc}") from exc
        yield path, content


def _ndjson_rows(payload: bytes, day: date) -> list[dict[str, Any]]:
    rows = []
    for line_no, line in enumerate(payload.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SchemaViolation(SOURCE, EVENTS.name, day, f"line {line_no} is not JSON: {exc}",
                                  record_id=f"line {line_no}") from None
        try:
            rows.append(coerce(event, EVENTS.schema))
        except (TypeError, ValueError) as exc:
            raise SchemaViolation(SOURCE, EVENTS.name, day, f"line {line_no}: {exc}",
                                  record_id=str(event.get("event_timestamp"))) from None
    return rows


def _parquet_rows(payload: bytes, name: str, day: date) -> list[dict[str, Any]]:
    try:
        table = pq.read_table(io.BytesIO(payload))
    except (OSError, pa.ArrowException) as exc:
        raise SchemaViolation(SOURCE, EVENTS.name, day, f"{name} is not a readable Parquet file: {exc}",
                              record_id=name) from None
    rows = []
    for index, event in enumerate(table.to_pylist(), start=1):
        try:
            rows.append(coerce(event, EVENTS.schema))
        except (TypeError, ValueError) as exc:
            raise SchemaViolation(SOURCE, EVENTS.name, day, f"row {index} of {name}: {exc}",
                                  record_id=str(event.get("event_timestamp"))) from None
    return rows


def coerce(record: dict[str, Any], schema: pa.Schema | pa.StructType) -> dict[str, Any]:
    """BigQuery's JSON renders INT64 as strings: turn them back into numbers, field by field,
    following the landing schema (nested structs and lists included)."""
    fields = schema if isinstance(schema, pa.Schema) else [schema.field(i)
                                                          for i in range(schema.num_fields)]
    return {f.name: _coerce_value(record.get(f.name), f.type, f.name) for f in fields}


def _coerce_value(value: Any, type_: pa.DataType, name: str) -> Any:
    if value is None:
        return None
    if pa.types.is_struct(type_):
        if not isinstance(value, dict):
            raise TypeError(f"'{name}' should be an object, got {value!r}")
        return coerce(value, type_)
    if pa.types.is_list(type_):
        if not isinstance(value, list):
            raise TypeError(f"'{name}' should be a list, got {value!r}")
        return [_coerce_value(v, type_.value_type, name) for v in value]
    if pa.types.is_integer(type_):
        if isinstance(value, bool) or (isinstance(value, str) and not value.lstrip("-").isdigit()):
            raise ValueError(f"'{name}' should be an integer, got {value!r}")
        return int(value)
    if pa.types.is_floating(type_):
        return float(value)
    if pa.types.is_string(type_) and not isinstance(value, str):
        raise TypeError(f"'{name}' should be a string, got {value!r}")
    return value
