"""dbt build on data landed from the sandbox: models, data tests and unit tests pass on clean data,
and a data test stops the build when the landing zone holds a duplicate."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, timedelta

import duckdb
import pytest

from social_roi import landing
from social_roi.connectors import CONNECTORS
from social_roi.connectors.base import land_day
from social_roi.settings import Paths
from social_roi.transform import DbtFailed, dbt_build
from tests.connectors.conftest import EXTRAS, TOKEN, WORLD

DAYS = [WORLD.start_date + timedelta(days=d) for d in range(2)]


@pytest.fixture(scope="module")
def landed(tmp_path_factory, server):
    root = tmp_path_factory.mktemp("landing")
    from social_roi.connectors.base import SourceConfig

    for module in CONNECTORS.values():
        config = SourceConfig(module.CONN_ID, server.base_url, TOKEN, EXTRAS[module.CONN_ID])
        for day in DAYS:
            land_day(module, config, day, root)
    return root


@pytest.fixture(scope="module")
def server():
    from social_roi.sandbox.server import SandboxServer

    with SandboxServer(WORLD, token=TOKEN) as srv:
        yield srv


def paths_for(tmp_path, landing_root) -> Paths:
    return dataclasses.replace(Paths.from_env(), data_dir=tmp_path, landing=landing_root,
                               build_db=tmp_path / "build.duckdb")


def test_build_passes_models_data_tests_and_unit_tests(tmp_path, landed):
    paths = paths_for(tmp_path, landed)
    summary = dbt_build(paths)
    assert summary.nodes >= 25 and summary.warned == 0
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        days = con.execute("select min(funnel_date), max(funnel_date), sum(sessions) "
                           "from main_marts.fct_funnel_daily").fetchone()
    assert (days[0], days[1]) == (DAYS[0], DAYS[-1]) and days[2] > 0


def test_a_duplicate_across_partitions_fails_the_build_naming_the_test(tmp_path, landed):
    """The same ad-day landed under a second date (e.g. a mis-dated backfill): GE sees each day
    alone and cannot catch it; dbt's key test across all days must."""
    root = tmp_path / "landing"
    shutil.copytree(landed, root)
    ads = landing.read_partition(root, "meta", "ad_insights", DAYS[0])
    landing.write_partition(root, "meta", "ad_insights", date(2026, 9, 30), ads)
    with pytest.raises(DbtFailed) as failure:
        dbt_build(paths_for(tmp_path, root))
    message = str(failure.value)
    assert "stg_meta__ad_insights_ad_id__report_date__platform" in message and ": fail" in message


def test_an_amount_without_an_fx_rate_fails_the_build_naming_the_test(tmp_path, landed):
    """A cost in a currency the FX seed has no rate for stops the build (the money is not
    dropped silently), and the failure names the check, the model and the column."""
    project = tmp_path / "dbt_project"
    shutil.copytree(Paths.from_env().dbt_project, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    with (project / "seeds" / "non_media_costs.csv").open("a") as seed:
        seed.write("2026-10-01,tools,Design licence billed in francs,100.00,CHF,,,\n")
    paths = dataclasses.replace(paths_for(tmp_path, landed), dbt_project=project)
    with pytest.raises(DbtFailed) as failure:
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
    message = str(failure.value)
    assert "fx_rate_found_int_non_media_costs_fx_rate" in message and ": fail" in message
