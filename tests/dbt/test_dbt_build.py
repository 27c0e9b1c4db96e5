"""dbt build on data landed from the sandbox: models, data tests and unit tests pass on clean data,
and a data test stops the build when the landing zone holds a duplicate."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

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
    paths = dataclasses.replace(paths_for(tmp_path, landed), dbt_project=project,
                                dbt_target=project / "target")
    with pytest.raises(DbtFailed) as failure:
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
    message = str(failure.value)
    assert "fx_rate_found_int_non_media_costs_fx_rate" in message and ": fail" in message


def test_a_null_in_a_required_column_fails_the_build_naming_the_column(tmp_path, landed):
    """A model's required columns are checked by one `not_null_columns` test (one dbt node, not
    one per column: decision 46). A null still stops the build; the test's rows name the column."""
    paths, _ = _project_with_seed_rows(tmp_path, landed, "gross_margin", lambda _: "2026-06-01,\n")
    with pytest.raises(DbtFailed) as failure:
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
    message = str(failure.value)
    assert "not_null_columns_gross_margin_valid_from__gross_margin: fail" in message
    compiled = next((paths.dbt_target / "compiled").rglob("not_null_columns_gross_margin_*.sql"))
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        assert con.execute(compiled.read_text()).fetchall() == [("gross_margin", 1)]


def test_a_null_or_repeated_key_fails_the_build_naming_the_model_and_column(tmp_path, landed):
    """A single-column key is checked by one `primary_key` test (dbt's `unique` and `not_null`
    as one node: decision 61). A repeated value and a null each still stop the build; the test's
    rows name the offending value, how many rows hold it, and the problem."""
    paths, first_key = _project_with_seed_rows(
        tmp_path, landed, "salesforce_lead_sources",
        lambda first_key: f"{first_key},,social\n,,social\n,,paid_social\n")
    with pytest.raises(DbtFailed) as failure:
        dbt_build(paths, ["--exclude-resource-type", "unit_test"])
    message = str(failure.value)
    assert "primary_key_salesforce_lead_sources_lead_source: fail" in message
    assert "Got 2 results" in message
    compiled = next((paths.dbt_target / "compiled").rglob("primary_key_salesforce_lead_sources_*.sql"))
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        rows = sorted(con.execute(compiled.read_text()).fetchall(), key=lambda r: r[2])
    assert rows == [(None, 2, "null"), (first_key, 2, "repeated")]


def test_unchanged_seeds_stay_loaded_until_the_project_changes(tmp_path, landed):
    """The daily build leaves the loaded seeds, and the tests that read only them, out while the
    dbt project is unchanged (decision 46); a test that also reads a model still runs. Any change
    reloads and retests them, and a reload that failed is not taken for a good one."""
    project = tmp_path / "dbt_project"
    shutil.copytree(Paths.from_env().dbt_project, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "tests" / "singular" / "reads_a_seed_and_a_model.sql").write_text(
        "select * from {{ ref('gross_margin') }} cross join {{ ref('fct_roi_monthly') }} where false\n")
    paths = dataclasses.replace(paths_for(tmp_path, landed), dbt_project=project,
                                dbt_target=project / "target")
    args = ["--exclude-resource-type", "unit_test"]

    def built() -> set[str]:
        results = json.loads((paths.dbt_target / "run_results.json").read_text())["results"]
        return {r["unique_id"].split(".")[2] for r in results}

    first = dbt_build(paths, args, keep_loaded_seeds=True)
    assert {"gross_margin", "unique_gross_margin_valid_from"} <= built()
    second = dbt_build(paths, args, keep_loaded_seeds=True)
    assert not {"gross_margin", "unique_gross_margin_valid_from"} & built()
    assert "reads_a_seed_and_a_model" in built() and "fct_roi_monthly" in built()
    assert first.nodes - second.nodes > len(list((project / "seeds").glob("*.csv")))

    seed = project / "seeds" / "gross_margin.csv"
    good = seed.read_text()
    seed.write_text(good + "2026-06-01,\n")
    with pytest.raises(DbtFailed, match="not_null_columns_gross_margin"):
        dbt_build(paths, args, keep_loaded_seeds=True)
    seed.write_text(good)  # the project that last loaded well, but the database holds the bad row
    assert dbt_build(paths, args, keep_loaded_seeds=True).nodes == first.nodes
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        assert con.execute("select count(*) from main_seeds.gross_margin "
                           "where gross_margin is null").fetchone() == (0,)


def _project_with_seed_rows(tmp_path: Path, landed: Path, seed: str,
                            rows: Callable[[str], str]) -> tuple[Paths, str]:
    """Paths of a copy of the dbt project (its own target folder) whose ``seed`` has ``rows``
    appended (given the seed's first key value), and that key value."""
    project = tmp_path / "dbt_project"
    shutil.copytree(Paths.from_env().dbt_project, project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    csv = project / "seeds" / f"{seed}.csv"
    first_key = csv.read_text().splitlines()[1].split(",")[0]
    with csv.open("a") as out:
        out.write(rows(first_key))
    return dataclasses.replace(paths_for(tmp_path, landed), dbt_project=project,
                               dbt_target=project / "target"), first_key
