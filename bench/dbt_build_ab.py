"""Benchmark: the daily `dbt build` of two or more versions of the dbt project, interleaved (decision 61).

    PYTHONPATH=plugins .venv/bin/python bench/dbt_build_ab.py 3 before=/tmp/old/dbt_project after=dbt_project

Each variant gets a copy of the current build database (run `make demo ARGS="--days 3"` first),
so all read the same landed days; after a warm-up build (which loads the seeds), the daily build
(`dbt_build(..., keep_loaded_seeds=True)`, unit tests out, as `pipeline.build()`) runs N times per
variant, the order alternating each round. Prints wall and process CPU time (DuckDB's threads
included) per build, the node count and the sum of dbt's per-node times, then the medians.
SOCIAL_ROI_PII_KEY must be set (any 32+ characters; the same for every variant). Compare the
variants' relations afterwards in the databases left under the scratch directory it prints.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from social_roi.settings import Paths
from social_roi.transform import dbt_build

ARGS = ["--exclude-resource-type", "unit_test"]


def main(rounds: int, variants: list[tuple[str, Path]]) -> None:
    base = Paths.from_env()
    scratch = Path(tempfile.mkdtemp(prefix="dbt_build_ab_"))
    print(f"build databases in {scratch}")
    paths = {}
    for name, project in variants:
        db = scratch / f"{name}.duckdb"
        shutil.copy(base.build_db, db)
        paths[name] = dataclasses.replace(base, build_db=db, dbt_project=project.resolve())
        print(f"{name} warm-up: {dbt_build(paths[name], ARGS, keep_loaded_seeds=True)}", flush=True)
    wall: dict[str, list[float]] = {name: [] for name, _ in variants}
    cpu: dict[str, list[float]] = {name: [] for name, _ in variants}
    for index in range(rounds):
        for name, _ in variants if index % 2 == 0 else variants[::-1]:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            summary = dbt_build(paths[name], ARGS, keep_loaded_seeds=True)
            wall[name].append(time.perf_counter() - wall0)
            cpu[name].append(time.process_time() - cpu0)
            run_results = paths[name].dbt_project / "target" / "run_results.json"
            results = json.loads(run_results.read_text())["results"]
            nodes_time = sum(r["execution_time"] for r in results)
            print(f"{name} run {index}: wall {wall[name][-1]:.2f} s, CPU {cpu[name][-1]:.2f} s, "
                  f"{summary.nodes} nodes, their own times {nodes_time:.2f} s", flush=True)
    for name, _ in variants:
        print(f"{name}: median wall {statistics.median(wall[name]):.2f} s, "
              f"CPU {statistics.median(cpu[name]):.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]), [(a.split("=", 1)[0], Path(a.split("=", 1)[1])) for a in sys.argv[2:]])
