"""Brandwatch connector against the live sandbox server: every mention once on its publication
day, cursor paging past page/pageSize's 10,000-mention cap, 429 + Retry-After, fail-fast auth,
nothing personal landed."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import timedelta

import pandas as pd
import pytest

from social_roi import landing
from social_roi.connectors import listening
from social_roi.connectors.base import land_day
from social_roi.errors import SourceAuthError, SourceError
from social_roi.sandbox import brandwatch as bw_sandbox
from social_roi.sandbox import catalog
from social_roi.sandbox.faults import brandwatch_rate_limit

from .conftest import WORLD, requests_to

MENTIONS = f"/projects/{catalog.LISTENING_PROJECT_ID}/data/mentions"


def land_all_days(config, tmp_path, **extra) -> pd.DataFrame:
    for offset in range(WORLD.days):
        land_day(listening, config("brandwatch", **extra), WORLD.start_date + timedelta(offset),
                 tmp_path)
    return pd.concat(
        landing.read_partition(tmp_path, "brandwatch", "mentions",
                               WORLD.start_date + timedelta(offset)).to_pandas()
        .assign(partition=WORLD.start_date + timedelta(offset))
        for offset in range(WORLD.days))


def test_every_mention_lands_once_on_its_publication_day(config, world, tmp_path, server):
    before = requests_to(server, MENTIONS)
    landed = land_all_days(config, tmp_path)
    assert requests_to(server, MENTIONS) - before == WORLD.days, "one request a day: 5,000 a page"
    truth = world.truth["mentions"]
    assert landed.mention_id.is_unique and sorted(landed.mention_id) == sorted(truth.mention_id)
    assert (landed.published_at.dt.date == landed.partition).all()
    merged = landed.merge(truth, on="mention_id", suffixes=("", "_truth"))
    for column in ("resource_id", "query_id", "query_name", "page_type", "sentiment"):
        assert (merged[column] == merged[f"{column}_truth"]).all(), column
    assert (merged.published_at == merged.published_at_truth).all()


def test_nothing_personal_lands():
    names = set(listening.MENTIONS.schema.names)
    assert not names & {"author", "fullname", "url", "guid", "snippet", "title", "avatar_url", "city"}


def test_cursor_paging_reads_past_the_page_cap_with_one_request_per_page(config, world, server, tmp_path,
                                                                        monkeypatch):
    """page/pageSize paging stops at Brandwatch's 10,000-mention cap (here lowered to 12 in the
    sandbox); the connector follows `nextCursor`, which has none: every mention, one request per
    page, and no request for an empty page after a short one."""
    monkeypatch.setattr(bw_sandbox, "PAGING_CAP", 12)
    day = WORLD.start_date
    before = requests_to(server, MENTIONS)
    counts = land_day(listening, config("brandwatch", page_size=4), day, tmp_path)
    landed = landing.read_partition(tmp_path, "brandwatch", "mentions", day).to_pandas()
    truth = world.truth["mentions"]
    want = truth[truth.date == day]
    assert counts["mentions"] == len(want) > 12, "the day must be beyond the page cap"
    assert landed.mention_id.is_unique and set(landed.mention_id) == set(want.mention_id)
    pages = -(-len(want) // 4)
    assert requests_to(server, MENTIONS) - before == pages
    cursors = [query for path, query in server.queries if path == MENTIONS][-(pages - 1):]
    assert all("cursor=" in query and "page=" not in query for query in cursors)


def test_query_group_and_comma_separated_ids_select_the_same_mentions(config, tmp_path):
    day = WORLD.start_date
    ids = ",".join(str(b.query_id) for b in catalog.LISTENING_BRANDS)
    by_ids = listening.fetch_day(config("brandwatch", query_ids=ids), day)["mentions"]
    group = dataclasses.replace(config("brandwatch"), extra={
        "project_id": catalog.LISTENING_PROJECT_ID, "query_group_id": 1990001})
    by_group = listening.fetch_day(group, day)["mentions"]
    assert by_ids == by_group and by_ids


def test_429_with_retry_after_is_honoured(config, server, tmp_path):
    server.add_fault(MENTIONS, **brandwatch_rate_limit(retry_after=1))
    before = requests_to(server, MENTIONS)
    started = time.perf_counter()
    counts = land_day(listening, config("brandwatch"), WORLD.start_date, tmp_path)
    assert time.perf_counter() - started >= 1.0, "waited as Retry-After asked"
    assert requests_to(server, MENTIONS) - before == 2 and counts["mentions"] > 0


def test_unauthorised_token_fails_fast_naming_the_connection(config, server, tmp_path):
    before = requests_to(server, MENTIONS)
    with pytest.raises(SourceAuthError, match="renew the Airflow connection 'brandwatch'"):
        land_day(listening, config("brandwatch", token="revoked"), WORLD.start_date, tmp_path)
    assert requests_to(server, MENTIONS) - before == 1
    assert not (tmp_path / "brandwatch").exists(), "nothing landed"


def test_persistent_server_errors_land_nothing_and_name_the_day(config, server, tmp_path):
    server.add_fault(MENTIONS, 503, times=10, body={"errors": [{"code": 503, "message": "busy"}]})
    with pytest.raises(SourceError, match=r"brandwatch/mentions day=2026-10-01.*HTTP 503"):
        land_day(listening, config("brandwatch"), WORLD.start_date, tmp_path)
    assert not (tmp_path / "brandwatch").exists()


def test_missing_configuration_names_the_key(config, tmp_path):
    bad = dataclasses.replace(config("brandwatch"), extra={"project_id": catalog.LISTENING_PROJECT_ID})
    with pytest.raises(SourceError, match="missing 'query_ids'"):
        land_day(listening, bad, WORLD.start_date, tmp_path)


def test_an_unknown_new_field_is_kept_by_name_and_its_text_withheld(config, server, tmp_path, caplog):
    mention = {"id": "2905000000001", "resourceId": "1975000000000000001", "queryId": 2001990001,
               "queryName": "Acme - brand", "date": f"{WORLD.start_date}T10:15:00.000+0000",
               "pageType": "twitter", "sentiment": "positive", "author": "someone",
               # drift: fields Brandwatch's documented list does not have
               "authorFollowers": 1200, "isBoosted": False, "authorBio": "Jane, jane@example.com"}
    server.add_fault(MENTIONS, 200, body={"resultsTotal": 1, "resultsPage": 0, "resultsPageSize": 5000,
                                          "results": [mention]})
    with caplog.at_level(logging.WARNING, logger="social_roi.connectors.base"):
        land_day(listening, config("brandwatch"), WORLD.start_date, tmp_path)
    [row] = landing.read_partition(tmp_path, "brandwatch", "mentions", WORLD.start_date).to_pylist()
    assert json.loads(row["extra_fields"]) == {
        "authorFollowers": 1200, "isBoosted": False, "authorBio": "<string: not landed>"}
    assert "jane" not in json.dumps(row, default=str).lower(), "a drifted text field may be personal"
    warning = " ".join(r.getMessage() for r in caplog.records)
    assert "brandwatch/mentions day=2026-10-01" in warning
    assert all(name in warning for name in ("authorFollowers", "isBoosted", "authorBio"))
