"""Personal data never leaves the landing zone in clear (PRODUCT.md, docs/decisions.md 48): no
text column of any staging view, intermediate model or mart of the build database holds an
e-mail address, a phone number or the bare (dictionary-reversible) SHA-256 of an address, and
the keyed hashes are the same wherever they are computed, so identity matching still works."""

from __future__ import annotations

import re

import duckdb
import pytest

from social_roi import pii

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+\d[\d ().-]{6,}\d|\(?\d{3}\)?[ -]\d{3}[ -]\d{4}")
SCHEMAS = ("main_staging", "main_intermediate", "main_marts")


@pytest.fixture(scope="module")
def text_values(month_build) -> dict[str, set[str]]:
    """Every distinct value of every text column, by ``schema.table.column``."""
    _world, build_db = month_build
    out = {}
    with duckdb.connect(str(build_db), read_only=True) as con:
        pii.configure_duckdb(con)  # the staging views compute the keyed hashes
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ? and data_type = 'VARCHAR' order by all", [list(SCHEMAS)]).fetchall()
        for schema, table, column in columns:
            rows = con.execute(f'select distinct "{column}" from {schema}."{table}" '
                               f'where "{column}" is not null').fetchall()
            out[f"{schema}.{table}.{column}"] = {value for (value,) in rows}
    assert {name.split(".")[0] for name in out} == set(SCHEMAS)
    return out


def test_no_email_address_or_phone_number_in_any_text_column(text_values):
    found = {name: sorted(v for v in values if EMAIL.search(v) or PHONE.search(v))[:3]
             for name, values in text_values.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}


def test_no_known_address_number_or_bare_sha256_leaves_the_landing_zone(month_build, text_values):
    world, _ = month_build
    emails = {c.email for c in world.contacts}
    phones = {c.phone if hasattr(c, "phone") else None for c in world.contacts} - {None}
    bare = {pii.email_sha256(e) for e in emails}
    every = set().union(*text_values.values())
    assert not every & (emails | {e.lower() for e in emails} | phones)
    assert not every & bare, "an unkeyed SHA-256 of an e-mail left the landing zone"
    # the keyed hash is the one computed in Python: CRM contacts and lead forms still meet on it
    keyed = text_values["main_staging.stg_hubspot__contacts.email_hash"]
    assert keyed == {pii.email_hmac(e) for e in emails} - {None}
    assert text_values["main_staging.stg_meta__form_leads.email_hash"] <= keyed
    assert len(text_values["main_staging.stg_hubspot__contacts.phone_hash"]) == len(world.contacts)


def test_the_landing_zone_still_holds_the_unkeyed_values_it_was_given(month_build):
    """The check above must be able to fail: landing has the addresses it does not let out."""
    world, build_db = month_build
    landing = build_db.parent / "landing" / "hubspot" / "contacts"
    with duckdb.connect() as con:
        landed = {e for (e,) in con.execute(
            f"select email from read_parquet('{landing}/date=*/data.parquet')").fetchall()}
    assert landed == {c.email for c in world.contacts}
