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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))

_RUNTIME = Path(tempfile.mkdtemp(prefix="social_roi_tests_"))
os.environ["SOCIAL_ROI_DATA_DIR"] = str(_RUNTIME / "var")
os.environ["SOCIAL_ROI_SERVING_DB"] = str(_RUNTIME / "warehouse" / "serving.duckdb")
os.environ["AIRFLOW_HOME"] = str(_RUNTIME / "airflow")
# the keyed hash of personal data: a fresh key per session, like the sandbox's token
os.environ["SOCIAL_ROI_PII_KEY"] = secrets.token_hex(32)

from social_roi import airflow_env  # noqa: E402
from social_roi.settings import Paths  # noqa: E402

airflow_env.configure(Paths.from_env())

import airflow.settings  # noqa: E402, F401  (see above: configure logging before any test runs)
