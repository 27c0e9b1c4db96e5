"""Run dbt in-process (``dbtRunner``): no 2 s interpreter start-up per call, one writer at a time.

dbt writes only the private build database. Its location and the landing zone reach the dbt
project through environment variables read by ``profiles.yml`` and the sources.

``SOCIAL_ROI_WAREHOUSE=postgres`` builds into PostgreSQL instead (decision 56): the landing zone
is first copied into the ``raw`` schema (``social_roi.warehouse_load``), and the data-driven
attribution, a dbt Python model on DuckDB, is computed by the same Python code between two dbt
runs (``social_roi.warehouse_postgres``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from social_roi.errors import SocialRoiError
from social_roi.settings import Paths, PostgresTarget, temporary_environ, warehouse

log = logging.getLogger(__name__)

# What a pipeline build leaves out (decision 46), ~0.8 s a build that nothing on the daily path
# reads: dbt's logs (a debug file log of every statement of every node, ~4 MB a build; each line
# is formatted and scrubbed of secrets whatever the level, so `--quiet` alone saves nothing) and
# manifest.json (serialised twice per invocation). A failure is reported by `DbtFailed` from the
# results, node by node with dbt's message; run_results.json, with each node's timing, is still
# written. `python -m social_roi dbt ...` keeps dbt's defaults for a manual investigation.
BUILD_FLAGS = ("--no-write-json", "--log-level", "none", "--log-level-file", "none")
# Seeds, and the tests that read nothing else, left out of a build (`cautious`: a test that also
# reads a model stays in).
WITHOUT_SEEDS = ("--exclude", "resource_type:seed", "--indirect-selection", "cautious")
SEEDS_SCHEMA = "main_seeds"


class DbtFailed(SocialRoiError):
    """A model or a data test failed; the message lists them with dbt's own message."""


@dataclass(frozen=True)
class DbtSummary:
    passed: int
    warned: int
    nodes: int


def dbt_env(paths: Paths) -> dict[str, str]:
    env = {
        "SOCIAL_ROI_BUILD_DB": str(paths.build_db),
        "SOCIAL_ROI_LANDING_DIR": str(paths.landing),
        "DBT_PROFILES_DIR": str(paths.dbt_project),
        # a command's own --target-path (e.g. `docs generate` into a folder of its own) still wins
        "DBT_TARGET_PATH": str(paths.dbt_target),
    }
    if warehouse() == "postgres":
        from social_roi.warehouse_postgres import dbt_env as postgres_env

        env.update(postgres_env(PostgresTarget.from_env()))
    return env


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


def dbt_build(paths: Paths, extra_args: Sequence[str] = (), *,
              keep_loaded_seeds: bool = False) -> DbtSummary:
    """``dbt build``; a failed model or test raises ``DbtFailed`` naming each.

    ``keep_loaded_seeds``: when the dbt project is byte for byte the one whose build last loaded
    the seeds into this database, and passed, the seeds and the tests that read only them are
    left out (23 of ~170 nodes a day; decision 46): the same tables would be reloaded and the
    same checks rerun on the same rows. Any change to the project reloads and retests them, and
    rebuilds the incremental models from nothing (``--full-refresh``, decision 65): rows built by
    the old definitions, or tables without its new columns, would otherwise stay.
    """
    if warehouse() == "postgres":
        from social_roi.warehouse_postgres import postgres_build

        return postgres_build(paths, extra_args)
    fingerprint = project_fingerprint(paths.dbt_project) if keep_loaded_seeds else None
    reuse_seeds = fingerprint is not None and _seeds_loaded(paths, fingerprint)
    marker = _seeds_marker(paths)
    if not reuse_seeds:
        # forget the last load first: a build that fails after reloading them may have left
        # other seeds than the recorded ones in the database
        marker.unlink(missing_ok=True)
    full_refresh = fingerprint is not None and not reuse_seeds and paths.build_db.is_file()
    if full_refresh:  # the marker tells which project last built this database, and passed
        log.warning("dbt project changed since the last build: full refresh")
    outcome = dbt_invoke(paths, ["build", *BUILD_FLAGS, *extra_args,
                                 *(WITHOUT_SEEDS if reuse_seeds else ()),
                                 *(("--full-refresh",) if full_refresh else ())])
    summary = summarise(paths, outcome)
    if fingerprint is not None and not reuse_seeds and _seeds(paths) <= {
            r.node.name for r in outcome.result.results if r.node.resource_type == "seed"}:
        marker.write_text(fingerprint)
    return summary


def summarise(paths: Paths, outcome) -> DbtSummary:
    """run_results.json, and ``DbtFailed`` naming each failed node; warnings logged."""
    if hasattr(outcome.result, "write"):  # with --no-write-json, dbt leaves run_results to us
        paths.dbt_target.mkdir(parents=True, exist_ok=True)
        outcome.result.write(str(paths.dbt_target / "run_results.json"))
    results = getattr(outcome.result, "results", None) or []
    problems = [
        f"  {r.node.resource_type} {r.node.name}: {r.status} — {(r.message or '').strip()}"
        for r in results if str(r.status) in ("error", "fail", "runtime error")
    ]
    if not outcome.success:
        detail = "\n".join(problems) or f"  {outcome.exception!r}"
        raise DbtFailed(f"dbt build failed ({len(problems)} node(s)):\n{detail}")
    for r in results:
        if str(r.status) == "warn":  # dbt logs nothing here: say it
            log.warning("dbt %s %s: warn — %s", r.node.resource_type, r.node.name,
                        (r.message or "").strip())
    warned = sum(1 for r in results if str(r.status) == "warn")
    summary = DbtSummary(passed=len(results) - warned, warned=warned, nodes=len(results))
    log.info("dbt build: %d nodes ok, %d warnings", summary.passed, summary.warned)
    return summary


def project_fingerprint(project: Path) -> str:
    """A digest of every file of the dbt project (models, seeds, tests, macros, configuration;
    not its generated folders) and of the dbt version."""
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(dbt_version.encode())
    sources = [top for top in project.iterdir() if top.name not in {"target", "logs", "dbt_packages"}]
    files = [file for top in sources for file in (top.rglob("*") if top.is_dir() else [top])]
    for file in sorted(f for f in files if f.is_file()):
        digest.update(f"\0{file.relative_to(project).as_posix()}\0".encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _seeds_marker(paths: Paths) -> Path:
    """Which project last loaded the seeds into the build database, and passed: next to it."""
    return paths.build_db.with_name(paths.build_db.name + ".seeds")


def _seeds_loaded(paths: Paths, fingerprint: str) -> bool:
    import duckdb

    marker = _seeds_marker(paths)
    if not (paths.build_db.is_file() and marker.is_file() and marker.read_text() == fingerprint):
        return False
    with duckdb.connect(str(paths.build_db), read_only=True) as con:  # a replaced database
        loaded = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?",
            [SEEDS_SCHEMA]).fetchall()}
    return _seeds(paths) <= loaded


def _seeds(paths: Paths) -> set[str]:
    return {csv.stem for csv in (paths.dbt_project / "seeds").rglob("*.csv")}


def _release_build_db() -> None:
    """dbt-duckdb keeps its DuckDB instance open for the life of the process; the gate and the
    publisher then cannot attach the build file read-only ("different configuration"). Close it:
    after `dbt build` returns, nothing in this process should hold the build database."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
        DuckDBConnectionManager.close_all_connections()
