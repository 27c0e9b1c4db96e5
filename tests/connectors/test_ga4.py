"""The GA4 export connector: the day's file over HTTPS (NDJSON or Parquet) or from a folder /
object-store prefix (pyarrow filesystems, sharded extracts, gzip), nested fields typed, consent-
mode gaps landed and counted, schema drift kept and named, and its errors."""

from __future__ import annotations

import gzip
import json
import logging
from datetime import date

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from social_roi import landing
from social_roi.connectors import ga4
from social_roi.connectors.base import SourceConfig, land_day
from social_roi.errors import SchemaViolation, SourceAuthError, SourceError
from social_roi.sandbox import catalog

DAY = date(2026, 10, 3)
EXPORT_FILE = f"/ga4/export/analytics_{catalog.GA4_PROPERTY_ID}/events_{DAY:%Y%m%d}"
FORMATS = {"ndjson": "jsonl", "parquet": "parquet"}


def folder_config(location: str, **extra) -> SourceConfig:
    """A connection whose host is a filesystem URL: no token, credentials from the environment."""
    return SourceConfig("ga4_export", location, "", {"property_id": catalog.GA4_PROPERTY_ID,
                                                     "prefix": "", **extra})


def test_lands_the_days_events_with_typed_nested_params(config, world, tmp_path):
    counts = land_day(ga4, config("ga4_export"), DAY, tmp_path)
    events = landing.read_partition(tmp_path, "ga4", "events", DAY)
    assert counts == {"events": events.num_rows} and events.num_rows > 0
    assert events.schema.field("event_timestamp").type == "int64"  # JSON strings cast back

    frame = events.to_pandas()
    assert set(frame.event_date) == {"20261003"}
    sessions = world.truth["sessions"]
    day_sessions = sessions[sessions.date == DAY]
    frame = frame[frame.user_pseudo_id.notna()]  # consent-denied pings: their own test
    starts = frame[frame.event_name == "session_start"]
    assert len(starts) == len(day_sessions)
    ids = {(p["key"], p["value"]["int_value"]) for params in starts.event_params for p in params
           if p["key"] == "ga_session_id"}
    assert {v for _k, v in ids} == set(day_sessions.ga_session_id.astype(int))
    assert (frame.event_name == "generate_lead").sum() == int(day_sessions.has_lead.sum())
    # every field the sandbox renders is in GA4's documented schema: no drift on a normal day
    assert frame.extra_fields.isna().all()
    assert "unknown_fields" not in json.loads(landing.status_file(tmp_path, "ga4", DAY).read_text())


def test_the_landing_contract_is_part_of_gas_documented_schema():
    """Every landed field (nested ones included) is one GA4 documents: what is not landed is
    left out on purpose, what is outside the documented schema is drift."""
    def paths(fields, prefix=""):
        for f in fields:
            type_ = f.type.value_type if pa.types.is_list(f.type) else f.type
            if pa.types.is_struct(type_):
                yield from paths([type_.field(i) for i in range(type_.num_fields)], f"{prefix}{f.name}.")
            else:
                yield f"{prefix}{f.name}"

    def documented(path):
        node = ga4.EXPORT_FIELDS
        for part in path.split("."):
            if node is None or part not in node:
                return False
            node = node[part]
        return node is None

    landed = [p for p in paths(ga4.EVENTS.schema) if p != "extra_fields"]
    assert len(landed) > 40 and [p for p in landed if not documented(p)] == []


def _land_drifted(server, config, tmp_path, fmt, fields, caplog):
    """Land the day with the export file GA4 would write after a schema change."""
    server.add_fault(f"{EXPORT_FILE}.{FORMATS[fmt]}", 200,
                     body=server.ga4.drifted(DAY, FORMATS[fmt], fields))
    with caplog.at_level(logging.WARNING, logger="social_roi.connectors.base"):
        land_day(ga4, config("ga4_export", format=fmt), DAY, tmp_path / fmt)
    return landing.read_partition(tmp_path / fmt, "ga4", "events", DAY)


