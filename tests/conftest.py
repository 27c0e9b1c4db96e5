"""Shared test set-up.

Airflow reads its configuration when first imported, so the isolated Airflow home and data
directory of the test session are exported here, before any test module imports Airflow. Airflow
is then imported here too: its first import replaces the root logger's handlers (logging
dictConfig), and dlt imports it lazily on a connector's first request, which in the middle of a
test would drop pytest's log capture for that test.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

_RUNTIME = Path(tempfile.mkdtemp(prefix="social_roi_tests_"))
os.environ["SOCIAL_ROI_DATA_DIR"] = str(_RUNTIME / "var")
os.environ["SOCIAL_ROI_SERVING_DB"] = str(_RUNTIME / "warehouse" / "serving.duckdb")
os.environ["AIRFLOW_HOME"] = str(_RUNTIME / "airflow")
# dbt's generated files and logs, which default to the repository's dbt_project/: one process's
# partial-parse file, compiled SQL and run_results.json are never another's (pytest-xdist's
# workers each import this file, so each has its own _RUNTIME)
os.environ["DBT_TARGET_PATH"] = str(_RUNTIME / "dbt_target")
os.environ["DBT_LOG_PATH"] = str(_RUNTIME / "dbt_logs")
# the keyed hash of personal data: a fresh key per session, like the sandbox's token
os.environ["SOCIAL_ROI_PII_KEY"] = secrets.token_hex(32)

from social_roi import airflow_env  # noqa: E402
from social_roi.settings import Paths  # noqa: E402

airflow_env.configure(Paths.from_env())

import airflow.settings  # noqa: E402, F401  (see above: configure logging before any test runs)

# --- pytest-xdist: what runs together on one worker (decision 62) -----------------------------
# `make test` runs two workers (`-n 2 --dist loadgroup`). Each worker is a process of its own, with
# its own fixtures, and is handed whole groups: a module's tests stay together, so a module-scoped
# fixture is built once; the modules that share an expensive session fixture form one group, so it
# is built by one worker only. The groups are named here by module path, because the scheduler
# (in the controller process) sees test ids only: xdist's own ``xdist_group`` mark does not reach
# it with pytest 9.2 (xdist 3.8.0 renames ``item._nodeid``, which pytest 9.2 no longer reads).
SHARED_SESSION_FIXTURES = {
    # tests/dbt/conftest.py: 30 days landed and built (postgres_month builds it again on Postgres)
    "month_build": ("dbt-month", (
        "tests/dbt/test_attribution_against_truth.py", "tests/dbt/test_bad_input.py",
        "tests/dbt/test_bad_input_stops_publication.py", "tests/dbt/test_postgres_gate.py",
        "tests/dbt/test_docs_and_semantics.py", "tests/dbt/test_marts_against_truth.py",
        "tests/dbt/test_personal_data.py", "tests/dbt/test_postgres_publish.py",
        "tests/dbt/test_postgres_target.py", "tests/dbt/test_published_personal_data.py",
        "tests/dbt/test_roi_against_truth.py", "tests/dbt/test_web_reconciliation_against_truth.py",
    )),
}
GROUP_OF_MODULE = {module: group for group, modules in SHARED_SESSION_FIXTURES.values() for module in modules}
# Groups handed out first, the longest first (seconds measured serially in decision 62): a long
# group started last would keep one worker busy while the other has nothing left. The order is a
# schedule only: a group missing here costs time, never correctness.
LONGEST_FIRST = (
    "dbt-month",
    "tests/e2e/test_scheduler_postgres.py",
    "tests/dbt/test_crm_switch.py",
    "tests/dbt/test_crm_changes.py",
    "tests/e2e/test_pipeline_through_airflow.py",
)


def xdist_group(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0]
    return GROUP_OF_MODULE.get(module, module)


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` with the groups above."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    config.option.loadscopereorder = False  # hand the groups out in the collection's order (below)
    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A module using a shared session fixture must be in its group (else the fixture is built on
    both workers); the longest groups first."""
    for item in items:
        for fixture, (group, _) in SHARED_SESSION_FIXTURES.items():
            if fixture in item.fixturenames and xdist_group(item.nodeid) != group:
                raise pytest.UsageError(f"{item.nodeid} uses the session fixture {fixture}: add its "
                                        f"module to SHARED_SESSION_FIXTURES in tests/conftest.py")

    def rank(item: pytest.Item) -> int:
        group = xdist_group(item.nodeid)
        return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)

    if hasattr(config, "workerinput"):  # a worker's collection: the order the groups are handed out
        items.sort(key=rank)  # stable: the other groups keep the collection's order
