"""GA4 BigQuery export served as daily files (api_shapes.md §5.2), behind Google-style errors:
NDJSON (BigQuery's JSON rendering, INT64 as strings) or Parquet (BigQuery's Parquet export: typed,
nested), as a bucket holds them after ``bq extract`` / ``EXPORT DATA``.

Routes (prefix ``/ga4/export``):
  GET /analytics_{property_id}/                        -> JSON listing of the daily files
  GET /analytics_{property_id}/events_YYYYMMDD.jsonl   -> one event per line, BigQuery JSON rendering
  GET /analytics_{property_id}/events_YYYYMMDD.parquet -> the same events as Parquet

``write_files`` puts the same files in a folder (a mounted bucket, a ``file://`` export prefix).

Schema drift: ``drifted(day, extension, fields)`` renders the day's file with fields GA4's schema
does not have (a new column, a new key inside a record); a test serves it in place of the day's
file with the server's fault queue (``server.add_fault(path, 200, body=...)``), as it serves any
other API's changed answer, or writes it to a folder (``write_files(..., drift=fields)``).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from social_roi.sandbox import catalog as C
from social_roi.sandbox.wire import Request, Response, json_response
from social_roi.sandbox.world import UTC, Session, World

PREFIX = "/ga4/export"
_FILE = re.compile(r"^/analytics_(\d+)/events_(\d{8})\.(jsonl|parquet)$")
FORMATS = {"jsonl": "application/x-ndjson", "parquet": "application/vnd.apache.parquet"}
_LISTING = re.compile(r"^/analytics_(\d+)/?$")


def google_error(status: int, message: str, reason: str, state: str) -> Response:
    return json_response(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": state,
            }
        },
    )


def _value(v) -> dict:
    # Exactly one member is non-null; BigQuery JSON renders INT64 as a string.
    if isinstance(v, int):
        return {"string_value": None, "int_value": str(v), "float_value": None, "double_value": None}
    if isinstance(v, float):
        return {"string_value": None, "int_value": None, "float_value": None, "double_value": v}
    return {"string_value": v, "int_value": None, "float_value": None, "double_value": None}


def _campaign_parts(s: Session) -> tuple[str, str, str, str | None]:
    """(source, medium, campaign name, content) as GA reports the session's traffic."""
    if s.medium == "(none)":
        return "(direct)", "(none)", "(direct)", None
    if s.medium == "organic":
        return "google", "organic", "(organic)", None
    return s.source, s.medium, s.campaign, s.content


def _last_click(s: Session) -> dict:
    # Simplification: the session's own source (GA would carry the last non-direct click over
    # into later direct sessions; here "direct" stays direct, like the ground truth).
    source, medium, name, content = _campaign_parts(s)
    platform = "Manual" if s.tagged else None
    group = C.CHANNEL_GROUP[s.medium]
    return {
        "manual_campaign": {
            "campaign_id": None,
            "campaign_name": name,
            "source": source,
            "medium": medium,
            "term": None,
            "content": content,
            "source_platform": platform,
            "creative_format": None,
            "marketing_tactic": None,
        },
        "google_ads_campaign": None,
        "cross_channel_campaign": {
            "campaign_id": None,
            "campaign_name": name,
            "source": source,
            "medium": medium,
            "source_platform": platform,
            "default_channel_group": group,
            "primary_channel_group": group,
        },
        "sa360_campaign": None,
        "cm360_campaign": None,
        "dv360_campaign": None,
    }


def _collected(s: Session) -> dict | None:
    if not s.tagged:
        return None
    return {
        "manual_campaign_id": None,
        "manual_campaign_name": s.campaign,
        "manual_source": s.source,
        "manual_medium": s.medium,
        "manual_term": None,
        "manual_content": s.content,
        "manual_source_platform": None,
        "manual_creative_format": None,
        "manual_marketing_tactic": None,
        "gclid": None,
        "dclid": None,
        "srsltid": None,
    }


