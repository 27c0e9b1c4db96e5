"""Reading the serving database safely: the connection every BI client should make.

``read_only`` alone stops writes to the serving file, not the rest of what SQL can do on the
machine that runs it: ``read_csv('/etc/passwd')``, ``COPY … TO`` any path, ``ATTACH`` of the build
database (which holds the staging layer). ``enable_external_access = false`` closes every file,
network and extension access except the database itself, and ``lock_configuration = true`` stops
the session from setting it back. README, "Connecting BI read-only", gives the same recipe as SQL
for clients that are not Python.

Within one process DuckDB reuses an open database of the same path and refuses a second
connection with another configuration: open the serving file only through this function there.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

READ_ONLY_CONFIG = {
    "enable_external_access": False,  # no files, URLs, ATTACH, COPY or extension loading
    "lock_configuration": True,  # and no SET to undo it (nor any other setting)
}


def connect_readonly(serving_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the serving database that can read nothing else."""
    path = Path(serving_db)
    if not path.is_file():  # duckdb would say only "cannot open file"
        raise FileNotFoundError(f"no serving database at {path}: nothing has been published yet")
    return duckdb.connect(str(path), read_only=True, config=dict(READ_ONLY_CONFIG))
