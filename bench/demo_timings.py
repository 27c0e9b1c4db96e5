"""Where the demo's time goes: per-task medians of the days' DAG runs in the demo's Airflow metadata DB.

Reads the task instances `make demo` (or `python -m social_roi run`) recorded in
`var/airflow/airflow.db` and prints, per task (``<dag>.<task>``, the DAG without its
``social_roi_`` prefix), the median and total seconds, plus the median of a whole day (the three
extract DAGs' runs and the publish DAG's: their logical dates share the date) and of the time a
day spends outside its tasks (Airflow's own work between them).

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
    joined = "task_instance ti join dag_run dr using (dag_id, run_id)"
    runs = con.execute(
        f"select date(dr.logical_date), min(ti.start_date), max(ti.end_date) from {joined} "
        "group by 1 having count(*) = count(ti.end_date) order by min(ti.start_date) desc limit ?",
        [args.last]).fetchall()[::-1]
    per_task: dict[str, list[float]] = defaultdict(list)
    whole, outside = [], []
    for i, (run_id, start, end) in enumerate(runs):
        tasks = con.execute(
            f"select replace(ti.dag_id, 'social_roi_', '') || '.' || ti.task_id, ti.duration "
            f"from {joined} where date(dr.logical_date) = ?", [run_id]).fetchall()
        for task_id, duration in tasks:
            per_task[task_id].append(duration or 0.0)
        whole.append(_seconds(start, runs[i + 1][1] if i + 1 < len(runs) else end))
        outside.append(whole[-1] - sum(d or 0.0 for _, d in tasks))
    con.close()
    print(f"{len(runs)} days; seconds per day (median / total over the days)")
    extracts = [sum(v) for v in zip(*(d for t, d in per_task.items() if ".extract_" in t),
                                     strict=True)]
    rows = sorted(per_task.items(), key=lambda kv: -statistics.median(kv[1]))
    for task_id, durations in rows:
        print(f"  {task_id:<36} {statistics.median(durations):6.2f} {sum(durations):8.1f}")
    if extracts:
        print(f"  {'(all extracts)':<36} {statistics.median(extracts):6.2f} {sum(extracts):8.1f}")
    print(f"  {'(outside tasks)':<36} {statistics.median(outside):6.2f} {sum(outside):8.1f}")
    print(f"  {'(whole day)':<36} {statistics.median(whole):6.2f} {sum(whole):8.1f}")


if __name__ == "__main__":
    main()
