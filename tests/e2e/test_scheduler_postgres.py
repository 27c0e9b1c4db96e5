"""The DAGs under a real Airflow: ``airflow api-server``, ``scheduler``, ``dag-processor`` and
``triggerer`` as subprocesses, Postgres as the metadata database, LocalExecutor, the sandbox
served by its own command. The scheduler runs the three extract DAGs for three scheduled days
(``SOCIAL_ROI_START_DATE``..``SOCIAL_ROI_END_DATE``, caught up), their Assets trigger the publish
DAG, and the published marts are checked against the sandbox's truth (tests/e2e/published.py).

The publish DAG's grace is set to 1 s, so its ``DeadlineAlert`` is missed by every publish run
and the triggerer sends the ``late`` alert to a local webhook receiver: the deadline path, end to
end. No other alert may arrive (no task failed).

Postgres: tests/postgres.py (skipped without a server, except in CI, where it fails).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from social_roi.sandbox.world import generate_world
from social_roi.settings import REPO_ROOT, Paths
from tests.alerts.receivers import WebhookReceiver
from tests.e2e import published
from tests.e2e.published import RUN_DAYS, WORLD
from tests.postgres import fresh_database, query

EXTRACT_DAGS = ("social_roi_extract_social", "social_roi_extract_web", "social_roi_extract_crm")
TIMEOUT = 900  # seconds for the runs: a guard; they take 5-8 minutes on this 2-core machine under load


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
    return query(metadata_url, "SELECT dag_id, run_id, task_id, state FROM task_instance "
                               "WHERE state IN ('failed', 'upstream_failed', 'up_for_retry')")


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory):
    """Run the deployment until the publish DAG has published the last day; yield what the
    checks need."""
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
        airflow = [sys.executable, "-m", "airflow"]
        procs.start("api-server", [*airflow, "api-server", "--host", "127.0.0.1", "--port",
                                   str(api_port), "--workers", "1"])
        _wait_http(f"http://127.0.0.1:{api_port}/api/v2/monitor/health", procs)
        for component in ("dag-processor", "scheduler", "triggerer"):
            procs.start(component, [*airflow, component])
        started = time.perf_counter()
        done = paths.data_dir / "deliveries" / "_published" / f"{RUN_DAYS[-1].isoformat()}.json"
        while True:
            procs.check_alive()
            failed = _failed_tasks(metadata_url)
            assert not failed, f"tasks failed: {failed}\n{procs.tail('scheduler')}"
            runs = _runs(metadata_url)
            active = sum(runs.get(("social_roi_publish", s), 0) for s in ("queued", "running"))
            if done.is_file() and not active:
                break
            assert time.perf_counter() - started < TIMEOUT, (
                f"not published in {TIMEOUT} s: runs {runs}\n{procs.tail('scheduler')}")
            time.sleep(2)
        for _ in range(40):  # the triggerer's late alerts: the runs missed a 1 s grace
            if any("publication late" in p.body["text"] for p in webhook.posts):
                break
            time.sleep(0.5)
        seconds = time.perf_counter() - began
        print(f"\nscheduler e2e: {len(RUN_DAYS)} days scheduled, published in "
              f"{time.perf_counter() - started:.0f} s after start-up; {seconds:.0f} s in all; "
              f"runs: {_runs(metadata_url)}")
        yield {"paths": paths, "metadata_url": metadata_url, "runs": _runs(metadata_url),
               "posts": list(webhook.posts), "publication": json.loads(done.read_text())}


@pytest.fixture(scope="module")
def truth():
    return generate_world(WORLD).truth


def test_the_scheduler_ran_every_scheduled_day_and_the_assets_triggered_publication(scheduled):
    runs, url = scheduled["runs"], scheduled["metadata_url"]
    for dag_id in EXTRACT_DAGS:
        assert runs.get((dag_id, "success")) == len(RUN_DAYS), (dag_id, runs)
    intervals = query(url, "SELECT dag_id, data_interval_start::date FROM dag_run "
                           "WHERE dag_id LIKE 'social_roi_extract_%'")
    assert sorted({day for _, day in intervals}) == RUN_DAYS
    publish = query(url, "SELECT run_type, state FROM dag_run WHERE dag_id = 'social_roi_publish'")
    assert publish and all(kind == "asset_triggered" for kind, _ in publish), publish
    assert ("success" in {state for _, state in publish})
    # every event carried its family and day; the last publication covered the last day, fresh
    extras = query(url, "SELECT extra FROM asset_event")
    days = {(e["family"], e["day"]) for (e,) in extras}
    assert days == {(f, d.isoformat()) for f in ("social", "web", "crm") for d in RUN_DAYS}
    assert scheduled["publication"]["late"] == {}


def test_the_published_marts_match_the_sandbox_truth(scheduled, truth):
    published.check_all(scheduled["paths"].serving_db, truth)


def test_missed_publication_deadlines_alert_through_the_triggerer(scheduled):
    texts = [p.body["text"] for p in scheduled["posts"]]
    late = [t for t in texts if "social_roi_publish: publication late" in t]
    assert late, f"no late alert; received: {texts}"
    assert all(t in late for t in texts), "no task failed, so no other alert"
    assert "Due by:" in late[0] and "asset_triggered__" in late[0]
