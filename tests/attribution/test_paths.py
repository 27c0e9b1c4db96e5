"""Journeys → collapsed paths with counts; input validation."""

from __future__ import annotations

import pandas as pd
import pytest

from social_roi.attribution.paths import collapse_repeats, encode_journeys, path_counts
from tests.attribution.frames import conversions, nulls


def test_collapse_repeats_keeps_the_first_of_each_run_in_position_order():
    touches = pd.DataFrame({"conversion_id": ["x", "x", "x", "x", "y", "y"],
                            "position": [4, 2, 1, 3, 2, 1],
                            "channel": ["A", "A", "A", "B", "A", "A"]})
    out = collapse_repeats(touches)
    assert out[["conversion_id", "position", "channel"]].values.tolist() == [
        ["x", 1, "A"], ["x", 3, "B"], ["x", 4, "A"], ["y", 1, "A"]]


def test_path_counts_collapse_group_and_count():
    conv = pd.concat([
        conversions({"c1": ["A", "A", "B"], "c2": ["A", "B"], "c3": [], "c4": ["B"]}),
        conversions({"d1": ["B", "B"]}, conversion_type="customer"),
        conversions({"m1": ["A"]}, period="2024-02"),
    ], ignore_index=True)
    null = pd.concat([
        nulls([["A", "B", "B"], ["B"]]),                                 # lead, 2024-01
        nulls([["B"]], conversion_type=None, prefix="w"),                # every type of 2024-01
        nulls([["A"]], conversion_type="customer", period="2024-03", prefix="x"),  # no such conversions
        nulls([["A"]], conversion_type="mql", prefix="y"),                 # no mql conversions
    ], ignore_index=True)
    got = path_counts(conv, null)
    assert got.values.tolist() == [
        ["customer", "2024-01", ("B",), 1, 1],     # d1 (B→B collapsed) + the wildcard
        ["lead", "2024-01", ("A", "B"), 2, 1],     # c1 (A→A→B), c2; null A→B→B
        ["lead", "2024-01", ("B",), 1, 2],         # c4; null B + wildcard B
        ["lead", "2024-02", ("A",), 1, 0],
    ]  # c3's empty path is not a journey of the models


def test_encoding_sorts_by_conversion_and_position_whatever_the_input_order():
    conv = conversions({"b": ["A", "B", "C"], "a": ["C"]})
    shuffled = conv.iloc[[2, 3, 0, 1]].reset_index(drop=True)
    rows = encode_journeys(shuffled).rows
    assert rows.id_column().tolist() == ["a", "b", "b", "b"]
    assert rows.position_column().tolist() == [1, 1, 2, 3]
    assert [rows.channels[c] for c in rows.channel] == ["C", "A", "B", "C"]


def test_validation():
    conv = conversions({"c1": ["A", "B"]})
    with pytest.raises(ValueError, match="lacks column"):
        encode_journeys(conv.drop(columns="n_touches"))
    with pytest.raises(ValueError, match="repeated"):
        encode_journeys(conv.assign(position=[1, 1]))
    with pytest.raises(ValueError, match="n_touches"):
        encode_journeys(conv.assign(n_touches=[3, 3]))
    with pytest.raises(ValueError, match="channel is null"):
        encode_journeys(conv.assign(channel=["A", None]))
    with pytest.raises(ValueError, match="position is null"):
        encode_journeys(conv.assign(position=pd.array([1, None], dtype="Int64")))
    with pytest.raises(ValueError, match="null journeys: channel"):
        encode_journeys(conv, nulls([["A"]]).assign(channel=[None]))
    with pytest.raises(ValueError, match="lacks column"):
        encode_journeys(conv, nulls([["A"]]).drop(columns="journey_id"))
