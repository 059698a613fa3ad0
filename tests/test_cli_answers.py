"""The answer commands as a user runs them: ask --stream/--json against a loopback LLM, stats, eval answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL, run_cli
from tests.openai_server import OpenAIServer, claims_reply

QUESTION = "What fallback rate is acceptable at launch?"


def test_ask_streams_then_json_and_stats_count_both(
    team_docs: Path, tmp_path: Path, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    env = {
        "DATA_DIR": str(tmp_path / "data"),
        "OPENAI_API_KEY": "sk-test-loopback-0000000000000000",
        "OPENAI_BASE_URL": openai_server.base_url,
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": redis_prefix,
    }
    openai_server.default = claims_reply(
        ("Keep it under 5% at launch.", 1, "Keep it under 5% at launch."),
        ("Invented.", 4, "an invented figure"),
    )
    streamed = run_cli("ask", "--stream", "--knowledge", str(team_docs), "-k", "2", QUESTION, env=env)
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.startswith("Keep it under 5% at launch [1].\n")
    assert "Sources:\n  [1] Launch checklist — Fallback rate (playbook/launch.md)" in streamed.stdout
    assert openai_server.requests[0]["body"]["stream"] is True

    # A second process asks twice more. The knowledge folder hasn't changed, so `ask` leaves the index (and its
    # version) alone and both answers come from the cache the first run filled: no new LLM call.
    batch = run_cli("ask", "--knowledge", str(team_docs), "-k", "2", stdin=f"{QUESTION}\n{QUESTION.lower()}\n", env=env)
    first, second = (json.loads(line) for line in batch.stdout.splitlines())
    assert first["mode"] == second["mode"] == "generated"
    assert first["answer"] == second["answer"] == "Keep it under 5% at launch [1]."
    assert openai_server.calls == 1

    stats = run_cli("stats", "--json", env=env)
    day = json.loads(stats.stdout.splitlines()[0])
    assert (day["window"], day["questions"], day["cache_hit_rate"]) == ("24h", 3, pytest.approx(2 / 3))
    assert day["cost_usd"] > 0

    # Editing the knowledge makes the next `ask` reindex, which bumps the index version: the cache entry is stale.
    launch = team_docs / "playbook" / "launch.md"
    launch.write_text(launch.read_text() + "\nReview the fallback rate every week.\n")
    again = run_cli("ask", "--json", "--knowledge", str(team_docs), "-k", "2", QUESTION, env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["mode"] == "generated"
    assert openai_server.calls == 2


def test_eval_answers_offline_scores_a_golden_set(team_docs: Path, tmp_path: Path) -> None:
    golden = tmp_path / "golden.yaml"
    golden.write_text(
        "- id: fallback\n  question: What fallback rate is acceptable at launch?\n  answerable: true\n"
        "  expected_sources: [playbook/launch.md]\n"
        "- id: weather\n  question: Will it rain in Lisbon tomorrow?\n  answerable: false\n"
    )
    result = run_cli(
        "eval",
        "answers",
        "--golden",
        str(golden),
        "--knowledge",
        str(team_docs),
        "--json",
        env={"DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "extractive" and report["questions"] == 2
    assert report["expected_source_cited"] == 1.0 and report["declined_when_unanswerable"] == 1.0
    assert report["fabricated_citations"] == 0 and report["misses"] == []


def test_eval_answers_calibrate_prints_accuracy_per_threshold(team_docs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "golden"
    folder.mkdir()
    (folder / "answerable.txt").write_text("What fallback rate is acceptable at launch?\nWhat is our cost budget?\n")
    (folder / "unanswerable.txt").write_text("Who won the 1998 World Cup?\nBest banana bread recipe?\n")
    (folder / "answers.yaml").write_text("[]\n")
    result = run_cli(
        "eval",
        "answers",
        "--calibrate",
        "--golden",
        str(folder / "answers.yaml"),
        "--knowledge",
        str(team_docs),
        env={"DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    assert "best threshold" in result.stdout and "| threshold | answerable kept |" in result.stdout
    assert "2 answerable and 2 unanswerable questions" in result.stdout
