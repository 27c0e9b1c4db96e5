"""Issue 7's promise, one test per kind of bad input, asserted together (decision 63): the day's
tasks run in the DAGs' order, publication stops, the previous release stays byte for byte (the
served DuckDB file, the kept release files and the ``releases`` history), and the alert reaches a
local webhook receiver.

The bad inputs are those of the gate and build tests (tests/quality, tests/dbt/test_bad_input.py),
made with the same factories on a good baseline built once for the module: every source's landing
partitions for ``DAY`` and release 1 served from a small build. A test copies the baseline (a few
hundred kB) and spoils it in one way. Broken attribution conservation needs a real build: the
session's ``month_build``, spoiled as ``test_broken_attribution_conservation_stops_the_build`` does.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from social_roi import freshness, landing, pipeline, publish
from social_roi.airflow_tasks import fail_fast_on
from social_roi.alerts.notifier import FailureNotifier
from social_roi.schedule import FAMILIES
from social_roi.settings import Paths, temporary_environ
from tests.alerts.conftest import SECRET_PATH, failure_context, land_negative_spend, webhook_env
from tests.alerts.receivers import Post, WebhookReceiver
from tests.dbt.conftest import CONSERVATION_TESTS, spoil_attribution_conservation
from tests.quality.gate_factories import (
    DAY,
    build_marts,
    clean_rows,
    land,
    land_all_clean,
    land_history,
    make_paths,
    mart_rows,
)
from tests.test_publish import _sha256
from tests.test_releases import history_rows, kept_files

PUBLISH_DAG = "social_roi_publish"
RUN_ID = f"manual__{DAY.isoformat()}"
OTHER_FAMILIES = tuple(family for family in FAMILIES if family != "social")
@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """Clean landing data for DAY from every source, and release 1 served from a small build."""
    paths = make_paths(tmp_path_factory.mktemp("baseline"))
    land_all_clean(paths)
    build_marts(paths, mart_rows(40))
    publish.publish(paths.build_db, paths.serving_db, ("fct_funnel_daily",), run_id="baseline",
                    interval_start=datetime(2026, 9, 30, tzinfo=UTC),
                    interval_end=datetime(2026, 10, 1, tzinfo=UTC))
    # the web and CRM extract DAGs ran the day and passed (their verdicts recorded); each test
    # reruns the social DAG, whose sources it spoils
    with temporary_environ(environment(paths)):
        for family in OTHER_FAMILIES:
            pipeline.validate_family(family, DAY, RUN_ID)
    return paths.data_dir


@pytest.fixture
def webhook():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def paths(baseline: Path, tmp_path: Path) -> Paths:
    shutil.copytree(baseline, tmp_path / "day")
    return make_paths(tmp_path / "day")


@dataclasses.dataclass(frozen=True)
class Served:
    """What BI has: the served file's bytes, the kept release files' bytes, the history."""

    file_sha256: str
    kept: dict[int, str]
    history: list[tuple]

    @classmethod
    def of(cls, paths: Paths) -> Served:
        return cls(_sha256(paths.serving_db), kept_files(paths.serving_db), history_rows(paths.serving_db))


@dataclasses.dataclass
class DayRun:
    ran: list[str] = dataclasses.field(default_factory=list)  # "<dag>.<task>", in order
    failed: list[str] = dataclasses.field(default_factory=list)


def environment(paths: Paths) -> dict[str, str]:
    """What the tasks read their paths from (``Paths.from_env``)."""
    return {"SOCIAL_ROI_DATA_DIR": str(paths.data_dir), "SOCIAL_ROI_LANDING_DIR": str(paths.landing),
            "SOCIAL_ROI_BUILD_DB": str(paths.build_db), "SOCIAL_ROI_SERVING_DB": str(paths.serving_db),
            "SOCIAL_ROI_WAREHOUSE": "duckdb"}


class _Stopped(Exception):
    """A task failed: the rest of its DAG does not run."""


def run_day(paths: Paths, webhook_url: str, day: date = DAY, *,
            families: tuple[str, ...] = ("social",), build: Callable[[], object] = pipeline.build
            ) -> DayRun:
    """The day's tasks in the DAGs' order, in this process: the landing gate of each family of
    ``families`` (its extract DAG's ``validate_landing``; the others' verdicts are recorded
    already), then the publish DAG's ``check_freshness >> dbt_build >> validate_marts >>
    publish``. A failed task goes through ``fail_fast_on`` and the DAGs' ``on_failure_callback``
    (``FailureNotifier``) with the context Airflow gives it, and stops its DAG; one family's
    failure does not stop another family's DAG."""
    run = DayRun()

    def task(dag_id: str, task_id: str, step: Callable[[], object]) -> object:
        run.ran.append(f"{dag_id}.{task_id}")
        try:
            with fail_fast_on():
                return step()
        except Exception as exc:
            run.failed.append(f"{dag_id}.{task_id}")
            FailureNotifier().notify(failure_context(exc, task_id=task_id, dag_id=dag_id))
            raise _Stopped from exc

    with temporary_environ({**environment(paths), **dict([webhook_env(webhook_url)])}):
        for family in families:
            try:
                task(f"social_roi_extract_{family}", "validate_landing",
                     lambda f=family: pipeline.validate_family(f, day, RUN_ID))
            except _Stopped:
                pass
        try:
            interval_start = datetime.combine(day, time(6), UTC)
            plan = task(PUBLISH_DAG, "check_freshness", lambda: pipeline.plan_publication(
                PUBLISH_DAG, RUN_ID, "manual", {}, interval_start))
            task(PUBLISH_DAG, "dbt_build", build)
            task(PUBLISH_DAG, "validate_marts", pipeline.check_marts)
            task(PUBLISH_DAG, "publish", lambda: pipeline.publish_plan(RUN_ID, plan))
        except _Stopped:
            pass
    return run


