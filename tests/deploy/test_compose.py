"""docker-compose.yml, Dockerfile and .env.example: Docker cannot run here, so the deployment is
checked the way Compose itself would check it, and its commands are run for real.

* the file, interpolated with ``.env.example`` (plus the secrets it asks for), is validated against
  the Compose Specification by ``compose-spec`` (the Rust ``compose_spec`` parser, which rejects
  unknown keys, wrong types and unknown values), and by the references Compose resolves itself;
* it is the official Airflow pattern, with CeleryExecutor on Redis and Postgres metadata;
* every Airflow command it gives parses with the pinned Airflow's own CLI parser; the sandbox and
  ``airflow-init`` commands are run as written, against a fresh Postgres metadata database;
* Superset's connection URI to the marts is read-only, without file access, its settings locked.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.postgres import fresh_database, query

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
AIRFLOW_SERVICES = {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                    "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                    "airflow-worker": "celery worker"}


def env_example() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def secrets_filled(env: dict[str, str]) -> dict[str, str]:
    """``.env.example`` with its empty secrets filled, as a user's ``.env`` would be."""
    return {key: value or f"test-{key.lower()}-0123456789abcdef0123456789abcdef"
            for key, value in env.items()}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
    ``${VAR:?error}``; ``$$`` is a literal ``$``."""

    def substitute(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        value = env.get(name)
        if op == ":-":
            return value if value else arg
        if op == "-":
            return arg if value is None else value
        if op == ":?" and not value:
            raise ValueError(f"{name}: {arg}")
        return value or ""

    return VARIABLE.sub(substitute, text.replace("$$", "\0")).replace("\0", "$")


def resolved(env: dict[str, str]) -> dict:
    return yaml.safe_load(interpolate(COMPOSE.read_text(), env))  # YAML merge keys resolved here


def validate(spec: dict) -> None:
    from compose_spec import PyCompose

    PyCompose.from_json(json.dumps(spec))  # ValueError naming the offending key and value


def argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


@pytest.fixture(scope="module")
def spec() -> dict:
    return resolved(secrets_filled(env_example()))


def test_the_file_follows_the_compose_specification(spec):
    validate(spec)
    # the validator is really on: a misspelt key and an unknown restart policy are refused
    for broken in ({"imag": "x"}, {"image": "x", "restart": "sometimes"}):
        with pytest.raises(ValueError):
            validate({**spec, "services": {**spec["services"], "broken": broken}})


def test_references_resolve(spec):
    services, volumes = spec["services"], set(spec["volumes"])
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in volumes, (name, source)


def test_every_variable_is_in_env_example_or_has_a_default():
    documented = env_example()
    for match in VARIABLE.finditer(COMPOSE.read_text().replace("$$", "")):  # $$: a literal $
        if match["op"] in (None, ":?"):
            assert match["name"] in documented, f"${{{match['name']}}} is not in .env.example"
    # a secret left empty stops `docker compose up` with the file's message instead of starting
    with pytest.raises(ValueError, match="POSTGRES_PASSWORD"):
        resolved(env_example())


def test_it_is_airflows_celery_pattern_with_the_sandbox_and_superset(spec):
    services = spec["services"]
    assert {*AIRFLOW_SERVICES, "airflow-init", "postgres", "redis", "sandbox", "superset"} <= set(services)
    for name, command in AIRFLOW_SERVICES.items():
        env = services[name]["environment"]
        assert argv(services[name]["command"]) == command.split(), name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        # every worker shares one landing zone and one serving database
        assert {"social-roi-data:/opt/airflow/var", "social-roi-serving:/opt/airflow/warehouse"} <= set(
            services[name]["volumes"])
    assert "social-roi-serving:/opt/serving:ro" in services["superset"]["volumes"]


def test_airflow_commands_exist_in_the_pinned_airflow(spec, tmp_path):
    """Each service's command, parsed by the pinned Airflow's CLI with the compose environment's
    executor (the ``celery`` group exists only with CeleryExecutor and its provider)."""
    commands = [argv(spec["services"][name]["command"]) for name in AIRFLOW_SERVICES]
    commands += [["schedulr"]]  # control: an unknown command must be refused
    script = ("import json, sys\nfrom airflow.cli.cli_parser import get_parser\nout = []\n"
              "for cmd in json.loads(sys.argv[1]):\n"
              "    try:\n        get_parser().parse_args(cmd); out.append(True)\n"
              "    except SystemExit:\n        out.append(False)\n"
              "print(json.dumps(out))")
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor"}
    done = subprocess.run([sys.executable, "-c", script, json.dumps(commands)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert json.loads(done.stdout.splitlines()[-1]) == [True] * (len(commands) - 1) + [False], done.stderr


def test_images_pin_the_versions_requirements_pin(spec):
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG AIRFLOW_VERSION={pins['apache-airflow']}" in dockerfile
    assert "ARG PYTHON_VERSION=3.11" in dockerfile
    assert spec["x-airflow-common"]["build"]["args"]["AIRFLOW_VERSION"] == pins["apache-airflow"]
    assert "-r /opt/social_roi/requirements.txt -c /opt/social_roi/constraints.txt" in dockerfile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_option(command: list[str], option: str, value: str) -> list[str]:
    """The same command with one option's value replaced (a free port, the test's sandbox URL)."""
    at = command.index(option)
    return [*command[:at + 1], value, *command[at + 2:]]


def test_sandbox_and_airflow_init_commands_run_as_written(spec, tmp_path):
    """The sandbox service's command serves the APIs; airflow-init's migrates a fresh Postgres
    metadata database, creates the pools and points the sources at the sandbox, and a second
    start keeps a connection the operator has changed."""
    services = spec["services"]
    port = _free_port()
    sandbox_cmd = _with_option(argv(services["sandbox"]["command"]), "--port", str(port))
    sandbox_cmd = _with_option(sandbox_cmd, "--host", "127.0.0.1")
    sandbox_cmd = _with_option(sandbox_cmd, "--days", "5")  # a smaller world starts faster
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    sandbox = subprocess.Popen([sys.executable if c == "python" else c for c in sandbox_cmd], env=env,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert "Sandbox APIs at" in sandbox.stdout.readline()
        url = f"http://127.0.0.1:{port}"
        init_cmd = _with_option(argv(services["airflow-init"]["command"]), "--sandbox-url", url)
        init_cmd = [sys.executable if c == "python" else c for c in init_cmd]
        with fresh_database("social_roi_airflow_init") as metadata_url:
            init_env = {**env, "AIRFLOW_HOME": str(tmp_path / "airflow"),
                        "SOCIAL_ROI_DATA_DIR": str(tmp_path / "var"),
                        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url}
            started = time.perf_counter()
            first = subprocess.run(init_cmd, env=init_env, capture_output=True, text=True, timeout=300)
            assert first.returncode == 0, first.stderr[-3000:]
            print(f"airflow-init on a fresh Postgres: {time.perf_counter() - started:.1f}s")
            token = services["airflow-init"]["command"][-1]
            conns = dict(query(metadata_url, "SELECT conn_id, host FROM connection"))
            assert {"meta_graph", "linkedin", "x", "ga4_export", "ga4_data_api", "hubspot",
                    "brandwatch"} <= set(conns)
            assert set(conns.values()) == {url}
            assert token not in first.stdout + first.stderr
            pools = dict(query(metadata_url, "SELECT pool, slots FROM slot_pool"))
            assert pools["duckdb_writer"] == 1 and pools["api_meta"] == 2

            query(metadata_url, "UPDATE connection SET host = 'https://graph.facebook.com' "
                                "WHERE conn_id = 'meta_graph' RETURNING conn_id")
            second = subprocess.run(init_cmd, env=init_env, capture_output=True, text=True, timeout=300)
            assert second.returncode == 0, second.stderr[-3000:]
            assert "left as they are" in second.stdout
            assert dict(query(metadata_url, "SELECT conn_id, host FROM connection"))["meta_graph"] == (
                "https://graph.facebook.com")
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def test_superset_reads_the_marts_read_only(spec, tmp_path):
    """The URI Superset is given, with the mounted path swapped for a file published the way the
    publisher writes it (DuckDB 1.4 storage): reads work; writes, files and settings do not."""
    import duckdb
    import sqlalchemy as sa

    from social_roi.publish import STORAGE_VERSION

    served = tmp_path / "serving.duckdb"
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{served}' AS serving (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("CREATE TABLE serving.fct_roi_monthly AS SELECT 'linkedin' AS platform, 1.5 AS roi")
    (tmp_path / "secret.csv").write_text("a\n1\n")
    uri = spec["services"]["superset"]["environment"]["SOCIAL_ROI_BI_URI"]
    assert uri.startswith("duckdb:////opt/serving/serving.duckdb?")
    engine = sa.create_engine(uri.replace("/opt/serving/serving.duckdb", str(served)))
    refused = {
        "write": "CREATE TABLE fct_new AS SELECT 1",
        "read a file": f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')",
        "attach a file": f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "lift the lock": "SET enable_external_access = true",
    }
    for what, sql in refused.items():
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError):
            con.execute(sa.text(sql))
            pytest.fail(f"Superset's connection could {what}")
    with engine.connect() as con:
        assert con.execute(sa.text("SELECT platform, roi FROM fct_roi_monthly")).all() == [("linkedin", 1.5)]
    engine.dispose()
