"""A fresh PostgreSQL database per test, on the machine's server (127.0.0.1:5432, trust auth, in
CI as on a developer's machine). Set ``SOCIAL_ROI_TEST_POSTGRES`` to another server's libpq URL.

A test that needs Postgres skips only when no server answers and CI is not set: in CI (``CI=true``)
an unreachable Postgres fails the test, so it can never pass by being skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

SERVER_URL = os.environ.get("SOCIAL_ROI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _connect(dbname: str | None = None):
    import psycopg2

    dsn = SERVER_URL if dbname is None else SERVER_URL.rsplit("/", 1)[0] + f"/{dbname}"
    conn = psycopg2.connect(dsn, connect_timeout=5)
    conn.autocommit = True
    return conn


def require_server() -> None:
    import psycopg2

    try:
        _connect().close()
    except psycopg2.OperationalError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL at {SERVER_URL}: {exc}")
        pytest.skip(f"no PostgreSQL at {SERVER_URL}: {exc}")


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """Create a uniquely named database, yield its SQLAlchemy URL (psycopg2), drop it after."""
    require_server()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _execute(f'CREATE DATABASE "{name}"')
    try:
        yield SERVER_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg2://") + f"/{name}"
    finally:
        _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _execute(sql: str) -> None:
    admin = _connect()  # autocommit: CREATE/DROP DATABASE cannot run in a transaction
    try:
        admin.cursor().execute(sql)
    finally:
        admin.close()


def query(sqlalchemy_url: str, sql: str) -> list[tuple]:
    """Rows of ``sql`` on the database of ``sqlalchemy_url``, read with psycopg2 directly."""
    conn = _connect(sqlalchemy_url.rsplit("/", 1)[1])
    try:
        cursor = conn.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        conn.close()