DRIFT = {  # new in the export: a column, and keys inside records the contract lands
    "session_id_v2": lambda event: (int(event["event_timestamp"]) // 10**6
                                    if event["event_name"] == "session_start" else None),
    "device.is_foldable": False,
    "geo.postal_code": "10115",
    "traffic_source.campaign_id": "c-9",
    "collected_traffic_source.manual_partner_id": "partner-1",
    "session_traffic_source_last_click.cross_channel_campaign.ad_id": 1700000000017,
}


def _expected_drift(row: dict) -> dict | None:
    """What each landed row must carry, from the undrifted export's own row: a key inside a
    record is there only where the record is; INT64 in BigQuery's JSON rendering (a string)."""
    expected = {"device.is_foldable": False, "geo.postal_code": "10115",
                "session_traffic_source_last_click.cross_channel_campaign.ad_id": "1700000000017"}
    if row["event_name"] == "session_start":
        expected["session_id_v2"] = str(row["event_timestamp"] // 10**6)
    if row["traffic_source"] is not None:
        expected["traffic_source.campaign_id"] = "c-9"
    if row["collected_traffic_source"] is not None:
        expected["collected_traffic_source.manual_partner_id"] = "partner-1"
    return expected


def test_drift_lands_in_extra_fields_named_once_and_alike_from_ndjson_and_parquet(
        config, server, tmp_path, caplog):
    land_day(ga4, config("ga4_export"), DAY, tmp_path / "plain")
    plain = landing.read_partition(tmp_path / "plain", "ga4", "events", DAY)
    names = sorted(DRIFT)
    landed = {}
    for fmt in FORMATS:
        caplog.clear()
        table = landed[fmt] = _land_drifted(server, config, tmp_path, fmt, DRIFT, caplog)
        rows = table.to_pylist()
        assert [json.loads(r["extra_fields"]) for r in rows] == [_expected_drift(r) for r in rows]
        assert sum(r["collected_traffic_source"] is not None for r in rows) > 0
        # the contract's own columns are untouched
        assert table.drop_columns(["extra_fields"]).equals(plain.drop_columns(["extra_fields"]))
        warnings = [r.getMessage() for r in caplog.records if "extra_fields" in r.getMessage()]
        assert len(warnings) == 1, "named once for the day"
        [warning] = warnings
        assert f"ga4/events day={DAY}" in warning and f"{len(rows)} record(s)" in warning
        assert ", ".join(names) in warning
        first = rows[0]
        assert f"Sample: event_timestamp {first['event_timestamp']} carries " in warning
        assert json.dumps(_expected_drift(first), sort_keys=True) in warning
        status = json.loads(landing.status_file(tmp_path / fmt, "ga4", DAY).read_text())
        assert status["unknown_fields"] == {"events": names}
        assert status["rows"] == {"events": plain.num_rows}
    assert landed["ndjson"].equals(landed["parquet"])


def _params_with(event: dict, key: str, int_value: int) -> list[dict]:
    """The event's params (typed, as Parquet has them) and one more."""
    params = [{"key": p["key"], "value": {**p["value"], "int_value": None if p["value"]["int_value"] is None
                                          else int(p["value"]["int_value"])}}
              for p in event["event_params"]]
    return [*params, {"key": key, "value": {"string_value": None, "int_value": int_value,
                                            "float_value": None, "double_value": None}}]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_event_param_is_data_and_a_new_value_member_is_drift(config, server, tmp_path, caplog, fmt):
    """GA4 sends whatever parameters the site tags: a new key is a parameter like any other.
    A new member of the parameters' value record is a schema change: one value per parameter."""
    fields = {"event_params": lambda e: _params_with(e, "video_percent", 75),
              "event_params.value.json_value": '{"a":1}'}
    rows = _land_drifted(server, config, tmp_path, fmt, fields, caplog).to_pylist()
    for row in rows:
        assert row["event_params"][-1] == {"key": "video_percent", "value": {
            "string_value": None, "int_value": 75, "float_value": None, "double_value": None}}
        assert json.loads(row["extra_fields"]) == {
            "event_params.value.json_value": ['{"a":1}'] * len(row["event_params"])}
    status = json.loads(landing.status_file(tmp_path / fmt, "ga4", DAY).read_text())
    assert status["unknown_fields"] == {"events": ["event_params.value.json_value"]}
    assert "video_percent" not in caplog.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_known_field_of_the_wrong_type_fails_the_day_naming_the_record(config, server, tmp_path, fmt):
    first = {}

    def country(event):
        first.setdefault("ts", event["event_timestamp"])
        return {"code": "DE"}  # a record where GA4 documents a string

    server.add_fault(f"{EXPORT_FILE}.{FORMATS[fmt]}", 200,
                     body=server.ga4.drifted(DAY, FORMATS[fmt], {"geo.country": country}))
    with pytest.raises(SchemaViolation) as failure:
        land_day(ga4, config("ga4_export", format=fmt), DAY, tmp_path)
    message = str(failure.value)
    assert f"ga4/events day={DAY} record={first['ts']}" in message
    assert "'geo.country' should be a string" in message
    assert ("line 1:" if fmt == "ndjson" else "row 1 of") in message
    assert not (tmp_path / "ga4").exists(), "nothing of the day landed"


def test_missing_export_file_is_a_clear_error(config, tmp_path):
    with pytest.raises(SourceError) as failure:
        land_day(ga4, config("ga4_export"), date(2027, 1, 1), tmp_path)
    assert "ga4/events day=2027-01-01" in str(failure.value)
    assert "does not exist" in str(failure.value)


def test_refused_credentials_name_the_connection(config, tmp_path):
    with pytest.raises(SourceAuthError, match="ga4_export"):
        land_day(ga4, config("ga4_export", token="nope"), DAY, tmp_path)


def test_server_error_then_success(config, server, tmp_path):
    server.add_fault("/ga4/export", 502, times=2)
    assert land_day(ga4, config("ga4_export"), DAY, tmp_path)["events"] > 0


def test_consent_denied_events_are_landed_and_counted_in_the_status(config, world, tmp_path):
    """Cookieless pings (analytics storage denied): no client id, no session id. They are GA4
    events all the same: landed, and counted in the day's status file."""
    land_day(ga4, config("ga4_export"), DAY, tmp_path)
    frame = landing.read_partition(tmp_path, "ga4", "events", DAY).to_pandas()
    denied = frame[frame.user_pseudo_id.isna()]
    truth = world.truth["consent_denied_sessions"]
    assert len(denied) == truth[truth.date == DAY].events.sum() > 0
    assert all(p["key"] != "ga_session_id" for params in denied.event_params for p in params)
    assert denied.user_id.isna().all() and denied.traffic_source.isna().all()
    status = json.loads(landing.status_file(tmp_path, "ga4", DAY).read_text())
    assert status["details"] == {"consent_denied_events": len(denied),
                                 "consent_denied_share": round(len(denied) / len(frame), 4)}


def test_parquet_over_https_lands_the_same_rows_as_ndjson(config, tmp_path):
    land_day(ga4, config("ga4_export"), DAY, tmp_path / "ndjson")
    land_day(ga4, config("ga4_export", format="parquet"), DAY, tmp_path / "parquet")
    ndjson = landing.read_partition(tmp_path / "ndjson", "ga4", "events", DAY)
    parquet = landing.read_partition(tmp_path / "parquet", "ga4", "events", DAY)
    assert parquet.num_rows > 0 and parquet.equals(ndjson)


@pytest.mark.parametrize("extension", ["parquet", "jsonl"])
def test_reads_the_export_from_a_folder_url(server, tmp_path, extension):
    """``file://`` (a mounted or synced bucket); ``gs://`` and ``s3://`` go through the same
    pyarrow filesystem call."""
    server.ga4.write_files(tmp_path / "export", extension, [DAY])
    fmt = {"parquet": "parquet", "jsonl": "ndjson"}[extension]
    rows = ga4.fetch_day(folder_config(f"file://{tmp_path}/export", format=fmt), DAY)["events"]
    over_http = ga4.fetch_day(SourceConfig("ga4_export", server.base_url, server.token,
                                           {"property_id": catalog.GA4_PROPERTY_ID}), DAY)["events"]
    assert rows == over_http and len(rows) > 0


def test_a_sharded_gzipped_extract_is_read_whole(server, tmp_path):
    """``bq extract … events_20261003-*.json.gz`` writes numbered shards: every one is the day."""
    [whole] = server.ga4.write_files(tmp_path / "one", "jsonl", [DAY])
    lines = whole.read_bytes().splitlines(keepends=True)
    folder = tmp_path / "sharded" / "exports" / f"analytics_{catalog.GA4_PROPERTY_ID}"
    folder.mkdir(parents=True)
    half = len(lines) // 2
    for shard, part in enumerate((lines[:half], lines[half:])):
        (folder / f"events_{DAY:%Y%m%d}-{shard:012d}.json.gz").write_bytes(gzip.compress(b"".join(part)))
    (folder / "events_20261004-000000000000.json.gz").write_bytes(b"")  # another day: not read
    config = folder_config(f"file://{tmp_path}/sharded", prefix="exports")
    rows = ga4.fetch_day(config, DAY)["events"]
    assert len(rows) == len(lines) and {r["event_date"] for r in rows} == {f"{DAY:%Y%m%d}"}


def test_a_missing_day_in_the_folder_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match="does not exist") as failure:
        ga4.fetch_day(folder_config(f"file://{tmp_path}"), DAY)
    assert str(tmp_path) in str(failure.value)


