"""Publish on a PostgreSQL warehouse (decision 59): the marts built by dbt in ``main_marts`` are
copied into a staging schema and swapped in as the schema ``serving``, which BI reads through
the read-only role ``social_roi_bi``.

1. (one transaction) the BI role exists, the database lets nobody but its owner create anything
   (``public`` and temporary tables), and ``serving_next`` holds a copy of each mart, the one-row
   ``_publication`` table and the ``releases`` history (the columns of the DuckDB publisher's,
   ``social_roi.publish``; maps and lists as ``jsonb`` and ``text[]``). Nobody but the publisher
   can see ``serving_next``: a failure here rolls it back and ``serving`` is untouched.
2. (one transaction, the swap) ``serving`` → ``serving_old``, ``serving_next`` → ``serving``,
   ``serving_old`` dropped, the BI role granted ``USAGE`` on the new schema and ``SELECT`` on its
   tables. Readers see the old release or the new one, never a mix.

Locks: the renames lock no table; the drop takes ``ACCESS EXCLUSIVE`` on the old release's tables,
so it waits for readers whose transaction has read them. A reader inside a transaction
(``REPEATABLE READ``) thus keeps reading the old release until it ends; meanwhile new queries on
``serving`` queue behind the drop. The swap therefore runs with a short ``lock_timeout``
(``SWAP_LOCK_TIMEOUT``) and is retried: a plain query is never held up for longer than that, and
a reader that holds the old release for the whole of the retries makes the publication fail (the
old release still served) instead of blocking every other reader.

Releases (``social_roi.releases``, decision 63): the history is the ``releases`` table of the
served schema, numbered like DuckDB's. Each release is also kept as the schema ``release_<n>``
(``release_000012``: a copy of ``serving_next`` made in the staging transaction, no grant on it,
so the BI role reads ``serving`` only); the last ``keep`` (``SOCIAL_ROI_KEEP_RELEASES``) are kept
and older ones dropped after the swap. ``rollback`` stages a kept release's schema as
``serving_next`` with a new history (a release of its own that names the one it restored) and
swaps it in the same way. A failed swap drops ``release_<n>`` again: the number is not used. One
publication or rollback at a time: a session advisory lock.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from social_roi import releases
from social_roi.publish import PUBLICATION_TABLE, RELEASES_TABLE, PublishError, PublishResult
from social_roi.publish import _check_arguments as check_arguments
from social_roi.releases import Release, ReleaseError

SERVING_SCHEMA = "serving"
STAGING_SCHEMA = "serving_next"
OLD_SCHEMA = "serving_old"
BUILD_SCHEMA = "main_marts"
RELEASE_PREFIX = "release_"
BI_ROLE = "social_roi_bi"
SWAP_LOCK_TIMEOUT = "2s"
SWAP_ATTEMPTS = 5
BI_ROLE_ENV = "SOCIAL_ROI_PG_BI_ROLE"
BI_USER_ENV, BI_PASSWORD_ENV = "SOCIAL_ROI_PG_BI_USER", "SOCIAL_ROI_PG_BI_PASSWORD"
LOCK_KEY = 0x50C1A1  # pg_advisory_lock key: one publication at a time per database

log = logging.getLogger(__name__)


def ensure_bi_role(con: psycopg.Connection, role: str = BI_ROLE) -> None:
    """The read-only group role (NOLOGIN) and a database where only its owner creates objects.
    Idempotent; run inside the caller's transaction."""
    exists = con.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
    if not exists:
        con.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
    dbname = con.execute("select current_database()").fetchone()[0]
    db, me = sql.Identifier(dbname), sql.Identifier(con.info.user)
    con.execute("revoke create on schema public from public")
    # temporary tables too: nobody but the owner and the build user creates anything here
    con.execute(sql.SQL("revoke temporary on database {} from public").format(db))
    con.execute(sql.SQL("grant temporary on database {} to {}").format(db, me))
    con.execute(sql.SQL("grant connect on database {} to {}").format(db, sql.Identifier(role)))


