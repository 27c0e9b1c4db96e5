"""Releases: numbered publications, the `releases` history in the serving file, the last N kept,
rollback to one of them, and readers in other processes that neither block nor see a half-swap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from social_roi import releases
from social_roi.publish import PublishError, list_releases, rollback
from social_roi.releases import ReleaseError
from tests.test_publish import END, START, _build, _contents, _publish, _sha256

ROOT = Path(__file__).resolve().parents[1]
DAY = timedelta(days=1)


@pytest.fixture
def build(tmp_path: Path) -> Path:
    return _build(tmp_path / "build.duckdb")


@pytest.fixture
def serving(tmp_path: Path) -> Path:
    return tmp_path / "serving" / "serving.duckdb"


def publish_day(build: Path, serving: Path, day: int, **kw):
    """The run of day ``day`` (0 = 2026-10-01), whose build holds 30 + day days of funnel rows."""
    _build(build, days=30 + day)
    return _publish(build, serving, run_id=f"scheduled__2026-10-0{day + 1}",
                    interval_start=START + day * DAY, interval_end=END + day * DAY, **kw)


def kept_files(serving: Path) -> dict[int, str]:
    """Kept release number → SHA-256 of its file."""
    folder = serving.parent / "releases"
    return {int(p.stem): _sha256(p) for p in sorted(folder.glob("*.duckdb"))}


def history_rows(serving: Path) -> list[tuple]:
    """(number, run id, restored release, current, kept) of every row of the served `releases`."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{serving}' as served (read_only)")
        return con.execute("select release_number, run_id, restored_release_number, is_current, "
                           "is_kept from served.releases order by release_number").fetchall()
    finally:
        con.close()


