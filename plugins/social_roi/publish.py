"""Publish: copy the validated marts into a new serving database that atomically replaces the old;
keep the last releases and roll back to one of them.

BI tools only ever open the serving file, read-only. A publication is built under a temporary name
and swapped in with ``os.replace``, so a reader sees the old release or the new one, never half of
one; readers already connected keep their snapshot of the old file. If anything fails, the
temporary files are removed and the served file is left exactly as it was.

Releases (the numbering and the history are ``social_roi.releases``'s; the files are this
module's). Every publication is release *n*, written first as ``releases/<n>.duckdb`` beside the
served file (zero-padded, e.g. ``releases/000012.duckdb``) and then copied over the served path,
which stays the same for BI. The newest release file is the registry: its ``releases`` table is
the whole history, so the next number and the kept releases are read from a file no BI client
opens (a client that wrongly holds the served file read-write cannot block publication). The last
``keep`` release files are kept; older ones are deleted after the swap. A failure before the swap
removes release n's file again: the number is not used. Only a crash (SIGKILL, power loss) in the
milliseconds between keeping the file and the swap leaves a release that was kept but never
served; the next publication lists it as an ordinary earlier release. ``rollback`` makes a new
release out of a kept one: its tables (marts and ``_publication``) copied unchanged, a new
``releases`` history saying which release it restored, and the same swap. One operation at a
time: an exclusive ``flock`` on ``releases/.lock``.

Three DuckDB details matter (ARCHITECTURE.md, "facts"):
- committed data may still live only in the ``.wal`` beside a file: the new database is
  checkpointed and detached, and the swap refuses to happen if a ``.wal`` remains;
- BI drivers bundle DuckDB 1.x, which cannot read 2.0 files: the file is written with
  ``STORAGE_VERSION 'v1.4.0'``;
- within one process, ``duckdb.connect(path)`` reuses an already open database of the same path,
  so a long-lived process sees a new release only once it has closed every connection to the old
  one (or reads through ``ATTACH`` from a fresh connection). Other processes are unaffected.

The marts and ``_publication`` depend only on the build database and the run's interval
(``published_at`` is the interval end, rows are stored sorted): publishing the same run twice gives
the same tables, as release n and n + 1. Only ``releases`` differs: it is the history, one row
longer. DuckDB files are not byte-reproducible (two writes of the same rows differ in their
headers), so "the same" is the same rows in the same stored order.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from social_roi import releases
from social_roi.errors import SocialRoiError
from social_roi.releases import Release, ReleaseError

STORAGE_VERSION = "v1.4.0"  # readable by DuckDB >= 1.4 clients (BI drivers)
PUBLICATION_TABLE = "_publication"
RELEASES_TABLE = "releases"
RESERVED_TABLES = (PUBLICATION_TABLE, RELEASES_TABLE)

log = logging.getLogger(__name__)


class PublishError(SocialRoiError):
    """Publication failed; the previously served database is untouched."""


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: tuple[str, ...]
    row_counts: dict[str, int]
    run_id: str
    release: int = 0
    pruned: tuple[int, ...] = ()


def releases_dir_for(serving_db: Path) -> Path:
    """Where the kept releases of ``serving_db`` live: ``<its folder>/releases/``."""
    return Path(serving_db).parent / "releases"


def publish(
    build_db: Path,
    serving_db: Path,
    tables: Sequence[str],
    *,
    schema: str = "main_marts",
    run_id: str,
    interval_start: datetime,
    interval_end: datetime,
    keep: int = releases.DEFAULT_KEEP,
) -> PublishResult:
    """Copy ``build.<schema>.<table>`` for each table, a one-row ``_publication`` table and the
    ``releases`` history into release n, and serve it at ``serving_db``."""
    tables = tuple(tables)
    _check_arguments(tables, interval_start, interval_end)
    if not Path(build_db).is_file():
        raise PublishError(f"build database {build_db} does not exist: nothing to publish")
    store = _Store(releases_dir_for(serving_db))
    with store.locked():
        history = store.history()
        number = releases.next_number(history, store.numbers())
        start, end = interval_start.astimezone(UTC), interval_end.astimezone(UTC)

        def release_of(counts: dict[str, int]) -> Release:
            return releases.publication(history, number, run_id=run_id, interval_start=start,
                                        interval_end=end, row_counts=counts)

        def publication_row(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> None:
            con.execute(f"""
                CREATE TABLE serving.main.{PUBLICATION_TABLE} AS SELECT
                    ?::VARCHAR AS run_id,
                    ?::TIMESTAMPTZ AS interval_start,
                    ?::TIMESTAMPTZ AS interval_end,
                    ?::TIMESTAMPTZ AS published_at,
                    ?::VARCHAR[] AS table_names,
                    MAP(?::VARCHAR[], ?::BIGINT[]) AS row_counts,
                    ?::VARCHAR AS storage_version
            """, [run_id, start, end, end, list(counts), list(counts), list(counts.values()),
                  STORAGE_VERSION])

        plan = _release(store, Path(serving_db), history, keep, Path(build_db), schema, tables,
                        release_of, publication_row)
    return PublishResult(Path(serving_db), tables, dict(plan.release.row_counts), run_id,
                         plan.release.number, plan.prune)


def rollback(serving_db: Path, release: int | None = None, *,
             keep: int = releases.DEFAULT_KEEP) -> releases.Plan:
    """Serve a kept release's data again, as a new release that records which one it restored.
    Without ``release``: the release served before the current one."""
    store = _Store(releases_dir_for(serving_db))
    with store.locked():
        history = store.history()
        available = store.numbers()
        target = releases.rollback_target(history, release, available)
        number = releases.next_number(history, available)
        restored = releases.restoration(history, number, target)

        def release_of(counts: dict[str, int]) -> Release:
            if counts != dict(target.row_counts):
                raise ReleaseError(f"{store.path(target.number)} does not hold what release "
                                   f"{target.number} published: row counts {counts} instead of "
                                   f"{dict(target.row_counts)}")
            return restored

        return _release(store, Path(serving_db), history, keep, store.path(target.number), "main",
                        (*target.tables, PUBLICATION_TABLE), release_of, None)


def list_releases(serving_db: Path) -> tuple[Release, ...]:
    """Every release published for ``serving_db`` so far, oldest first (the last is current)."""
    store = _Store(releases_dir_for(serving_db))
    if not store.root.is_dir():
        return ()
    with store.locked():
        return store.history()


def _release(
    store: _Store,
    serving_db: Path,
    history: tuple[Release, ...],
    keep: int,
    source_db: Path,
    schema: str,
    tables: tuple[str, ...],
    release_of: Callable[[dict[str, int]], Release],
    publication_row: Callable[[duckdb.DuckDBPyConnection, dict[str, int]], None] | None,
) -> releases.Plan:
    """Write release n from ``source_db``, keep it, serve it, then prune: the one path of both a
    publication and a rollback."""
    available = store.numbers()
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.root / f".{uuid.uuid4().hex}.writing"
    written = None
    try:
        plan = _write(source_db, tmp, schema, tables, lambda counts: releases.plan(
            history, release_of(counts), available, keep), publication_row)
        if _wal(tmp).exists():
            raise PublishError(f"{_wal(tmp)} remains after CHECKPOINT: its data would be lost")
        _fsync(tmp)
        written = store.path(plan.release.number)
        os.replace(tmp, written)  # kept first: if serving it fails, it is removed again below
        _fsync(store.root)
        _serve(written, serving_db)
    except BaseException:
        for leftover in (tmp, _wal(tmp), written):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
        raise
    _fsync(serving_db.parent)  # make the swap itself durable (it has happened: nothing to undo)
    store.prune(plan.prune)
    return plan


def _write(source_db: Path, target: Path, schema: str, tables: tuple[str, ...],
           plan_for: Callable[[dict[str, int]], releases.Plan],
           publication_row: Callable[[duckdb.DuckDBPyConnection, dict[str, int]], None] | None,
           ) -> releases.Plan:
    con = duckdb.connect()  # in memory: only the two attached files are touched
    try:
        try:
            con.execute(f"ATTACH {_literal(source_db)} AS source (READ_ONLY)")
        except duckdb.Error as exc:
            raise PublishError(f"cannot open {source_db}: {exc}") from exc
        con.execute(f"ATTACH {_literal(target)} AS serving (STORAGE_VERSION '{STORAGE_VERSION}')")
        counts = {}
        for table in tables:
            source = f"source.{_ident(schema)}.{_ident(table)}"
            try:
                # sorted, so that two publications of the same data store the same rows in the same order
                con.execute(f"CREATE TABLE serving.main.{_ident(table)} AS "
                            f"SELECT * FROM {source} ORDER BY ALL")
            except duckdb.CatalogException as exc:
                raise PublishError(f"cannot publish {schema}.{table} from {source_db}: {exc}") from exc
            counts[table] = con.execute(
                f"SELECT count(*) FROM serving.main.{_ident(table)}").fetchall()[0][0]
        counts.pop(PUBLICATION_TABLE, None)  # copied by a rollback: not one of the release's tables
        if publication_row is not None:
            publication_row(con, counts)
        plan = plan_for(counts)
        _write_history(con, plan.history)
        con.execute("CHECKPOINT serving")
        con.execute("DETACH serving")
        con.execute("DETACH source")
    finally:
        con.close()
    return plan


def _write_history(con: duckdb.DuckDBPyConnection, history: Sequence[Release]) -> None:
    con.execute(f"""
        CREATE TABLE serving.main.{RELEASES_TABLE} (
            release_number BIGINT NOT NULL PRIMARY KEY,
            run_id VARCHAR NOT NULL,
            interval_start TIMESTAMPTZ NOT NULL,
            interval_end TIMESTAMPTZ NOT NULL,
            published_at TIMESTAMPTZ NOT NULL,
            table_names VARCHAR[] NOT NULL,
            row_counts MAP(VARCHAR, BIGINT) NOT NULL,
            restored_release_number BIGINT,
            is_current BOOLEAN NOT NULL,
            is_kept BOOLEAN NOT NULL
        )""")
    con.executemany(
        f"INSERT INTO serving.main.{RELEASES_TABLE} VALUES "
        "(?, ?, ?, ?, ?, ?, MAP(?::VARCHAR[], ?::BIGINT[]), ?, ?, ?)",
        [[r.number, r.run_id, r.interval_start, r.interval_end, r.published_at, list(r.tables),
          list(r.row_counts), list(r.row_counts.values()), r.restored_release_number,
          r.is_current, r.is_kept] for r in history])


def read_history(db: Path) -> tuple[Release, ...]:
    """The ``releases`` table of one serving or release file."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_literal(db)} AS served (READ_ONLY)")
        rows = con.execute(f"SELECT * FROM served.main.{RELEASES_TABLE} "
                           "ORDER BY release_number").fetchall()
    except duckdb.Error as exc:
        raise ReleaseError(f"cannot read the release history in {db}: {exc}") from exc
    finally:
        con.close()
    return tuple(Release(number=n, run_id=run, interval_start=start.astimezone(UTC),
                         interval_end=end.astimezone(UTC), published_at=at.astimezone(UTC),
                         tables=tuple(names), row_counts=dict(counts), restored_release_number=restored,
                         is_current=current, is_kept=kept)
                 for n, run, start, end, at, names, counts, restored, current, kept in rows)


