"""Benchmark: extraction time per source over the demo's days, against the sandbox APIs.

Starts the sandbox on the demo's world (seed 42, 30 days from 2026-10-01 unless told otherwise),
points every connector at it exactly as the demo's Airflow connections do, and lands each day of
each source in a scratch landing zone, one source after the other, as the daily extract tasks
would. Prints, per source: the time for all the days, the median and the slowest day, the HTTP
requests made and the rows landed. Airflow's own task overhead is not included (see README).

    .venv/bin/python bench/extract.py [--days 30] [--seed 42] [--scale 1.0] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from social_roi.connectors import CONNECTORS
from social_roi.connectors.base import SourceConfig, land_day
from social_roi.sandbox.connections import CRMS, sandbox_session
from social_roi.sandbox.world import WorldConfig


def config_of(conn_id: str) -> SourceConfig:
    """The connection the sandbox session exported as ``AIRFLOW_CONN_<ID>`` (JSON)."""
    conn = json.loads(os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"])
    return SourceConfig.from_fields(conn_id, conn.get("host"), conn.get("password"),
                                    conn.get("extra") or {}, conn_type=conn.get("conn_type"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 10, 1))
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole extraction; medians over runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    world = WorldConfig(seed=args.seed, start_date=args.start, days=args.days, scale=args.scale)
    days = [args.start + timedelta(days=i) for i in range(args.days)]
    started = time.perf_counter()
    # both CRMs connected: each source lands in its own scratch zone, nothing is modelled
    with sandbox_session(world, crms=CRMS) as server:
        print(f"sandbox world: {args.days} days from {args.start}, seed {args.seed}, scale {args.scale} "
              f"(generated and served in {time.perf_counter() - started:.1f} s)")
        print(f"{'source':<13} {'total s':>8} {'median/day s':>13} {'slowest s':>10} "
              f"{'requests':>9} {'rows':>9}")
        for source, connector in CONNECTORS.items():
            config = config_of(connector.CONN_ID)
            totals, per_day, requests, rows = [], [], 0, 0
            for _ in range(args.runs):
                server.clear_requests()
                rows = 0  # landed over the days of one run (restated windows count each time)
                with tempfile.TemporaryDirectory() as landing:
                    run_days = []
                    for day in days:
                        tic = time.perf_counter()
                        rows += sum(land_day(connector, config, day, Path(landing)).values())
                        run_days.append(time.perf_counter() - tic)
                totals.append(sum(run_days))
                per_day.extend(run_days)
                requests = len(server.requests)
            print(f"{source:<13} {statistics.median(totals):>8.2f} {statistics.median(per_day):>13.3f} "
                  f"{max(per_day):>10.3f} {requests:>9} {rows:>9}")


if __name__ == "__main__":
    main()