def ensure_bi_login(con: psycopg.Connection, user: str, password: str, role: str = BI_ROLE) -> None:
    """A LOGIN user in the BI role (created or its password reset), e.g. for a BI tool; the
    password comes from the environment (``SOCIAL_ROI_PG_BI_PASSWORD``), never from a file."""
    if not password:
        raise PublishError(f"no password for the BI login {user!r}: set {BI_PASSWORD_ENV}")
    exists = con.execute("select 1 from pg_roles where rolname = %s", [user]).fetchone()
    verb = "alter" if exists else "create"
    con.execute(sql.SQL(verb + " role {} login password {} nocreatedb nocreaterole")
                .format(sql.Identifier(user), sql.Literal(password)))
    con.execute(sql.SQL("grant {} to {}").format(sql.Identifier(role), sql.Identifier(user)))


def bi_role_from_env() -> str:
    """``SOCIAL_ROI_PG_BI_ROLE``, default ``social_roi_bi``."""
    return os.environ.get(BI_ROLE_ENV, "").strip() or BI_ROLE


def bi_login_from_env() -> tuple[str, str] | None:
    """``(SOCIAL_ROI_PG_BI_USER, SOCIAL_ROI_PG_BI_PASSWORD)`` when a BI login is wanted."""
    user = os.environ.get(BI_USER_ENV, "").strip()
    return (user, os.environ.get(BI_PASSWORD_ENV, "")) if user else None


def publish(
    conninfo: str,
    tables: Sequence[str],
    *,
    schema: str = BUILD_SCHEMA,
    run_id: str,
    interval_start: datetime,
    interval_end: datetime,
    bi_role: str = BI_ROLE,
    bi_login: tuple[str, str] | None = None,
    swap_attempts: int = SWAP_ATTEMPTS,
    keep: int = releases.DEFAULT_KEEP,
) -> PublishResult:
    """Copy ``<schema>.<table>`` for each table into ``serving_next`` with ``_publication`` and
    ``releases``, keep a copy as ``release_<n>``, and swap it in as ``serving``."""
    tables = tuple(tables)
    check_arguments(tables, interval_start, interval_end)
    start, end = interval_start.astimezone(UTC), interval_end.astimezone(UTC)

    def release_of(history: tuple[Release, ...], number: int, counts: dict[str, int]) -> Release:
        return releases.publication(history, number, run_id=run_id, interval_start=start,
                                    interval_end=end, row_counts=counts)

    with _locked(conninfo) as con:
        with con.transaction():
            ensure_bi_role(con, bi_role)
            if bi_login is not None:
                ensure_bi_login(con, *bi_login, role=bi_role)
        plan = _release(con, schema, tables, release_of, True, keep, bi_role, swap_attempts)
    return PublishResult(SERVING_SCHEMA, tables, dict(plan.release.row_counts), run_id,
                         plan.release.number, plan.prune)


def rollback(conninfo: str, release: int | None = None, *, keep: int = releases.DEFAULT_KEEP,
             bi_role: str = BI_ROLE, swap_attempts: int = SWAP_ATTEMPTS) -> releases.Plan:
    """Serve a kept release's schema again, as a new release that records which one it restored
    (without ``release``: the one served before the current one); the same swap as a publication."""
    with _locked(conninfo) as con:
        with con.transaction():
            ensure_bi_role(con, bi_role)
        history, available = read_history(con), kept_numbers(con)
        target = releases.rollback_target(history, release, available)

        def release_of(history: tuple[Release, ...], number: int, counts: dict[str, int]) -> Release:
            if counts != dict(target.row_counts):
                raise ReleaseError(f"{release_schema(target.number)} does not hold what release "
                                   f"{target.number} published: row counts {counts} instead of "
                                   f"{dict(target.row_counts)}")
            return releases.restoration(history, number, target)

        return _release(con, release_schema(target.number), (*target.tables, PUBLICATION_TABLE),
                        release_of, False, keep, bi_role, swap_attempts)


def list_releases(conninfo: str) -> tuple[Release, ...]:
    with psycopg.connect(conninfo) as con:
        return read_history(con)


def release_schema(number: int) -> str:
    """The schema that keeps release ``number``: ``release_000012``."""
    return f"{RELEASE_PREFIX}{number:06d}"


