"""Cross-language keyword search: each chunk stemmed in its language, compounds split, glossary equivalents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.knowledge.glossary import Glossary, builtin_glossary
from bot.knowledge.keyword import KeywordIndex, bm25_index, tokenize
from bot.knowledge.languages import Words, guess, split_compound, split_words
from tests.conftest import MakeDeps, write

GERMAN = (
    "Die Rechnungen der Lieferanten werden automatisch ausgelesen. Liegt die Genauigkeit der Extraktion unter "
    "95 Prozent, prüft eine Sachbearbeiterin die Rechnungsdaten von Hand."
)
DUTCH = (
    "Na elke vergadering worden de notulen binnen een uur gedeeld. De samenvatting noemt de besluiten en de "
    "actiepunten met een eigenaar."
)
ENGLISH = [
    "The onboarding checklist covers laptop setup, accounts and the first week of training for new hires.",
    "Our design system documents colours, typography and spacing for every web component.",
    "Quarterly planning starts with the strategy review and ends with team commitments for the roadmap.",
    "The mobile app caches the last twenty screens so people can read offline on the train.",
]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        (GERMAN, "de"),
        (DUTCH, "nl"),
        (ENGLISH[0], "en"),
        ("Welche Daten schwärzt der Copilot, bevor das Modell den Text sieht?", "de"),
        ("Wat gebeurt er met content als de zekerheid tussen 70 en 95 procent ligt?", "nl"),
        ("KPI owner?", "en"),  # nothing to tell by: English
    ],
)
def test_a_passage_language_is_guessed_from_its_function_words(text: str, lang: str) -> None:
    assert guess(split_words([text])[0]) == lang


def test_each_chunk_is_stemmed_in_its_own_language() -> None:
    index = KeywordIndex(["de", "nl", "en"], [GERMAN, DUTCH, "Invoices from suppliers are read automatically."])
    assert index.languages == ["de", "nl", "en"]
    # German "Rechnungen" -> "rechnung", Dutch "vergadering" -> "vergader", English "invoices" -> "invoic": each
    # language's own stemmer (an English stemmer leaves the German and Dutch words whole).
    assert {"rechnung", "vergader", "invoic"} <= set(index.doc_freq)
    assert "rechnungen" not in index.doc_freq and "vergad" not in index.doc_freq
    words = Words()
    assert [words.stem("rechnungen", lang) for lang in ("en", "de")] == ["rechnungen", "rechnung"]


def test_a_german_compound_also_counts_as_its_parts() -> None:
    # "Rechnungsdaten" is indexed as itself and as "Rechnung" + "Daten", known as words of the index.
    # ("Daten" is a glossary term; "Rechnung" stems as "Rechnungen" does).
    index = KeywordIndex(["de"], [GERMAN])
    assert {"rechnungsdat", "rechnung", "dat"} <= set(index.doc_freq)
    assert "dat" not in KeywordIndex(["de"], [GERMAN], glossary=Glossary([])).doc_freq

    def known(part: str) -> str | None:
        return part if part in {"rechnung", "daten", "system", "unternehmen"} else None

    assert split_compound("rechnungsdaten", known) == ("rechnung", "daten")
    assert split_compound("unternehmenssystem", known) == ("unternehmen", "system")
    assert split_compound("datenrechnungxyz", known) is None  # a leftover that is no word: no split
    assert split_compound("daten", known) is None  # too short to be a compound


def test_a_glossary_equivalent_scores_a_passage_in_another_language() -> None:
    texts = [GERMAN, DUTCH, *ENGLISH]
    question = "How accurate is the invoice extraction?"
    with_glossary = KeywordIndex([str(i) for i in range(len(texts))], texts)
    assert int(np.argmax(with_glossary.scores(question))) == 0
    # The question's term comes first in its group, then the equivalents the index holds.
    groups = with_glossary.query_groups(question)
    assert [("invoic",), ("rechnung",)] in groups
    without = KeywordIndex([str(i) for i in range(len(texts))], texts, glossary=Glossary([]))
    assert without.scores(question)[0] == 0
    # and a term the index holds in no language adds nothing
    assert with_glossary.query_groups("zeppelin") == [[("zeppelin",)]]


def test_evidence_coverage_counts_a_glossary_equivalent() -> None:
    english = "Invoice extraction must reach 95 percent accuracy before launch."
    question = "Wie hoch muss die Genauigkeit der Rechnungen sein?"
    with_glossary = KeywordIndex(["de", "en"], [GERMAN, english])
    without = KeywordIndex(["de", "en"], [GERMAN, english], glossary=Glossary([]))
    assert without.coverage(question, [english]) == 0
    assert with_glossary.coverage(question, [english]) > 0.5
    # The question's own passage stays fully covered either way.
    assert with_glossary.coverage(question, [GERMAN]) == without.coverage(question, [GERMAN])


def test_query_work_is_capped() -> None:
    index = KeywordIndex(["de"], [GERMAN])
    groups = index.query_groups("invoice accuracy " * 5000)
    assert len(groups) <= 64 and all(len(group) <= 8 for group in groups)


@pytest.mark.slow
def test_english_questions_find_the_german_and_the_dutch_passage(
    tmp_path: Path, make_deps: MakeDeps, local_model: object
) -> None:
    folder = tmp_path / "knowledge"
    write(folder, "de/rechnungen.md", f"# Eingangsrechnungen\n\n{GERMAN}\n")
    write(folder, "nl/vergaderingen.md", f"# Vergaderingen\n\n{DUTCH}\n")
    for number, text in enumerate(ENGLISH):
        write(folder, f"en/page-{number}.md", f"# Page {number}\n\n{text}\n")
    deps = make_deps(folder, local_model, builtin_playbook=False)
    deps.index.reindex()
    snapshot = deps.index.snapshot()
    for question, path in [
        ("How accurate must the invoice extraction be before a person reviews it?", "de/rechnungen.md"),
        ("How soon are the meeting notes shared, and what does the summary list?", "nl/vergaderingen.md"),
    ]:
        assert deps.retriever.search(question, k=1)[0].path == path
        assert deps.retriever.search(question, k=1, mode="bm25")[0].path == path
        # Before: English stems over every chunk found no word of the question in the passage, and the English
        # model alone ranks it below English pages.
        old = bm25_index(tokenize(snapshot.texts)).get_scores(tokenize([question])[0])
        assert old[snapshot.ids.index(next(i for i in snapshot.ids if i.startswith(path)))] == 0
        assert deps.retriever.search(question, k=1, mode="dense")[0].path != path


@pytest.mark.parametrize(
    ("question", "answer", "other"),
    [
        # the words a figure is stated in: a percentile, active users, a date, probable causes, a daily cap
        (
            "Welche Antwortzeit muss der Chatbot im 95. Perzentil einhalten?",
            "Response time: <2 seconds (95th percentile)",
            "The chatbot answers city questions around the clock.",
        ),
        (
            "Wie viele aktive Nutzer will die App bis Ende 2025 haben?",
            "Het doel is dat de app eind 2025 10.000 actieve gebruikers heeft, die elke week een recept kiezen.",
            "De app helpt de gebruikers om hun voorraad te beheren en om recepten te vinden.",
        ),
        (
            "Op welke datum staat de lancering gepland?",
            "Target Launch Date: January 15, 2025",
            "Backend systems scaled for launch traffic.",
        ),
        (
            "Hoeveel waarschijnlijke oorzaken geeft de loganalyse terug aan de medewerker?",
            "The analysis returns the top 3 ranked probable causes with a confidence for each of them.",
            "The service fetches the relevant logs automatically for each of the tickets.",
        ),
        (
            "What's the daily cap on paid credits per user?",
            "Max 100 credits per dag per gebruiker (betaald).",
            "Gratis credits worden elke nacht gereset.",
        ),
    ],
)
def test_the_sentence_that_states_the_figure_is_covered_across_languages(
    question: str, answer: str, other: str
) -> None:
    index = KeywordIndex(["answer", "other"], [answer, other])
    without = KeywordIndex(["answer", "other"], [answer, other], glossary=Glossary([]))
    answer_covered, other_covered = index.coverages(question, [answer, other])
    assert answer_covered > other_covered
    assert answer_covered > without.coverages(question, [answer])[0]


def test_a_german_or_dutch_question_is_also_read_as_its_english_gloss(local_model: Any) -> None:
    glossary = builtin_glossary()
    question = "Welche Antwortzeit muss der Chatbot im 95. Perzentil einhalten?"
    gloss = glossary.gloss(split_words([question])[0], "de")
    assert "percentile" in gloss.split() and "muss" not in gloss.split()
    passage = "Response time: under 2 seconds at the 95th percentile."
    vectors = np.asarray(local_model.embed_batch([question, gloss, passage]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1)[:, None]
    assert vectors[1] @ vectors[2] > vectors[0] @ vectors[2]
    # An English question has no gloss; nor has one the glossary changes nothing in.
    index = KeywordIndex(["en"], [passage])
    assert index.gloss("Which response time must the chatbot meet at the 95th percentile?") is None
    assert index.gloss("Wer hat das Zeppelin gebaut?") is None
    assert index.gloss(question) == gloss
