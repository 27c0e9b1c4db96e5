"""Shared worlds and servers of the sandbox tests (generated once per session)."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world

TOKEN = "sandbox-test-token"  # the sandbox's own credential, not a secret of any real system
DEFAULT = WorldConfig()  # seed 42, 2026-10-01, 30 days, scale 1: the demo world
SMALL = WorldConfig(seed=3, start_date=date(2026, 10, 1), days=6, scale=0.5)


@pytest.fixture(scope="session")
def world():
    return generate_world(DEFAULT)


@pytest.fixture(scope="session")
def small_world():
    return generate_world(SMALL)


@pytest.fixture(scope="session")
def server(world):
    with SandboxServer(world, token=TOKEN) as srv:
        yield srv


@pytest.fixture(scope="session")
def small_server(small_world):
    with SandboxServer(small_world, token=TOKEN) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_leftover_faults(request):
    yield
    for name in ("server", "small_server"):
        if name in request.fixturenames:
            request.getfixturevalue(name).clear_faults()


@pytest.fixture(scope="session")
def http():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    yield session
    session.close()
