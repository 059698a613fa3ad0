from __future__ import annotations

import numpy as np
import pytest

from bot.knowledge.keyword import KeywordIndex
from bot.wiring import Deps


def test_hybrid_finds_a_rare_exact_term(bundled_deps: Deps) -> None:
    passages = bundled_deps.retriever.search("IBAN Lieferantenstammdaten", k=3)
    assert passages[0].path == "prds/de-rechnungsdaten-extraktion.md"


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_returns_ranked_passages_with_metadata(bundled_deps: Deps, mode: str) -> None:
    passages = bundled_deps.retriever.search("how do we measure confidence calibration", k=5, mode=mode)  # type: ignore[arg-type]
    assert 0 < len(passages) <= 5
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert passages[0].path == "playbook/ai-metrics.md"
    assert all(p.title and p.snippet() for p in passages)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize(("doctypes", "prefix"), [(["prds"], "prds/"), (["playbook"], "playbook/")])
def test_doctype_filter(bundled_deps: Deps, doctypes: list[str], prefix: str, mode: str) -> None:
    passages = bundled_deps.retriever.search("latency target", k=8, doctypes=doctypes, mode=mode)  # type: ignore[arg-type]
    assert len(passages) == 8 and all(p.path.startswith(prefix) for p in passages)


def test_similarity_is_the_cosine_with_the_stored_vector(bundled_deps: Deps) -> None:
    question = "how do we measure confidence calibration"
    snapshot = bundled_deps.index.snapshot()
    query = np.asarray(bundled_deps.embeddings.embed_query(question))
    for passage in bundled_deps.retriever.search(question, k=5, mode="dense"):
        stored = snapshot.vectors[snapshot.row_of[passage.id]]
        assert passage.similarity == pytest.approx(float(stored @ query / np.linalg.norm(query)), abs=1e-4)


def test_evidence_is_higher_for_a_covered_question(bundled_deps: Deps) -> None:
    retriever = bundled_deps.retriever
    covered = "what is the hallucination rate"
    off_topic = "what is the current NPS of our help center"
    assert retriever.evidence(covered, retriever.search(covered)) > retriever.evidence(
        off_topic, retriever.search(off_topic)
    )
    assert retriever.evidence("anything", []) == 0.0


def test_a_german_compound_reaches_the_german_word_and_the_english_pages(bundled_deps: Deps) -> None:
    question = "Wie messen wir die Halluzinationsrate?"
    # The compound stands in for the German pages' "Halluzinationen"; the glossary adds "hallucination rate".
    groups = bundled_deps.index.snapshot().keyword.query_groups(question)
    assert [("halluzination",), ("hallucin", "rate")] in groups
    # The English pages on measuring the hallucination rate say more on it than the German page's one mention.
    paths = [p.path for p in bundled_deps.retriever.search(question, k=3)]
    assert paths[0] == "playbook/risks-and-guardrails.md" and "playbook/ai-metrics.md" in paths


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("Halluzinationsrate", ["halluzinationen"]),  # unseen compound: the indexed term with the longest prefix
        ("hallucination rate", ["hallucin", "rate"]),  # known terms stay as they are
        ("Halbleiter", ["halbleit"]),  # too little shared ("hal") to stand in for anything
    ],
)
def test_unseen_query_terms_fall_back_to_a_shared_prefix(query: str, terms: list[str]) -> None:
    index = KeywordIndex(["a", "b"], ["Halluzinationen vermeiden", "hallucination rate"])
    assert index.query_terms(query) == terms
