"""The DAGs under a real Airflow: ``airflow api-server``, ``scheduler``, ``dag-processor`` and
``triggerer`` as subprocesses, Postgres as the metadata database, LocalExecutor, the sandbox
served by its own command. The scheduler runs the three extract DAGs for three scheduled days
(``SOCIAL_ROI_START_DATE``..``SOCIAL_ROI_END_DATE``, caught up), their Assets trigger the publish
DAG, and the published marts are checked against the sandbox's truth (tests/e2e/published.py).

Folded into the same deployment (one set-up, ~2 minutes): X's API answers 503 to the first
day's requests until its connector gives up, so Airflow retries that one task; then the published
warehouse is moved aside and ``airflow backfill create`` of the three extract DAGs rebuilds the
same days into an empty one — its first ``dbt_build`` SIGKILLed mid-build and retried — and every
mart must equal the scheduled run's (docs/decisions.md 64).

The publish DAG's grace is set to 1 s, so its ``DeadlineAlert`` is missed by every publish run
and the triggerer sends the ``late`` alert to a local webhook receiver: the deadline path, end to
end. No other alert may arrive (no task failed for good; a retry is not an alert).

Postgres: tests/postgres.py (skipped without a server, except in CI, where it fails).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import requests

from social_roi.connectors.base import SourceConfig
from social_roi.pipeline import MARTS
from social_roi.sandbox.catalog import X_USER_ID
from social_roi.sandbox.world import generate_world
from social_roi.schedule import FAMILIES
from social_roi.settings import REPO_ROOT, Paths
from tests.alerts.receivers import WebhookReceiver
from tests.e2e import published
from tests.e2e.published import RUN_DAYS, WORLD
from tests.postgres import fresh_database, query

pytestmark = pytest.mark.timeout(2400)  # the one set-up runs three acts (each guarded by TIMEOUT)
PUBLISH_DAG_ID = "social_roi_publish"
EXTRACT_DAGS = ("social_roi_extract_social", "social_roi_extract_web", "social_roi_extract_crm")
TIMEOUT = 900  # seconds for each act's runs: a guard; they take 1-5 minutes on this 2-core machine
RETRY_DELAY = 2  # seconds before a task's first retry (SOCIAL_ROI_RETRY_DELAY; 60 in production)
X_TIMELINE = f"/2/users/{X_USER_ID}/tweets"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Subprocesses in their own process groups, each logging to a file; stopped in reverse."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir, self.env = log_dir, env
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")
        proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=REPO_ROOT)
        self.started.append((name, proc))
        return proc

    def check_alive(self) -> None:
        for name, proc in self.started:
            if proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 40) -> str:
        return "\n".join((self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        for _, proc in reversed(self.started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _, proc in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_http(url: str, procs: Processes, timeout: float = 120) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        procs.check_alive()
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer in {timeout:.0f} s")


def _runs(metadata_url: str) -> dict[tuple[str, str], int]:
    return {(dag_id, state): n for dag_id, state, n in query(
        metadata_url, "SELECT dag_id, state, count(*) FROM dag_run GROUP BY 1, 2")}


def _failed_tasks(metadata_url: str) -> list[tuple]:
    """Tasks failed for good (a retry on its way is ``up_for_retry``: expected here)."""
    return query(metadata_url, "SELECT dag_id, run_id, task_id, state FROM task_instance "
                               "WHERE state IN ('failed', 'upstream_failed')")


def _tries(metadata_url: str) -> list[dict]:
    """Every try of every task instance (earlier tries are in ``task_instance_history``), with
    the day of its run's data interval (None for an Asset-triggered run)."""
    rows = query(metadata_url, """
        SELECT t.dag_id, t.task_id, t.run_id, r.data_interval_start::date, r.run_type, t.try_number,
               t.state, t.start_date, t.end_date
        FROM task_instance t JOIN dag_run r USING (dag_id, run_id)
        UNION ALL
        SELECT h.dag_id, h.task_id, h.run_id, r.data_interval_start::date, r.run_type,
               h.try_number, h.state, h.start_date, h.end_date
        FROM task_instance_history h JOIN dag_run r USING (dag_id, run_id)""")
    keys = ("dag_id", "task_id", "run_id", "day", "run_type", "try", "state", "start", "end")
    return sorted((dict(zip(keys, row, strict=True)) for row in rows),
                  key=lambda t: (t["dag_id"], t["task_id"], t["run_id"], t["try"]))


