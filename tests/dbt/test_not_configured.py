"""A platform without its Airflow connection is switched off, not broken (README, "Connections"):
its extract task succeeds, the landing gate skips it, dbt reads zero rows from its contract, the
marts build and pass their gate. Connecting it later fills it in."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, timedelta

import duckdb
import pytest

from social_roi import landing, pipeline
from social_roi.connectors import CONNECTORS
from social_roi.quality.gate import GateFailed, validate_landing, validate_marts
from social_roi.quality.suites import landed_parameters
from social_roi.sandbox.connections import connection_env
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig, generate_world
from social_roi.settings import Paths, temporary_environ
from social_roi.transform import dbt_build
from tests.connectors.conftest import TOKEN

WORLD = WorldConfig(seed=5, start_date=date(2026, 10, 1), days=2, scale=0.3)
DAYS = [WORLD.start_date + timedelta(days=offset) for offset in range(WORLD.days)]
SWITCHED_OFF = "brandwatch"
ALSO_OFF = "linkedin"  # an organic + ad platform feeding shared marts, switched off with it
GA4_API_OFF = "ga4_data_api"  # a property with the BigQuery export only


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> Paths:
    root = tmp_path_factory.mktemp("not_configured")
    return dataclasses.replace(Paths.from_env(), data_dir=root, landing=root / "landing",
                               build_db=root / "build.duckdb", run_results=root / "gate_results")


@pytest.fixture(scope="module")
def server():
    with SandboxServer(generate_world(WORLD), token=TOKEN) as running:
        yield running


def extract_all(paths: Paths, server: SandboxServer, switched_off: set[str]) -> dict:
    connections = {key: value for key, value in connection_env(server.base_url, TOKEN).items()
                   if key.removeprefix("AIRFLOW_CONN_").lower()
                   not in {CONNECTORS[s].CONN_ID for s in switched_off}}
    env = {"SOCIAL_ROI_DATA_DIR": str(paths.data_dir), "SOCIAL_ROI_LANDING_DIR": str(paths.landing),
           **connections}
    with temporary_environ(env):
        return {(source, day): pipeline.extract(source, day) for source in CONNECTORS for day in DAYS}


@pytest.fixture(scope="module")
def built_without_listening(paths, server):
    landed = extract_all(paths, server, {SWITCHED_OFF, ALSO_OFF, GA4_API_OFF})
    gates = [validate_landing(paths, day) for day in DAYS]
    dbt_build(paths, ["--exclude-resource-type", "unit_test"])
    return landed, gates


def test_extract_of_an_unconfigured_source_succeeds_and_records_why(paths, built_without_listening):
    landed, _ = built_without_listening
    assert all(landed[(SWITCHED_OFF, day)] == {} for day in DAYS)
    assert all(sum(landed[("ga4", day)].values()) > 0 for day in DAYS)
    status = json.loads(landing.status_file(paths.landing, SWITCHED_OFF, DAYS[0]).read_text())
    assert status["configured"] is False and "brandwatch" in status["reason"]
    assert not landing.partition_file(paths.landing, SWITCHED_OFF, "mentions", DAYS[0]).exists()
    assert landing.contract_file(paths.landing, SWITCHED_OFF, "mentions").is_file()


def test_the_landing_gate_skips_it_but_checks_every_configured_source(built_without_listening):
    _, gates = built_without_listening
    checked = {run.table.split("/")[0] for gate in gates for run in gate.suites}
    assert SWITCHED_OFF not in checked
    # the sandbox connects one CRM, HubSpot: Salesforce is not configured either
    assert checked == set(CONNECTORS) - {SWITCHED_OFF, ALSO_OFF, GA4_API_OFF, "salesforce"}


def test_its_marts_build_empty_and_pass_the_marts_gate(paths, built_without_listening):
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        mentions = con.execute("select count(*) from main_marts.fct_brand_conversation_daily").fetchone()
        sessions = con.execute("select sum(sessions) from main_marts.fct_funnel_daily").fetchone()
    assert mentions == (0,) and sessions[0] > 0
    assert landed_parameters(paths.landing, CONNECTORS)["min_rows_brandwatch"] == 0
    assert validate_marts(paths, pipeline.MARTS).success


def test_a_platform_of_shared_marts_switched_off_only_leaves_its_rows_out(paths, built_without_listening):
    """LinkedIn feeds the organic-post, ad and follower contracts next to Meta: without its
    connection those marts build without LinkedIn's posts, spend and follower rows, and nothing
    fails (its sessions and leads still come from GA4 and the CRM)."""
    landed, _ = built_without_listening
    assert all(landed[(ALSO_OFF, day)] == {} for day in DAYS)
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        posts = con.execute("select platform, count(*) from main_marts.fct_post_performance "
                            "group by all").fetchall()
        followers = con.execute("select distinct platform from main_marts.fct_followers_daily").fetchall()
        funnel = con.execute("select sum(spend_usd), sum(sessions) from main_marts.fct_funnel_daily "
                             "where platform = 'linkedin'").fetchone()
    assert "linkedin" not in dict(posts) and dict(posts).get("facebook", 0) > 0
    assert ("linkedin",) not in followers and ("facebook",) in followers
    assert funnel[0] == 0 and funnel[1] > 0


def test_the_export_alone_reconciles_against_an_unknown_ga4_side(paths, built_without_listening):
    """Decision 35 for GA4's two sources: without the Data API's connection the reconciliation
    mart still builds and passes its gate, with the export's figures and GA4's left unknown (NULL,
    not 0: "not connected" is not "no sessions")."""
    landed, _ = built_without_listening
    assert all(landed[(GA4_API_OFF, day)] == {} for day in DAYS)
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        rows = con.execute("select count(*), sum(export_sessions), count(api_sessions), "
                           "count(session_difference) from main_marts.fct_web_reconciliation_daily"
                           ).fetchone()
    assert rows[0] > 0 and rows[1] > 0 and rows[2] == rows[3] == 0


def test_a_configured_source_that_never_landed_still_fails_the_gate(paths, built_without_listening):
    """No status file (the extract never ran) is not "switched off": missing data stops the day."""
    day = DAYS[-1] + timedelta(days=1)
    with pytest.raises(GateFailed, match="partition_exists"):
        validate_landing(paths, day)


def test_connecting_it_later_fills_it_in(paths, server, built_without_listening):
    extract_all(paths, server, set())
    validate_landing(paths, DAYS[0])
    dbt_build(paths, ["--exclude-resource-type", "unit_test", "--select", "+fct_brand_conversation_daily",
                      "+fct_web_reconciliation_daily"])
    with duckdb.connect(str(paths.build_db), read_only=True) as con:
        mentions = con.execute("select sum(mentions) from main_marts.fct_brand_conversation_daily").fetchone()
        api = con.execute("select count(*), count(api_sessions) "
                          "from main_marts.fct_web_reconciliation_daily").fetchone()
    assert mentions[0] > 0
    assert api[0] == api[1] > 0  # GA4's side is known on every row once the Data API is connected
    # from now on the listening feed must fill its mart: an empty one would stop publication
    assert landed_parameters(paths.landing, CONNECTORS)["min_rows_brandwatch"] == 1
