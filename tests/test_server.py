"""`pm-copilot serve` and `manifest`: health, readiness, metrics, start-up checks, and a real server process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.ops.server import Warmup
from bot.slack.manifest import BOT_EVENTS, BOT_SCOPES
from bot.wiring import Deps
from tests.conftest import REDIS_URL, HashingEmbeddings, MakeSlackHarness, write
from tests.local_servers import ChromaServer, SilentServer
from tests.slack_api import SlackAPI
from tests.slack_harness import SIGNING_SECRET, SlackHarness, command_body, signed_headers

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "playbook/metrics.md", "# Metrics\n\n## Launch metrics\n\nMeasure accuracy, latency and cost.")
    return root


@pytest.fixture
def make_harness(
    make_slack_harness: MakeSlackHarness, folder: Path, hashing_model: HashingEmbeddings
) -> Callable[..., SlackHarness]:
    def factory(indexed: bool = True, **overrides: Any) -> SlackHarness:
        return make_slack_harness(folder, hashing_model, indexed=indexed, **overrides)

    return factory


def test_healthz_answers_while_the_process_lives(make_harness: Callable[..., SlackHarness]) -> None:
    response = make_harness(indexed=False).http.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_reports_each_dependency_and_is_ready_once_indexed(make_harness: Callable[..., SlackHarness]) -> None:
    harness = make_harness()
    response = harness.http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"redis": "ok", "chroma": "ok", "index": {"present": True, "chunks": 1}, "ready": True}


def test_readyz_is_503_without_an_index(make_harness: Callable[..., SlackHarness]) -> None:
    response = make_harness(indexed=False).http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["index"] == {"present": False, "chunks": 0} and body["redis"] == "ok" and body["ready"] is False


def test_readyz_stays_ready_but_degraded_when_redis_is_unreachable(
    make_harness: Callable[..., SlackHarness],
) -> None:
    make_harness()  # index the folder while Redis is up; the replica below shares its Chroma
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    harness = make_harness(indexed=False, redis_url=f"redis://127.0.0.1:{closed_port}/0")
    response = harness.http.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert (body["redis"], body["chroma"], body["ready"], body["degraded"]) == ("unreachable", "ok", True, ["redis"])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("hung", ["redis", "chroma"])
def test_readyz_answers_within_a_second_whatever_the_dependencies_do(
    make_harness: Callable[..., SlackHarness], hung: str
) -> None:
    make_harness()  # index the folder on the machine's Redis and the embedded Chroma
    with SilentServer() as server:
        # Timeouts far longer than the probe's budget: the report can't wait for them.
        setting = {"redis": {"redis_url": server.url("redis"), "redis_timeout_s": 60}}.get(
            hung, {"chroma_url": server.url(), "chroma_timeout_s": 60}
        )
        harness = make_harness(indexed=False, **setting)
        probes = [harness.http.get("/readyz", timeout=5) for _ in range(3)]
        assert harness.http.get("/healthz").status_code == 200
        assert server.connections == 1  # the probes share the one check in flight
    for response in probes:
        body = response.json()
        assert body[hung] == "unreachable: no answer within 0.8 s", body
        if hung == "redis":  # degraded, still ready: answers go on without Redis
            assert (response.status_code, body["ready"], body["degraded"]) == (200, True, ["redis"])
        else:
            assert (response.status_code, body["ready"]) == (503, False)


def test_metrics_are_prometheus_text(make_harness: Callable[..., SlackHarness], slack: SlackAPI) -> None:
    harness = make_harness()
    _, response_url = harness.command("What should we measure?")
    slack.wait_for("response_url", path=response_url)
    response = harness.http.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert "pmc_questions_total" in response.text


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/slack/events", 405), ("POST", "/healthz", 405), ("GET", "/nope", 404)]
)
def test_other_routes(make_harness: Callable[..., SlackHarness], method: str, path: str, status: int) -> None:
    assert make_harness(indexed=False).http.request(method, path).status_code == status


def test_warmup_indexes_an_empty_index_and_loads_the_model(
    make_deps: Callable[..., Deps], folder: Path, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    warmup = Warmup(deps)
    warmup.run()
    assert warmup.done.is_set() and warmup.error is None
    assert deps.index.count() == 1
    assert hashing_model.texts_embedded == 2  # the chunk, then the warm-up query


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_warmup_waits_for_a_chroma_server_that_starts_later(
    make_deps: Callable[..., Deps], folder: Path, hashing_model: HashingEmbeddings, tmp_path: Path
) -> None:
    """`serve` may start before Chroma: the warm-up keeps trying, and the replica turns ready when Chroma is up."""
    chroma = ChromaServer(tmp_path / "chroma", log_path=tmp_path / "chroma.log")  # not started yet
    deps = make_deps(folder, hashing_model, chroma_url=chroma.url, breaker_cooldown_s=0.2)
    warmup = Warmup(deps, retry_s=0.2)
    warmup.start()
    deadline = time.monotonic() + 30
    while warmup.error is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert warmup.error is not None and "can't be reached" in warmup.error and not warmup.done.is_set()
    chroma.start()
    try:
        assert warmup.done.wait(60) and warmup.error is None
        assert deps.index.count() == 1
    finally:
        chroma.kill()


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
    ],
)
def test_serve_refuses_to_start_without_credentials(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--http"])
    assert result.exit_code == 1
    assert f"Error: {missing}" in result.output and "must be set" in result.output


def test_serve_says_so_when_slack_refuses_the_token(
    monkeypatch: pytest.MonkeyPatch, slack: SlackAPI, folder: Path
) -> None:
    slack.script("auth.test", {"ok": False, "error": "invalid_auth"})
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-revoked-0000",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.api_url,
        "KNOWLEDGE_DIR": str(folder),
    }.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--http", "--port", "1"])
    assert result.exit_code == 1
    assert "can't start the Slack app" in result.output and "invalid_auth" in result.output
    assert "xoxb-revoked-0000" not in result.output


def test_manifest_lists_the_command_events_assistant_and_only_used_scopes() -> None:
    result = CliRunner().invoke(cli, ["manifest", "--url", "https://pm.example.com/"])
    assert result.exit_code == 0
    manifest = yaml.safe_load(result.output)
    assert manifest["oauth_config"]["scopes"]["bot"] == BOT_SCOPES
    [command] = manifest["features"]["slash_commands"]
    assert (command["command"], command["url"]) == ("/pm", "https://pm.example.com/slack/events")
    assert "assistant_description" in manifest["features"]["assistant_view"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True  # the Home tab, on app_home_opened
    assert "app_home_opened" in BOT_EVENTS
    settings = manifest["settings"]
    assert settings["event_subscriptions"] == {
        "bot_events": BOT_EVENTS,
        "request_url": "https://pm.example.com/slack/events",
    }
    assert settings["interactivity"] == {"is_enabled": True, "request_url": "https://pm.example.com/slack/events"}
    assert settings["socket_mode_enabled"] is False


def test_manifest_without_a_url_is_for_socket_mode() -> None:
    manifest = yaml.safe_load(CliRunner().invoke(cli, ["manifest"]).output)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "request_url" not in manifest["settings"]["interactivity"]


def test_every_scope_in_the_manifest_is_used_by_the_code() -> None:
    modules = (
        "slack/app.py",
        "slack/surface.py",
        *(f"slack/listeners/{name}.py" for name in ("commands", "actions", "mentions", "assistant", "digests", "home")),
        "slack/threads.py",
        "slack/access.py",
        "slack/channels.py",
        "slack/digests.py",
    )
    source = "\n".join((ROOT / "bot" / name).read_text() for name in modules)
    used_by = {
        "app_mentions:read": "app_mention",
        "assistant:write": "set_suggested_prompts",
        "channels:history": "conversations_replies",
        "groups:history": "conversations_replies",
        "chat:write": "chat_postMessage",
        "commands": "app.command",
        "files:read": "url_private_download",
        "files:write": "files_upload_v2",
        "im:history": 'app.event("message")',
        "im:write": "conversations_open",
        "reactions:write": "reactions_add",
        "users:read": "users_info",
        "channels:read": "conversations_info",
        "groups:read": "users_conversations",
    }
    assert sorted(used_by) == sorted(BOT_SCOPES)
    assert all(needle in source for needle in used_by.values())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_serve_http_end_to_end(tmp_path: Path, slack: SlackAPI, folder: Path, redis_prefix: str) -> None:
    """The real `pm-copilot serve --http` process: it warms up, turns ready, acks /pm and answers."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "PM_"))},
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KNOWLEDGE_DIR": str(folder),
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": redis_prefix,
        "LOG_FORMAT": "json",
        "MIN_EVIDENCE": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 120
            ready: dict[str, Any] = {}
            while time.monotonic() < deadline and not ready.get("ready"):
                time.sleep(0.5)
                try:
                    ready = http.get("/readyz").json()
                except httpx.TransportError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert ready == {
                "redis": "ok",
                "chroma": "ok",
                "index": {"present": True, "chunks": 1},
                "warm": True,
                "ready": True,
            }
            response_url = slack.response_url()
            body = command_body("What should we measure?", response_url)
            ack = http.post(
                "/slack/events", content=body, headers=signed_headers(body, "application/x-www-form-urlencoded")
            )
            assert ack.status_code == 200 and ack.json()["text"].startswith(":mag: Looking that up")
            [answer] = slack.wait_for("response_url", path=response_url, timeout=60)
            assert "playbook/metrics.md" in json.dumps(answer.params["blocks"])
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()


