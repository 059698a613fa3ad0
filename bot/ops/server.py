"""`pm-copilot serve`: the Slack app over HTTP (waitress) or Socket Mode, with health and metrics endpoints.

    POST /slack/events   events, slash commands and interactivity (Bolt verifies the signature)
    GET  /healthz        the process is alive (touches no dependency)
    GET  /readyz         redis, chroma and the index, each reported within a second; 503 until all are ready
    GET  /metrics        Prometheus text

In Socket Mode the same endpoints (bar /slack/events) stay up on PORT for probes and scraping.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import waitress
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from bot.config import Settings, warn_if_single_process
from bot.core.redact import redact
from bot.exceptions import IndexBusy, PMCopilotError, SearchUnavailable
from bot.ops.scheduler import ReindexScheduler
from bot.slack.app import build_app
from bot.wiring import Deps, build_deps

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from waitress.server import BaseWSGIServer, MultiSocketServer

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest payloads (events with long messages, block_actions with big views) stay far below this.
MAX_BODY_BYTES = 1_000_000
# /readyz answers within this, whatever the dependencies do: probes usually time out at 1 s.
READY_BUDGET_S = 0.8


class Warmup:
    """Loads the embedding model and the index snapshot once, so the first question is fast.

    While Chroma can't be reached it tries again every `retry_s` (the process is up, and unready,
    meanwhile); any other failure ends it.
    """

    def __init__(self, deps: Deps, retry_s: float | None = None) -> None:
        self.deps = deps
        self.retry_s = retry_s if retry_s is not None else deps.settings.breaker_cooldown_s
        self.done = threading.Event()
        self.error: str | None = None

    def run(self) -> None:
        started = time.perf_counter()
        try:
            while not self._attempt():
                time.sleep(self.retry_s)
        except PMCopilotError as error:
            self.error = str(error)
            log.error("warm-up failed: %s", error)
        except Exception as error:
            self.error = type(error).__name__
            log.exception("warm-up failed")
        else:
            log.info("warm: model and index loaded in %.1f s", time.perf_counter() - started)
        finally:
            self.done.set()

    def _attempt(self) -> bool:
        """One try; False when Chroma was unavailable (and the warm-up should try again)."""
        try:
            if self.deps.index.count() == 0:
                log.warning("the index is empty: indexing %s now", self.deps.knowledge_dir)
                try:
                    self.deps.index.reindex()
                except IndexBusy:
                    log.info("another replica is indexing; waiting for it")
            self.deps.embeddings.embed_query("warm up the embedding model")
            self.deps.index.snapshot()
        except SearchUnavailable as error:
            if self.error is None:
                log.error("warm-up waits for Chroma: %s", error)
            self.error = str(error)
            return False
        self.error = None
        return True

    def start(self) -> None:
        threading.Thread(target=self.run, name="pmc-warmup", daemon=True).start()


class Readiness:
    """What /readyz reports: each dependency checked separately, the whole within `budget_s`.

    Redis being down degrades the replica (answers go on without caches, dedup falls back to this
    process) but keeps it ready: every replica shares that Redis, so taking them all out of the
    load balancer would stop answers for nothing. The report then lists it under "degraded".

    The checks run on two threads of their own, so a hung dependency holds none of the server's:
    one that hasn't answered within the budget is reported as such, and the next probe waits on
    the same check instead of starting another.
    """

    def __init__(self, deps: Deps, warmup: Warmup | None = None, budget_s: float = READY_BUDGET_S) -> None:
        self.deps = deps
        self.warmup = warmup
        self.budget_s = budget_s
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmc-readyz")
        self._checks: dict[str, concurrent.futures.Future[Any]] = {}
        self._lock = threading.Lock()

    def _check(self, name: str, check: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        with self._lock:
            future = self._checks.get(name)
            if future is None or future.done():
                future = self._checks[name] = self._pool.submit(check)
            return future

    def __call__(self) -> tuple[bool, dict[str, Any]]:
        report: dict[str, Any] = {}
        redis = self._check("redis", self.deps.store.ping) if self.deps.store.shared else None
        chroma = self._check("chroma", self.deps.index.count)
        concurrent.futures.wait([f for f in (redis, chroma) if f is not None], timeout=self.budget_s)
        late = f"unreachable: no answer within {self.budget_s:g} s"
        if redis is None:
            report["redis"] = "not configured (in-process state)"
        elif not redis.done():
            report["redis"] = late
        else:
            report["redis"] = "ok" if redis.exception() is None and redis.result() else "unreachable"
        chunks = 0
        if not chroma.done():
            report["chroma"] = late
        elif isinstance(error := chroma.exception(), PMCopilotError):
            report["chroma"] = f"unreachable: {error}"
        elif error is not None:
            report["chroma"] = f"unreachable: {type(error).__name__}"
        else:
            chunks = chroma.result()
            report["chroma"] = "ok"
        report["index"] = {"present": chunks > 0, "chunks": chunks}
        if self.warmup is not None:
            report["warm"] = self.warmup.done.is_set() and self.warmup.error is None
        ready = report["chroma"] == "ok" and chunks > 0 and report.get("warm", True) is True
        report["ready"] = ready
        if report["redis"].startswith("unreachable"):
            report["degraded"] = ["redis"]
        return ready, report


Body = Iterable[bytes]


class WebApp:
    """The WSGI application: Bolt at POST /slack/events, plus health, readiness and metrics."""

    def __init__(self, deps: Deps, app: App | None, warmup: Warmup | None = None) -> None:
        self.deps = deps
        self.slack = SlackRequestHandler(app, EVENTS_PATH) if app is not None else None
        self.readiness = Readiness(deps, warmup)

    @staticmethod
    def _send(start_response: StartResponse, status: str, body: bytes, content_type: str) -> Body:
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    def _json(self, start_response: StartResponse, status: str, payload: dict[str, Any]) -> Body:
        return self._send(start_response, status, json.dumps(payload).encode(), "application/json")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Body:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        if path == EVENTS_PATH and self.slack is not None:
            if method != "POST":
                return self._send(start_response, "405 Method Not Allowed", b"POST only\n", "text/plain")
            if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
                return self._send(start_response, "413 Payload Too Large", b"request body too large\n", "text/plain")
            try:
                return self.slack(environ, start_response)
            except (json.JSONDecodeError, UnicodeDecodeError):  # raised while Bolt parses the body, before any reply
                log.warning("unparseable request body at %s", EVENTS_PATH)
                return self._send(start_response, "400 Bad Request", b"malformed request body\n", "text/plain")
        if method != "GET":
            return self._send(start_response, "405 Method Not Allowed", b"GET only\n", "text/plain")
        if path == "/healthz":
            return self._json(start_response, "200 OK", {"status": "ok"})
        if path == "/readyz":
            ready, report = self.readiness()
            return self._json(start_response, "200 OK" if ready else "503 Service Unavailable", report)
        if path == "/metrics":
            return self._send(
                start_response, "200 OK", generate_latest(self.deps.metrics.registry), CONTENT_TYPE_LATEST
            )
        return self._send(start_response, "404 Not Found", b"not found\n", "text/plain")


def http_server(wsgi: Callable[..., Body], host: str, port: int, threads: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server (not yet running); it answers oversized bodies with 413 before reading them."""
    return waitress.create_server(  # type: ignore[attr-defined]
        wsgi,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_BODY_BYTES,
        ident="pm-copilot",
        clear_untrusted_proxy_headers=True,
    )