def _first_touch(source: tuple) -> dict:
    src, medium, campaign = source
    if medium == "organic":
        return {"name": "(organic)", "medium": "organic", "source": "google"}
    return {"name": campaign, "medium": medium, "source": src}


def _device(v) -> dict:
    _w, category, os_, os_version, browser, browser_version, brand, model = v.device
    return {
        "category": category,
        "mobile_brand_name": brand,
        "mobile_model_name": model,
        "mobile_marketing_name": None,
        "mobile_os_hardware_model": None,
        "operating_system": os_,
        "operating_system_version": os_version,
        "vendor_id": None,
        "advertising_id": None,
        "language": v.geo[6],
        "is_limited_ad_tracking": "No",
        "time_zone_offset_seconds": str(v.geo[7]),
        "browser": None,
        "browser_version": None,
        "web_info": {"browser": browser, "browser_version": browser_version, "hostname": C.SITE_HOST},
    }


def _geo(v) -> dict:
    _w, continent, sub, country, region, city, _lang, _tz = v.geo
    return {
        "city": city,
        "country": country,
        "continent": continent,
        "region": region,
        "sub_continent": sub,
        "metro": "(not set)",
    }


def _page_ids(s: Session) -> list[int]:
    """batch_page_id per event: millis of the page view the event belongs to."""
    ids, current = [], s.start_us // 1000
    for ts, _seq, name, _params in s.events:
        if name == "page_view":
            current = ts // 1000
        ids.append(current)
    return ids


def _landing_index(s: Session) -> int:
    """Index of the landing page_view: a login takes effect on the events after it."""
    return next(i for i, event in enumerate(s.events) if event[2] == "page_view")


