"""Command line: ``python -m social_roi demo|run|report|releases|rollback|dbt`` (``make demo`` calls
``demo``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import date, timedelta

from social_roi.settings import Paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="social_roi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the daily DAGs on the built-in sandbox world")
    demo.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--crm", choices=("hubspot", "salesforce"), default="hubspot",
                      help="the CRM the sandbox connects (both serve the same people and deals); "
                           "the other one stays not configured")
    run = commands.add_parser(
        "run", help="run the daily DAGs through Airflow for a date range, with the configured "
                    "connections (reprocess days after a model change, or backfill)")
    run.add_argument("--start", type=date.fromisoformat, required=True)
    run.add_argument("--days", type=int, default=1)
    commands.add_parser("report", help="print the funnel summary of the serving database")
    init = commands.add_parser(
        "airflow-init", help="prepare a deployment's Airflow (docker-compose's airflow-init): migrate "
                             "the metadata database, create the pools, and point sources that have "
                             "no connection yet at a running sandbox")
    init.add_argument("--sandbox-url", default="",
                      help="the sandbox's base URL; empty: create no connections (production)")
    init.add_argument("--sandbox-token", default="")
    init.add_argument("--crm", choices=("hubspot", "salesforce"), default="hubspot")

    commands.add_parser("releases", help="list the releases of the serving database (the last "
                                         "SOCIAL_ROI_KEEP_RELEASES, default 7, can be restored)")
    rollback = commands.add_parser(
        "rollback", help="serve a kept release again, atomically, as a new release that records "
                         "which one it restored (default: the release served before the current one)")
    rollback.add_argument("release", type=int, nargs="?", help="the release number to restore")
    dbt = commands.add_parser("dbt", help="run any dbt command on the build database, e.g. "
                                          "`python -m social_roi dbt test -s fct_funnel_daily`")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    paths = Paths.from_env()
    if args.command == "demo":
        return run_demo(paths, args.start, args.days, args.scale, args.seed, args.crm)
    if args.command == "run":
        return run_range(paths, args.start, args.days)
    if args.command == "dbt":
        return run_dbt(paths, args.dbt_args)
    if args.command == "airflow-init":
        return airflow_init(paths, args.sandbox_url, args.sandbox_token, args.crm)

    if args.command == "releases":
        return list_releases(paths)
    if args.command == "rollback":
        return roll_back(paths, args.release)
    return print_report(paths)


def run_demo(paths: Paths, start: date, days: int, scale: float, seed: int,
             crm: str = "hubspot") -> int:
    from social_roi import airflow_env
    from social_roi.sandbox.connections import sandbox_session
    from social_roi.sandbox.world import WorldConfig

    began = time.perf_counter()
    home = airflow_env.configure(paths)
    print(f"Airflow home {home}; landing zone {paths.landing}; serving {paths.serving_db}")
    world = WorldConfig(seed=seed, start_date=start, days=days, scale=scale)
    _forget_other_crm(paths, crm)
    with sandbox_session(world, crms=(crm,)) as sandbox:
        print(f"Sandbox APIs at {sandbox.base_url} (seed {seed}, {days} days from {start}, "
              f"scale {scale}; CRM: {crm})")
        code = _in_child_process(["run", "--start", start.isoformat(), "--days", str(days)])
    if code:
        return code
    print(f"\nDone in {time.perf_counter() - began:.0f}s. Published {paths.serving_db}\n")
    return print_report(paths)


def _forget_other_crm(paths: Paths, crm: str) -> None:
    """Both CRMs describe the same sandbox world: a previous demo's landed days of the other CRM
    would make its deals count twice. The demo connects one CRM, so it removes the other one's
    sandbox data (a switched-off source otherwise keeps its history: docs/decisions.md 35)."""
    import shutil

    from social_roi.sandbox.connections import CRMS

    for other in set(CRMS) - {crm}:
        landed = paths.landing / other
        if landed.is_dir():
            print(f"Removing {landed}: the demo connects {crm}, and a previous demo's {other} data "
                  "would count the same deals twice")
            shutil.rmtree(landed)


def run_range(paths: Paths, start: date, days: int) -> int:
    from social_roi import airflow_env

    home = airflow_env.configure(paths)
    airflow_env.ensure_metadata_db(home)

    from social_roi.runner import RunFailed, run_days

    print(f"Running the extract DAGs (social, web, crm) and social_roi_publish for {days} day(s) "
          f"from {start}; Airflow logs in "
          f"{paths.data_dir / 'logs'}", flush=True)

    def progress(day: date, seconds: float) -> None:
        print(f"  {day}  extract → validate → dbt build → validate → publish  ok  "
              f"{seconds:5.1f}s", flush=True)

    try:
        run_days([start + timedelta(days=i) for i in range(days)], paths.data_dir / "logs",
                 progress)
    except RunFailed as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def airflow_init(paths: Paths, sandbox_url: str, sandbox_token: str, crm: str) -> int:
    from social_roi import airflow_env

    home = airflow_env.configure(paths)
    airflow_env.ensure_metadata_db(home, always_migrate=True)
    print(f"Airflow metadata database migrated; pools: {', '.join(airflow_env.POOLS)}", flush=True)
    if not sandbox_url:
        print("No sandbox URL: connections are left to you (README, \"Connections\").")
        return 0
    if not sandbox_token:
        print("--sandbox-token is required with --sandbox-url", file=sys.stderr)
        return 2
    from social_roi.sandbox.connections import running_sandbox_connections

    connections = running_sandbox_connections(sandbox_url, sandbox_token, crms=(crm,))
    added = airflow_env.add_missing_connections(connections)
    kept = sorted(set(connections) - set(added))
    print(f"Connections pointed at the sandbox {sandbox_url}: {', '.join(added) or 'none'}"
          + (f"; already configured, left as they are: {', '.join(kept)}" if kept else ""))
    return 0


def _in_child_process(args: list[str]) -> int:
    """Run a subcommand in its own process group and stop it for sure on Ctrl-C or SIGTERM.

    Airflow's in-process task runner replaces the SIGTERM handler with one that only calls
    ``on_kill`` and keeps going, so the DAG loop cannot be stopped from inside. Killing it is
    safe: landing files and the serving database are replaced atomically, and a rerun resumes.
    """
    import signal
    import subprocess

    child = subprocess.Popen([sys.executable, "-m", "social_roi", *args], start_new_session=True)
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        # Only kill here: the main thread is inside child.wait() and will return from it.
        received.append(signum)
        os.killpg(child.pid, signal.SIGKILL)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        print(f"\nStopped ({signal.Signals(received[0]).name}). The last published release is "
              "intact; run again to redo the days.", file=sys.stderr)
        return 128 + received[0]
    return code


def run_dbt(paths: Paths, dbt_args: list[str]) -> int:
    from social_roi.transform import dbt_invoke

    return 0 if dbt_invoke(paths, dbt_args).success else 1


def list_releases(paths: Paths) -> int:
    from social_roi import publish, releases
    from social_roi.settings import PostgresTarget, warehouse

    if warehouse() == "postgres":
        from social_roi import publish_postgres

        target = PostgresTarget.from_env()
        print(f"Releases of the schema {publish_postgres.SERVING_SCHEMA} in the Postgres database "
              f"{target.dbname} (kept as the schemas {publish_postgres.RELEASE_PREFIX}<n>):")
        print(releases.format_history(publish_postgres.list_releases(target.conninfo())))
        return 0
    try:
        history = publish.list_releases(paths.serving_db)
    except releases.ReleaseError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"Releases of {paths.serving_db} (kept in {publish.releases_dir_for(paths.serving_db)}):")
    print(releases.format_history(history))
    return 0


def roll_back(paths: Paths, release: int | None) -> int:
    from social_roi import publish
    from social_roi.errors import SocialRoiError
    from social_roi.settings import PostgresTarget, keep_releases, warehouse

    try:
        if warehouse() == "postgres":
            from social_roi import publish_postgres

            target = PostgresTarget.from_env()
            served = f"the schema {publish_postgres.SERVING_SCHEMA} of the Postgres database {target.dbname}"
            plan = publish_postgres.rollback(target.conninfo(), release, keep=keep_releases(),
                                             bi_role=publish_postgres.bi_role_from_env())
        else:
            served = str(paths.serving_db)
            plan = publish.rollback(paths.serving_db, release, keep=keep_releases())
    except SocialRoiError as exc:
        print(f"Rollback refused, nothing changed: {exc}", file=sys.stderr)
        return 1
    new = plan.release
    print(f"Rolled back: {served} now serves release {new.number}, the data of release "
          f"{new.restored_release_number} (run {new.run_id}, data interval "
          f"{new.interval_start:%Y-%m-%d %H:%M} – {new.interval_end:%Y-%m-%d %H:%M} UTC).")
    if plan.prune:
        print(f"Pruned releases {', '.join(map(str, plan.prune))} (keeping {keep_releases()}).")
    return 0


def print_report(paths: Paths) -> int:
    from social_roi.report import (
        conversation_totals,
        direct_message_totals,
        format_conversation,
        format_direct_messages,
        format_identity,
        format_inquiries,
        format_roi,
        format_summary,
        format_vanity_vs_value,
        identity_totals,
        inquiry_totals,
        platform_totals,
        post_extremes,
        roi_totals,
    )

    if not paths.serving_db.exists():
        print(f"No serving database at {paths.serving_db}: run `make demo` first.",
              file=sys.stderr)
        return 1
    print(format_summary(platform_totals(paths.serving_db)))
    print(format_roi(roi_totals(paths.serving_db)))
    print(format_vanity_vs_value(post_extremes(paths.serving_db)))
    print(format_inquiries(inquiry_totals(paths.serving_db)))
    print(format_identity(identity_totals(paths.serving_db)))
    print(format_conversation(conversation_totals(paths.serving_db)))
    print(format_direct_messages(direct_message_totals(paths.serving_db)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