def _wait(until, procs: Processes, metadata_url: str, what: str, on_poll=None) -> float:
    """Poll ``until()`` every 0.5 s (``on_poll()`` first) while every process lives and no task has
    failed for good; returns the seconds it took."""
    started = time.perf_counter()
    while True:
        procs.check_alive()
        if on_poll is not None:
            on_poll()
        failed = _failed_tasks(metadata_url)
        assert not failed, f"tasks failed: {failed}\n{procs.tail('scheduler')}"
        if until():
            return time.perf_counter() - started
        assert time.perf_counter() - started < TIMEOUT, (
            f"{what}: not done in {TIMEOUT} s: runs {_runs(metadata_url)}\n{procs.tail('scheduler')}")
        time.sleep(0.5)


def _busy(metadata_url: str) -> bool:
    """A run of any DAG queued or running, an Asset event queued for the publish DAG (any one
    triggers it), a backfill unfinished, or no run yet (the scheduler is starting)."""
    [(active, queued, backfills, runs)] = query(metadata_url, """SELECT
        (SELECT count(*) FROM dag_run WHERE state IN ('queued', 'running')),
        (SELECT count(*) FROM asset_dag_run_queue),
        (SELECT count(*) FROM backfill WHERE completed_at IS NULL),
        (SELECT count(*) FROM dag_run)""")
    return bool(active or queued or backfills or not runs)


def _settled(metadata_url: str, publication: Path, idle_limit: float = 120):
    """``until`` for ``_wait``: the last day is published and nothing is left to run. Nothing
    running or queued for ``idle_limit`` s without that publication is a stall: it fails then,
    not at the act's timeout (the AssetAll stall of decision 64)."""
    idle_since: list[float] = []

    def until() -> bool:
        if _busy(metadata_url):
            idle_since.clear()
            return False
        if publication.is_file():
            return True
        idle_since[:] = idle_since or [time.perf_counter()]
        assert time.perf_counter() - idle_since[0] < idle_limit, (
            f"publication stalled: nothing ran or was queued for {idle_limit:.0f} s and "
            f"{publication.name} is not published")
        return False

    return until


def _skip_messages(log_dir: Path) -> list[str]:
    """Why each publish run's ``check_freshness`` skipped, from its task log (JSON lines: the
    task runner logs ``Skipping task.`` with the exception's message as ``reason``)."""
    reasons = []
    for file in sorted(log_dir.glob(f"dag_id={PUBLISH_DAG_ID}/*/task_id=check_freshness/*.log")):
        for line in file.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and record.get("event") == "Skipping task.":
                reasons.append(str(record.get("reason")))
    return reasons


def _publications(data_dir: Path) -> dict[str, dict]:
    return {f.stem: json.loads(f.read_text())
            for f in sorted((data_dir / "deliveries" / "_published").glob("*.json"))}


def _marts(serving_db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(serving_db), read_only=True) as con:
        return {name: con.execute(f"select * from {name} order by all").df() for name in MARTS}


def _task_process(ti_id: str) -> int | None:
    """The pid of a task instance's process: Airflow 3's task runner titles it
    ``airflow worker -- <task instance id>`` (setproctitle)."""
    title = f"airflow worker -- {ti_id}".encode()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "cmdline").read_bytes().rstrip(b"\0") == title:
                    return int(proc.name)
            except OSError:
                continue
    return None


