"""Benchmark: one day's dbt build, incremental vs --full-refresh (decision 65), on a landing zone.

Copies the landing zone leaving out its last day, builds it as the pipeline does, then lands the
last day back and times the pipeline's build of that day from the same starting database,
incremental and with ``--full-refresh``, interleaved. Prints each run (wall, CPU of this process,
load average), the medians, and dbt's time per incremental model (median over the runs).

    .venv/bin/python bench/incremental_day.py [--landing var/landing] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from social_roi import pii
from social_roi.settings import Paths
from social_roi.transform import _seeds_marker, dbt_build

os.environ.setdefault(pii.KEY_ENV, secrets.token_hex(32))
ARGS = ["--exclude-resource-type", "unit_test"]  # as social_roi.pipeline builds
MODELS = ("stg_ga4__events", "int_web_sessions", "int_conversion_paths", "int_attribution_rule_based",
          "fct_attribution", "int_session_identity", "fct_touchpoints")


def _without_day(landing: Path, target: Path, day: str) -> None:
    shutil.copytree(landing, target, ignore=lambda _, names: [
        n for n in names if n in (f"date={day}", f"{day}.json")])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", type=Path, default=Path("var/landing"))
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    day = max(p.name.removeprefix("date=") for p in (options.landing / "ga4" / "events").glob("date=*"))
    root = Path(tempfile.mkdtemp(prefix="incremental_day_"))
    paths = dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                                build_db=root / "build.duckdb")
    _without_day(options.landing, paths.landing, day)
    started = time.monotonic()
    dbt_build(paths, ARGS, keep_loaded_seeds=True)
    print(f"built up to the day before {day}: {time.monotonic() - started:.1f} s")
    shutil.rmtree(paths.landing)
    shutil.copytree(options.landing, paths.landing)
    start_db = root / "start.duckdb"
    shutil.copy(paths.build_db, start_db)
    marker = _seeds_marker(paths).read_text()
    figures: dict[str, list[float]] = {"incremental": [], "full refresh": []}
    per_model: dict[str, dict[str, list[float]]] = {kind: {m: [] for m in MODELS} for kind in figures}
    for run in range(options.runs):
        for kind, extra in (("incremental", []), ("full refresh", ["--full-refresh"])):
            shutil.copy(start_db, paths.build_db)
            _seeds_marker(paths).write_text(marker)
            load = os.getloadavg()[0]
            wall, cpu = time.monotonic(), time.process_time()
            dbt_build(paths, [*ARGS, *extra], keep_loaded_seeds=True)
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            figures[kind].append(wall)
            results = json.loads((paths.dbt_project / "target" / "run_results.json").read_text())["results"]
            for r in results:
                name = r["unique_id"].split(".")[-1]
                if r["unique_id"].startswith("model.") and name in MODELS:
                    per_model[kind][name].append(r["execution_time"])
            print(f"run {run + 1} {kind:12s}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, load {load:.1f}")
    for kind, walls in figures.items():
        models = ", ".join(f"{m} {statistics.median(t):.2f}" for m, t in per_model[kind].items() if t)
        print(f"median {kind:12s}: {statistics.median(walls):6.1f} s wall; dbt s per model: {models}")
    shutil.rmtree(root)


if __name__ == "__main__":
    main()
