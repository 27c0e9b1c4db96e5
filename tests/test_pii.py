"""The keyed hash of personal data (docs/decisions.md 48): one function in Python and in DuckDB,
normalised before hashing, and never computed without a key."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from social_roi import pii

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"k" * 40


def test_python_and_duckdb_compute_the_same_hmac_of_the_sha256():
    con = duckdb.connect()
    pii.configure_duckdb(con, SECRET)
    address = "  Ada.Lovelace@Example.COM "
    ipad, opad = pii.IPAD_VARIABLE, pii.OPAD_VARIABLE
    in_sql = con.execute(
        f"select sha256(getvariable('{opad}') || unhex(sha256(getvariable('{ipad}') || "
        f"encode(lower(sha256(lower(trim(?))))))))", [address]).fetchone()[0]
    expected = hmac.new(SECRET, hashlib.sha256(b"ada.lovelace@example.com").hexdigest().encode(),
                        hashlib.sha256).hexdigest()
    assert in_sql == pii.email_hmac(address, SECRET) == expected
    assert pii.hmac_hex(pii.email_sha256(address).upper(), SECRET) == expected  # a source's upper-case hex
    assert pii.email_hmac(address, b"another key of forty characters........") != expected


def test_a_long_key_is_hashed_first_as_rfc_2104_says():
    long_key = b"x" * 100
    con = duckdb.connect()
    pii.configure_duckdb(con, long_key)
    digest = hashlib.sha256(b"a@b.c").hexdigest()
    in_sql = con.execute(
        f"select sha256(getvariable('{pii.OPAD_VARIABLE}') || unhex(sha256("
        f"getvariable('{pii.IPAD_VARIABLE}') || encode(?))))", [digest]).fetchone()[0]
    assert in_sql == hmac.new(long_key, digest.encode(), hashlib.sha256).hexdigest()


def test_phone_numbers_typed_differently_hash_the_same():
    assert pii.normalised_phone("+1 (555) 010-0199") == "+15550100199"
    assert pii.phone_hmac("+1 555.010.0199", SECRET) == pii.phone_hmac("+1(555)0100199", SECRET)
    assert pii.phone_hmac("555-010-0199", SECRET) != pii.phone_hmac("+1 555 010 0199", SECRET)
    assert pii.normalised_phone(" - ") is None and pii.phone_hmac(None, SECRET) is None


@pytest.mark.parametrize("value", [None, "", "short"])
def test_no_key_no_hash(value):
    env = {} if value is None else {pii.KEY_ENV: value}
    with pytest.raises(pii.PiiKeyMissing, match=r"SOCIAL_ROI_PII_KEY is (not set|too short)"):
        pii.key(env)


def test_dbt_refuses_to_start_without_a_key(monkeypatch):
    from social_roi.dbt_pii import Plugin

    monkeypatch.delenv(pii.KEY_ENV, raising=False)
    with pytest.raises(pii.PiiKeyMissing, match="nothing is hashed without one"):
        Plugin("dbt_pii", {})


def test_a_connection_without_the_key_fails_instead_of_hashing_without_it():
    from jinja2 import Environment

    macro = Environment().from_string((ROOT / "dbt_project" / "macros" / "pii.sql").read_text()).module
    # DuckDB's implementation (Postgres: tests/dbt/test_postgres_target.py)
    sql = str(macro.default__pii_hash("sha256('a@b.c')"))
    with pytest.raises(duckdb.InvalidInputException, match="SOCIAL_ROI_PII_KEY"):
        duckdb.connect().execute(f"select {sql}").fetchall()
    con = duckdb.connect()
    pii.configure_duckdb(con, SECRET)
    assert con.execute(f"select {sql}").fetchone()[0] == pii.hmac_hex(
        hashlib.sha256(b"a@b.c").hexdigest(), SECRET)
