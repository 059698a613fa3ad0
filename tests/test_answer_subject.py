"""Which document a question names: rare words of a document's title or file name, or the feature's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.subject import named_document
from bot.knowledge.embeddings import EmbeddingModel
from tests.conftest import MakeDeps, write

DOCS = {
    "prds/dobie-online-bedrijfsarts.md": "# Concept & PRD – DoBie\n\nDoBie beantwoordt verzuimvragen.\n",
    "prds/semantic-scout.md": "# SemanticScout - Product Requirements Document\n\nSemantic search over documents.\n",
    "prds/help-center-search.md": "# Help Center Semantic Search PRD\n\nSearch over help articles.\n",
    "prds/meeting-notes-assistant.md": "# PRD: Meeting Notes Assistant\n\nSummarises meetings.\n",
    "prds/ai-meeting-notes.md": "# Product Requirements Document\n\nMeeting notes from audio.\n",
    "prds/ki-assistent.md": "# KI-Assistent (Multi-Channel)\n\nTelefon, E-Mail und Chat.\n",
    "prds/thorn.md": "# Thorn — Content Moderation\n\nThorn moderates posts.\n",
    "prds/moderation-thresholds.md": "# Content Moderation System - Confidence Score Thresholds & Rules\n\nScores.\n",
    "prds/schueler-tutor.md": "# Tutor für Schüler\n\nLatein-Übungen.\n",
    "prds/flashcard-generator-10xcards.md": "# Product Requirements Document: 10xCards\n\nFlashcards from notes.\n",
    "prds/allianzgpt-chat-workspace.md": "# Product Requirements Document\n\nAn internal AI chat workspace.\n",
    "prds/asr-transcription-api.md": "# Malaysian ASR transcription\n\nSpeech to text.\n",
}


def test_the_document_a_question_names(tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel) -> None:
    for path, text in DOCS.items():
        write(tmp_path / "kb", path, text)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    snapshot = deps.index.snapshot()
    every = list(DOCS)

    assert named_document("How long is the DoBie trial?", snapshot, every) == "prds/dobie-online-bedrijfsarts.md"
    # A possessive, and a German inflection of the name ("KI-Assistenten").
    assert named_document("What is SemanticScout's launch date?", snapshot, every) == "prds/semantic-scout.md"
    assert named_document("Was kostet der KI-Assistenten-Tarif?", snapshot, every) == "prds/ki-assistent.md"
    # One common word shared with a title, written in lower case, names nothing.
    assert named_document("Should we fine-tune on help articles or use retrieval?", snapshot, every) is None
    # Two documents share the name words as much: no guess.
    assert named_document("What does the meeting notes tool cost?", snapshot, every) is None
    # Words for what is asked name no document, even when a title holds them.
    thorn = "Below what confidence score does Thorn's content moderation hold a post?"
    assert named_document(thorn, snapshot, every) == "prds/thorn.md"
    # German capitalises every noun: "Schüler" is no name there, "KI-Assistent" still is.
    assert named_document("Wie viele Quizze darf ein Schüler am Tag erzeugen?", snapshot, every) is None
    assert named_document("Wie viele Anrufe nimmt der KI-Assistent pro Monat an?", snapshot, every) == (
        "prds/ki-assistent.md"
    )
    # Only candidates (the retrieved documents, within the channel's scope) can be named.
    assert named_document("How long is the DoBie trial?", snapshot, ["prds/semantic-scout.md"]) is None
    # A name may start with a digit, and one written in mixed case outweighs an acronym another title holds.
    assert named_document("What's the D30 retention target for 10xCards?", snapshot, every) == (
        "prds/flashcard-generator-10xcards.md"
    )
    assert named_document("What's the monthly API budget for AllianzGPT Custom?", snapshot, every) == (
        "prds/allianzgpt-chat-workspace.md"
    )


def test_a_mixed_case_name_finds_its_document_beyond_the_retrieved_passages_within_the_scope(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.answers.answer as answering
    from bot.answers.answer import gather
    from bot.answers.subject import spelled_documents

    write(tmp_path / "kb", "prds/prodai-notes.md", "# ProDAI MVP – PRD\n\nTurns messy notes into summaries.\n")
    for name in ("seats", "plans", "tiers"):
        write(
            tmp_path / "kb",
            f"pricing/{name}.md",
            f"# Pricing {name}\n\nThe monthly price per seat customers are charged for the {name}: $12 per seat.\n",
        )
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    question = "What monthly price per seat will ProDAI charge customers?"
    assert spelled_documents(question, deps.index.snapshot()) == ["prds/prodai-notes.md"]
    monkeypatch.setattr(answering, "NAMED_POOL", 1)  # the pool holds the single best passage: a pricing page
    assert all(p.path.startswith("pricing/") for p in deps.retriever.search(question, k=1))
    assert gather(deps, question, k=1).named == "prds/prodai-notes.md"
    # Outside the channel's folders the name finds nothing.
    assert gather(deps, question, k=1, folders=["pricing"]).named is None


def test_a_german_noun_only_one_of_many_names_holds_is_that_product_s_name(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    from bot.answers.subject import MIN_NAMES_FOR_NOUNS

    topics = ["billing", "search", "routing", "summaries", "alerts", "uploads", "exports", "onboarding", "reports"]
    for number in range(MIN_NAMES_FOR_NOUNS):
        topic = topics[number % len(topics)]
        write(
            tmp_path / "kb", f"prds/feature-{number}.md", f"# Feature {number}: {topic} v{number}\n\nIt does {topic}.\n"
        )
    write(
        tmp_path / "kb",
        "prds/scenergy.md",
        "# Scenergy Visualizer Client\n\nData is deleted 30 days after a cancellation.\n",
    )
    write(tmp_path / "kb", "prds/schueler-tutor.md", "# Tutor für Schüler\n\nLatein-Übungen.\n")
    write(tmp_path / "kb", "prds/schueler-feedback.md", "# Feedback der Schüler\n\nUmfragen.\n")
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    snapshot = deps.index.snapshot()
    every = sorted({str(meta["path"]) for meta in snapshot.metadatas})

    question = "Was passiert bei Scenergy mit den Kundendaten, nachdem ein Kunde gekündigt hat?"
    assert named_document(question, snapshot, every) == "prds/scenergy.md"
    # A noun two names hold is no product's name.
    assert named_document("Wie viele Quizze darf ein Schüler am Tag erzeugen?", snapshot, every) is None
