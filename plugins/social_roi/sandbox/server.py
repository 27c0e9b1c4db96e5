"""One local HTTP server speaking Meta Graph, LinkedIn Marketing, the X API, GA4 export files, the
GA4 Data API, HubSpot CRM, Salesforce and Brandwatch for one world.

Control routes (no auth, never faulted, not logged in ``requests``):
  GET /_sandbox/health   GET|DELETE /_sandbox/requests   GET|POST|DELETE /_sandbox/faults
"""

from __future__ import annotations

import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from social_roi.sandbox import faults as F
from social_roi.sandbox.brandwatch import Brandwatch
from social_roi.sandbox.ga4_data_api import PREFIX as GA4_DATA_API_PREFIX
from social_roi.sandbox.ga4_data_api import GA4DataApi
from social_roi.sandbox.ga4_export import PREFIX as GA4_PREFIX
from social_roi.sandbox.ga4_export import GA4Export
from social_roi.sandbox.hubspot import HubSpot
from social_roi.sandbox.linkedin import PREFIX as LINKEDIN_PREFIX
from social_roi.sandbox.linkedin import LinkedIn
from social_roi.sandbox.meta_graph import PREFIX as META_PREFIX
from social_roi.sandbox.meta_graph import MetaGraph
from social_roi.sandbox.salesforce import PREFIX as SALESFORCE_PREFIX
from social_roi.sandbox.salesforce import Salesforce
from social_roi.sandbox.wire import Request, Response, json_response
from social_roi.sandbox.world import World, WorldConfig, generate_world
from social_roi.sandbox.x_api import PREFIX as X_PREFIX
from social_roi.sandbox.x_api import XApi

