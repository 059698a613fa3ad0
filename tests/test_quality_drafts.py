"""The eval-drafts scorer: marks read from the real dev set, plans scored the way the README of the set says."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.evalplans.plan import EvalDraft, EvalSet, Metric, Monitoring, OpenQuestion, Point, SuccessCriterion
from bot.quality.drafts import MarkedDoc, MarkedOutcome, gap_key, load_marks, same_question, score_plan, summarise
from tests.conftest import run_cli, write

DEVSET = Path(__file__).parent / "devsets" / "drafts"
MARKS = DEVSET / "marks.yaml"


def plan(**fields: Any) -> EvalDraft:
    """A plan with only the parts the scorer reads filled in."""
    values: dict[str, Any] = {
        "feature": "Feature",
        "feature_type": "rag",
        "eval_set": EvalSet(size=300, size_rationale="", per_language=100),
        "monitoring": Monitoring(retraining=Point(text="", source="playbook")),
    }
    return EvalDraft(**{**values, **fields})


def metric(name: str) -> Metric:
    return Metric(name=name, category="quality", definition="", how_measured="", threshold="", threshold_source="prd")


def marked(**fields: Any) -> MarkedDoc:
    values: dict[str, Any] = {"path": Path("docs/x.md"), "lang": "en", "kind": "chatbot", "feature": "X"}
    return MarkedDoc(**{"half": "tune", **values, **fields})


# -- The dev set and its split ------------------------------------------------------------------


def test_the_dev_set_is_split_by_document_and_each_half_covers_the_main_kinds() -> None:
    docs = load_marks(MARKS)
    assert len(docs) == 185
    assert all(doc.path.is_file() for doc in docs)
    assert len({doc.path for doc in docs}) == len(docs)
    halves = {half: [doc for doc in docs if doc.half == half] for half in ("tune", "check")}
    assert [len(halves["tune"]), len(halves["check"])] == [177, 8]
    assert Counter(doc.lang for doc in halves["tune"]) == {"en": 116, "de": 38, "nl": 23}
    assert Counter(doc.lang for doc in halves["check"]) == {"en": 5, "de": 2, "nl": 1}
    for members in halves.values():
        kinds = {doc.kind for doc in members}
        assert len(kinds) >= 6
        assert kinds & {"chatbot", "search", "summarizer", "decision-support agent"}  # features that answer people
        assert kinds & {"classifier/router", "moderation"}
        assert kinds & {"marketing/growth", "recommendation"}
    # Both halves keep template guidance left in by their authors.
    assert all(any(doc.template_prompts for doc in members) for members in halves.values())


def test_an_unreadable_marks_file_is_an_input_error(tmp_path: Path) -> None:
    from bot.exceptions import InputError

    bad = tmp_path / "marks.yaml"
    bad.write_text("docs:\n  - lang: en\n", encoding="utf-8")
    with pytest.raises(InputError, match="marks file"):
        load_marks(bad)


# -- Scoring one plan ---------------------------------------------------------------------------


def test_an_outcome_counts_as_carried_only_with_its_words_and_numbers_from_the_prd() -> None:
    doc = marked(
        outcomes=(
            MarkedOutcome("Öffnungsrate Mail 1", target="> 50 %"),
            MarkedOutcome("Öffnungsrate Mail 3", target="20–35 %"),
            MarkedOutcome("Helpful rate (👍 / total feedback): 70%+", target="70%+", metric="Task success rate"),
            MarkedOutcome("Weekly active users: 10+", target="10+"),
        )
    )
    draft = plan(
        success_criteria=[
            SuccessCriterion(statement="Öffnungsrate Mail 1", target="> 50 %", source="prd"),
            SuccessCriterion(statement="Öffnungsrate Mail 2", target="30–45 %", source="prd"),
            SuccessCriterion(statement="Helpful rate", target="70%+", metric="Task success rate", source="prd"),
            SuccessCriterion(statement="Weekly active users", target="10+", source="playbook"),
        ]
    )
    score = score_plan(doc, draft)
    # Mail 3 shares its words with Mail 2 but not its number; the playbook criterion doesn't count.
    assert score.outcomes_carried == ["Öffnungsrate Mail 1", "Helpful rate (👍 / total feedback): 70%+"]
    assert (score.targets_kept, score.targets_marked) == (2, 4)
    assert (score.metrics_matched, score.metrics_marked) == (1, 1)


def test_a_wrong_target_or_metric_is_counted_against_a_carried_outcome() -> None:
    doc = marked(outcomes=(MarkedOutcome("Citation coverage", target="95%+", metric="Groundedness"),))
    draft = plan(
        success_criteria=[
            SuccessCriterion(statement="Citation coverage", target="90%", metric="Relevance", source="prd")
        ]
    )
    score = score_plan(doc, draft)
    assert len(score.outcomes_carried) == 1
    assert (score.targets_kept, score.metrics_matched) == (0, 0)


def test_a_placeholder_target_is_kept_only_when_the_criterion_carries_it_whole() -> None:
    doc = marked(outcomes=(MarkedOutcome("Cut repeat contacts by X%", target="X%"),))
    kept = plan(
        success_criteria=[SuccessCriterion(statement="Cut repeat contacts by X%", target="by X%", source="prd")]
    )
    lost = plan(success_criteria=[SuccessCriterion(statement="Cut repeat contacts", source="prd")])
    assert (score_plan(doc, kept).targets_kept, score_plan(doc, lost).targets_kept) == (1, 0)


def test_template_prompts_count_only_when_listed_as_the_prds_own_questions() -> None:
    doc = marked(
        template_prompts=("What is the problem and who is affected?", "Why would a user want to use this?"),
        not_open_questions=("What is my rating?",),
        open_questions=("Will Veterans use the ratings feature?", "Is accessibility a concern?"),
    )
    draft = plan(
        open_questions=[
            OpenQuestion(question="What is the problem and who is affected?", origin="prd"),
            OpenQuestion(question="**What is my rating?**", origin="prd"),
            OpenQuestion(question="Will Veterans use the ratings feature?", origin="prd"),
            OpenQuestion(question="Why would a user want to use this?", origin="gap"),
        ]
    )
    score = score_plan(doc, draft)
    assert score.template_prompts_listed == ["What is the problem and who is affected?"]
    assert score.not_open_listed == ["What is my rating?"]
    assert score.questions_kept == ["Will Veterans use the ratings feature?"]
    assert score.questions_missed == ["Is accessibility a concern?"]


@pytest.mark.parametrize(
    ("marked_text", "listed", "same"),
    [
        ("Is accessibility a concern?", "Is accessibility a concern?", True),
        (
            "Does Streaming List support inconsistent lists?",
            "> Does Streaming List support *inconsistent* lists?",
            True,
        ),
        ("PII redaction rules", "Open question: PII redaction rules (which fields?)", True),
        ("Is accessibility a concern?", "Is latency a concern?", False),
        ("Multi-language support", "", False),
    ],
)
def test_questions_match_through_markup_and_light_rewording(marked_text: str, listed: str, same: bool) -> None:
    assert same_question(marked_text, listed) is same


def test_a_gap_for_something_the_prd_states_is_a_false_gap() -> None:
    doc = marked(states={"latency": "Median time-to-answer: under 30 seconds", "users": "Support / Ops"})
    draft = plan(
        open_questions=[
            OpenQuestion(question="What p50 and p95 latency must it meet? No latency target is set.", origin="gap"),
            OpenQuestion(question="What may one request cost? No cost target is set.", origin="gap"),
            OpenQuestion(question="Who are the users?", origin="prd"),
        ]
    )
    score = score_plan(doc, draft)
    assert [key for key, _ in score.gaps] == ["latency", "cost"]
    assert [key for key, _ in score.false_gaps] == ["latency"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Confidence thresholds only work on calibrated scores: how is calibration measured (ECE)?", "calibration"),
        ("Which confidence threshold separates auto-apply, suggestion and fallback?", "confidence_threshold"),
        (
            "Which attacks must it withstand (prompt injection, data leaks)? No adversarial cases are named.",
            "adversarial",
        ),
        (
            "Inputs can carry instructions to the model (prompt injection): which adversarial cases test that?",
            "prompt_injection",
        ),
        ("Who owns the launch gates and can say no?", "gate_owner"),
        ("What happens when the model is down, slow or unsure? No fallback is defined.", "fallback"),
    ],
)
def test_a_gap_without_a_key_is_keyed_by_its_wording(text: str, key: str) -> None:
    assert gap_key(OpenQuestion(question=text, origin="gap")) == key


def test_a_gap_that_names_its_key_is_taken_at_its_word() -> None:
    question = OpenQuestion(question="Who owns the launch gates?", origin="gap", key="rollout", looked_for="phases")
    assert gap_key(question) == "rollout"


def test_metric_fit_names_missing_and_inappropriate_metrics() -> None:
    doc = marked(
        metrics_expected=("Accuracy", "Latency"),
        metrics_inappropriate=("Tone consistency",),
        metrics_expected_new=("routing accuracy per class (dispatcher)",),
    )
    draft = plan(metrics=[metric("Accuracy"), metric("Tone consistency"), metric("Routing accuracy per class")])
    score = score_plan(doc, draft)
    assert score.expected_missing == ["Latency"]
    assert score.inappropriate_present == ["Tone consistency"]
    assert score.new_metrics_found == ["routing accuracy per class (dispatcher)"]


def test_the_summary_pools_outcomes_and_counts_metric_sets_shared_across_kinds() -> None:
    same = [metric("Accuracy"), metric("Latency")]
    scores = [
        score_plan(marked(kind="chatbot", outcomes=(MarkedOutcome("CSAT"),)), plan(metrics=same)),
        score_plan(
            marked(kind="infrastructure", outcomes=(MarkedOutcome("Zero data loss"),)),
            plan(metrics=same, success_criteria=[SuccessCriterion(statement="Zero data loss", source="prd")]),
        ),
        score_plan(marked(kind="chatbot"), plan(metrics=[metric("Accuracy")])),
    ]
    row = summarise(scores)
    assert row["outcomes_carried_share"] == 0.5
    assert row["distinct_metric_sets"] == 2
    assert row["metric_sets_shared_across_kinds"] == 1


# -- The command --------------------------------------------------------------------------------


def test_eval_drafts_drafts_every_marked_doc_and_reports_each_half(tmp_path: Path) -> None:
    write(
        tmp_path / "set",
        "docs/summaries.md",
        "# Ticket summaries\n\n## Success metrics\n\n| metric | target |\n|---|---|\n"
        "| Agent handle time | -20% |\n\n## Open questions\n\n- Who signs off on the pilot?\n",
    )
    write(tmp_path / "set", "docs/router.md", "# Ticket router\n\nRoutes incoming tickets to one of 12 queues.\n")
    (tmp_path / "set" / "marks.yaml").write_text(
        "version: 1\ndocs:\n"
        "  - {doc: docs/summaries.md, lang: en, half: tune, kind: summarizer, feature_type: summarization,\n"
        "     feature: Ticket summaries, open_questions: ['Who signs off on the pilot?'],\n"
        "     outcomes: [{text: Agent handle time, target: '-20%'}]}\n"
        "  - {doc: docs/router.md, lang: en, half: check, kind: classifier/router, feature_type: classification,\n"
        "     feature: Ticket router}\n",
        encoding="utf-8",
    )
    result = run_cli("eval", "drafts", "--marks", str(tmp_path / "set" / "marks.yaml"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "deterministic"
    assert set(report["halves"]) == {"tune", "check"}
    assert report["halves"]["tune"]["open_questions_kept"] == "1/1"
    assert [doc["doc"] for doc in report["docs"]] == ["summaries", "router"]
    assert report["docs"][1]["feature_type"] == "classification"

    only = run_cli("eval", "drafts", "--marks", str(tmp_path / "set" / "marks.yaml"), "--half", "check")
    assert only.returncode == 0, only.stderr
    assert "| score | check | all |" in only.stdout
    assert "tune" not in only.stdout.splitlines()[0]


# The figures of README's "Eval-plan drafts" table as floors: a change to the drafter may raise them, not lower them.
FLOORS = {
    "tune": {"outcomes_carried": 1622, "targets_kept": 983, "metrics_matched": 268, "open_questions_kept": 220},
    "check": {"outcomes_carried": 66, "targets_kept": 37, "metrics_matched": 11, "open_questions_kept": 15},
}
CEILINGS = {
    "tune": {"template_prompts_listed": 0, "not_open_questions_listed": 11, "false_gaps": 10},
    "check": {"template_prompts_listed": 0, "not_open_questions_listed": 3, "false_gaps": 3},
}


def test_the_drafter_keeps_the_figures_the_readme_reports_on_both_halves() -> None:
    result = run_cli("eval", "drafts", "--marks", str(MARKS), "--json")
    assert result.returncode == 0, result.stderr
    halves = json.loads(result.stdout)["halves"]
    for half, floors in FLOORS.items():
        for name, floor in floors.items():
            value = halves[half][name]
            hits = int(str(value).split("/")[0])
            assert hits >= floor, f"{half} {name}: {value} < {floor}"
    for half, ceilings in CEILINGS.items():
        for name, ceiling in ceilings.items():
            assert halves[half][name] <= ceiling, f"{half} {name}: {halves[half][name]} > {ceiling}"