def data(contents: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """A release's data: every table but the history."""
    return {name: rows for name, rows in contents.items() if name != "releases"}


def test_release_numbers_and_history_across_publish_failure_rollback_and_publish(
    build: Path, serving: Path
) -> None:
    served = {}
    for day in range(3):
        assert publish_day(build, serving, day).release == day + 1
        served[day + 1] = data(_contents(serving))
    assert [r[:4] for r in history_rows(serving)] == [
        (1, "scheduled__2026-10-01", None, False),
        (2, "scheduled__2026-10-02", None, False),
        (3, "scheduled__2026-10-03", None, True),
    ]

    before, files = _sha256(serving), kept_files(serving)
    with pytest.raises(PublishError, match="no_such_table"):
        publish_day(build, serving, 3, tables=("fct_funnel_daily", "no_such_table"))
    assert _sha256(serving) == before and kept_files(serving) == files  # nothing consumed

    plan = rollback(serving)  # default: the release served before the current one
    assert (plan.release.number, plan.release.restored_release_number) == (4, 2)
    assert data(_contents(serving)) == served[2]

    assert publish_day(build, serving, 3).release == 5  # the failed publication used no number
    served[5] = data(_contents(serving))
    assert rollback(serving, 3).release.number == 6
    assert data(_contents(serving)) == served[3]
    assert rollback(serving).release.restored_release_number == 5  # a second rollback undoes it
    assert data(_contents(serving)) == served[5]

    assert history_rows(serving) == [
        (1, "scheduled__2026-10-01", None, False, True),
        (2, "scheduled__2026-10-02", None, False, True),
        (3, "scheduled__2026-10-03", None, False, True),
        (4, "scheduled__2026-10-02", 2, False, True),  # a rollback names the run it serves
        (5, "scheduled__2026-10-04", None, False, True),
        (6, "scheduled__2026-10-03", 3, False, True),
        (7, "scheduled__2026-10-04", 5, True, True),
    ]
    by_number = {r.number: r for r in list_releases(serving)}
    assert (by_number[7].interval_start, by_number[7].interval_end) == (START + 3 * DAY, END + 3 * DAY)
    assert by_number[7].published_at == by_number[5].published_at == END + 3 * DAY
    assert by_number[7].row_counts == {"fct_funnel_daily": 66, "dim_platform": 2}


def test_rollback_restores_exactly_the_earlier_release(build: Path, serving: Path) -> None:
    """Every table of release 1 (the marts and `_publication`) comes back as the same rows in the
    same stored order. The file is not byte-identical to release 1's and cannot be: it carries the
    history, which now records the rollback, and DuckDB files are not byte-reproducible anyway.
    What is byte-identical is the served file and the new release's kept file."""
    publish_day(build, serving, 0)
    first = _contents(serving)
    publish_day(build, serving, 1)
    assert data(_contents(serving)) != data(first)

    plan = rollback(serving, 1)

    restored = _contents(serving)
    assert data(restored) == data(first)
    assert restored["_publication"][0][0] == "scheduled__2026-10-01"
    assert _sha256(serving) == kept_files(serving)[plan.release.number]
    assert [row[0] for row in restored["releases"]] == [1, 2, 3]


def test_pruning_keeps_exactly_n(build: Path, serving: Path) -> None:
    for day in range(5):
        result = publish_day(build, serving, day, keep=3)
        assert len(kept_files(serving)) == min(day + 1, 3)
    assert result.pruned == (2,)
    assert sorted(kept_files(serving)) == [3, 4, 5]
    assert [(r[0], r[4]) for r in history_rows(serving)] == [
        (1, False), (2, False), (3, True), (4, True), (5, True)]

    with pytest.raises(ReleaseError, match=r"release 2 was pruned .*kept: 3, 4, 5"):
        rollback(serving, 2, keep=3)
    assert rollback(serving, 3, keep=3).prune == (3,)  # 3's data is served again, as release 6
    assert sorted(kept_files(serving)) == [4, 5, 6]
    publish_day(build, serving, 5, keep=2)  # fewer kept from now on
    assert sorted(kept_files(serving)) == [6, 7]
    assert [r[0] for r in history_rows(serving) if r[4]] == [6, 7]


def test_refused_rollbacks_name_the_reason_and_change_nothing(build: Path, serving: Path) -> None:
    with pytest.raises(ReleaseError, match="nothing has been published"):
        rollback(serving)
    publish_day(build, serving, 0)
    with pytest.raises(ReleaseError, match="release 1 is the first release"):
        rollback(serving)
    publish_day(build, serving, 1)
    before, files = _sha256(serving), kept_files(serving)
    for requested, message in ((99, r"there is no release 99: releases are numbered 1–2; kept: 1, 2"),
                               (2, "release 2 is already the current release"),
                               (0, "there is no release 0")):
        with pytest.raises(ReleaseError, match=message):
            rollback(serving, requested)
    assert _sha256(serving) == before and kept_files(serving) == files


def test_a_kept_file_that_no_longer_matches_its_release_is_refused(build: Path,
                                                                   serving: Path) -> None:
    publish_day(build, serving, 0)
    publish_day(build, serving, 1)
    publish_day(build, serving, 2)
    folder = serving.parent / "releases"
    (folder / "000001.duckdb").write_bytes((folder / "000002.duckdb").read_bytes())
    before, files = _sha256(serving), kept_files(serving)

    with pytest.raises(ReleaseError, match=r"000001\.duckdb does not hold what release 1 published"):
        rollback(serving, 1)
    assert _sha256(serving) == before and kept_files(serving) == files
    assert sorted(p.name for p in folder.iterdir()) == [".lock", *(f"00000{n}.duckdb" for n in (1, 2, 3))]


def test_a_failure_while_serving_removes_the_release_it_kept(build: Path, serving: Path) -> None:
    publish_day(build, serving, 0)
    files = kept_files(serving)
    serving.unlink()
    serving.mkdir()  # the swap cannot replace a directory: it fails after the release was kept
    with pytest.raises(OSError):
        publish_day(build, serving, 1)
    assert kept_files(serving) == files
    serving.rmdir()
    assert publish_day(build, serving, 1).release == 2


def test_a_client_holding_the_served_file_read_write_does_not_block_publication(
    build: Path, serving: Path, tmp_path: Path
) -> None:
    """The README asks for read-only connections, but a BI tool left at its default opens the file
    read-write and locks it: publication never opens the served file, so it goes on."""
    publish_day(build, serving, 0)
    holder = _start(_reader_script(read_only=False), serving, tmp_path / "stop")
    try:
        assert json.loads(holder.stdout.readline())["count"] == 60
        assert publish_day(build, serving, 1).release == 2
        assert rollback(serving).release.number == 3
    finally:
        (tmp_path / "stop").touch()
        holder.communicate(timeout=60)
    assert history_rows(serving)[-1][:3] == (3, "scheduled__2026-10-01", 1)


def test_a_reader_in_another_process_keeps_its_snapshot_and_does_not_block(
    build: Path, serving: Path, tmp_path: Path
) -> None:
    """A BI process holds the served file open with the read-only recipe and queries it in a
    loop while two publications and a rollback swap new files in: every one of its answers is
    the release it opened (60 rows, run of day 1), and none of the swaps waits for it."""
    publish_day(build, serving, 0)
    stop = tmp_path / "stop"
    reader = _start(_reader_script(read_only=True), serving, stop)
    try:
        first = json.loads(reader.stdout.readline())
        assert first == {"count": 60, "run_id": "scheduled__2026-10-01", "views": first["views"]}
        seconds = []
        for step in (lambda: publish_day(build, serving, 1), lambda: publish_day(build, serving, 2),
                     lambda: rollback(serving, 2)):
            began = time.perf_counter()
            step()
            seconds.append(time.perf_counter() - began)
        # a new connection (another process) sees the rollback: release 2's 62 rows
        fresh = subprocess.run([sys.executable, "-c", _reader_script(read_only=True, once=True),
                                str(serving), str(stop)], capture_output=True, text=True,
                               check=True, timeout=60, env=_env())
        assert json.loads(fresh.stdout)["count"] == 62
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    summary = json.loads(out.splitlines()[-1])
    assert summary["answers"] == [first]  # every answer, during and after the swaps
    assert summary["queries"] > 3 and summary["after_stop"] == first
    assert max(seconds) < 10, seconds  # not waiting on the reader (a blocked swap never returns)


def _reader_script(*, read_only: bool, once: bool = False) -> str:
    return textwrap.dedent(f"""
        import json, sys, time
        from pathlib import Path
        import duckdb
        from social_roi.serving import connect_readonly
        served, stop = sys.argv[1], Path(sys.argv[2])
        con = connect_readonly(served) if {read_only} else duckdb.connect(served)
        def answer():
            count, views = con.execute(
                "select count(*), sum(views) from fct_funnel_daily").fetchall()[0]
            [(run_id,)] = con.execute("select run_id from _publication").fetchall()
            return {{"count": count, "run_id": run_id, "views": int(views)}}
        first = answer()
        print(json.dumps(first), flush=True)
        if {once}:
            sys.exit(0)
        answers, queries = [first], 1
        while not stop.exists():
            got = answer()
            queries += 1
            if got not in answers:
                answers.append(got)
            time.sleep(0.01)
        print(json.dumps({{"answers": answers, "queries": queries, "after_stop": answer()}}))
    """)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}


