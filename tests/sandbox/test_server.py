"""Server mechanics: deterministic bytes, fault injection, request log, control routes, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests

from social_roi.sandbox import catalog
from social_roi.sandbox.faults import hubspot_rate_limit, meta_throttle
from social_roi.sandbox.server import SandboxServer
from social_roi.sandbox.world import WorldConfig

from .conftest import SMALL, TOKEN

SEARCH = "/crm/v3/objects/contacts/search"
POSTS = f"/v24.0/{catalog.PAGE_ID}/posts"
PROBES = [
    ("GET", f"{POSTS}?limit=5&fields=id,created_time,message,shares,insights.metric(post_clicks)", None),
    ("GET", f"/v24.0/{catalog.IG_USER_ID}/media?limit=5&fields=id,caption,like_count", None),
    (
        "GET",
        f"/v24.0/act_{catalog.AD_ACCOUNT_ID}/insights?level=ad&time_increment=1&limit=50"
        "&fields=ad_id,spend,impressions,actions",
        None,
    ),
    ("GET", f"/ga4/export/analytics_{catalog.GA4_PROPERTY_ID}/events_{SMALL.dates[1]:%Y%m%d}.jsonl", None),
    ("POST", SEARCH, {"limit": 20, "properties": ["email", "lifecyclestage", "ga_client_id"]}),
    ("POST", "/crm/v3/objects/deals/search", {"limit": 20}),
    ("GET", "/crm/v3/objects/deals?limit=5", None),
    ("GET", f"/projects/{catalog.LISTENING_PROJECT_ID}/data/mentions?queryGroupId=1990001&pageSize=20"
     f"&startDate={SMALL.dates[1]}&endDate={SMALL.dates[2]}", None),
    ("GET", f"/2/users/{catalog.X_USER_ID}/tweets?max_results=5&tweet.fields=created_at,public_metrics,"
     f"non_public_metrics,entities&start_time={SMALL.dates[1]}T00:00:00Z", None),
]


def fetch_all(srv: SandboxServer) -> list[bytes]:
    out = []
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {TOKEN}"
        for method, path, body in PROBES:
            r = s.request(method, srv.base_url + path, json=body)
            assert r.status_code == 200, (path, r.text[:300])
            out.append(r.content.replace(srv.base_url.encode(), b"BASE"))  # ports differ
    return out


def test_same_config_serves_identical_bytes_and_another_seed_differs(small_server):
    first = fetch_all(small_server)
    with SandboxServer(SMALL, token=TOKEN) as twin:
        assert fetch_all(twin) == first
    with SandboxServer(
        WorldConfig(seed=SMALL.seed + 1, days=SMALL.days, scale=SMALL.scale), token=TOKEN
    ) as other:
        assert all(a != b for a, b in zip(fetch_all(other), first, strict=True))


def test_429_with_retry_after_then_success(small_server, http):
    small_server.add_fault(SEARCH, **hubspot_rate_limit(retry_after=1))
    before = small_server.requests.count(("POST", SEARCH))
    started = time.perf_counter()
    r = http.post(small_server.base_url + SEARCH, json={"limit": 1})
    assert r.status_code == 429 and r.json()["category"] == "RATE_LIMITS"
    assert r.json()["message"] == "You have reached your secondly limit." and r.json()["correlationId"]
    time.sleep(float(r.headers["Retry-After"]))  # what a well-behaved client does
    r = http.post(small_server.base_url + SEARCH, json={"limit": 1})
    assert r.status_code == 200 and r.json()["results"]
    assert small_server.requests.count(("POST", SEARCH)) - before == 2
    assert time.perf_counter() - started >= 1.0


def test_meta_throttle_preset_over_http_hits_only_matching_requests(small_server, http):
    control = small_server.base_url + "/_sandbox/faults"
    r = requests.post(
        control, json={"path_prefix": POSTS, "times": 2, "preset": "meta_throttle", "args": {"code": 17}}
    )
    assert r.status_code == 201 and r.json()["faults"][0]["times"] == 2
    other = http.get(f"{small_server.base_url}/v24.0/{catalog.IG_USER_ID}/media")
    assert other.status_code == 200  # a different path is not affected
    for _ in range(2):
        r = http.get(small_server.base_url + POSTS)
        assert r.status_code == 400
        assert r.json()["error"]["code"] == 17 and r.json()["error"]["is_transient"] is True
        usage = json.loads(r.headers["X-Business-Use-Case-Usage"])
        assert next(iter(usage.values()))[0]["call_count"] == 100
    assert http.get(small_server.base_url + POSTS).status_code == 200
    assert requests.get(control).json() == {"faults": []}


def test_fault_method_filter_plain_status_and_clearing(small_server, http):
    small_server.add_fault("/crm/", 503, times=5, method="POST")
    assert http.get(small_server.base_url + "/crm/v3/objects/contacts").status_code == 200
    r = http.post(small_server.base_url + SEARCH, json={})
    assert r.status_code == 503 and r.content == b""
    assert requests.delete(small_server.base_url + "/_sandbox/faults").status_code == 200
    assert http.post(small_server.base_url + SEARCH, json={}).status_code == 200
    small_server.add_fault(POSTS, 200, body={"data": [], "injected": True})
    assert http.get(small_server.base_url + POSTS).json() == {"data": [], "injected": True}
    small_server.add_fault(POSTS, **meta_throttle(80001))
    small_server.clear_faults()
    assert http.get(small_server.base_url + POSTS).status_code == 200


def test_request_log_and_control_routes(small_server, http):
    requests.delete(small_server.base_url + "/_sandbox/requests")
    http.get(small_server.base_url + POSTS, params={"limit": 1})
    http.post(small_server.base_url + SEARCH, json={"limit": 1})
    log = requests.get(small_server.base_url + "/_sandbox/requests").json()
    assert log["requests"] == [{"method": "GET", "path": POSTS}, {"method": "POST", "path": SEARCH}]
    assert small_server.requests == [("GET", POSTS), ("POST", SEARCH)]  # no query, no control calls
    health = requests.get(small_server.base_url + "/_sandbox/health")
    assert health.status_code == 200 and health.json()["world"]["seed"] == SMALL.seed
    assert requests.get(small_server.base_url + "/nowhere").status_code == 404
    bad = requests.post(small_server.base_url + "/_sandbox/faults", json={"status": 500})
    assert bad.status_code == 400


def test_cli_serve_answers_until_stopped():
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "social_roi.sandbox",
            "serve",
            "--port",
            "0",
            "--days",
            "2",
            "--scale",
            "0.2",
            "--token",
            "cli-token",
        ],
        cwd=root,
        env={"PYTHONPATH": str(root / "plugins"), "PATH": ""},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        base = line.split(" at ")[1].split()[0]
        assert requests.get(base + "/_sandbox/health", timeout=5).json()["world"]["days"] == 2
        r = requests.post(base + SEARCH, json={}, headers={"Authorization": "Bearer cli-token"}, timeout=5)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
