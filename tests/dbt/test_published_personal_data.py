"""No clear-text personal data anywhere in the serving database BI reads (docs/decisions.md 48):
the 30-day sandbox build published as the pipeline publishes it, then every text value of every
table of the served file (the marts, `_publication`, `releases`; text inside lists and maps too)
scanned with the warehouse scan's detector, and for the world's own addresses and their bare
SHA-256."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from social_roi import pii
from social_roi.pipeline import MARTS
from social_roi.publish import publish
from social_roi.serving import connect_readonly
from tests.dbt.conftest import MONTH
from tests.dbt.test_personal_data import EMAIL, PHONE

END = datetime.combine(MONTH.start_date + timedelta(days=MONTH.days), datetime.min.time(), UTC)


def scan(serving: Path, forbidden: set[str]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """(distinct values scanned, up to three offending values) per ``table.column`` of every
    column whose type holds text, read through the BI recipe."""
    scanned, leaks = {}, {}
    with connect_readonly(serving) as con:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type like '%VARCHAR%' order by all").fetchall()
        for table, column in columns:
            values = {v for (v,) in con.execute(
                f'select distinct cast("{column}" as varchar) from "{table}" '
                f'where "{column}" is not null').fetchall()}
            scanned[f"{table}.{column}"] = len(values)
            hits = sorted(v for v in values if v in forbidden or EMAIL.search(v) or PHONE.search(v))
            if hits:
                leaks[f"{table}.{column}"] = hits[:3]
    return scanned, leaks


def test_no_email_address_or_phone_number_in_any_table_of_the_serving_database(month_build,
                                                                                tmp_path):
    world, build_db = month_build
    serving = tmp_path / "warehouse" / "serving.duckdb"
    publish(build_db, serving, MARTS, run_id="scheduled__month", interval_start=END - timedelta(days=1),
            interval_end=END)
    emails = {c.email for c in world.contacts}

    scanned, leaks = scan(serving, emails | {e.lower() for e in emails}
                          | {pii.email_sha256(e) for e in emails})

    assert leaks == {}
    with duckdb.connect() as con:
        con.execute(f"attach '{serving}' as served (read_only)")
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables() "
                                            "where database_name = 'served'").fetchall()}
    assert tables == {*MARTS, "_publication", "releases"}
    assert {name.split(".")[0] for name in scanned} == tables  # every table has text, scanned
    assert sum(scanned.values()) > 1000 and scanned["fct_conversions.person_id"] > 100
    assert scanned["releases.row_counts"] == 1  # a map, scanned as its text


def test_the_scan_finds_an_address_or_a_number_hidden_in_a_served_table(tmp_path):
    """The control: the same scan on a served file that does hold personal data, in a text column
    and inside a list, finds both."""
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema main_marts")
        con.execute("create table main_marts.fct_leads as select * from (values "
                    "('p1', ['web', 'call +1 (415) 555-0134']), ('p2', ['form'])) t(person, notes)")
        con.execute("create table main_marts.dim_people as select * from (values "
                    "('p1', 'jane.doe@example.com'), ('p2', 'b2c9')) t(person, contact)")
    serving = tmp_path / "serving.duckdb"
    publish(build, serving, ["fct_leads", "dim_people"], run_id="r", interval_start=END - timedelta(days=1),
            interval_end=END)

    scanned, leaks = scan(serving, {"b2c9"})

    assert leaks == {"fct_leads.notes": ["[web, 'call +1 (415) 555-0134']"],
                     "dim_people.contact": ["b2c9", "jane.doe@example.com"]}
    assert scanned["releases.table_names"] == 1
