"""Publication is atomic, repeatable, leaves no WAL behind, and writes a file DuckDB 1.4 reads."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from social_roi.publish import PublishError, publish

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2026, 10, 2, tzinfo=UTC)
V1_4_STORAGE_NUMBER = 67  # the storage version number DuckDB 1.4 writes and accepts (2.0: 999)


def _build(path: Path, days: int = 30) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists main_marts")
        con.execute(f"""
            create or replace table main_marts.fct_funnel_daily as
            select
                date '2026-09-02' + cast(d as integer) as funnel_date,
                p as platform,
                'camp ' || (d % 3) as campaign,
                cast(d * 10 + length(p) as bigint) as views,
                round(d * 1.25, 2) as spend_usd
            from range({days}) as days(d), (values ('facebook'), ('instagram')) as platforms(p)
        """)
        con.execute("create or replace table main_marts.dim_platform as "
                    "select * from (values ('facebook', 'Meta'), ('instagram', 'Meta')) "
                    "as t(platform, owner)")
    finally:
        con.close()
    return path


def _publish(build: Path, serving: Path, tables=("fct_funnel_daily", "dim_platform"), **kw):
    args = {"run_id": "scheduled__2026-10-01", "interval_start": START, "interval_end": END}
    return publish(build, serving, tables, **(args | kw))


def _contents(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in stored order (no ORDER BY: the storage order must match too)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{path}' as served (read_only)")
        names = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'served' "
            "order by table_name").fetchall()]
        return {name: con.execute(f'select * from served."{name}"').fetchall() for name in names}
    finally:
        con.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def build(tmp_path: Path) -> Path:
    return _build(tmp_path / "build.duckdb")


@pytest.fixture
def serving(tmp_path: Path) -> Path:
    return tmp_path / "serving" / "serving.duckdb"


def test_publish_copies_the_marts_and_records_the_publication(build: Path, serving: Path) -> None:
    result = _publish(build, serving)

    assert result.path == serving
    assert result.release == 1
    assert result.tables == ("fct_funnel_daily", "dim_platform")
    assert result.row_counts == {"fct_funnel_daily": 60, "dim_platform": 2}
    contents = _contents(serving)
    assert len(contents["fct_funnel_daily"]) == 60
    [publication] = contents["_publication"]
    assert publication[:4] == ("scheduled__2026-10-01", START, END, END)  # published_at = end
    assert publication[4:] == (["fct_funnel_daily", "dim_platform"],
                               {"fct_funnel_daily": 60, "dim_platform": 2}, "v1.4.0")


def test_publishing_twice_gives_identical_contents(build: Path, serving: Path) -> None:
    """The same run published twice: the marts and `_publication` are the same rows in the same
    stored order; the second publication is the next release, and the history says so."""
    assert _publish(build, serving).release == 1
    first = _contents(serving)
    assert _publish(build, serving).release == 2
    second = _contents(serving)

    history = second.pop("releases")
    assert second == {k: v for k, v in first.items() if k != "releases"}
    assert first["releases"] == [(1, *history[0][1:8], True, True)]
    assert [row[0] for row in history] == [1, 2]
    assert history[0][1:8] == history[1][1:8]  # run, interval, published_at, tables, counts, restored
    assert [row[8:] for row in history] == [(False, True), (True, True)]  # current, kept


def test_nothing_but_the_served_file_and_the_kept_releases_remain(build: Path, serving: Path) -> None:
    _publish(build, serving)
    _publish(build, serving)
    assert sorted(p.name for p in serving.parent.iterdir()) == ["releases", "serving.duckdb"]
    kept = serving.parent / "releases"
    # no .wal, no temporary file; the lock file serialises publications and rollbacks
    assert sorted(p.name for p in kept.iterdir()) == [".lock", "000001.duckdb", "000002.duckdb"]
    assert _sha256(serving) == _sha256(kept / "000002.duckdb")  # the served file is a copy


def test_the_file_is_written_with_storage_version_1_4(build: Path, serving: Path,
                                                     tmp_path: Path) -> None:
    _publish(build, serving)

    def version(path: Path) -> tuple[int, str]:
        # The main header: checksum (8 bytes), b"DUCK", then the storage version number, which is
        # what a 1.x client compares with the newest version it can read.
        header = path.read_bytes()[:20]
        assert header[8:12] == b"DUCK"
        con = duckdb.connect()
        try:
            con.execute(f"attach '{path}' as f (read_only)")
            tags = con.execute("select tags from duckdb_databases() "
                               "where database_name = 'f'").fetchall()[0][0]
        finally:
            con.close()
        return int.from_bytes(header[12:20], "little"), tags["storage_version"]

    assert version(serving) == (V1_4_STORAGE_NUMBER, "v1.4.0+")
    default = tmp_path / "default.duckdb"  # control: the check tells a 2.0 file apart
    duckdb.connect(str(default)).execute("create table t as select 1 as x").close()
    assert version(default)[0] != V1_4_STORAGE_NUMBER
    assert version(default)[1] != "v1.4.0+"


def test_a_failure_leaves_the_served_file_untouched(build: Path, serving: Path) -> None:
    _publish(build, serving)
    before = _sha256(serving)

    with pytest.raises(PublishError, match=r"main_marts\.no_such_table"):
        # the first table is copied before the second one fails
        _publish(build, serving, tables=("fct_funnel_daily", "no_such_table"), run_id="next")

    assert _sha256(serving) == before
    assert sorted(p.name for p in serving.parent.iterdir()) == ["releases", "serving.duckdb"]
    assert sorted(p.name for p in (serving.parent / "releases").iterdir()) == [".lock", "000001.duckdb"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tables": ()}, "no tables"),
        ({"tables": ("dim_platform", "dim_platform")}, "distinct"),
        ({"tables": ("dim_platform", "releases")}, "distinct"),
        ({"interval_start": datetime(2026, 10, 1)}, "timezone-aware"),
        ({"interval_end": START}, "non-empty"),
        ({"schema": "main_nothing"}, "main_nothing"),
    ],
)
def test_bad_requests_are_refused_without_touching_the_served_file(
    build: Path, serving: Path, change: dict, message: str
) -> None:
    _publish(build, serving)
    before = _sha256(serving)
    with pytest.raises(PublishError, match=message):
        _publish(build, serving, **change)
    assert _sha256(serving) == before


def test_a_missing_build_database_is_refused(tmp_path: Path, serving: Path) -> None:
    with pytest.raises(PublishError, match="does not exist"):
        _publish(tmp_path / "nothing.duckdb", serving)
    assert not serving.parent.exists() or not any(serving.parent.iterdir())


def test_open_readers_keep_their_snapshot_and_new_ones_see_the_new_release(
    build: Path, serving: Path
) -> None:
    _publish(build, serving)
    reader = duckdb.connect(str(serving), read_only=True)
    try:
        count = "select count(*) from fct_funnel_daily"
        assert reader.execute(count).fetchall() == [(60,)]

        _build(build, days=31)
        _publish(build, serving, run_id="scheduled__2026-10-02")

        assert reader.execute(count).fetchall() == [(60,)]  # the old file, still readable
        # A new BI connection is another process: it opens the new file.
        fresh = subprocess.run(
            [sys.executable, "-c",
             "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
             "print(con.execute('select count(*), (select run_id from _publication) "
             "from fct_funnel_daily').fetchall())", str(serving)],
            capture_output=True, text=True, check=True, timeout=60,
        )
        assert fresh.stdout.strip() == "[(62, 'scheduled__2026-10-02')]"
    finally:
        reader.close()
    assert _contents(serving)["fct_funnel_daily"].__len__() == 62