def assert_stopped(paths: Paths, before: Served, run: DayRun, posts: list[Post], *,
                   failed: list[str], needles: tuple[str, ...]) -> None:
    """Nothing published, release 1 still served byte for byte, and one alert per failed task,
    the first naming the bad input."""
    assert f"{PUBLISH_DAG}.publish" not in run.ran
    assert run.failed == failed
    assert Served.of(paths) == before
    assert [r[0] for r in before.history] == [1]
    assert len(posts) == len(failed)
    first = posts[0].body["text"]
    assert f"Task: {failed[0].split('.')[1]}" in first and failed[0].split(".")[0] in first
    for needle in needles:
        assert needle in first, needle
    if len(failed) == 2:  # the refused landing day also stops the publish DAG
        assert "the landing gate refused" in posts[1].body["text"]
        assert "nothing published" in posts[1].body["text"]


SOCIAL_GATE = "social_roi_extract_social.validate_landing"
REFUSED_PUBLISH = f"{PUBLISH_DAG}.check_freshness"


def test_missing_column(paths, webhook):
    before = Served.of(paths)
    table = landing.read_partition(paths.landing, "meta", "page_posts", DAY)
    landing.write_partition(paths.landing, "meta", "page_posts", DAY, table.drop_columns(["post_id"]))

    run = run_day(paths, webhook.url(SECRET_PATH))

    assert_stopped(paths, before, run, webhook.posts, failed=[SOCIAL_GATE, REFUSED_PUBLISH],
                   needles=("meta/page_posts", "expect_table_columns_to_match_set", "post_id"))


def test_duplicate_ids(paths, webhook):
    before = Served.of(paths)
    rows = clean_rows("meta", "page_posts", DAY, 12)
    rows[5]["post_id"] = rows[4]["post_id"]
    land(paths, "meta", "page_posts", DAY, rows)

    run = run_day(paths, webhook.url(SECRET_PATH))

    assert_stopped(paths, before, run, webhook.posts, failed=[SOCIAL_GATE, REFUSED_PUBLISH],
                   needles=("meta/page_posts", "expect_column_values_to_be_unique", "100_4"))


def test_negative_spend(paths, webhook):
    before = Served.of(paths)
    land_negative_spend(paths)

    run = run_day(paths, webhook.url(SECRET_PATH))

    assert_stopped(paths, before, run, webhook.posts, failed=[SOCIAL_GATE, REFUSED_PUBLISH],
                   needles=("meta/ad_insights", "column='spend'", "-5.00"))


def test_a_day_with_a_tenth_of_the_usual_volume(paths, webhook):
    before = Served.of(paths)
    land_history(paths, "brandwatch", "mentions", [38, 44, 40, 41, 39, 40, 42])
    land(paths, "brandwatch", "mentions", DAY, clean_rows("brandwatch", "mentions", DAY, 4))

    run = run_day(paths, webhook.url(SECRET_PATH))

    assert_stopped(paths, before, run, webhook.posts, failed=[SOCIAL_GATE, REFUSED_PUBLISH],
                   needles=("brandwatch/mentions landed 4 rows on 2026-10-01 against a trailing "
                            "median of 40", "at least 5 needed"))


def test_a_stale_source(paths, webhook):
    before = Served.of(paths)
    land_history(paths, "meta", "account_insights", [2, 2, 2, 0, 0])
    land(paths, "meta", "account_insights", DAY, [])

    run = run_day(paths, webhook.url(SECRET_PATH))

    assert_stopped(paths, before, run, webhook.posts, failed=[SOCIAL_GATE, REFUSED_PUBLISH],
                   needles=("stale: meta/account_insights landed no rows on 2026-10-01, none since "
                            "2026-09-28",))


def test_broken_attribution_conservation(paths, webhook, month_build):
    """The landing gates passed the day (recorded as the extract DAGs record them); the build's
    conservation tests fail on credits that no longer add up, so the marts are never validated
    nor published. ``dbt_build`` runs only those two tests on the spoiled copy: a whole build
    would rebuild ``fct_attribution`` from the landing zone and repair it."""
    from social_roi.transform import dbt_build

    before = Served.of(paths)
    _, month_db = month_build
    build_db = paths.build_db
    shutil.copy(month_db, build_db)
    spoil_attribution_conservation(build_db)
    month = dataclasses.replace(paths, landing=month_db.parent / "landing")
    day = date(2026, 9, 30)
    for family in FAMILIES:
        freshness.record_delivery(month, family, day, passed=True, run_id=RUN_ID)

    run = run_day(month, webhook.url(SECRET_PATH), day,
                  families=(), build=lambda: dbt_build(month, ["--select", *CONSERVATION_TESTS]))

    assert run.ran == [f"{PUBLISH_DAG}.check_freshness", f"{PUBLISH_DAG}.dbt_build"]
    assert_stopped(paths, before, run, webhook.posts, failed=[f"{PUBLISH_DAG}.dbt_build"],
                   needles=CONSERVATION_TESTS)
