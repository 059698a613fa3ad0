from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answers import EXTRACTIVE_NOTE, answer_question
from bot.deps import Deps
from bot.errors import InputError
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = {"question", "answered", "answer", "mode", "sources", "latency_ms"}
SOURCE_KEYS = {"path", "title", "section", "score", "snippet"}


def test_extractive_answer_quotes_and_cites_the_right_page(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "What is the human override rate and how do we measure it?")
    assert answer.answered and answer.mode == "extractive"
    assert answer.answer.startswith(EXTRACTIVE_NOTE)
    assert "[1]" in answer.answer and ">" in answer.answer
    assert answer.sources[0].path == "playbook/ai-metrics.md"
    assert "override" in answer.answer.lower()
    assert answer.notice and "OPENAI_API_KEY" in answer.notice


def test_prd_question_finds_the_prd(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "What is the p95 latency target for the ticket thread summarizer?")
    assert answer.answered
    assert "prds/ticket-thread-summarizer.md" in [source.path for source in answer.sources]


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "How do I expense a flight to Berlin?", "Best recipe for banana bread?"],
)
def test_weak_evidence_declines_with_the_closest_sources(bundled_deps: Deps, question: str) -> None:
    answer = answer_question(bundled_deps, question)
    assert not answer.answered
    assert answer.answer.startswith("I don't know")
    assert len(answer.sources) <= 3
    assert "[1]" not in answer.answer


def test_doctype_filter_keeps_to_the_playbook(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "What are the success metrics for semantic search?", doctypes=["playbook"])
    assert answer.sources and all(source.path.startswith("playbook/") for source in answer.sources)


@pytest.mark.parametrize(("question", "message"), [("   ", "Ask a question"), ("x" * 2001, "under 2,000")])
def test_empty_or_oversized_questions_get_a_usage_hint(bundled_deps: Deps, question: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        answer_question(bundled_deps, question)


def test_fifty_questions_reuse_one_loaded_model(bundled_deps: Deps) -> None:
    model = bundled_deps.embeddings.model
    loaded = model.load()  # type: ignore[attr-defined]
    snapshot = bundled_deps.index.snapshot()
    questions = [line.strip() for line in (ROOT / "tests/golden/answerable.txt").read_text().splitlines() if line]
    answers = [answer_question(bundled_deps, questions[i % len(questions)] + f" ({i})") for i in range(50)]
    assert len(answers) == 50
    assert model.load() is loaded  # type: ignore[attr-defined]
    assert bundled_deps.index.snapshot() is snapshot


def test_ask_json_contract_and_batch_mode(team_docs: Path, tmp_path: Path) -> None:
    env = {"DATA_DIR": str(tmp_path / "cli-data")}
    single = run_cli(
        "ask",
        "--json",
        "--knowledge",
        str(team_docs),
        "-k",
        "2",
        "What fallback rate is acceptable at launch?",
        env=env,
    )
    assert single.returncode == 0, single.stderr
    payload = json.loads(single.stdout)
    assert set(payload) == CONTRACT
    assert payload["answered"] is True and payload["mode"] == "extractive"
    assert payload["sources"] and set(payload["sources"][0]) == SOURCE_KEYS
    assert payload["sources"][0]["path"] == "playbook/launch.md"
    assert payload["sources"][0]["section"] == "Fallback rate"

    batch = run_cli(
        "ask",
        "--knowledge",
        str(team_docs),
        stdin="What is our cost per query budget?\n\nWho won the 1998 World Cup?\n" + "y" * 3000 + "\n",
        env=env,
    )
    assert batch.returncode == 0, batch.stderr
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False, False]
    assert lines[0]["sources"][0]["section"] == "Cost per query"
    assert set(lines[1]) == CONTRACT
    assert "error" in lines[2] and "2,000" in lines[2]["error"]

    # Two asks over an unchanged folder indexed it once: the version (and the answer cache) stayed.
    report = run_cli("reindex", "--dry-run", "--json", "--knowledge", str(team_docs), env=env)
    assert json.loads(report.stdout)["version"] == 1
    assert "Loading" not in batch.stderr  # no progress bars between log lines


def test_ask_reports_a_missing_knowledge_folder(tmp_path: Path) -> None:
    result = run_cli("ask", "--knowledge", str(tmp_path / "nope"), "anything?", env={"DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "knowledge folder not found" in result.stderr
    assert "Traceback" not in result.stderr
