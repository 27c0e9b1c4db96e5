"""Personal data handling shared by connectors: e-mail addresses never land in clear where a hash
is all the warehouse needs (matching ad-platform lead forms to CRM contacts)."""

from __future__ import annotations

import hashlib


def email_sha256(address: str | None) -> str | None:
    """SHA-256 (hex) of the trimmed, lower-cased address, the normalisation Meta and LinkedIn use
    for hashed matching; dbt's staging hashes CRM e-mails the same way. Blank → None."""
    if address is None or not address.strip():
        return None
    return hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()
