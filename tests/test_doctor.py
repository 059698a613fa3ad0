"""`pm-copilot doctor` against real Redis and Chroma servers and loopback Slack and LLM endpoints."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings, load_settings
from bot.ops.doctor import Check, healthy, render, run_checks, safe_url
from bot.ops.doctor.local import check_settings
from tests import openai_server
from tests.conftest import REDIS_URL, HashingEmbeddings
from tests.local_servers import ChromaServer, free_port
from tests.slack_api import SlackAPI


@pytest.fixture
def llm() -> Iterator[openai_server.OpenAIServer]:
    with openai_server.running() as server:
        yield server


@pytest.fixture
def env(
    tmp_path: Path, knowledge_copy: Path, chroma: ChromaServer, slack: SlackAPI, llm: openai_server.OpenAIServer
) -> dict[str, str]:
    """A healthy deployment's environment: every dependency up, a collection of its own on the Chroma server."""
    return {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": "a-signing-secret",
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": REDIS_URL,
        "CHROMA_URL": chroma.url,
        "CHROMA_COLLECTION": f"doctor-{uuid.uuid4().hex[:8]}",
        "KNOWLEDGE_DIR": str(knowledge_copy),
        "DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "sk-test-doctor-0123456789abcdef",
        "OPENAI_BASE_URL": llm.base_url,
        "PM_ADMINS": "U012AB3CD",
        "REINDEX_REPORT_CHANNEL": "C0OPS",
    }


def settings_of(env: dict[str, str], **changes: str | None) -> Settings:
    values: dict[str, Any] = {key.lower(): value for key, value in {**env, **changes}.items() if value is not None}
    return load_settings(**values)


def build_index(settings: Settings, make_deps: Any) -> None:
    overrides = {
        name: getattr(settings, name) for name in ("chroma_url", "chroma_collection", "redis_url", "cache_prefix")
    }
    make_deps(settings.knowledge_dir, HashingEmbeddings(), **overrides).index.reindex()


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_a_healthy_deployment_passes(env: dict[str, str], make_deps: Any, slack: SlackAPI) -> None:
    settings = settings_of(env)
    build_index(settings, make_deps)

    checks = by_name(run_checks(settings, timeout_s=5))

    assert {name: check.status for name, check in checks.items()} == {
        "settings": "ok",
        "slack": "ok",
        "redis": "warn",  # the test Redis runs without append-only persistence, and doctor says so
        "chroma": "ok",
        "index": "ok",
        "knowledge": "ok",
        "data dir": "ok",
        "llm": "ok",
        "embeddings": "ok",
    }
    assert "appendonly" in checks["redis"].fix
    assert "@pm-copilot" in checks["slack"].detail and len(slack.calls("auth.test")) == 1
    assert "in step with the folder" in checks["index"].detail
    assert checks["llm"].detail.endswith("1-token completion with gpt-4o-mini")


