"""Benchmark: the daily `dbt build` as one Airflow task vs astronomer-cosmos per-model tasks (decision 60).

Lands a few sandbox days (seed 42, from 2026-10-01) in a scratch data directory through the
pipeline's own extract step, then times, interleaved, each variant as a one-purpose DAG run by
Airflow's ``dag.test()`` (tasks in this process, one after the other, SQLite metadata):

* ``build``: one task calling ``pipeline.build()``, exactly as the daily DAG's ``dbt_build`` task
  (in-process dbtRunner, unit tests excluded, unchanged seeds left out).
* ``watcher``: a cosmos ``DbtTaskGroup`` in ``ExecutionMode.WATCHER``: one producer task runs one
  in-process ``dbt build`` and one sensor task per model (and per model's tests) reads its
  outcome from XCom. Same project, same profiles.yml, same nodes (seeds excluded, as they are
  already loaded; unit tests excluded; cautious indirect selection).
* ``local`` (``--modes`` only): ``ExecutionMode.LOCAL`` with ``InvocationMode.DBT_RUNNER``: one
  dbt invocation per model task. Under a scheduler that is one process per model writing the
  DuckDB file, which issue 8 rules out; available, not timed for decision 60.

``dag.test()`` runs tasks one at a time, so the watcher's sensors are made to wait for the
producer (they run alongside it under a scheduler): the figure is the producer's build plus the
least a sensor task costs. It then makes one model fail on purpose in a scratch copy of the dbt
project and reports what each variant shows: which tasks fail, and whether the log names the
model. astronomer-cosmos is not in requirements.txt (decision 60); to run this:

    .venv/bin/pip install astronomer-cosmos==1.15.1 -c constraints.txt
    PYTHONPATH=plugins .venv/bin/python bench/cosmos_vs_build.py [--days 3] [--runs 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "plugins"))

from social_roi.settings import Paths  # noqa: E402

START = date(2026, 10, 1)
FAILING_MODEL = "fct_followers_daily"  # a mart table that other marts read
DAG_KWARGS = {"start_date": datetime(2026, 1, 1, tzinfo=UTC), "catchup": False,
              "default_args": {"retries": 0}}


def cosmos_available() -> bool:
    try:
        import cosmos  # noqa: F401
    except ImportError:
        print("astronomer-cosmos is not installed (it is not a project dependency, decision 60). To run:\n"
              "  .venv/bin/pip install astronomer-cosmos==1.15.1 -c constraints.txt\n"
              "  PYTHONPATH=plugins .venv/bin/python bench/cosmos_vs_build.py")
        return False
    return True


VARIANTS = ("build", "watcher", "local", "build_failing", "watcher_failing")


def bundle_dir(root: Path, name: str) -> Path:
    return root / "dags" / name


def prepare(root: Path, days: int, say) -> Paths:
    """Scratch data directory, Airflow home and metadata DB; ``days`` sandbox days landed.

    ``dag.test()`` serialises the DAG from its bundle (it re-parses the bundle's folder each
    call): each variant's DAG lives in a file of its own, in a bundle of its own."""
    bundles = []
    for name in VARIANTS:
        bundle_dir(root, name).mkdir(parents=True)
        bundles.append({"name": f"bench_{name}",
                        "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                        "kwargs": {"path": str(bundle_dir(root, name)), "refresh_interval": 0}})
    os.environ.update({
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
        "SOCIAL_ROI_DATA_DIR": str(root),
        "SOCIAL_ROI_SERVING_DB": str(root / "serving.duckdb"),
        "AIRFLOW_HOME": str(root / "airflow"),
        "AIRFLOW__COSMOS__ENABLE_CACHE": "True",
    })
    os.environ.setdefault("SOCIAL_ROI_PII_KEY", "bench-" + "0" * 58)
    paths = Paths.from_env()
    from social_roi import airflow_env

    home = airflow_env.configure(paths)
    airflow_env.ensure_metadata_db(home)
    # dbt reads these through env_var(): cosmos' dbt runs in this process and sees them too
    os.environ.update({"SOCIAL_ROI_BUILD_DB": str(paths.build_db),
                       "SOCIAL_ROI_LANDING_DIR": str(paths.landing)})

    from social_roi import pipeline
    from social_roi.sandbox.connections import sandbox_session
    from social_roi.sandbox.world import WorldConfig

    tic = time.perf_counter()
    with sandbox_session(WorldConfig(seed=42, start_date=START, days=days, scale=1.0)):
        for offset in range(days):
            for source in ("meta", "linkedin", "x", "ga4", "ga4_data_api", "hubspot", "salesforce",
                           "brandwatch"):
                pipeline.extract(source, START + timedelta(days=offset))
    say(f"landed {days} sandbox days in {time.perf_counter() - tic:.1f} s ({paths.landing})")
    return paths


def manifest_of(paths: Paths, project: Path, target: Path) -> Path:
    """cosmos renders the task group from a manifest (``LoadMode.DBT_MANIFEST``): no `dbt ls` when
    the DAG file is parsed."""
    from social_roi.transform import dbt_invoke

    outcome = dbt_invoke(dataclasses.replace(paths, dbt_project=project),
                         ["parse", "--target-path", str(target)])
    assert outcome.success, outcome.exception
    return target / "manifest.json"


def build_dag(dag_id: str, project: Path | None = None):
    """The daily DAG's dbt_build task, alone (``project``: a scratch copy instead)."""
    from airflow.sdk import DAG, task

    with DAG(dag_id, schedule=None, **DAG_KWARGS) as dag:
        @task(pool="duckdb_writer")
        def dbt_build():
            from social_roi import pipeline
            from social_roi.transform import dbt_build as build

            if project is None:
                return pipeline.build()  # what the DAG's task runs
            paths = dataclasses.replace(Paths.from_env(), dbt_project=project)
            return build(paths, ["--exclude-resource-type", "unit_test"], keep_loaded_seeds=True).nodes

        dbt_build()
    return dag


def cosmos_dag(dag_id: str, mode: str, project: Path, manifest: Path):
    from airflow.sdk import DAG
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestIndirectSelection

    with DAG(dag_id, schedule=None, **DAG_KWARGS) as dag:
        DbtTaskGroup(
            group_id="dbt",
            project_config=ProjectConfig(dbt_project_path=project, manifest_path=manifest),
            profile_config=ProfileConfig(profile_name="social_roi", target_name="duckdb",
                                         profiles_yml_filepath=REPO / "dbt_project" / "profiles.yml"),
            execution_config=ExecutionConfig(
                execution_mode=ExecutionMode.WATCHER if mode == "watcher" else ExecutionMode.LOCAL,
                invocation_mode=InvocationMode.DBT_RUNNER,
                test_indirect_selection=TestIndirectSelection.CAUTIOUS),
            # the seeds are loaded already (as the daily build leaves them out); unit tests are CI's
            # no Airflow Asset per model: the build variant emits none either
            render_config=RenderConfig(load_method=LoadMode.DBT_MANIFEST, emit_datasets=False,
                                       exclude=["resource_type:seed", "resource_type:unit_test"]),
            operator_args={"pool": "duckdb_writer"},
        )
    if mode == "watcher":
        # dag.test() runs one task at a time: a sensor run before the producer would wait for it
        # forever. Under a scheduler the sensors wait alongside the producer (in a DbtTaskGroup
        # the first models' sensors have no upstream task): here they follow it.
        producer = next(t for t in dag.tasks if t.task_id.endswith("dbt_producer_watcher"))
        for task in dag.tasks:
            if task is not producer and not task.upstream_list:
                producer >> task
                task.trigger_rule = "all_done"
    return dag


def make_dag(name: str, project: str = "", manifest: str = ""):
    """The DAG of a variant: called by the one-line DAG file ``write_dag`` writes."""
    if name.startswith("build"):
        return build_dag(f"bench_{name}", Path(project) if project else None)
    return cosmos_dag(f"bench_{name}", name.split("_")[0], Path(project), Path(manifest))


def write_dag(root: Path, name: str, project: Path | None = None, manifest: Path | None = None):
    """Write the variant's DAG file into its bundle; return the DAG as Airflow parses it."""
    from airflow.dag_processing.dagbag import DagBag

    folder = bundle_dir(root, name)
    (folder / f"bench_{name}.py").write_text(
        "# an Airflow DAG file (Airflow's safe mode parses only files naming airflow and dag)\n"
        f"import sys\nsys.path.insert(0, {str(REPO / 'bench')!r})\n"
        "from cosmos_vs_build import make_dag\n"
        f"make_dag({name!r}, {str(project or '')!r}, {str(manifest or '')!r})\n")
    bag = DagBag(str(folder))
    assert not bag.import_errors, bag.import_errors
    return bag.dags[f"bench_{name}"]


def run(dag, day: int, log: Path) -> tuple[float, dict[str, str], dict[str, float]]:
    """One ``dag.test()``: wall seconds, each task's state and duration. Airflow's output goes to
    ``log`` (all runs to one file, opened once: Airflow's loggers keep the stream they first got)."""
    from social_roi.transform import _release_build_db

    logical_date = datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC)
    tic = time.perf_counter()
    dag_run = dag.test(logical_date=logical_date)
    seconds = time.perf_counter() - tic
    _release_build_db()  # cosmos' in-process dbt leaves dbt-duckdb's instance open
    tis = dag_run.get_task_instances()
    return seconds, {ti.task_id: str(ti.state) for ti in tis}, {ti.task_id: ti.duration or 0.0 for ti in tis}


def failing_copy(root: Path) -> Path:
    """A copy of the dbt project in which ``FAILING_MODEL`` fails when it is built (same refs)."""
    project = root / "dbt_project_failing"
    shutil.copytree(REPO / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    sql = next(project.rglob(f"{FAILING_MODEL}.sql"))
    refs = sorted(set(re.findall(r"ref\(\s*'([^']+)'\s*\)", sql.read_text())))
    sql.write_text("".join(f"-- depends_on: {{{{ ref('{r}') }}}}\n" for r in refs)
                   + f"select error('bench: deliberate failure of {FAILING_MODEL}') as failure\n")
    return project


def time_variants(dags: dict, runs: int, modes: list[str], log: Path, say) -> None:
    # one untimed run each: seeds loaded, dbt's partial parse and cosmos' cache warm
    for mode in modes:
        seconds, states, _ = run(dags[mode], 0, log)
        bad = {t: s for t, s in states.items() if s != "success"}
        assert not bad, f"{mode} warm-up failed: {bad} (log: {log})"
        say(f"warm-up {mode}: {seconds:.1f} s")

    times: dict[str, list[float]] = {mode: [] for mode in modes}
    dbt_task: dict[str, list[float]] = {mode: [] for mode in modes}  # the task that runs dbt build
    others: dict[str, list[float]] = {mode: [] for mode in modes}  # every other task, summed
    loads = []
    for i in range(1, runs + 1):
        for mode in modes if i % 2 else modes[::-1]:  # alternate the order: no variant always first
            seconds, states, durations = run(dags[mode], i, log)
            assert all(s == "success" for s in states.values()), f"{mode} run {i}: {states}"
            main_task = max(durations, key=durations.get)
            times[mode].append(seconds)
            dbt_task[mode].append(durations[main_task])
            others[mode].append(sum(durations.values()) - durations[main_task])
            loads.append(os.getloadavg()[0])
            say(f"run {i} {mode}: {seconds:.1f} s ({main_task} {durations[main_task]:.1f} s)")
    base = statistics.median(times["build"])
    say(f"\n{'variant':<8} {'tasks':>5} {'median s':>9} {'vs build':>8} {'dbt task s':>10} "
        f"{'other tasks s':>13}  runs s")
    for mode in modes:
        median = statistics.median(times[mode])
        say(f"{mode:<8} {len(dags[mode].tasks):>5} {median:>9.2f} {median / base - 1:>+8.0%} "
            f"{statistics.median(dbt_task[mode]):>10.2f} {statistics.median(others[mode]):>13.2f}  "
            f"{', '.join(f'{t:.1f}' for t in times[mode])}")
    say(f"load average during the runs: median {statistics.median(loads):.1f}, max {max(loads):.1f} "
        f"({os.cpu_count()} cores)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3, help="sandbox days landed")
    parser.add_argument("--runs", type=int, default=3,
                        help="timed runs per variant, interleaved (0: only the failing-model check)")
    parser.add_argument("--modes", default="build,watcher",
                        help="comma-separated: build, watcher, local (local: one dbt call per model)")
    args = parser.parse_args()
    if not cosmos_available():
        return
    from social_roi.runner import output_to

    modes = args.modes.split(",")
    root = Path(tempfile.mkdtemp(prefix="cosmos_bench_"))
    log = root / "airflow.log"
    console = os.fdopen(os.dup(1), "w", buffering=1)
    say = functools.partial(print, file=console, flush=True)
    say(f"scratch: {root}; Airflow's output: {log}; load average before: {os.getloadavg()[0]:.1f}")
    with output_to(log):
        measure(root, args, modes, log, say)


def measure(root: Path, args: argparse.Namespace, modes: list[str], log: Path, say) -> None:
    paths = prepare(root, args.days, say)
    manifest = manifest_of(paths, REPO / "dbt_project", root / "manifest")
    dags = {}
    for mode in modes:
        tic = time.perf_counter()
        dags[mode] = write_dag(root, mode, REPO / "dbt_project" if mode != "build" else None, manifest)
        kinds = Counter(type(t).__name__ for t in dags[mode].tasks)
        say(f"{mode}: DAG file parsed in {time.perf_counter() - tic:.2f} s, {len(dags[mode].tasks)} tasks "
            f"({', '.join(f'{n} {k}' for k, n in kinds.most_common())})")

    if args.runs:
        time_variants(dags, args.runs, modes, log, say)
    # a failing model: what each variant shows (the build variant runs first: it loads the seeds)
    say(f"\nfailing model {FAILING_MODEL} (scratch copy of the project):")
    project = failing_copy(root)
    failing_manifest = manifest_of(paths, project, root / "manifest_failing")
    for mode in ("build", "watcher"):
        if mode not in modes:
            continue
        dag = write_dag(root, f"{mode}_failing", project, failing_manifest)
        start = log.stat().st_size
        _, states, _ = run(dag, 100, log)
        with log.open(errors="replace") as handle:
            handle.seek(start)
            lines = handle.read().splitlines()
        failed = sorted(t for t, s in states.items() if s == "failed")
        other = sorted(f"{t} {s}" for t, s in states.items() if s not in ("success", "failed"))
        named = [line.strip() for line in lines
                 if FAILING_MODEL in line and ("fail" in line.lower() or "error" in line.lower())]
        say(f"  {mode}: {len(states)} tasks, failed: {', '.join(failed) or 'none'}"
            f"{'; ' + ', '.join(other) if other else ''}")
        say(f"    log lines naming {FAILING_MODEL} with an error: {len(named)}; first: "
            f"{named[0][:300] if named else '-'}")


if __name__ == "__main__":
    main()
