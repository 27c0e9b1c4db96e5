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
* **Schema drift** (decision 50). The export carries many fields the warehouse does not land
  (``privacy_info``, ``items``, ``device.mobile_brand_name``…): they are in GA4's documented
  schema, ``EXPORT_FIELDS``, and left out on purpose. A field outside it — a new column, or a new
  key inside a known record — lands in ``extra_fields`` as JSON keyed by its dotted path, in
  BigQuery's JSON rendering whichever the file format (INT64 as strings; nulls and empty lists
  left out), and is named in the day's warning and status file. New ``event_params`` keys are
  data, not drift: they land in ``event_params`` like every other parameter.
"""

from __future__ import annotations

import base64
import io
import json
import math
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

from social_roi.connectors.base import (
    EXTRA_FIELD,
    EXTRA_FIELDS,
    Entity,
    SourceConfig,
    field_tree,
    http_error,
    rest_client,
    unknown_fields,
)
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
    EXTRA_FIELD,
]), "event_timestamp")


def _record(name: str, *fields: str) -> list[str]:
    return [f"{name}.{field}" for field in fields]


_CAMPAIGN_KEYS = ("campaign_id", "campaign_name", "source", "medium")
_VALUE_KEYS = ("string_value", "int_value", "float_value", "double_value")
# GA4's documented BigQuery export schema (developers.google.com/analytics/bigquery/event-schema),
# landed or not: a field outside it is schema drift. Lists of records (event_params, items…) are
# named by their elements' fields, as BigQuery names them.
EXPORT_FIELDS = field_tree([
    "event_date", "event_timestamp", "event_previous_timestamp", "event_name", "event_value_in_usd",
    "event_bundle_sequence_id", "event_server_timestamp_offset", "batch_event_index",
    "batch_ordering_id", "batch_page_id", "is_active_user", "user_id", "user_pseudo_id",
    "user_first_touch_timestamp", "stream_id", "platform",
    "event_params.key", *_record("event_params.value", *_VALUE_KEYS),
    "user_properties.key", *_record("user_properties.value", *_VALUE_KEYS, "set_timestamp_micros"),
    *_record("privacy_info", "analytics_storage", "ads_storage", "uses_transient_token"),
    *_record("user_ltv", "revenue", "currency"),
    *_record("device", "category", "mobile_brand_name", "mobile_model_name", "mobile_marketing_name",
             "mobile_os_hardware_model", "operating_system", "operating_system_version", "vendor_id",
             "advertising_id", "language", "is_limited_ad_tracking", "time_zone_offset_seconds",
             "browser", "browser_version"),
    *_record("device.web_info", "browser", "browser_version", "hostname"),
    *_record("geo", "continent", "sub_continent", "country", "region", "city", "metro"),
    *_record("app_info", "id", "version", "install_store", "firebase_app_id", "install_source"),
    *_record("traffic_source", "name", "medium", "source"),
    "event_dimensions.hostname",
    *_record("ecommerce", "total_item_quantity", "purchase_revenue_in_usd", "purchase_revenue",
             "refund_value_in_usd", "refund_value", "shipping_value_in_usd", "shipping_value",
             "tax_value_in_usd", "tax_value", "unique_items", "transaction_id"),
    *_record("items", "item_id", "item_name", "item_brand", "item_variant", "item_category",
             "item_category2", "item_category3", "item_category4", "item_category5", "price_in_usd",
             "price", "quantity", "item_revenue_in_usd", "item_revenue", "item_refund_in_usd",
             "item_refund", "coupon", "affiliation", "location_id", "item_list_id", "item_list_name",
             "item_list_index", "promotion_id", "promotion_name", "creative_name", "creative_slot",
             "item_params.key"),
    *_record("items.item_params.value", *_VALUE_KEYS),
    *_record("collected_traffic_source", "manual_campaign_id", "manual_campaign_name",
             "manual_source", "manual_medium", "manual_term", "manual_content",
             "manual_source_platform", "manual_creative_format", "manual_marketing_tactic", "gclid",
             "dclid", "srsltid"),
    *_record("session_traffic_source_last_click.manual_campaign", *_CAMPAIGN_KEYS, "term",
             "content", "source_platform", "creative_format", "marketing_tactic"),
    *_record("session_traffic_source_last_click.google_ads_campaign", "customer_id",
             "account_name", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name"),
    *_record("session_traffic_source_last_click.cross_channel_campaign", *_CAMPAIGN_KEYS,
             "source_platform", "default_channel_group", "primary_channel_group"),
    *_record("session_traffic_source_last_click.sa360_campaign", *_CAMPAIGN_KEYS, "ad_group_id",
             "ad_group_name", "creative_format", "engine_account_name", "engine_account_type",
             "manager_account_name"),
    *_record("session_traffic_source_last_click.cm360_campaign", *_CAMPAIGN_KEYS, "account_id",
             "account_name", "advertiser_id", "advertiser_name", "creative_id", "creative_format",
             "creative_name", "creative_type", "creative_type_id", "creative_version",
             "placement_id", "placement_cost_structure", "placement_name", "rendering_id",
             "site_id", "site_name"),
    *_record("session_traffic_source_last_click.dv360_campaign", *_CAMPAIGN_KEYS, "partner_id",
             "partner_name", "advertiser_id", "advertiser_name", "insertion_order_id",
             "insertion_order_name", "line_item_id", "line_item_name", "creative_id",
             "creative_format", "creative_name", "exchange_id", "exchange_name"),
    *_record("publisher", "ad_revenue_in_usd", "ad_format", "ad_source_name", "ad_unit_id"),
])

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
            rows.append(_row(event, typed=False))
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
            rows.append(_row(event, typed=True))
        except (TypeError, ValueError) as exc:
            raise SchemaViolation(SOURCE, EVENTS.name, day, f"row {index} of {name}: {exc}",
                                  record_id=str(event.get("event_timestamp"))) from None
    return rows


def _row(event: dict[str, Any], *, typed: bool) -> dict[str, Any]:
    """The landed row: the contract's fields typed, and the fields GA4's documented schema does
    not have in ``extra_fields``. ``typed``: the event comes from Parquet (INT64 as integers)."""
    row = coerce(event, EVENTS.schema)
    drift = {}
    for path, value in unknown_fields(event, EXPORT_FIELDS).items():
        value = as_bigquery_json(value, typed)
        if value is not None:
            drift[path] = value
    row[EXTRA_FIELDS] = drift or None
    return row


def as_bigquery_json(value: Any, typed: bool) -> Any:
    """A drifted value as BigQuery's JSON export renders it, so that an NDJSON and a Parquet file
    land the same text: INT64 as a string (Parquet gives integers; NDJSON has them as strings
    already), BYTES as base64, a date or time as its ISO text; a null, an empty record or list, or
    a list of nulls is no value (BigQuery leaves nulls out or writes them, depending on the
    format). Inside a list, nulls stay, so each value keeps its element's position."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value) if typed else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        record = {k: v for k, v in ((k, as_bigquery_json(v, typed)) for k, v in value.items())
                  if v is not None}
        return record or None
    if isinstance(value, list):
        items = [as_bigquery_json(v, typed) for v in value]
        return items if any(v is not None for v in items) else None
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def coerce(record: dict[str, Any], schema: pa.Schema | pa.StructType, prefix: str = "") -> dict[str, Any]:
    """BigQuery's JSON renders INT64 as strings: turn them back into numbers, field by field,
    following the landing schema (nested structs and lists included). A value of the wrong type
    is an error naming the field by its dotted path."""
    fields = schema if isinstance(schema, pa.Schema) else [schema.field(i)
                                                          for i in range(schema.num_fields)]
    return {f.name: _coerce_value(record.get(f.name), f.type, prefix + f.name) for f in fields}


def _coerce_value(value: Any, type_: pa.DataType, name: str) -> Any:
    if value is None:
        return None
    if pa.types.is_struct(type_):
        if not isinstance(value, dict):
            raise TypeError(f"'{name}' should be an object, got {value!r}")
        return coerce(value, type_, f"{name}.")
    if pa.types.is_list(type_):
        if not isinstance(value, list):
            raise TypeError(f"'{name}' should be a list, got {value!r}")
        return [_coerce_value(v, type_.value_type, name) for v in value]
    if pa.types.is_integer(type_):
        if (isinstance(value, bool) or (isinstance(value, str) and not value.lstrip("-").isdigit())
                or (isinstance(value, float) and not value.is_integer())):
            raise ValueError(f"'{name}' should be an integer, got {value!r}")
        return int(value)
    if pa.types.is_floating(type_):
        try:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"'{name}' should be a number, got {value!r}") from None
    if pa.types.is_string(type_) and not isinstance(value, str):
        raise TypeError(f"'{name}' should be a string, got {value!r}")
    return value
