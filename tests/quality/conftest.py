"""Fixtures of the quality gate tests; the data builders are in ``gate_factories``."""

from __future__ import annotations

from pathlib import Path

import pytest

from social_roi.settings import Paths
from tests.quality.gate_factories import build_marts, land_all_clean, make_paths, mart_rows


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return make_paths(tmp_path)


@pytest.fixture
def clean_landing(paths: Paths) -> Paths:
    land_all_clean(paths)
    return paths


@pytest.fixture
def clean_marts(paths: Paths) -> Paths:
    build_marts(paths, mart_rows(40))
    return paths

