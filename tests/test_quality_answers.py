"""The golden answer set holds its scores: the README's answer-quality figures are floors here, so a change that
costs a cited source, an answer or a decline fails the suite."""

from __future__ import annotations

import pytest

from bot.quality.answers import GoldenCase, evaluate, load_golden
from bot.wiring import Deps
from tests.benchmarks.bench_answer_quality import GOLDEN, SCRIPTED, with_llm
from tests.openai_server import OpenAIServer, responding

pytestmark = pytest.mark.slow

# The README's figures (tests/benchmarks/bench_answer_quality.py prints them), extractive and generated alike.
FLOORS = {"expected_source_cited": 0.846, "answered_when_answerable": 0.923, "declined_when_unanswerable": 1.0}


@pytest.fixture(scope="module")
def cases() -> list[GoldenCase]:
    golden = load_golden(GOLDEN)
    assert sum(case.answerable for case in golden) >= 26 and sum(not case.answerable for case in golden) >= 6
    return golden


def test_extractive_answers_keep_the_golden_scores(bundled_deps: Deps, cases: list[GoldenCase]) -> None:
    report = evaluate(bundled_deps, cases).as_dict()
    assert report["mode"] == "extractive"
    for key, floor in FLOORS.items():
        assert report[key] >= floor, (key, report[key], report["misses"])
    assert report["fabricated_citations"] == 0


def test_generated_answers_keep_the_golden_scores_and_drop_every_invented_claim(
    bundled_deps: Deps,
    openai_server: OpenAIServer,
    cases: list[GoldenCase],
) -> None:
    openai_server.default = responding(SCRIPTED)
    report = evaluate(with_llm(bundled_deps, openai_server.base_url), cases).as_dict()
    assert report["mode"] == "generated" and openai_server.calls > 0
    for key, floor in FLOORS.items():
        assert report[key] >= floor, (key, report[key], report["misses"])
    assert report["fabricated_citations"] == 0
    # Every generated answer held one claim whose quote isn't in its source, and lost it to the quote check;
    # declined questions never reached the model.
    assert report["citations_dropped"] == openai_server.calls
