"""Run dbt in-process (``dbtRunner``): no 2 s interpreter start-up per call, one writer at a time.

dbt writes only the private build database. Its location and the landing zone reach the dbt
project through environment variables read by ``profiles.yml`` and the sources.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from social_roi.errors import SocialRoiError
from social_roi.settings import Paths, temporary_environ

log = logging.getLogger(__name__)


class DbtFailed(SocialRoiError):
    """A model or a data test failed; the message lists them with dbt's own message."""


@dataclass(frozen=True)
class DbtSummary:
    passed: int
    warned: int
    nodes: int


def dbt_env(paths: Paths) -> dict[str, str]:
    return {
        "SOCIAL_ROI_BUILD_DB": str(paths.build_db),
        "SOCIAL_ROI_LANDING_DIR": str(paths.landing),
        "DBT_PROFILES_DIR": str(paths.dbt_project),
    }


def dbt_invoke(paths: Paths, args: Sequence[str]):
    """Any dbt command on this project, pointed at ``paths``; returns dbt's result object."""
    from dbt.cli.main import dbtRunner  # heavy import: only when dbt runs

    paths.build_db.parent.mkdir(parents=True, exist_ok=True)
    # dbt reads paths through env_var(): set them for this call only, so one build's paths
    # never leak into the next caller's (tests build several warehouses in one process)
    with temporary_environ(dbt_env(paths)):
        try:
            return dbtRunner().invoke([*args, "--project-dir", str(paths.dbt_project),
                                       "--profiles-dir", str(paths.dbt_project)])
        finally:
            _release_build_db()


def dbt_build(paths: Paths, extra_args: Sequence[str] = ()) -> DbtSummary:
    outcome = dbt_invoke(paths, ["build", "--quiet", *extra_args])
    results = getattr(outcome.result, "results", None) or []
    problems = [
        f"  {r.node.resource_type} {r.node.name}: {r.status} — {(r.message or '').strip()}"
        for r in results if str(r.status) in ("error", "fail", "runtime error")
    ]
    if not outcome.success:
        detail = "\n".join(problems) or f"  {outcome.exception!r}"
        raise DbtFailed(f"dbt build failed ({len(problems)} node(s)):\n{detail}")
    warned = sum(1 for r in results if str(r.status) == "warn")
    summary = DbtSummary(passed=len(results) - warned, warned=warned, nodes=len(results))
    log.info("dbt build: %d nodes ok, %d warnings", summary.passed, summary.warned)
    return summary


def _release_build_db() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; the gate and the
    publisher then cannot attach the build file read-only ("different configuration"). Close it:
    after `dbt build` returns, nothing in this process should hold the build database."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()
