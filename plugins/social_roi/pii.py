"""Personal data handling: e-mail addresses and phone numbers never leave the landing zone in
clear, and what leaves it is a keyed hash (docs/decisions.md 21, 48).

Two steps, so that every source meets on the same value:

1. **Normalise and SHA-256** (``email_sha256``, ``phone_sha256``): what connectors that hash
   before landing write (Meta lead forms, Salesforce), and what ad platforms and GA4's
   user-provided data send when they only give a hash. A bare SHA-256 of an e-mail is
   reversible by dictionary, so it stays in the landing zone.
2. **Key it** in dbt staging: ``HMAC-SHA256(key, sha256 hex)``, the key from the environment
   (``SOCIAL_ROI_PII_KEY``) only. ``hmac_hex`` is the same function in Python (tests, ad-hoc
   matching); ``DuckDBPlugin`` hands the key to dbt-duckdb's connections as HMAC pads held in
   session variables, so it never appears in compiled SQL, logs or ``target/``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

KEY_ENV = "SOCIAL_ROI_PII_KEY"
MIN_KEY_LENGTH = 32
# session variables of a DuckDB connection that can compute the keyed hash (macro pii_hash)
IPAD_VARIABLE, OPAD_VARIABLE = "social_roi_pii_ipad", "social_roi_pii_opad"
_BLOCK = 64  # SHA-256's block size (RFC 2104)


class PiiKeyMissing(RuntimeError):
    """No usable key: the warehouse refuses to hash personal data without one (never falls back
    to an unkeyed hash)."""


def email_sha256(address: str | None) -> str | None:
    """SHA-256 (hex) of the trimmed, lower-cased address, the normalisation Meta and LinkedIn use
    for hashed matching; dbt's staging hashes CRM e-mails the same way. Blank → None."""
    if address is None or not address.strip():
        return None
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()


def normalised_phone(number: str | None) -> str | None:
    """Digits only, with a leading ``+`` kept (``+1 (555) 010-0199`` → ``+15550100199``): the
    same number typed two ways hashes the same. Blank or digitless → None. dbt's macro
    ``normalised_phone`` is the same rule."""
    if number is None:
        return None
    digits = re.sub(r"[^0-9]", "", number)
    if not digits:
        return None
    return ("+" if number.strip().startswith("+") else "") + digits


def phone_sha256(number: str | None) -> str | None:
    phone = normalised_phone(number)
    return hashlib.sha256(phone.encode("utf-8")).hexdigest() if phone else None


def key(environ: os._Environ | dict | None = None) -> bytes:
    """The HMAC key from ``SOCIAL_ROI_PII_KEY``; missing or short → ``PiiKeyMissing``."""
    value = (environ if environ is not None else os.environ).get(KEY_ENV, "")
    if len(value.strip()) < MIN_KEY_LENGTH:
        raise PiiKeyMissing(
            f"{KEY_ENV} is {'too short' if value.strip() else 'not set'}: e-mails and phone numbers "
            f"are hashed with a secret key (HMAC-SHA256, docs/decisions.md 48) and nothing is "
            f"hashed without one. Set it (at least {MIN_KEY_LENGTH} characters, e.g. "
            f"`python -c 'import secrets; print(secrets.token_hex(32))'`) from the secrets "
            f"backend for every task that runs dbt, and keep it: a new key changes every "
            f"person hash (a full rebuild re-keys the warehouse).")
    return value.strip().encode("utf-8")


def hmac_hex(sha256_hex: str | None, secret: bytes | None = None) -> str | None:
    """HMAC-SHA256 (hex) of a SHA-256 hex digest: the person key staging computes."""
    if sha256_hex is None:
        return None
    return hmac.new(secret or key(), sha256_hex.lower().encode("ascii"), hashlib.sha256).hexdigest()


def email_hmac(address: str | None, secret: bytes | None = None) -> str | None:
    return hmac_hex(email_sha256(address), secret)


def phone_hmac(number: str | None, secret: bytes | None = None) -> str | None:
    return hmac_hex(phone_sha256(number), secret)


def pads(secret: bytes) -> tuple[bytes, bytes]:
    """RFC 2104's inner and outer padded keys: HMAC(k, m) = H(opad ‖ H(ipad ‖ m))."""
    block = hashlib.sha256(secret).digest() if len(secret) > _BLOCK else secret
    block = block.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def configure_duckdb(con, secret: bytes | None = None) -> None:
    """Let a DuckDB connection (or cursor) compute the keyed hash: dbt-duckdb does it through
    ``DuckDBPlugin``; a reader of the build database's staging views needs it too."""
    ipad, opad = pads(secret or key())
    con.execute(f"SET VARIABLE {IPAD_VARIABLE} = ?", [ipad])
    con.execute(f"SET VARIABLE {OPAD_VARIABLE} = ?", [opad])