CONTROL = "/_sandbox"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that went away mid-request (a stopped pipeline) is not a server error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class SandboxServer:
    """``with SandboxServer(WorldConfig(seed=1)) as srv: requests.get(srv.base_url + ...)``."""

    def __init__(
        self,
        world_or_config: World | WorldConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = "sandbox-token",
    ) -> None:
        if isinstance(world_or_config, World):
            self.world = world_or_config
        else:
            self.world = generate_world(world_or_config or WorldConfig())
        self.host, self.token = host, token
        self._port = port
        self.meta = MetaGraph(self.world)
        self.ga4 = GA4Export(self.world)
        self.ga4_data_api = GA4DataApi(self.world)
        self.hubspot = HubSpot(self.world)
        self.salesforce = Salesforce(self.world)
        self.brandwatch = Brandwatch(self.world)
        self.x = XApi(self.world)
        self.linkedin = LinkedIn(self.world)
        self._faults = F.FaultQueue()
        self._log: list[tuple[str, str, str]] = []
        self._log_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        handler = type("SandboxHandler", (_Handler,), {"sandbox": self})
        self._httpd = _HTTPServer((self.host, self._port), handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="social-roi-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    # ---- faults and request log -----------------------------------------------------------------

    def add_fault(
        self,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        headers: dict | None = None,
        body: object = None,
        method: str | None = None,
    ) -> None:
        """The next ``times`` requests whose path starts with ``path_prefix`` get this reply."""
        self._faults.add(F.Fault(path_prefix, int(status), int(times), headers, body, method))

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path without query) of every API request received, in arrival order."""
        with self._log_lock:
            return [(method, path) for method, path, _query in self._log]

    @property
    def queries(self) -> list[tuple[str, str]]:
        """(path, query string exactly as sent) of every API request, in arrival order."""
        with self._log_lock:
            return [(path, query) for _method, path, query in self._log]

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    # ---- dispatch ------------------------------------------------------------------------------

    def dispatch(self, req: Request) -> Response:
        if req.path == CONTROL or req.path.startswith(CONTROL + "/"):
            return self._control(req)
        with self._log_lock:
            self._log.append((req.method, req.path, req.raw_query))
        injected = self._faults.take(req.method, req.path)
        if injected is not None:
            return injected
        if req.path.startswith(META_PREFIX + "/") or req.path == META_PREFIX:
            return self.meta.handle(req, self.token)
        if req.path.startswith(GA4_PREFIX + "/"):
            return self.ga4.handle(req, self.token)
        if req.path.startswith(GA4_DATA_API_PREFIX + "/"):
            return self.ga4_data_api.handle(req, self.token)
        if req.path.startswith(LINKEDIN_PREFIX + "/"):
            return self.linkedin.handle(req, self.token)
        if req.path.startswith("/crm/"):
            return self.hubspot.handle(req, self.token)
        if req.path == SALESFORCE_PREFIX or req.path.startswith(SALESFORCE_PREFIX + "/"):
            return self.salesforce.handle(req, self.token)
        if req.path.startswith("/projects/") or req.path.rstrip("/") == "/oauth/token":
            return self.brandwatch.handle(req, self.token)
        if req.path.startswith(X_PREFIX + "/"):
            return self.x.handle(req, self.token)
        return json_response(
            404, {"error": "not_found", "message": f"no sandbox API at {req.path}; see /_sandbox/health"}
        )

    def _control(self, req: Request) -> Response:
        route = (req.method, req.path.rstrip("/"))
        cfg = self.world.config
        if route == ("GET", CONTROL + "/health"):
            return json_response(
                200,
                {
                    "status": "ok",
                    "world": {
                        "seed": cfg.seed,
                        "start_date": cfg.start_date.isoformat(),
                        "days": cfg.days,
                        "scale": cfg.scale,
                    },
                },
            )
        if route == ("GET", CONTROL + "/requests"):
            log = self.requests
            return json_response(
                200, {"count": len(log), "requests": [{"method": m, "path": p} for m, p in log]}
            )
        if route == ("DELETE", CONTROL + "/requests"):
            self.clear_requests()
            return json_response(200, {"count": 0})
        if route == ("GET", CONTROL + "/faults"):
            return json_response(200, {"faults": self._faults.pending()})
        if route == ("DELETE", CONTROL + "/faults"):
            self.clear_faults()
            return json_response(200, {"faults": []})
        if route == ("POST", CONTROL + "/faults"):
            try:
                spec = req.json()
                if not isinstance(spec, dict):
                    raise ValueError("expected a JSON object")
                kwargs = {}
                if "preset" in spec:  # e.g. {"preset": "hubspot_rate_limit", "args": {"retry_after": 2}}
                    kwargs = F.PRESETS[spec["preset"]](**(spec.get("args") or {}))
                kwargs.update({k: spec[k] for k in ("status", "headers", "body") if k in spec})
                self.add_fault(
                    spec["path_prefix"],
                    kwargs.pop("status"),
                    times=spec.get("times", 1),
                    method=spec.get("method"),
                    **kwargs,
                )
            except (KeyError, TypeError, ValueError) as exc:
                return json_response(400, {"error": "bad_fault", "message": repr(exc)})
            return json_response(201, {"faults": self._faults.pending()})
        return json_response(
            404, {"error": "not_found", "message": f"no control route {req.method} {req.path}"}
        )


class _Handler(BaseHTTPRequestHandler):
    sandbox: SandboxServer
    protocol_version = "HTTP/1.1"  # keep-alive: every response carries Content-Length
    server_version = "social-roi-sandbox/1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{self.sandbox.host}:{self.sandbox.port}"
        req = Request.build(self.command, self.path, dict(self.headers.items()), body, f"http://{host}")
        try:
            resp = self.sandbox.dispatch(req)
        except Exception:  # a sandbox bug must show up as a 500, not a dropped connection
            traceback.print_exc(file=sys.stderr)
            resp = json_response(500, {"error": "sandbox_bug", "message": traceback.format_exc(limit=3)})
        headers = dict(resp.headers)
        dated = headers.pop("Date", None)
        if dated is None:
            self.send_response(resp.status)
        else:  # an API with a clock of its own (X) dates its answers itself
            self.send_response_only(resp.status)
            self.send_header("Server", self.version_string())
            self.send_header("Date", dated)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args) -> None:
        pass  # quiet: tests and the demo read the request log instead
