"""Where things live. Every path can be overridden from the environment; defaults suit a local clone."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Paths:
    data_dir: Path
    landing: Path
    build_db: Path
    serving_db: Path
    dbt_project: Path
    expectations: Path
    run_results: Path

    @classmethod
    def from_env(cls) -> Paths:
        data_dir = _path("SOCIAL_ROI_DATA_DIR", REPO_ROOT / "var")
        return cls(
            data_dir=data_dir,
            landing=_path("SOCIAL_ROI_LANDING_DIR", data_dir / "landing"),
            build_db=_path("SOCIAL_ROI_BUILD_DB", data_dir / "build" / "build.duckdb"),
            serving_db=_path("SOCIAL_ROI_SERVING_DB", REPO_ROOT / "warehouse" / "serving.duckdb"),
            dbt_project=REPO_ROOT / "dbt_project",
            expectations=REPO_ROOT / "expectations",
            run_results=data_dir / "gate_results",
        )


def keep_releases() -> int:
    """How many releases are kept for rollback: ``SOCIAL_ROI_KEEP_RELEASES`` (default 7)."""
    from social_roi import releases

    return releases.keep_from(os.environ.get(releases.KEEP_ENV))


@contextmanager
def temporary_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