def _start(script: str, serving: Path, stop: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, str(serving), str(stop)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())


def test_the_commands_list_and_roll_back_releases(build: Path, serving: Path) -> None:
    for day in range(3):
        publish_day(build, serving, day, keep=2)

    def cli(*args: str) -> subprocess.CompletedProcess:
        env = _env() | {"SOCIAL_ROI_SERVING_DB": str(serving), "SOCIAL_ROI_KEEP_RELEASES": "2"}
        return subprocess.run([sys.executable, "-m", "social_roi", *args], capture_output=True,
                              text=True, timeout=120, env=env)

    listed = cli("releases")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[1].split() == ["release", "run", "id", "data", "interval", "(UTC)", "tables", "rows",
                                "restores", "kept"]
    assert [line.split()[:3] for line in lines[3:]] == [
        ["3", "current", "scheduled__2026-10-03"], ["2", "scheduled__2026-10-02", "2026-10-02"],
        ["1", "scheduled__2026-10-01", "2026-10-01"]]
    assert [line.split()[-3:] for line in lines[3:]] == [["2", "66", "yes"], ["2", "64", "yes"],
                                                         ["2", "62", "pruned"]]

    refused = cli("rollback", "1")
    assert refused.returncode == 1 and "release 1 was pruned" in refused.stderr
    assert "nothing changed" in refused.stderr

    done = cli("rollback")
    assert done.returncode == 0, done.stderr
    assert "now serves release 4, the data of release 2 (run scheduled__2026-10-02, data " \
           "interval 2026-10-02 00:00 – 2026-10-03 00:00 UTC)" in done.stdout
    assert "Pruned releases 2 (keeping 2)" in done.stdout
    assert history_rows(serving)[-1] == (4, "scheduled__2026-10-02", 2, True, True)


@pytest.mark.parametrize(("value", "keep"), [(None, 7), ("", 7), ("3", 3), ("1", 1)])
def test_how_many_releases_are_kept_comes_from_the_environment(value, keep) -> None:
    assert releases.keep_from(value) == keep


@pytest.mark.parametrize("value", ["0", "-2", "seven", "2.5"])
def test_a_bad_number_of_kept_releases_is_refused(value) -> None:
    with pytest.raises(ReleaseError, match="SOCIAL_ROI_KEEP_RELEASES must be a whole number"):
        releases.keep_from(value)


def test_the_plan_keeps_the_newest_available_releases_and_never_reuses_a_number() -> None:
    def release(n: int) -> releases.Release:
        at = datetime(2026, 10, n, tzinfo=UTC)
        return releases.Release(n, f"run{n}", at - DAY, at, at, ("t",), {"t": n})

    history = tuple(release(n) for n in (1, 2, 3, 4))
    assert releases.next_number(history, {2, 3, 4, 9}) == 10  # a kept file outside the history
    plan = releases.plan(history, release(5), available={2, 3, 4}, keep=3)
    assert [(r.number, r.is_current, r.is_kept) for r in plan.history] == [
        (1, False, False), (2, False, False), (3, False, True), (4, False, True), (5, True, True)]
    assert plan.prune == (2,)
    with pytest.raises(ReleaseError, match="would not follow release 4"):
        releases.publication(history, 4, run_id="x", interval_start=START, interval_end=END,
                             row_counts={"t": 1})
