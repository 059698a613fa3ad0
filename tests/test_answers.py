from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answers.answer import EXTRACTIVE_NOTE, TURN_CHARS, answer_question, prompt_history
from bot.knowledge.embeddings import EmbeddingModel
from bot.wiring import Deps
from tests.conftest import MakeDeps, run_cli, write

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = {"question", "answered", "answer", "mode", "sources", "latency_ms", "lang"}  # "lang": an addition
SOURCE_KEYS = {"path", "title", "section", "score", "snippet"}


def test_extractive_answer_quotes_and_cites_the_right_page(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "What is the human override rate and how do we measure it?")
    assert answer.answered and answer.mode == "extractive"
    assert answer.markdown.startswith(EXTRACTIVE_NOTE)
    assert "[1]" in answer.markdown and ">" in answer.markdown
    assert "playbook/ai-metrics.md" in [source.path for source in answer.sources]
    # Each quote marks the sentence that answers in bold; the metric page's is how to measure it.
    assert "**How to measure: Log accept, edit and reject actions per output;" in answer.markdown
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
    assert answer.markdown.startswith("I don't know")
    assert len(answer.sources) <= 3
    assert "[1]" not in answer.markdown


def test_doctype_filter_keeps_to_the_playbook(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "What are the success metrics for semantic search?", doctypes=["playbook"])
    assert answer.sources and all(source.path.startswith("playbook/") for source in answer.sources)


def test_history_keeps_the_latest_turns_that_fit_and_redacts_them() -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    history = [("user", "old " * 500), ("assistant", "older answer"), ("user", f"my key is {secret}")]
    kept = prompt_history(history, 100)
    assert [role for role, _ in kept] == ["assistant", "user"]
    assert secret not in kept[1][1] and kept[1][1].startswith("my key is ")


def test_a_huge_turn_is_cut_at_a_space_before_it_is_counted() -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    # The secret straddles the cut: it goes whole, so no fragment of it reaches the model.
    text = "word " * (TURN_CHARS // 5 - 2) + "key " + secret + " tail " * 1000
    ((_, kept),) = prompt_history([("user", text)], 100_000)
    assert kept.endswith("key …") and len(kept) <= TURN_CHARS + 2
    assert "sk-proj" not in kept


def test_fifty_questions_reuse_one_loaded_model(bundled_deps: Deps) -> None:
    model = bundled_deps.embeddings.model
    loaded = model.load()  # type: ignore[attr-defined]
    snapshot = bundled_deps.index.snapshot()
    questions = [line.strip() for line in (ROOT / "tests/golden/answerable.txt").read_text().splitlines() if line]
    misses = bundled_deps.embeddings._query.cache_info().misses
    asked = [questions[i % len(questions)] + f" ({i})" for i in range(50)]
    answers = [answer_question(bundled_deps, question) for question in asked]
    # Each question went through the model (none came from a cache) and was answered from the snapshot; a German or
    # Dutch one also as its English gloss (bot.knowledge.retrieval.GLOSS_QUERIES).
    glosses = {gloss for question in asked if (gloss := snapshot.keyword.gloss(question)) is not None}
    assert bundled_deps.embeddings._query.cache_info().misses - misses == 50 + len(glosses)
    assert all(answer.sources for answer in answers)
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


def test_a_key_pasted_into_a_document_is_never_quoted(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    key = "sk-proj-" + "Wd4" * 14
    write(
        tmp_path / "kb",
        "prds/staging.md",
        "# Staging set-up\n\n## Access\n\nThe staging environment for the ticket summarizer uses the OpenAI key "
        f"{key} and the fallback rate there must stay under 5% before launch.\n",
    )
    deps = make_deps(tmp_path / "kb", local_model)
    deps.index.reindex()
    answer = answer_question(deps, "Which OpenAI key does the staging environment of the ticket summarizer use?")
    shown = answer.as_json()
    assert answer.answered and answer.sources
    assert "sk-proj-" in answer.markdown and key not in str(shown)
    cached = answer_question(deps, "Which OpenAI key does the staging environment of the ticket summarizer use?")
    assert cached.cached and key not in str(cached.as_json())