@pytest.mark.parametrize(
    ("changes", "name", "detail", "fix"),
    [
        ({"SLACK_BOT_TOKEN": None}, "slack", "SLACK_BOT_TOKEN", "Slack app's settings"),
        ({"SLACK_SIGNING_SECRET": None}, "slack", "SLACK_SIGNING_SECRET", "Slack app's settings"),
        ({"SLACK_API_URL": "http://127.0.0.1:{port}/api/"}, "slack", "can't reach the Slack Web API", "SLACK_API_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:{port}/0"}, "redis", "no answer", "start Redis"),
        ({"CHROMA_URL": "http://127.0.0.1:{port}"}, "chroma", "no answer from the Chroma server", "chroma run"),
        ({"CHROMA_URL": "http://127.0.0.1:{port}"}, "index", "Chroma can't be reached", "chroma check"),
        ({"KNOWLEDGE_DIR": "/nonexistent/knowledge"}, "knowledge", "isn't a folder", "KNOWLEDGE_DIR"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:{port}/v1"}, "llm", "can't reach", "OPENAI_BASE_URL"),
        ({"PM_ADMINS": "alice,U012AB3CD"}, "settings", "alice", "U012AB3CD"),
        ({"REINDEX_REPORT_CHANNEL": "#launches"}, "settings", "isn't a channel ID", "channel's ID"),
        ({"REINDEX_CRON": "every night at 2"}, "settings", "REINDEX_CRON", "five fields"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token-1234567890"}, "settings", "isn't a bot token", "xoxb-"),
        ({"EMBEDDING_MODEL": "text-embedding-3-small", "OPENAI_API_KEY": None}, "embeddings", "needs", "set it"),
    ],
    ids=lambda value: value if isinstance(value, str) and " " not in value else None,
)
def test_each_problem_is_named_with_its_fix(
    env: dict[str, str], changes: dict[str, str | None], name: str, detail: str, fix: str
) -> None:
    closed = free_port()  # nothing listens here
    settings = settings_of(env, **{key: value and value.format(port=closed) for key, value in changes.items()})

    checks = run_checks(settings, timeout_s=3)

    check = by_name(checks)[name]
    assert check.status == "fail", render(checks)
    assert detail in check.detail and fix in check.fix
    assert not healthy(checks)


def test_slack_refusing_the_token(env: dict[str, str], slack: SlackAPI) -> None:
    slack.script("auth.test", {"ok": False, "error": "invalid_auth"})
    check = by_name(run_checks(settings_of(env), timeout_s=3))["slack"]
    assert check.status == "fail" and "invalid_auth" in check.detail and "reinstall" in check.fix


def test_socket_mode_checks_the_app_token(env: dict[str, str], slack: SlackAPI) -> None:
    settings = settings_of(env, SLACK_APP_TOKEN="xapp-1-test", SLACK_SIGNING_SECRET=None)
    check = by_name(run_checks(settings, timeout_s=3))["slack"]
    assert check.status == "ok" and "Socket Mode token ok" in check.detail
    (opened,) = slack.calls("apps.connections.open")
    assert opened.headers["authorization"] == "Bearer xapp-1-test"


@pytest.mark.parametrize(
    ("step", "detail", "fix", "status"),
    [
        (openai_server.unauthorized(), "refused the key", "OPENAI_API_KEY", "fail"),
        (openai_server.insufficient_quota(), "no quota", "credit", "fail"),
        (
            openai_server.error(404, "model_not_found", "The model does not exist"),
            "model not found",
            "LLM_MODEL",
            "fail",
        ),
        (openai_server.rate_limited(), "rate limited", "retry later", "warn"),
    ],
    ids=["401", "quota", "404", "429"],
)
def test_llm_endpoint_problems(
    env: dict[str, str], llm: openai_server.OpenAIServer, step: openai_server.Step, detail: str, fix: str, status: str
) -> None:
    llm.script(step)
    check = by_name(run_checks(settings_of(env), timeout_s=3))["llm"]
    assert (check.status, detail in check.detail, fix in check.fix) == (status, True, True), check
    assert llm.requests[0]["body"]["max_tokens"] == 1  # the cheapest possible probe


def test_llm_off_is_not_a_problem(env: dict[str, str]) -> None:
    checks = run_checks(settings_of(env, OPENAI_API_KEY=None), timeout_s=3)
    assert by_name(checks)["llm"].status == "off"


def test_no_index_yet(env: dict[str, str]) -> None:
    check = by_name(run_checks(settings_of(env), timeout_s=3))["index"]
    assert check.status == "fail" and "no index yet" in check.detail and "pm-copilot reindex" in check.fix


def test_a_stale_index_and_pending_changes(env: dict[str, str], make_deps: Any, knowledge_copy: Path) -> None:
    settings = settings_of(env)
    build_index(settings, make_deps)
    (knowledge_copy / "prds" / "new-feature.md").write_text("# New feature\n\nA PRD added after the reindex.\n")

    fresh = by_name(run_checks(settings, timeout_s=5))["index"]
    assert fresh.status == "ok" and "1 file(s) changed since" in fresh.detail

    three_days_on = datetime.now(UTC) + timedelta(days=3)
    stale = by_name(run_checks(settings, timeout_s=5, clock=lambda: three_days_on))["index"]
    assert stale.status == "fail" and "stale" in stale.detail and "scheduled reindex" in stale.fix


def test_with_an_external_cron_the_index_age_is_reported_not_judged(env: dict[str, str], make_deps: Any) -> None:
    settings = settings_of(env, REINDEX_CRON="off")
    build_index(settings, make_deps)
    three_days_on = datetime.now(UTC) + timedelta(days=3)
    checks = by_name(run_checks(settings, timeout_s=5, clock=lambda: three_days_on))
    assert checks["settings"].status == "ok" and "external cron" in checks["settings"].detail
    assert checks["index"].status == "ok" and "built " in checks["index"].detail


def test_the_redis_password_and_keys_never_show(env: dict[str, str]) -> None:
    settings = settings_of(env, REDIS_URL=f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0")
    report = render(run_checks(settings, timeout_s=3))
    assert "hunter2" not in report and "redis://:***@127.0.0.1" in report
    assert env["OPENAI_API_KEY"] not in report and env["SLACK_BOT_TOKEN"] not in report
    assert safe_url("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"


def test_checks_run_side_by_side(env: dict[str, str], slack: SlackAPI, llm: openai_server.OpenAIServer) -> None:
    """A hanging Slack and a hanging LLM each cost their timeout, at the same time, not the hang."""
    slack.script("auth.test", lambda call: time.sleep(10) or {"ok": True})
    llm.script(openai_server.hang(10))
    started = time.monotonic()
    checks = by_name(run_checks(settings_of(env), timeout_s=2))
    assert time.monotonic() - started < 7
    assert checks["slack"].status == "fail" and checks["llm"].status == "fail"


# -- the command ----------------------------------------------------------------------------


def invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, ["doctor", *args], env=env, catch_exceptions=False)


def test_doctor_command_exits_zero_when_healthy(env: dict[str, str], make_deps: Any) -> None:
    build_index(settings_of(env), make_deps)
    result = invoke(env)
    assert result.exit_code == 0, result.output
    assert "✓ slack" in result.output and "All good (1 warning(s))." in result.output


def test_doctor_command_exits_non_zero_and_says_how_to_fix(env: dict[str, str]) -> None:
    result = invoke({**env, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "--json")
    assert result.exit_code == 1
    checks = {item["name"]: item for item in map(json.loads, result.stdout.splitlines())}
    assert checks["redis"]["status"] == "fail" and checks["redis"]["fix"]
    assert checks["index"]["status"] == "fail"  # nothing indexed in this collection


def test_doctor_reports_settings_that_dont_parse(env: dict[str, str]) -> None:
    result = invoke({**env, "TOP_K": "lots"})
    assert result.exit_code == 1
    assert "✗ settings" in result.output and "top_k" in result.output.lower() and "fix:" in result.output


def test_doctor_warns_when_another_embedding_model_keeps_the_local_models_threshold(tmp_path: Path) -> None:
    other = load_settings(data_dir=tmp_path, embedding_model="text-embedding-3-small")
    check = check_settings(other)
    assert check.status == "warn" and "MIN_EVIDENCE" in check.detail and "--calibrate" in check.fix
    assert check_settings(other.model_copy(update={"min_evidence": 0.42})).status == "ok"
    assert check_settings(load_settings(data_dir=tmp_path)).status == "ok"