class _Store:
    """The folder of kept release files: ``<number, 6 digits>.duckdb``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, number: int) -> Path:
        return self.root / f"{number:06d}.duckdb"

    def numbers(self) -> set[int]:
        if not self.root.is_dir():
            return set()
        return {int(p.stem) for p in self.root.glob("*.duckdb") if p.stem.isdigit()}

    def history(self) -> tuple[Release, ...]:
        numbers = self.numbers()
        return read_history(self.path(max(numbers))) if numbers else ()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One publication or rollback at a time; leftovers of an interrupted one are removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                for leftover in self.root.glob(".*.writing*"):
                    leftover.unlink(missing_ok=True)
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prune(self, numbers: Sequence[int]) -> None:
        for number in numbers:
            try:
                self.path(number).unlink(missing_ok=True)
            except OSError as exc:  # served already: the next publication prunes it again
                log.warning("could not prune release %s: %s", number, exc)


def _serve(release_file: Path, serving_db: Path) -> None:
    """Copy a release file beside the served one and swap it in: the last step that can fail."""
    tmp = serving_db.with_name(f".{serving_db.name}.{uuid.uuid4().hex}.publishing")
    try:
        shutil.copyfile(release_file, tmp)
        _fsync(tmp)
        os.replace(tmp, serving_db)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_arguments(tables: tuple[str, ...], start: datetime, end: datetime) -> None:
    if not tables:
        raise PublishError("no tables to publish")
    if len(set(tables)) != len(tables) or set(tables) & set(RESERVED_TABLES):
        raise PublishError(f"table names must be distinct and not one of {RESERVED_TABLES}: {tables}")
    if start.tzinfo is None or end.tzinfo is None or not start < end:
        raise PublishError(f"the interval must be timezone-aware and non-empty: [{start}, {end})")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"