def render_event(s: Session, index: int, page_id: int) -> dict:
    """One export row. A consent-denied visit's hits are cookieless pings: no user_pseudo_id, no
    user id, no user-scoped first touch, analytics_storage "No"; GA4 still attributes the page
    load's traffic (one page load = the whole visit in the sandbox)."""
    ts, seq, name, params = s.events[index]
    v = s.visitor
    denied = s.consent_denied
    # UTMs are collected on the session_start and on the landing page_view right after it.
    first_hits = name == "session_start" or (
        name == "page_view" and index > 0 and s.events[index - 1][2] == "session_start"
    )
    return {
        "event_date": datetime.fromtimestamp(ts // 1_000_000, UTC).strftime("%Y%m%d"),
        "event_timestamp": str(ts),
        "event_name": name,
        "event_params": [{"key": k, "value": _value(val)} for k, val in params],
        "event_previous_timestamp": None,
        "event_value_in_usd": None,
        "event_bundle_sequence_id": str(zlib.crc32(f"{v.user_pseudo_id}/{page_id}".encode())),
        "event_server_timestamp_offset": None,
        "user_id": s.user_id if index > _landing_index(s) else None,
        "user_pseudo_id": None if denied else v.user_pseudo_id,
        "privacy_info": {"analytics_storage": "No" if denied else "Yes",
                         "ads_storage": "No" if denied else "Yes", "uses_transient_token": "No"},
        "user_properties": [],
        "user_first_touch_timestamp": None if denied else str(v.first_ts_us),
        "user_ltv": None,
        "device": _device(v),
        "geo": _geo(v),
        "app_info": None,
        "traffic_source": None if denied else _first_touch(v.first_source),
        "stream_id": C.GA4_STREAM_ID,
        "platform": "WEB",
        "event_dimensions": {"hostname": C.SITE_HOST},
        "ecommerce": None,
        "items": [],
        "collected_traffic_source": _collected(s) if first_hits else None,
        "is_active_user": True,
        "batch_event_index": str(index),
        "batch_ordering_id": str(seq + 1),
        "batch_page_id": str(page_id),
        "session_traffic_source_last_click": _last_click(s),
        "publisher": None,
    }


class GA4Export:
    def __init__(self, world: World) -> None:
        self.world = world
        world.events_by_day  # noqa: B018 - build the day index now, not racing in request threads
        self._cache: dict[date, bytes] = {}
        self._parquet_cache: dict[date, bytes] = {}
        self._lock = threading.Lock()

    def handle(self, req: Request, token: str) -> Response:
        object_path = req.path[len(PREFIX) :]
        if req.bearer() is None:
            return google_error(
                401,
                "Anonymous caller does not have storage.objects.get access to "
                "the Google Cloud Storage object. Permission 'storage.objects.get' "
                "denied on resource (or it may not exist).",
                "required",
                "UNAUTHENTICATED",
            )
        if req.bearer() != token:
            return google_error(401, "Invalid Credentials", "authError", "UNAUTHENTICATED")
        if req.method != "GET":
            return google_error(
                405, f"Method {req.method} not allowed", "methodNotAllowed", "METHOD_NOT_ALLOWED"
            )
        m = _LISTING.match(object_path)
        if m and m.group(1) == C.GA4_PROPERTY_ID:
            return json_response(200, self.listing())
        m = _FILE.match(object_path)
        if m and m.group(1) == C.GA4_PROPERTY_ID:
            try:
                day = datetime.strptime(m.group(2), "%Y%m%d").date()
            except ValueError:
                day = None
            if day in self.world.events_by_day:
                body = self.day_file(day) if m.group(3) == "jsonl" else self.day_parquet(day)
                return Response(200, body, content_type=FORMATS[m.group(3)])
        return google_error(404, f"No such object: {C.GA4_BUCKET}{object_path}", "notFound", "NOT_FOUND")

    def listing(self) -> dict:
        prefix = f"analytics_{C.GA4_PROPERTY_ID}/"
        items = []
        for day in self.world.config.dates:
            # The daily table lands the next morning (UTC), like the real export.
            updated = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=6)
            for extension, content_type in FORMATS.items():
                items.append(
                    {
                        "kind": "storage#object",
                        "bucket": C.GA4_BUCKET,
                        "name": f"{prefix}events_{day:%Y%m%d}.{extension}",
                        "contentType": content_type,
                        "updated": updated.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    }
                )
        return {"kind": "storage#objects", "prefix": prefix, "items": items}

    def day_parquet(self, day: date) -> bytes:
        """The day's events as BigQuery's Parquet export writes them: typed columns (INT64 as
        int64), nested records as structs, repeated fields as lists."""
        with self._lock:
            cached = self._parquet_cache.get(day)
        if cached is not None:
            return cached
        events = [json.loads(line) for line in self.day_file(day).decode().splitlines()]
        table = pa.Table.from_pylist([_typed(e, EXPORT_SCHEMA) for e in events], schema=EXPORT_SCHEMA)
        sink = io.BytesIO()
        pq.write_table(table, sink, compression="snappy")
        with self._lock:
            self._parquet_cache[day] = sink.getvalue()
        return sink.getvalue()

    def write_files(self, folder: Path, extension: str = "parquet",
                    days: list[date] | None = None, drift: dict[str, Any] | None = None) -> list[Path]:
        """The daily files under ``folder/analytics_<property>/``, as a bucket mounted or synced
        to disk holds them (``drift``: see ``drifted``)."""
        target = Path(folder) / f"analytics_{C.GA4_PROPERTY_ID}"
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for day in days or self.world.config.dates:
            path = target / f"events_{day:%Y%m%d}.{extension}"
            if drift:
                path.write_bytes(self.drifted(day, extension, drift))
            else:
                path.write_bytes(self.day_file(day) if extension == "jsonl" else self.day_parquet(day))
            written.append(path)
        return written

    def drifted(self, day: date, extension: str,
                fields: dict[str, Any | Callable[[dict], Any]]) -> bytes:
        """The day's file after GA4 changed its schema: ``fields`` maps a dotted path
        (``session_id_v2``, ``device.is_foldable``, ``event_params.value.json_value``) to the
        value every event gets there, or to a function of the event (its BigQuery JSON rendering)
        giving it, None for none. A path inside a record that is null on an event is left out
        there; a path through a list (``event_params``) goes into each element. Values are
        typed (INT64 as ``int``): NDJSON renders them as BigQuery does, Parquet adds the column
        with the type of its values."""
        events = [json.loads(line) for line in self.day_file(day).decode().splitlines()]
        typed = [_typed(e, EXPORT_SCHEMA) for e in events]
        for path, value in fields.items():
            parts = path.split(".")
            for event, row in zip(events, typed, strict=True):
                new = value(event) if callable(value) else value
                _put(row, parts, new)
        if extension == "jsonl":
            lines = [json.dumps(_bigquery_json(row), separators=(",", ":")) for row in typed]
            return ("\n".join(lines) + "\n").encode() if lines else b""
        schema = EXPORT_SCHEMA
        for path, value in fields.items():
            values = [value(e) if callable(value) else value for e in events]
            schema = _with_field(schema, path.split("."), pa.array(values).type)
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(typed, schema=schema), sink, compression="snappy")
        return sink.getvalue()

    def day_file(self, day: date) -> bytes:
        with self._lock:
            cached = self._cache.get(day)
        if cached is not None:
            return cached
        lines = []
        page_ids: dict[int, list[int]] = {}
        for _ts, s, seq, _name, _params in self.world.events_by_day[day]:
            key = id(s)
            if key not in page_ids:
                page_ids[key] = _page_ids(s)
            index = seq  # a session's events are numbered in order
            lines.append(json.dumps(render_event(s, index, page_ids[key][index]), separators=(",", ":")))
        body = ("\n".join(lines) + "\n").encode() if lines else b""
        with self._lock:
            self._cache[day] = body
        return body