@pytest.mark.slow
def test_serve_in_socket_mode_connects_to_slack_and_keeps_health_on_port(
    tmp_path: Path, slack: SlackAPI, folder: Path, redis_prefix: str
) -> None:
    """With SLACK_APP_TOKEN set, `pm-copilot serve` opens a Socket Mode connection with the app token (no signing
    secret needed) and answers /healthz, /readyz and /metrics on PORT; Slack's events don't come over HTTP."""
    app_token = "xapp-1-A0PMC-0000-test"
    # Slack hands out a WebSocket URL; this one refuses, so the client keeps asking for a new one.
    slack.script("apps.connections.open", {"ok": True, "url": f"ws://127.0.0.1:{free_port()}/link"})
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "PM_"))},
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_APP_TOKEN": app_token,
        "SLACK_API_URL": slack.api_url,
        "PORT": str(port),
        "KNOWLEDGE_DIR": str(folder),
        "DATA_DIR": str(tmp_path / "data"),
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": redis_prefix,
        "LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 120
            health = 0
            while time.monotonic() < deadline and health != 200:
                time.sleep(0.5)
                try:
                    health = http.get("/healthz").status_code
                except httpx.TransportError:
                    assert process.poll() is None, "serve exited in Socket Mode"
            assert health == 200
            readyz = http.get("/readyz")  # 503 while it warms up and indexes, then 200
            assert readyz.status_code in (200, 503) and readyz.json()["redis"] == "ok"
            assert "pmc_" in http.get("/metrics").text
            body = command_body("What should we measure?", slack.response_url())
            events = http.post(
                "/slack/events", content=body, headers=signed_headers(body, "application/x-www-form-urlencoded")
            )
            assert events.status_code == 405  # PORT serves the probes (GET) only; events come over the socket
        [opened, *_] = slack.wait_for("apps.connections.open", timeout=60)
        assert opened.headers["authorization"] == f"Bearer {app_token}"
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)
