"""Safe BI access: the read-only recipe (in Python, and as the SQL the README gives) reads the
published marts and nothing else: no file, no other database, no write, no way back."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from social_roi.serving import connect_readonly
from tests.test_publish import _build, _publish

README = Path(__file__).resolve().parents[1] / "README.md"
FILE_ACCESS = "disabled by configuration"
READ_ONLY = "read-only mode"
LOCKED = "configuration has been locked"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A published serving file, and files on the same machine that a BI session must not reach:
    the build database, a CSV, a Parquet file, and where a COPY would write."""
    build = _build(tmp_path / "build.duckdb")
    serving = tmp_path / "warehouse" / "serving.duckdb"
    _publish(build, serving)
    csv = tmp_path / "secrets.csv"
    csv.write_text("user,password\nalice,hunter2\n")
    parquet = tmp_path / "landing.parquet"
    with duckdb.connect() as con:
        con.execute(f"copy (select 'a@example.com' as email) to '{parquet}' (format parquet)")
    return {"serving": serving, "build": build, "csv": csv, "parquet": parquet,
            "out": tmp_path / "exfiltrated.csv"}


def forbidden(files: dict[str, Path]) -> list[tuple[str, str]]:
    return [
        (f"select * from read_csv('{files['csv']}')", FILE_ACCESS),
        (f"select * from '{files['csv']}'", FILE_ACCESS),
        (f"select * from read_text('{files['csv']}')", FILE_ACCESS),
        (f"select * from read_parquet('{files['parquet']}')", FILE_ACCESS),
        (f"copy fct_funnel_daily to '{files['out']}'", FILE_ACCESS),
        (f"attach '{files['build']}' as build", FILE_ACCESS),
        (f"attach '{files['build']}' as build (read_only)", FILE_ACCESS),
        ("insert into dim_platform values ('x', 'X Corp')", READ_ONLY),
        ("update dim_platform set owner = 'nobody'", READ_ONLY),
        ("create table copied as select * from dim_platform", READ_ONLY),
        ("drop table dim_platform", READ_ONLY),
        ("set enable_external_access = true", LOCKED),
        ("reset enable_external_access", LOCKED),
        ("set lock_configuration = false", LOCKED),
        ("set allowed_directories = ['/']", LOCKED),
    ]


def readme_recipe() -> str:
    """The SQL block of README's "Connecting BI read-only" section."""
    section = README.read_text().split("## Connecting BI read-only", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sql\n(.*?)```", section, re.S)
    return block


def recipe_connection(serving: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()  # in memory, as a BI tool's own session
    sql = readme_recipe().replace("warehouse/serving.duckdb", str(serving))
    for statement in filter(str.strip, sql.split(";")):
        con.execute(statement)
    return con


@pytest.mark.parametrize("connect", [connect_readonly, recipe_connection],
                         ids=["connect_readonly", "readme_sql"])
def test_the_recipe_reads_the_marts_and_nothing_else(files, connect) -> None:
    con = connect(files["serving"])
    try:
        assert con.execute("select count(*) from fct_funnel_daily").fetchall() == [(60,)]
        assert con.execute("select run_id from _publication").fetchall() == [
            ("scheduled__2026-10-01",)]
        assert con.execute("select release_number from releases where is_current").fetchall() == [(1,)]
        for statement, message in forbidden(files):
            with pytest.raises(duckdb.Error, match=re.escape(message)):
                con.execute(statement).fetchall()
        assert con.execute("select current_setting('enable_external_access'), "
                           "current_setting('lock_configuration')").fetchall() == [(False, True)]
        assert con.execute("select count(*) from dim_platform").fetchall() == [(2,)]  # still there
    finally:
        con.close()
    assert not files["out"].exists()


def test_read_only_alone_is_not_enough(files) -> None:
    """The control: without the two settings, a read-only connection reads any file and attaches
    the build database. What the test above refuses is refused because of the recipe."""
    con = duckdb.connect(str(files["serving"]), read_only=True)
    try:
        assert con.execute(f"select * from read_csv('{files['csv']}')").fetchall() == [
            ("alice", "hunter2")]
        con.execute(f"attach '{files['build']}' as build (read_only)")
        assert con.execute("select count(*) from build.main_marts.dim_platform").fetchall() == [(2,)]
        con.execute(f"copy dim_platform to '{files['out']}'")
    finally:
        con.close()
    assert files["out"].exists()


def test_a_missing_serving_database_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing has been published yet"):
        connect_readonly(tmp_path / "serving.duckdb")