class KillFirstBuild:
    """SIGKILL the first ``dbt_build`` try of the backfill's publication once the build has begun
    writing (its fresh build database exists): Airflow must retry it."""

    def __init__(self, metadata_url: str, build_db: Path, after_runs: set[str]) -> None:
        self.metadata_url, self.build_db, self.after_runs = metadata_url, build_db, after_runs
        self.killed: dict | None = None

    def __call__(self) -> None:
        if self.killed is not None or not self.build_db.exists():
            return
        running = query(self.metadata_url, f"""SELECT id, run_id FROM task_instance
            WHERE dag_id = '{PUBLISH_DAG_ID}' AND task_id = 'dbt_build' AND state = 'running'
              AND try_number = 1""")
        for ti_id, run_id in running:
            pid = _task_process(str(ti_id))
            if run_id not in self.after_runs and pid is not None:
                os.kill(pid, signal.SIGKILL)
                self.killed = {"ti": str(ti_id), "run_id": run_id, "pid": pid}
                return


def _backfill(env: dict[str, str], dag_ids: tuple[str, ...], days: list) -> None:
    """``airflow backfill create`` for each DAG over ``days``, as docs/operations.md says; the
    scheduler runs them (the three CLI processes start in parallel)."""
    argv = [sys.executable, "-m", "airflow", "backfill", "create", "--from-date",
            days[0].isoformat(), "--to-date", days[-1].isoformat(),
            "--reprocess-behavior", "completed", "--max-active-runs", "1"]
    commands = [subprocess.Popen([*argv, "--dag-id", dag_id], env=env, cwd=REPO_ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for dag_id in dag_ids]
    for dag_id, command in zip(dag_ids, commands, strict=True):
        out, _ = command.communicate(timeout=300)
        assert command.returncode == 0, f"backfill of {dag_id} failed:\n{out[-3000:]}"


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    """The deployment, in three acts (one scheduler, one metadata database):

    1. The scheduler runs the three scheduled days; X's API answers 503 to its first day's
       requests until its connector gives up (the default 5 tries), so only ``extract_x`` of the
       first day is retried by Airflow. The Assets trigger publication of the last day.
    2. The published warehouse is moved aside; ``airflow backfill create --reprocess-behavior
       completed`` of the three extract DAGs over the same days rebuilds it from scratch, and
       the Assets trigger the publish DAG, whose first ``dbt_build`` is SIGKILLed mid-build.
    3. Both warehouses' marts, and what the metadata database recorded of each act, are yielded.
    """
    root = tmp_path_factory.mktemp("scheduler")
    began = time.perf_counter()
    with ExitStack() as stack:
        metadata_url = stack.enter_context(fresh_database("social_roi_scheduler"))
        webhook = stack.enter_context(WebhookReceiver())
        api_port, sandbox_port, token = _free_port(), _free_port(), secrets.token_hex(16)
        paths = Paths(data_dir=root / "var", landing=root / "var" / "landing",
                      build_db=root / "var" / "build" / "build.duckdb",
                      serving_db=root / "warehouse" / "serving.duckdb",
                      dbt_project=REPO_ROOT / "dbt_project", expectations=REPO_ROOT / "expectations",
                      run_results=root / "var" / "gate_results", dbt_target=root / "dbt_target")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SOCIAL_ROI_"))},
            "PYTHONPATH": str(REPO_ROOT / "plugins"),
            "SOCIAL_ROI_PII_KEY": os.environ["SOCIAL_ROI_PII_KEY"],
            "SOCIAL_ROI_DATA_DIR": str(paths.data_dir),
            "DBT_TARGET_PATH": str(paths.dbt_target),
            "SOCIAL_ROI_SERVING_DB": str(paths.serving_db),
            "SOCIAL_ROI_START_DATE": RUN_DAYS[0].isoformat(),
            "SOCIAL_ROI_END_DATE": RUN_DAYS[-1].isoformat(),
            "SOCIAL_ROI_PUBLISH_GRACE": "1",
            "SOCIAL_ROI_RETRY_DELAY": str(RETRY_DELAY),
            "AIRFLOW_HOME": str(root / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "GX_ANALYTICS_ENABLED": "False",
            "DO_NOT_TRACK": "1",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_SOCIAL_ROI_ALERTS_WEBHOOK": json.dumps(
                {"conn_type": "http", "password": webhook.url("/hooks/late"),
                 "extra": {"retry_delay": 0.1, "timeout": 5}}),
        }
        procs = Processes(root, env)
        stack.callback(procs.stop)
        sandbox = procs.start("sandbox", [
            sys.executable, "-m", "social_roi.sandbox", "serve", "--host", "127.0.0.1",
            "--port", str(sandbox_port), "--seed", str(WORLD.seed), "--start",
            WORLD.start_date.isoformat(), "--days", str(WORLD.days), "--token", token])
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        init = subprocess.run([sys.executable, "-m", "social_roi", "airflow-init", "--sandbox-url",
                               sandbox_url, "--sandbox-token", token],
                              env=env, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
        assert init.returncode == 0, init.stderr[-3000:]
        assert sandbox.poll() is None
        # the first day's X timeline answers 503 until the connector has used every try
        fault = requests.post(f"{sandbox_url}/_sandbox/faults", timeout=5, json={
            "path_prefix": X_TIMELINE, "preset": "x_server_error", "args": {"status": 503},
            "times": SourceConfig.max_attempts})
        assert fault.status_code == 201, fault.text
        airflow = [sys.executable, "-m", "airflow"]
        procs.start("api-server", [*airflow, "api-server", "--host", "127.0.0.1", "--port",
                                   str(api_port), "--workers", "1"])
        _wait_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", procs)
        for component in ("dag-processor", "scheduler", "triggerer"):
            procs.start(component, [*airflow, component])

        # act 1: the scheduled days
        setup = time.perf_counter() - began
        last = f"{RUN_DAYS[-1].isoformat()}.json"
        scheduled_s = _wait(_settled(metadata_url, paths.data_dir / "deliveries" / "_published" / last),
                            procs, metadata_url, "the scheduled days")
        for _ in range(40):  # the triggerer's late alerts: the runs missed a 1 s grace
            if any("publication late" in p.body["text"] for p in webhook.posts):
                break
            time.sleep(0.5)
        act1 = {
            "runs": _runs(metadata_url), "tries": _tries(metadata_url),
            "faults_left": requests.get(f"{sandbox_url}/_sandbox/faults", timeout=5).json()["faults"],
            "intervals": query(metadata_url, "SELECT dag_id, data_interval_start::date FROM dag_run "
                                             "WHERE dag_id LIKE 'social_roi_extract_%'"),
            "publish_runs": query(metadata_url, "SELECT run_type, state FROM dag_run "
                                                f"WHERE dag_id = '{PUBLISH_DAG_ID}'"),
            "asset_extras": [e for (e,) in query(metadata_url, "SELECT extra FROM asset_event")],
            "publication": json.loads((paths.data_dir / "deliveries" / "_published" / last).read_text()),
            "publications": _publications(paths.data_dir),
            "skips": _skip_messages(root / "airflow" / "logs"),
        }

        # act 2: the same days backfilled into an empty warehouse
        aside = root / "scheduled"
        aside.mkdir()
        for folder in (paths.data_dir, paths.serving_db.parent):
            folder.rename(aside / folder.name)
        runs_before = {r for (r,) in query(metadata_url, "SELECT run_id FROM dag_run "
                                                        f"WHERE dag_id = '{PUBLISH_DAG_ID}'")}
        kill = KillFirstBuild(metadata_url, paths.build_db, runs_before)
        act2_began = time.perf_counter()
        _backfill(env, EXTRACT_DAGS, RUN_DAYS)
        _wait(_settled(metadata_url, paths.data_dir / "deliveries" / "_published" / last),
              procs, metadata_url, "the backfill", on_poll=kill)
        backfill_s = time.perf_counter() - act2_began
        backfill_marts = _marts(paths.serving_db)

        # act 3: reprocess after a model change (docs/operations.md): a manual publish run
        act3_began = time.perf_counter()
        # within the DAG's window (SOCIAL_ROI_END_DATE): Airflow creates no task for a run after it
        logical_date = f"{RUN_DAYS[-1].isoformat()}T00:00:00+00:00"
        trigger = subprocess.run([*airflow, "dags", "trigger", PUBLISH_DAG_ID, "--conf",
                                  json.dumps({"day": RUN_DAYS[-1].isoformat()}), "--logical-date",
                                  logical_date], env=env, capture_output=True, text=True, timeout=300,
                                 cwd=REPO_ROOT)
        assert trigger.returncode == 0, trigger.stdout[-2000:] + trigger.stderr[-2000:]

        def manual_runs() -> list[tuple]:
            return query(metadata_url, "SELECT run_id, state FROM dag_run WHERE run_type = 'manual'")

        _wait(lambda: [state for _, state in manual_runs()] == ["success"], procs, metadata_url,
              "the manual publish run")
        reprocess_s = time.perf_counter() - act3_began
        seconds = time.perf_counter() - began
        print(f"\nscheduler e2e: set-up {setup:.0f} s; {len(RUN_DAYS)} scheduled days published in "
              f"{scheduled_s:.0f} s; backfill published in {backfill_s:.0f} s; the manual publish run in "
              f"{reprocess_s:.0f} s; {seconds:.0f} s in "
              f"all; runs: {_runs(metadata_url)}")
        yield {"paths": replace(paths, serving_db=aside / "warehouse" / paths.serving_db.name),
               "metadata_url": metadata_url, "act1": act1, "runs": act1["runs"],
               "posts": list(webhook.posts), "publication": act1["publication"],
               "scheduled_marts": _marts(aside / "warehouse" / paths.serving_db.name),
               "backfill_marts": backfill_marts, "killed": kill.killed,
               "reprocessed_marts": _marts(paths.serving_db), "manual_runs": manual_runs(),
               "last_publication": json.loads((paths.data_dir / "deliveries" / "_published" /
                                               last).read_text()),
               "act2": {"tries": _tries(metadata_url), "runs_before": runs_before,
                        "backfills": query(metadata_url, "SELECT dag_id, from_date::date, "
                                           "to_date::date, reprocess_behavior, max_active_runs, "
                                           "completed_at IS NOT NULL FROM backfill")}}


@pytest.fixture(scope="module")
def truth():
    return generate_world(WORLD).truth


def test_the_scheduler_ran_every_scheduled_day_and_the_assets_triggered_publication(scheduled):
    act1 = scheduled["act1"]
    runs = act1["runs"]
    for dag_id in EXTRACT_DAGS:
        assert runs.get((dag_id, "success")) == len(RUN_DAYS), (dag_id, runs)
    assert sorted({day for _, day in act1["intervals"]}) == RUN_DAYS
    publish = act1["publish_runs"]
    assert publish and all(kind == "asset_triggered" for kind, _ in publish), publish
    assert {state for _, state in publish} == {"success"}, publish
    # every event carried its family and day; the last publication covered the last day, fresh
    days = {(e["family"], e["day"]) for e in act1["asset_extras"]}
    assert days == {(f, d.isoformat()) for f in ("social", "web", "crm") for d in RUN_DAYS}
    assert scheduled["publication"]["late"] == {}
    # any family's event triggers a run (AssetAny): every day was published complete, and a run
    # with no day every family had delivered beyond the published ones skipped, saying why
    assert {day: p["late"] for day, p in act1["publications"].items()} == {
        d.isoformat(): {} for d in RUN_DAYS}
    skipped = [t for t in act1["tries"] if t["dag_id"] == PUBLISH_DAG_ID
               and t["task_id"] == "check_freshness" and t["state"] == "skipped"]
    assert len(act1["skips"]) == len(skipped), (act1["skips"], skipped)
    pattern = (r"(day \d{4}-\d\d-\d\d: waiting for [a-z, ]+ \([a-z, ]+ delivered\); "
               r"(\d{4}-\d\d-\d\d and earlier already published; )?"
               r"|every family delivered through \d{4}-\d\d-\d\d, already published; )nothing new to publish")
    assert all(re.fullmatch(pattern, m) for m in act1["skips"]), act1["skips"]
    print(f"\npublish runs: {len(publish)}, {len(skipped)} skipped: {act1['skips']}")


def test_the_published_marts_match_the_sandbox_truth(scheduled, truth):
    published.check_all(scheduled["paths"].serving_db, truth)


def test_missed_publication_deadlines_alert_through_the_triggerer(scheduled):
    texts = [p.body["text"] for p in scheduled["posts"]]
    late = [t for t in texts if "social_roi_publish: publication late" in t]
    assert late, f"no late alert; received: {texts}"
    others = [t[:600] for t in texts if t not in late]
    assert not others, f"no task failed for good, so no other alert: {others}"
    assert "Due by:" in late[0] and "asset_triggered__" in late[0]


def _one(tries: list[dict], **match) -> list[dict]:
    return [t for t in tries if all(t[k] == v for k, v in match.items())]


def test_a_5xx_in_one_source_delays_only_that_source(scheduled):
    """X's API answered 503 to the first day's timeline until its connector gave up: Airflow
    retried ``extract_x`` after its backoff and it landed the day; no other task was retried. The
    social family's gate waited for X's retry after its other sources had landed; the web and CRM
    gates waited less after theirs: only the scheduler's loop, not X. (Gaps, not absolute times: on
    a loaded 2-core machine a task's own run time varies by tens of seconds.)"""
    tries = scheduled["act1"]["tries"]
    assert scheduled["act1"]["faults_left"] == [], "the 503s were all served"
    first_day = RUN_DAYS[0]
    x = _one(tries, dag_id="social_roi_extract_social", task_id="extract_x", day=first_day)
    assert [t["try"] for t in x] == [1, 2] and x[-1]["state"] == "success", x
    assert x[0]["state"] in ("failed", "up_for_retry"), x
    retried = [(t["dag_id"], t["task_id"], t["day"]) for t in tries if t["try"] > 1]
    assert retried == [("social_roi_extract_social", "extract_x", first_day)], retried
    # the connector's own backoff (1 + 2 + 4 + 8 s), then Airflow's retry delay
    assert (x[0]["end"] - x[0]["start"]).total_seconds() >= 14, x[0]
    waited = (x[1]["start"] - x[0]["end"]).total_seconds()
    assert waited >= RETRY_DELAY, f"retried {waited:.1f} s after the failure"
    others = [t for t in tries if t["day"] == first_day and t["task_id"].startswith("extract_")
              and t["task_id"] != "extract_x"]
    assert len(others) == sum(len(s) for s in FAMILIES.values()) - 1, others
    assert all(t["state"] == "success" for t in others), others

    def wait(family: str, sources: list[dict]) -> float:
        """How long the family's gate waited after the last of ``sources`` had landed."""
        [gate] = _one(tries, dag_id=f"social_roi_extract_{family}", task_id="validate_landing",
                      day=first_day)
        return (gate["start"] - max(t["end"] for t in sources)).total_seconds()

    social_wait = wait("social", [t for t in others if t["dag_id"] == "social_roi_extract_social"])
    own_waits = {f: wait(f, [t for t in others if t["dag_id"] == f"social_roi_extract_{f}"])
                 for f in ("web", "crm")}
    # the social gate waited for X's retry; web and CRM only for the scheduler's next loop
    [social_gate] = _one(tries, dag_id="social_roi_extract_social", task_id="validate_landing",
                         day=first_day)
    assert social_gate["start"] >= x[-1]["end"], (social_gate, x)
    assert all(w < social_wait for w in own_waits.values()), (own_waits, social_wait)
    others_done = max(t["end"] for t in others)
    print(f"\ngates waited after their sources: social {social_wait:.1f} s, {own_waits}; "
          f"X landed {first_day} {(x[1]['end'] - others_done).total_seconds():.1f} s after the "
          f"last other source (X's first try {(x[0]['end'] - x[0]['start']).total_seconds():.1f} s, "
          f"retry after {waited:.1f} s; other sources' day-1 tasks "
          f"{min((t['end'] - t['start']).total_seconds() for t in others):.1f}-"
          f"{max((t['end'] - t['start']).total_seconds() for t in others):.1f} s)")


def test_a_backfill_of_the_scheduled_days_publishes_the_same_marts(scheduled):
    """``airflow backfill create --reprocess-behavior completed`` of the three extract DAGs, run
    by the scheduler into an empty warehouse: every day re-extracted, the Assets triggered the
    publish DAG, and every mart equals the scheduled days' publication, row for row."""
    backfills = scheduled["act2"]["backfills"]
    assert sorted(b[0] for b in backfills) == sorted(EXTRACT_DAGS)
    assert all(b[1:] == (RUN_DAYS[0], RUN_DAYS[-1], "completed", 1, True) for b in backfills), backfills
    act1 = {(t["dag_id"], t["task_id"], t["run_id"], t["try"]) for t in scheduled["act1"]["tries"]}
    new = [t for t in scheduled["act2"]["tries"]
           if (t["dag_id"], t["task_id"], t["run_id"], t["try"]) not in act1]
    for dag_id in EXTRACT_DAGS:
        gates = [t for t in new if t["dag_id"] == dag_id and t["task_id"] == "validate_landing"]
        assert sorted(t["day"] for t in gates) == RUN_DAYS, (dag_id, gates)
        assert {t["run_type"] for t in gates} == {"backfill"} and {t["state"] for t in gates} == {"success"}
    runs = [t for t in new if t["dag_id"] == PUBLISH_DAG_ID and t["task_id"] == "publish"
            and not t["run_id"].startswith("manual__")]  # act 3's
    assert runs and {t["run_type"] for t in runs} == {"asset_triggered"}, runs
    assert {t["state"] for t in runs} <= {"success", "skipped"}, runs  # skipped: nothing new yet
    published = [t for t in runs if t["state"] == "success"]
    assert published, runs
    before, after = scheduled["scheduled_marts"], scheduled["backfill_marts"]
    assert set(before) == set(after) == set(MARTS)
    for name in MARTS:
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    rows = {name: len(frame) for name, frame in before.items()}
    assert sum(rows.values()) > 1000 and min(rows.values()) > 0, rows
    print(f"\nbackfill vs scheduled: {len(MARTS)} marts, {sum(rows.values())} rows, equal; "
          f"{len(published)} publish run(s) after the backfill")


def test_a_task_killed_mid_run_is_retried_and_the_result_is_identical(scheduled):
    """The backfill's first ``dbt_build`` was SIGKILLed once its build database existed: Airflow
    recorded the try as failed, retried it, and the published marts equal the undisturbed run's
    (the previous test compares them all)."""
    killed = scheduled["killed"]
    assert killed is not None, "no dbt_build was caught running"
    build = _one(scheduled["act2"]["tries"], dag_id=PUBLISH_DAG_ID, task_id="dbt_build",
                 run_id=killed["run_id"])
    assert [t["try"] for t in build] == [1, 2], build
    assert build[0]["state"] in ("failed", "up_for_retry") and build[1]["state"] == "success", build
    assert build[1]["start"] >= build[0]["end"]
    [published] = _one(scheduled["act2"]["tries"], dag_id=PUBLISH_DAG_ID, task_id="publish",
                       run_id=killed["run_id"])
    assert published["state"] == "success"


def test_a_manual_publish_run_reprocesses_the_day_with_the_same_marts(scheduled):
    """docs/operations.md "Reprocess after a model change": ``airflow dags trigger
    social_roi_publish --conf '{"day": ...}'`` rebuilds and republishes that day, and (no model
    changed) every mart is the same."""
    [(run_id, state)] = scheduled["manual_runs"]
    assert state == "success" and scheduled["last_publication"]["run_id"] == run_id
    assert scheduled["last_publication"]["day"] == RUN_DAYS[-1].isoformat()
    for name in MARTS:
        pd.testing.assert_frame_equal(scheduled["reprocessed_marts"][name],
                                      scheduled["backfill_marts"][name], obj=name)