# ---- BigQuery's Parquet export schema (the fields the sandbox renders) ---------------------------

_S, _I, _F = pa.string(), pa.int64(), pa.float64()


def _struct(*names: str, type_: pa.DataType = _S, **typed: pa.DataType) -> pa.StructType:
    return pa.struct([(n, type_) for n in names] + list(typed.items()))


_PARAM = _struct(string_value=_S, int_value=_I, float_value=_F, double_value=_F)
_CAMPAIGN = ("campaign_id", "campaign_name", "source", "medium")
EXPORT_SCHEMA = pa.schema([
    ("event_date", _S), ("event_timestamp", _I), ("event_name", _S),
    ("event_params", pa.list_(_struct("key", value=_PARAM))),
    ("event_previous_timestamp", _I), ("event_value_in_usd", _F), ("event_bundle_sequence_id", _I),
    ("event_server_timestamp_offset", _I), ("user_id", _S), ("user_pseudo_id", _S),
    ("privacy_info", _struct("analytics_storage", "ads_storage", "uses_transient_token")),
    ("user_properties", pa.list_(_struct("key", value=_struct(
        string_value=_S, int_value=_I, float_value=_F, double_value=_F, set_timestamp_micros=_I)))),
    ("user_first_touch_timestamp", _I), ("user_ltv", _struct("currency", revenue=_F)),
    ("device", _struct(
        "category", "mobile_brand_name", "mobile_model_name", "mobile_marketing_name",
        "mobile_os_hardware_model", "operating_system", "operating_system_version", "vendor_id",
        "advertising_id", "language", "is_limited_ad_tracking", "browser", "browser_version",
        time_zone_offset_seconds=_I, web_info=_struct("browser", "browser_version", "hostname"))),
    ("geo", _struct("city", "country", "continent", "region", "sub_continent", "metro")),
    ("app_info", _struct("id", "version", "install_store", "firebase_app_id", "install_source")),
    ("traffic_source", _struct("name", "medium", "source")),
    ("stream_id", _S), ("platform", _S), ("event_dimensions", _struct("hostname")),
    ("ecommerce", _struct("transaction_id", total_item_quantity=_I, purchase_revenue_in_usd=_F,
                          purchase_revenue=_F, unique_items=_I)),
    ("items", pa.list_(_struct("item_id", "item_name", quantity=_I, price=_F))),
    ("collected_traffic_source", _struct(
        "manual_campaign_id", "manual_campaign_name", "manual_source", "manual_medium", "manual_term",
        "manual_content", "manual_source_platform", "manual_creative_format",
        "manual_marketing_tactic", "gclid", "dclid", "srsltid")),
    ("is_active_user", pa.bool_()), ("batch_event_index", _I), ("batch_ordering_id", _I),
    ("batch_page_id", _I),
    ("session_traffic_source_last_click", _struct(
        manual_campaign=_struct(*_CAMPAIGN, "term", "content", "source_platform", "creative_format",
                                "marketing_tactic"),
        google_ads_campaign=_struct("customer_id", "account_name", "campaign_id", "campaign_name",
                                    "ad_group_id", "ad_group_name"),
        cross_channel_campaign=_struct(*_CAMPAIGN, "source_platform", "default_channel_group",
                                       "primary_channel_group"),
        sa360_campaign=_struct(*_CAMPAIGN), cm360_campaign=_struct(*_CAMPAIGN),
        dv360_campaign=_struct(*_CAMPAIGN))),
    ("publisher", _struct("ad_format", "ad_source_name", "ad_unit_id", ad_revenue_in_usd=_F)),
])


