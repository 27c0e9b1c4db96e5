"""A self-contained Airflow for the embedded default: SQLite metadata under the data directory,
this repository's dags/ and plugins/, no example DAGs. Must run before Airflow is imported."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from social_roi.settings import REPO_ROOT, Paths

POOLS = {
    "duckdb_writer": (1, "One writer at a time on the DuckDB build database."),
    "api_meta": (2, "Concurrent calls to the Meta Graph API."),
    "api_linkedin": (1, "Calls to the LinkedIn Marketing API (daily quotas per application and member)."),
    "api_ga4": (2, "Concurrent downloads of GA4 export files."),
    "api_ga4_data_api": (1, "Calls to the GA4 Data API (property tokens per hour and per day)."),
    "api_hubspot": (2, "Concurrent calls to the HubSpot API (per-portal rate limits)."),
    "api_salesforce": (1, "Calls to the Salesforce REST API (the org's daily API allocation, shared "
                          "with its other integrations)."),
    "api_brandwatch": (1, "Calls to Brandwatch (30 requests per 10 minutes per user)."),
    "api_x": (1, "Calls to the X API (per-user 15-minute windows, x-rate-limit-* headers)."),
}


def configure(paths: Paths) -> Path:
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(paths.data_dir / "airflow")))
    defaults = {
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "GX_ANALYTICS_ENABLED": "False",
        "DO_NOT_TRACK": "1",  # dbt and others: no telemetry from a data pipeline
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    home.mkdir(parents=True, exist_ok=True)
    return home


def ensure_metadata_db(home: Path, *, always_migrate: bool = False) -> None:
    """Create or upgrade Airflow's metadata database (idempotent), then its pools. In this
    process (``configure`` has run): ``airflow db migrate`` as a command cost ~4 s more, its own
    interpreter and imports (decision 46). A marker in ``home`` skips the migration next time;
    ``always_migrate`` ignores it (a shared metadata database, upgraded by a new image)."""
    marker = home / ".migrated"
    if always_migrate or not marker.exists():
        from airflow.utils.db import upgradedb

        from social_roi.runner import output_to

        with output_to(home / "logs" / "db_migrate.log"):  # as quiet as the command was
            upgradedb()
        marker.touch()
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots, description, include_deferred=False)


def add_missing_connections(connections: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Store each connection (``conn_id`` → ``conn_type``, ``host``, ``password``, ``extra``) in
    the metadata database unless one with its id exists: a connection an operator has set to the
    real API (UI, CLI or a secrets backend) is never overwritten. Returns the ids added."""
    import json

    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    added = []
    with create_session() as session:
        existing = {conn_id for (conn_id,) in session.query(Connection.conn_id)}
        for conn_id, fields in connections.items():
            if conn_id in existing:
                continue
            extra = fields.get("extra")
            session.add(Connection(conn_id=conn_id, conn_type=str(fields["conn_type"]),
                                   host=fields.get("host"), password=fields.get("password"),
                                   extra=json.dumps(extra) if extra else None))
            added.append(conn_id)
    return added