def test_an_unknown_format_names_the_connection(config):
    with pytest.raises(SourceError, match=r"ga4_export.*avro"):
        ga4.fetch_day(config("ga4_export", format="avro"), DAY)


def test_a_corrupt_parquet_file_is_a_schema_violation(tmp_path):
    folder = tmp_path / f"analytics_{catalog.GA4_PROPERTY_ID}"
    folder.mkdir()
    (folder / f"events_{DAY:%Y%m%d}.parquet").write_bytes(b"not parquet")
    with pytest.raises(SchemaViolation, match="not a readable Parquet file"):
        ga4.fetch_day(folder_config(f"file://{tmp_path}", format="parquet"), DAY)


def test_a_wrongly_typed_parquet_column_names_the_row(tmp_path):
    folder = tmp_path / f"analytics_{catalog.GA4_PROPERTY_ID}"
    folder.mkdir()
    table = pa.table({"event_date": ["20261003"], "event_timestamp": ["soon"], "event_name": ["page_view"]})
    pq.write_table(table, folder / f"events_{DAY:%Y%m%d}.parquet")
    with pytest.raises(SchemaViolation, match=r"row 1 .*event_timestamp"):
        ga4.fetch_day(folder_config(f"file://{tmp_path}", format="parquet"), DAY)


