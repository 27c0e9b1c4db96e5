"""Google Analytics 4 BigQuery export: the daily ``events_YYYYMMDD`` file, read over HTTP from an
object-store-like prefix (the sandbox serves one; a bucket's HTTPS endpoint works the same).

The file is NDJSON in BigQuery's JSON rendering, where INT64 values are strings. The landing
schema keeps the export's nested shape (``event_params`` as a list of key/value structs) with its
real types, so staging can read it exactly as it would read the BigQuery table.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pyarrow as pa
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


def fetch_day(config: SourceConfig, day: date) -> dict[str, list[dict[str, Any]]]:
    client = rest_client(config, auth=BearerTokenAuth(config.token))
    prefix = config.extra.get("prefix", "ga4/export")
    path = f"/{prefix}/analytics_{config.require('property_id')}/events_{day:%Y%m%d}.jsonl"
    try:
        response = client.get(path)
        response.raise_for_status()
    except HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            raise SourceError(SOURCE, EVENTS.name, day,
                              "the export file for this day does not exist (yet): GA4 writes "
                              "the daily table once the day is complete") from exc
        raise http_error(SOURCE, EVENTS.name, day, exc.response, config.conn_id,
                         is_auth_error) from exc
    except RequestException as exc:
        raise SourceError(SOURCE, EVENTS.name, day, f"unreachable after retries: {exc}") from exc

    rows = []
    for line_no, line in enumerate(response.text.splitlines(), start=1):
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
    return {EVENTS.name: rows}


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
