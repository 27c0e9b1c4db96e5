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
    # dbt's generated files (compiled SQL, partial parse, run_results.json): ``DBT_TARGET_PATH``,
    # dbt's own variable, or the project's target/. One per test process (tests/conftest.py).
    dbt_target: Path

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
            dbt_target=_path("DBT_TARGET_PATH", REPO_ROOT / "dbt_project" / "target"),
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


WAREHOUSE_ENV = "SOCIAL_ROI_WAREHOUSE"
WAREHOUSES = ("duckdb", "postgres")


def warehouse() -> str:
    """The dbt target: ``duckdb`` (default, the embedded build file) or ``postgres``."""
    value = os.environ.get(WAREHOUSE_ENV, "duckdb").strip().lower() or "duckdb"
    if value not in WAREHOUSES:
        raise ValueError(f"{WAREHOUSE_ENV}={value!r}: expected one of {', '.join(WAREHOUSES)}")
    return value


@dataclass(frozen=True)
class PostgresTarget:
    """Where the Postgres warehouse is (decision 56); the password only from the environment."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = "social_roi"

    @classmethod
    def from_env(cls) -> PostgresTarget:
        env = os.environ
        return cls(host=env.get("SOCIAL_ROI_PG_HOST", cls.host),
                   port=int(env.get("SOCIAL_ROI_PG_PORT", cls.port)),
                   user=env.get("SOCIAL_ROI_PG_USER", cls.user),
                   password=env.get("SOCIAL_ROI_PG_PASSWORD", ""),
                   dbname=env.get("SOCIAL_ROI_PG_DBNAME", cls.dbname))

    def conninfo(self, **options: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, user=self.user, dbname=self.dbname,
                             **({"password": self.password} if self.password else {}), **options)

    def dbt_env(self) -> dict[str, str]:
        """What profiles.yml's postgres output reads."""
        return {"SOCIAL_ROI_PG_HOST": self.host, "SOCIAL_ROI_PG_PORT": str(self.port),
                "SOCIAL_ROI_PG_USER": self.user, "SOCIAL_ROI_PG_DBNAME": self.dbname,
                "DBT_ENV_SECRET_SOCIAL_ROI_PG_PASSWORD": self.password}
