"""The shared window splitter that HubSpot and Brandwatch use for their result caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from social_roi.connectors.base import split_while_capped
from social_roi.errors import SourceError

START = datetime(2026, 10, 1, tzinfo=UTC)


class Page(list):
    total = 0


def api(moments: list[datetime], page_size: int = 3, calls: list | None = None):
    """A fake API over ``moments``: pages of ``page_size`` records in a window, with the total."""

    def fetch(lo: datetime, hi: datetime):
        if calls is not None:
            calls.append((lo, hi))
        inside = [m for m in moments if lo <= m < hi]
        for offset in range(0, max(len(inside), 1), page_size):
            page = Page(inside[offset:offset + page_size])
            page.total = len(inside)
            yield page

    return fetch


def split(fetch, cap: int, end: datetime = START + timedelta(days=1)) -> list:
    return split_while_capped(fetch, lambda page: page.total, START, end, cap,
                              source="src", entity="things", day=date(2026, 10, 1))


def test_windows_are_halved_on_millisecond_bounds_until_each_fits():
    moments = [START + timedelta(minutes=7 * i, microseconds=250) for i in range(50)]
    calls: list = []
    assert split(api(moments, calls=calls), cap=8) == moments
    assert all(lo.microsecond % 1000 == 0 and hi.microsecond % 1000 == 0 for lo, hi in calls)
    assert len(calls) > 7


def test_under_the_cap_one_window_is_enough():
    calls: list = []
    moments = [START + timedelta(hours=i) for i in range(5)]
    assert split(api(moments, calls=calls), cap=5) == moments and len(calls) == 1


def test_too_many_records_in_one_millisecond_fail_naming_the_window():
    moments = [START + timedelta(hours=3)] * 4
    with pytest.raises(SourceError, match=r"src/things day=2026-10-01.*4 records within one millisecond"):
        split(api(moments), cap=3)


def test_dlt_expected_raise_for_status_warning_is_dropped_and_others_kept():
    """Our sessions raise on HTTP errors on purpose: dlt's warning about it is dropped at its
    logger (it used to fill every day's Airflow log), other dlt warnings still pass."""
    import logging

    import social_roi.connectors.base  # noqa: F401  (installs the filter)

    dlt_logger = logging.getLogger("dlt")

    def record(message: str) -> logging.LogRecord:
        return dlt_logger.makeRecord("dlt", logging.WARNING, __file__, 1, message, (), None)

    noise = record("The session provided has raise_for_status enabled. This may cause unexpected behavior.")
    other = record("Retrying request after 429")
    assert not dlt_logger.filter(noise) and dlt_logger.filter(other)


def test_unknown_fields_are_named_by_path_and_known_ones_left_out():
    from social_roi.connectors.base import unknown_fields

    record = {"id": "1", "text": "t", "community_id": "9",
              "public_metrics": {"like_count": 1, "view_count": 7},
              "edit_controls": {"editable_until": "x"}}
    known = ("id", "text", "public_metrics.like_count")
    assert unknown_fields(record, known) == {"community_id": "9", "public_metrics.view_count": 7,
                                             "edit_controls": {"editable_until": "x"}}
    assert unknown_fields({"id": "1", "public_metrics": {"like_count": 2}}, known) == {}
    assert unknown_fields({"id": "1", "public_metrics": None}, known) == {}, "a null record is no drift"
    assert unknown_fields({"id": "1", "public_metrics": 5}, known) == {"public_metrics": 5}


def test_unknown_fields_inside_lists_get_one_value_per_element_and_a_whole_name_wins():
    from social_roi.connectors.base import field_tree, unknown_fields

    known = field_tree(["id", "params.key", "params.value.int_value", "meta.a", "meta"])
    assert known == {"id": None, "params": {"key": None, "value": {"int_value": None}}, "meta": None}
    record = {"id": "1", "meta": {"anything": 1},
              "params": [{"key": "a", "value": {"int_value": 1}},
                         {"key": "b", "value": {"int_value": 2, "json_value": "{}"}, "scope": "x"}]}
    assert unknown_fields(record, known) == {"params.value.json_value": [None, "{}"],
                                             "params.scope": [None, "x"]}
    assert unknown_fields({"id": "1", "params": []}, known) == {}
