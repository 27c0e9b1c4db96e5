"""dbt-duckdb plugin (``profiles.yml``: ``plugins: [{module: social_roi.dbt_pii}]``): every
connection and cursor dbt opens can compute the keyed hash of personal data (macro
``pii_hash``). The key is read from the environment when dbt starts; without one, dbt fails at
its first connection with ``social_roi.pii.PiiKeyMissing``'s message."""

from __future__ import annotations

from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from social_roi import pii


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self._secret = pii.key()

    def configure_connection(self, conn) -> None:
        pii.configure_duckdb(conn, self._secret)

    def configure_cursor(self, cursor) -> None:
        pii.configure_duckdb(cursor, self._secret)