def test_staging_reads_drift_next_to_days_landed_before_extra_fields(config, server, tmp_path, caplog):
    """A day landed under the old contract (no extra_fields) and a drifted day read together the
    way the dbt sources read the landing zone: the column is there, NULL for the old day."""
    root = tmp_path / "ndjson"
    _land_drifted(server, config, tmp_path, "ndjson", {"device.is_foldable": True}, caplog)
    before = date(2026, 10, 2)
    land_day(ga4, config("ga4_export"), before, tmp_path / "old")
    old = landing.read_partition(tmp_path / "old", "ga4", "events", before).drop_columns(["extra_fields"])
    landing.write_partition(root, "ga4", "events", before, old)
    entity = root / "ga4" / "events"
    counts = duckdb.sql(f"""
        select date, count(*) as events,
               count(*) filter (where json_extract(extra_fields, '$."device.is_foldable"')::boolean)
        from (select * from read_parquet('{entity}/date=*/data.parquet', hive_partitioning = true,
                                         union_by_name = true, allow_empty = true)
              union all by name select * from read_parquet('{entity}/_contract.parquet'))
        group by date order by date""").fetchall()
    drifted = landing.read_partition(root, "ga4", "events", DAY).num_rows
    assert counts == [(before, old.num_rows, 0), (DAY, drifted, drifted)]
