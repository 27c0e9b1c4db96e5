from __future__ import annotations

from datetime import date

import pytest

from social_roi import landing
from social_roi.connectors import ga4
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError, SourceError

DAY = date(2026, 10, 3)


def test_lands_the_days_events_with_typed_nested_params(config, world, tmp_path):
    counts = land_day(ga4, config("ga4_export"), DAY, tmp_path)
    events = landing.read_partition(tmp_path, "ga4", "events", DAY)
    assert counts == {"events": events.num_rows} and events.num_rows > 0
    assert events.schema.field("event_timestamp").type == "int64"  # JSON strings cast back

    frame = events.to_pandas()
    assert set(frame.event_date) == {"20261003"}
    sessions = world.truth["sessions"]
    day_sessions = sessions[sessions.date == DAY]
    starts = frame[frame.event_name == "session_start"]
    assert len(starts) == len(day_sessions)
    ids = {(p["key"], p["value"]["int_value"]) for params in starts.event_params for p in params
           if p["key"] == "ga_session_id"}
    assert {v for _k, v in ids} == set(day_sessions.ga_session_id.astype(int))
    assert (frame.event_name == "generate_lead").sum() == int(day_sessions.has_lead.sum())


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
