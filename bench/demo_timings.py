"""Where the demo's time goes: per-task medians of the DAG runs in the demo's Airflow metadata DB.

Reads the task instances `make demo` (or `python -m social_roi run`) recorded in
`var/airflow/airflow.db` and prints, per task, the median and total seconds, plus the median of a
whole DAG run and of the time a run spends outside its tasks (Airflow's own work between them).

    .venv/bin/python bench/demo_timings.py [--db var/airflow/airflow.db] [--last 30]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
from collections import defaultdict
from datetime import datetime
from pathlib import Path


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("var/airflow/airflow.db"))
    parser.add_argument("--last", type=int, default=30, help="the latest N DAG runs")
    args = parser.parse_args()
    con = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    # a run's span: from its first task's start to the next run's first task's start (the last
    # run: to its last task's end), so that Airflow's work between runs is counted too
    runs = con.execute(
        "select run_id, min(start_date), max(end_date) from task_instance group by run_id "
        "having count(*) = count(end_date) order by min(start_date) desc limit ?",
        [args.last]).fetchall()[::-1]
    per_task: dict[str, list[float]] = defaultdict(list)
    whole, outside = [], []
    for i, (run_id, start, end) in enumerate(runs):
        tasks = con.execute("select task_id, duration from task_instance where run_id = ?",
                            [run_id]).fetchall()
        for task_id, duration in tasks:
            per_task[task_id].append(duration or 0.0)
        whole.append(_seconds(start, runs[i + 1][1] if i + 1 < len(runs) else end))
        outside.append(whole[-1] - sum(d or 0.0 for _, d in tasks))
    con.close()
    print(f"{len(runs)} DAG runs; seconds per run (median / total over the runs)")
    extracts = [sum(v) for v in zip(*(d for t, d in per_task.items() if t.startswith("extract_")),
                                     strict=True)]
    rows = sorted(per_task.items(), key=lambda kv: -statistics.median(kv[1]))
    for task_id, durations in rows:
        print(f"  {task_id:<22} {statistics.median(durations):6.2f} {sum(durations):8.1f}")
    if extracts:
        print(f"  {'(all extracts)':<22} {statistics.median(extracts):6.2f} {sum(extracts):8.1f}")
    print(f"  {'(outside tasks)':<22} {statistics.median(outside):6.2f} {sum(outside):8.1f}")
    print(f"  {'(whole run)':<22} {statistics.median(whole):6.2f} {sum(whole):8.1f}")


if __name__ == "__main__":
    main()