def serve(settings: Settings, *, force_http: bool = False, port: int | None = None, host: str = "0.0.0.0") -> None:
    """Run until interrupted: Socket Mode when SLACK_APP_TOKEN is set (unless force_http), else HTTP."""
    socket_mode = bool(settings.slack_app_token) and not force_http
    settings.require("slack_bot_token", "slack_app_token" if socket_mode else "slack_signing_secret")
    warn_if_single_process(settings)
    deps = build_deps(settings)
    try:
        app = build_app(deps)
    except (BoltError, SlackClientError) as error:  # auth.test refused the token, or Slack is unreachable
        raise PMCopilotError(f"can't start the Slack app: {redact(str(error))}") from error
    warmup = Warmup(deps)
    warmup.start()
    scheduler = ReindexScheduler(deps, slack=app.client)  # the nightly reindex, one replica per slot
    scheduler.start()
    port = port or settings.port
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler  # only Socket Mode needs its websocket client

        ops = http_server(WebApp(deps, None, warmup), host, port, threads=2)
        threading.Thread(target=ops.run, name="pmc-ops-http", daemon=True).start()
        log.info("Socket Mode: connecting to Slack; health and metrics on port %d", port)
        SocketModeHandler(app, settings.slack_app_token).start()
        return
    server = http_server(WebApp(deps, app, warmup), host, port, threads=settings.http_threads)
    log.info("HTTP mode: listening on %s:%d, Slack posts to %s", host, port, EVENTS_PATH)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        scheduler.stop()
        server.close()
