from __future__ import annotations

from datetime import date

import pytest

from social_roi.connectors.base import SourceConfig
from social_roi.sandbox import catalog
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world

TOKEN = "test-token"  # the sandbox's own credential, not a secret of any real system
WORLD = WorldConfig(seed=7, start_date=date(2026, 10, 1), days=4)
EXTRAS = {
    "meta_graph": {"page_id": catalog.PAGE_ID, "ig_user_id": catalog.IG_USER_ID,
                   "ad_account_id": catalog.AD_ACCOUNT_ID, "async_poll_seconds": 0.01},
    "linkedin": {"organization_id": catalog.LINKEDIN_ORG_ID,
                 "ad_account_id": catalog.LINKEDIN_AD_ACCOUNT_ID},
    "ga4_export": {"property_id": catalog.GA4_PROPERTY_ID},
    "ga4_data_api": {"property_id": catalog.GA4_PROPERTY_ID},
    "hubspot": {},
    "salesforce": {"multi_currency": "true"},
    "brandwatch": {"project_id": catalog.LISTENING_PROJECT_ID,
                   "query_ids": [b.query_id for b in catalog.LISTENING_BRANDS]},
    "x": {"user_id": catalog.X_USER_ID},
}


@pytest.fixture(scope="session")
def world():
    return generate_world(WORLD)


@pytest.fixture(scope="session")
def server(world):
    with SandboxServer(world, token=TOKEN) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_leftover_faults(server):
    server.clear_faults()
    yield
    server.clear_faults()


@pytest.fixture
def config(server):
    """A connection to the sandbox with fast retries; override any field per test."""

    def make(conn_id: str, token: str = TOKEN, **extra) -> SourceConfig:
        return SourceConfig(conn_id, server.base_url, token, {**EXTRAS[conn_id], **extra},
                            max_attempts=4, backoff_factor=0.01, max_retry_delay=3)

    return make


def requests_to(server, prefix: str) -> int:
    return sum(1 for _method, path in list(server.requests) if path.startswith(prefix))
