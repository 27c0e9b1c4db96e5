"""Command line: ``python -m social_roi demo|report`` (``make demo`` calls ``demo``)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date, timedelta

from social_roi.settings import Paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="social_roi", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the daily DAG on the built-in sandbox world")
    demo.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    demo.add_argument("--days", type=int, default=30)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--seed", type=int, default=42)
    commands.add_parser("report", help="print the funnel summary of the serving database")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    paths = Paths.from_env()
    if args.command == "demo":
        return run_demo(paths, args.start, args.days, args.scale, args.seed)
    return print_report(paths)


def run_demo(paths: Paths, start: date, days: int, scale: float, seed: int) -> int:
    from social_roi import airflow_env

    began = time.perf_counter()
    home = airflow_env.configure(paths)
    print(f"Airflow home {home}; landing zone {paths.landing}; serving {paths.serving_db}")
    airflow_env.ensure_metadata_db(home)

    from social_roi.runner import run_days
    from social_roi.sandbox.connections import sandbox_session
    from social_roi.sandbox.world import WorldConfig

    world = WorldConfig(seed=seed, start_date=start, days=days, scale=scale)
    run_dates = [start + timedelta(days=i) for i in range(days)]
    with sandbox_session(world) as sandbox:
        print(f"Sandbox APIs at {sandbox.base_url} (seed {seed}, {days} days from {start}, scale {scale})")
        print(f"Running DAG social_roi_daily for {days} days; Airflow logs in "
              f"{paths.data_dir / 'logs'}")

        def progress(day: date, seconds: float) -> None:
            print(f"  {day}  extract → validate → dbt build → validate → publish  ok  "
                  f"{seconds:5.1f}s", flush=True)

        run_days(run_dates, paths.data_dir / "logs", progress)
    print(f"\nDone in {time.perf_counter() - began:.0f}s. Published {paths.serving_db}\n")
    return print_report(paths)


def print_report(paths: Paths) -> int:
    from social_roi.report import format_summary, platform_totals

    if not paths.serving_db.exists():
        print(f"No serving database at {paths.serving_db}: run `make demo` first.",
              file=sys.stderr)
        return 1
    print(format_summary(platform_totals(paths.serving_db)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