def _typed(value, type_: pa.DataType):
    """A JSON-rendered export value in its BigQuery type (JSON renders INT64 as strings)."""
    if value is None:
        return None
    if isinstance(type_, pa.Schema) or pa.types.is_struct(type_):
        fields = type_ if isinstance(type_, pa.Schema) else [type_.field(i) for i in range(type_.num_fields)]
        return {f.name: _typed(value.get(f.name), f.type) for f in fields}
    if pa.types.is_list(type_):
        return [_typed(v, type_.value_type) for v in value]
    if pa.types.is_integer(type_):
        return int(value)
    if pa.types.is_floating(type_):
        return float(value)
    return value


# ---- schema drift ----------------------------------------------------------------------------------


def _put(node: Any, parts: list[str], value: Any) -> None:
    """Set ``value`` at the path below ``node`` (into each element of a list on the way); a null
    record on the way has nothing to change."""
    if node is None:
        return
    if isinstance(node, list):
        for item in node:
            _put(item, parts, value)
        return
    if len(parts) == 1:
        node[parts[0]] = value
    else:
        _put(node.get(parts[0]), parts[1:], value)


def _with_field(type_: pa.Schema | pa.DataType, parts: list[str], new: pa.DataType):
    """``type_`` with the field at the path added (or its type replaced), through records and
    lists of records."""
    if not isinstance(type_, pa.Schema) and pa.types.is_list(type_):
        return pa.list_(_with_field(type_.value_type, parts, new))
    fields = list(type_) if isinstance(type_, pa.Schema) else [type_.field(i)
                                                              for i in range(type_.num_fields)]
    names = [f.name for f in fields]
    head = parts[0]
    child = new if len(parts) == 1 else _with_field(fields[names.index(head)].type, parts[1:], new)
    if head in names:
        fields[names.index(head)] = pa.field(head, child)
    else:
        fields.append(pa.field(head, child))
    return pa.schema(fields) if isinstance(type_, pa.Schema) else pa.struct(fields)


def _bigquery_json(value: Any) -> Any:
    """A typed value as BigQuery's JSON export renders it: INT64 as a string."""
    if isinstance(value, dict):
        return {k: _bigquery_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bigquery_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