def kept_numbers(con: psycopg.Connection) -> set[int]:
    """The numbers of the kept releases (their ``release_<n>`` schemas)."""
    names = con.execute("select nspname from pg_namespace where nspname like %s",
                        [RELEASE_PREFIX + "%"]).fetchall()
    return {int(name[len(RELEASE_PREFIX):]) for (name,) in names if name[len(RELEASE_PREFIX):].isdigit()}


@contextlib.contextmanager
def _locked(conninfo: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection holding the publication lock: one publication or rollback at a
    time per database."""
    with psycopg.connect(conninfo, options="-c TimeZone=UTC") as con:
        con.autocommit = True
        con.execute("select pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield con
        finally:
            con.execute("select pg_advisory_unlock(%s)", [LOCK_KEY])


def _release(
    con: psycopg.Connection,
    source_schema: str,
    tables: tuple[str, ...],
    release_of: Callable[[tuple[Release, ...], int, dict[str, int]], Release],
    publication_row: bool,
    keep: int,
    bi_role: str,
    swap_attempts: int,
) -> releases.Plan:
    """The one path of a publication and a rollback: (1) stage ``serving_next`` from
    ``source_schema`` with its history and keep a copy as ``release_<n>``, in one transaction;
    (2) swap; (3) drop the releases no longer kept. A failed swap drops ``release_<n>`` again:
    the number is not used."""
    with con.transaction():
        history, available = read_history(con), kept_numbers(con)
        number = releases.next_number(history, available)
        counts = _stage(con, source_schema, tables)
        counts.pop(PUBLICATION_TABLE, None)  # copied by a rollback: not one of the release's tables
        release = release_of(history, number, counts)
        plan = releases.plan(history, release, available, keep)
        if publication_row:
            _publication_row(con, release)
        _write_history(con, plan.history)
        _copy_schema(con, STAGING_SCHEMA, release_schema(number))
    try:
        seconds = _swap(con, bi_role, swap_attempts)
    except BaseException:
        con.execute(sql.SQL("drop schema if exists {} cascade").format(
            sql.Identifier(release_schema(number))))
        raise
    log.info("release %s swapped in as %s.%s in %.0f ms", number, con.info.dbname, SERVING_SCHEMA,
             seconds * 1000)
    _prune(con, plan.prune)
    return plan


def _copy_schema(con: psycopg.Connection, source: str, target: str) -> None:
    """``target`` (new) with a copy of every table of ``source``; no grant on it: only the
    publishing user reads a kept release."""
    tables = [row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = %s", [source])]
    con.execute(sql.SQL("create schema {}").format(sql.Identifier(target)))
    for table in tables:
        con.execute(sql.SQL("create table {}.{} as select * from {}.{}").format(
            sql.Identifier(target), sql.Identifier(table), sql.Identifier(source), sql.Identifier(table)))


def _prune(con: psycopg.Connection, numbers: Sequence[int]) -> None:
    for number in numbers:
        try:
            with con.transaction():
                con.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
                con.execute(sql.SQL("drop schema if exists {} cascade").format(
                    sql.Identifier(release_schema(number))))
        except psycopg.Error as exc:  # served already: the next publication prunes it again
            log.warning("could not prune release %s: %s", number, exc)


def _stage(con: psycopg.Connection, schema: str, tables: tuple[str, ...]) -> dict[str, int]:
    staging = sql.Identifier(STAGING_SCHEMA)
    con.execute(sql.SQL("drop schema if exists {} cascade").format(staging))
    con.execute(sql.SQL("create schema {}").format(staging))
    counts = {}
    for table in tables:
        try:
            with con.transaction():  # a savepoint: the error below names the mart
                con.execute(sql.SQL("create table {}.{} as select * from {}.{}").format(
                    staging, sql.Identifier(table), sql.Identifier(schema), sql.Identifier(table)))
        except psycopg.errors.UndefinedTable as exc:
            raise PublishError(f"cannot publish {schema}.{table} from {con.info.dbname}: {exc}"
                               ) from exc
        counts[table] = con.execute(sql.SQL("select count(*) from {}.{}").format(
            staging, sql.Identifier(table))).fetchone()[0]
    return counts


def _publication_row(con: psycopg.Connection, release: Release) -> None:
    staging = sql.Identifier(STAGING_SCHEMA)
    con.execute(sql.SQL("""
        create table {}.{} as select
            %s::text as run_id, %s::timestamptz as interval_start, %s::timestamptz as interval_end,
            %s::timestamptz as published_at, %s::text[] as table_names, %s::jsonb as row_counts,
            'postgres ' || current_setting('server_version') as storage_version
    """).format(staging, sql.Identifier(PUBLICATION_TABLE)),
        [release.run_id, release.interval_start, release.interval_end, release.published_at,
         list(release.tables), json.dumps(dict(release.row_counts))])


def _write_history(con: psycopg.Connection, history: Sequence[Release]) -> None:
    table = sql.SQL("{}.{}").format(sql.Identifier(STAGING_SCHEMA), sql.Identifier(RELEASES_TABLE))
    con.execute(sql.SQL("""
        create table {} (
            release_number bigint not null primary key,
            run_id text not null,
            interval_start timestamptz not null,
            interval_end timestamptz not null,
            published_at timestamptz not null,
            table_names text[] not null,
            row_counts jsonb not null,
            restored_release_number bigint,
            is_current boolean not null,
            is_kept boolean not null
        )""").format(table))
    with con.cursor() as cur:
        cur.executemany(sql.SQL("insert into {} values (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)")
                        .format(table),
                        [(r.number, r.run_id, r.interval_start, r.interval_end, r.published_at,
                          list(r.tables), json.dumps(dict(r.row_counts)), r.restored_release_number,
                          r.is_current, r.is_kept) for r in history])


def _swap(con: psycopg.Connection, bi_role: str, attempts: int) -> float:
    """Rename, rename, drop and grant in one transaction; retried when a reader holds the old
    release past the lock timeout. Returns the committed transaction's duration."""
    serving, old = sql.Identifier(SERVING_SCHEMA), sql.Identifier(OLD_SCHEMA)
    role = sql.Identifier(bi_role)
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        try:
            with con.transaction():
                con.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(SWAP_LOCK_TIMEOUT)))
                con.execute(sql.SQL("drop schema if exists {} cascade").format(old))  # a crash's leftover
                if _schema_exists(con, SERVING_SCHEMA):
                    con.execute(sql.SQL("alter schema {} rename to {}").format(serving, old))
                con.execute(sql.SQL("alter schema {} rename to {}").format(
                    sql.Identifier(STAGING_SCHEMA), serving))
                con.execute(sql.SQL("drop schema if exists {} cascade").format(old))
                con.execute(sql.SQL("grant usage on schema {} to {}").format(serving, role))
                con.execute(sql.SQL("grant select on all tables in schema {} to {}").format(serving, role))
            return time.monotonic() - started
        except psycopg.errors.LockNotAvailable as exc:
            log.warning("swap attempt %s/%s: a reader holds the served release (%s)", attempt,
                        attempts, exc)
            time.sleep(min(2 ** attempt, 10) / 10)
    raise PublishError(f"readers held {SERVING_SCHEMA} for {attempts} attempts of "
                       f"{SWAP_LOCK_TIMEOUT} each: the previous release is still served, the new one "
                       f"waits in {STAGING_SCHEMA}")


def _schema_exists(con: psycopg.Connection, name: str) -> bool:
    return con.execute("select 1 from pg_namespace where nspname = %s", [name]).fetchone() is not None


def read_history(con: psycopg.Connection, schema: str = SERVING_SCHEMA) -> tuple[Release, ...]:
    """The ``releases`` table of the served schema (none before the first publication)."""
    found = con.execute("select to_regclass(%s)", [f"{schema}.{RELEASES_TABLE}"]).fetchone()[0]
    if found is None:
        return ()
    rows = con.execute(sql.SQL("select * from {}.{} order by release_number").format(
        sql.Identifier(schema), sql.Identifier(RELEASES_TABLE))).fetchall()
    return tuple(Release(number=n, run_id=run, interval_start=start.astimezone(UTC),
                         interval_end=end.astimezone(UTC), published_at=at.astimezone(UTC),
                         tables=tuple(names), row_counts=dict(counts), restored_release_number=restored,
                         is_current=current, is_kept=kept)
                 for n, run, start, end, at, names, counts, restored, current, kept in rows)

