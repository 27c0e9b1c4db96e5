"""Point the pipeline's Airflow connections at a running sandbox (demo and end-to-end tests).

Connections are passed the way production passes them: ``AIRFLOW_CONN_<ID>`` environment
variables (JSON). The token is random per session, so no credential is written anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from social_roi import pii
from social_roi.sandbox import catalog
from social_roi.sandbox.linkedin import current_version
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig
from social_roi.settings import temporary_environ

CRMS = ("hubspot", "salesforce")


def connection_env(base_url: str, token: str, *, linkedin_version: str | None = None,
                   crms: tuple[str, ...] = ("hubspot",), **retry: float) -> dict[str, str]:
    """``linkedin_version``: the LinkedIn-Version to send (the sandbox world's current one), else the
    connector's default. ``crms``: the CRMs to connect (both serve the same people and deals: with
    both, people are deduplicated by e-mail but each CRM's deals count, so the demo picks one)."""
    unknown = set(crms) - set(CRMS)
    if unknown or not crms:
        raise ValueError(f"crms must name one or both of {CRMS}, got {crms!r}")

    def conn(extra: dict[str, object]) -> str:
        return json.dumps({"conn_type": "http", "host": base_url, "password": token,
                           "extra": {**extra, **retry}})

    crm_connections = {
        "AIRFLOW_CONN_HUBSPOT": conn({}),
        # the sandbox org has several currencies enabled (Opportunity.CurrencyIsoCode)
        "AIRFLOW_CONN_SALESFORCE": conn({"multi_currency": True}),
    }
    return {
        "AIRFLOW_CONN_META_GRAPH": conn({"page_id": catalog.PAGE_ID,
                                         "ig_user_id": catalog.IG_USER_ID,
                                         "ad_account_id": catalog.AD_ACCOUNT_ID,
                                         # the sandbox's report runs finish at once
                                         "async_poll_seconds": 0.01}),
        "AIRFLOW_CONN_LINKEDIN": conn({"organization_id": catalog.LINKEDIN_ORG_ID,
                                       "ad_account_id": catalog.LINKEDIN_AD_ACCOUNT_ID,
                                       **({"api_version": linkedin_version} if linkedin_version else {})}),
        "AIRFLOW_CONN_GA4_EXPORT": conn({"property_id": catalog.GA4_PROPERTY_ID}),
        "AIRFLOW_CONN_GA4_DATA_API": conn({"property_id": catalog.GA4_PROPERTY_ID}),
        **{key: value for key, value in crm_connections.items()
           if key.removeprefix("AIRFLOW_CONN_").lower() in crms},
        "AIRFLOW_CONN_BRANDWATCH": conn({"project_id": catalog.LISTENING_PROJECT_ID,
                                         "query_ids": [b.query_id for b in catalog.LISTENING_BRANDS]}),
        "AIRFLOW_CONN_X": conn({"user_id": catalog.X_USER_ID}),
    }


@contextmanager
def sandbox_session(world: WorldConfig, *, crms: tuple[str, ...] = ("hubspot",),
                    **retry: float) -> Iterator[SandboxServer]:
    """Start the sandbox, export the connections, yield the server; restore the env after. A CRM
    not in ``crms`` has no connection: its extract records "not configured" (the environment
    variable is removed for the session if the caller's shell had one)."""
    token = secrets.token_urlsafe(16)
    with SandboxServer(world, token=token) as server:
        version = current_version(server.world.config)
        env = connection_env(server.base_url, token, linkedin_version=version, crms=crms, **retry)
        if not os.environ.get(pii.KEY_ENV):  # the sandbox's people are hashed with a key of the session
            env[pii.KEY_ENV] = secrets.token_hex(32)
        with temporary_environ(env), _without({f"AIRFLOW_CONN_{crm.upper()}" for crm in CRMS} - set(env)):
            yield server


@contextmanager
def _without(names: set[str]) -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def running_sandbox_connections(base_url: str, token: str, *, crms: tuple[str, ...] = ("hubspot",),
                                wait_seconds: float = 60.0) -> dict[str, dict[str, object]]:
    """The connections (``conn_id`` → fields) that point every source at a sandbox already
    serving at ``base_url`` (docker-compose's ``sandbox`` service), waiting for it to come up.
    Its world (for the LinkedIn-Version to send) is read from its health route."""
    import time

    import requests

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            response = requests.get(f"{base_url.rstrip('/')}/_sandbox/health", timeout=5)
            response.raise_for_status()
            break
        except requests.RequestException as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no sandbox answering at {base_url} after {wait_seconds:.0f}s: {exc}"
                                   ) from exc
            time.sleep(1)
    world = response.json()["world"]
    cfg = WorldConfig(seed=world["seed"], start_date=date.fromisoformat(world["start_date"]),
                      days=world["days"], scale=world["scale"])
    env = connection_env(base_url.rstrip("/"), token, linkedin_version=current_version(cfg), crms=crms)
    return {key.removeprefix("AIRFLOW_CONN_").lower(): json.loads(value) for key, value in env.items()}
