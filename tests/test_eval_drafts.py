"""Eval-criteria drafting: the bundled PRDs offline, bare descriptions, the outputs, the CLI, and the LLM path."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.core.llm import LLM
from bot.evalplans import draft_evals, read_prd
from bot.evalplans.draft import MIN_EVAL_SET, NO_PRD_NOTICE, PER_LANGUAGE
from bot.evalplans.feature_types import infer_feature_type
from bot.evalplans.metric_catalog import CATALOG_PATH, MetricCatalog
from bot.evalplans.plan import EvalDraft, EvalPlan
from bot.exceptions import InputError, KnowledgeError
from bot.slack.blocks import to_mrkdwn
from bot.wiring import Deps
from tests.conftest import BUILTIN, KNOWLEDGE, HashingEmbeddings
from tests.openai_server import OpenAIServer, malformed, reply, unauthorized

PRDS = KNOWLEDGE / "prds"


@dataclass(frozen=True)
class PrdCase:
    """What a bundled PRD must produce: its type, languages, people and numbers."""

    file: str
    feature: str
    feature_type: str
    secondary: tuple[str, ...]
    languages: tuple[str, ...]
    users: tuple[str, ...]
    gate_owner: str
    # Numbers and names of this PRD that must reach the plan, written as the PRD writes them.
    numbers: tuple[str, ...]
    p95_ms: float
    cost: tuple[float, str]
    question: str


CASES = [
    PrdCase(
        file="de-rechnungsdaten-extraktion.md",
        feature="Rechnungsdaten-Extraktion",
        feature_type="extraction",
        secondary=(),
        languages=("German", "English", "French", "Italian", "Dutch"),
        users=("Sabine, Kreditorenbuchhalterin", "Murat, Leiter Rechnungswesen"),
        gate_owner="Katharina Brandt",
        numbers=(
            "≤ 0,02 €",
            "≤ 8 s",
            "p50 höchstens 3 Sekunden",
            "≥ 98 %",
            "≤ 10 %",
            "30 % der Ledger-Kunden",
            "1.100",
        ),
        p95_ms=8000,
        cost=(0.02, "EUR"),
        question="1.100 Rechnungen",
    ),
    PrdCase(
        file="help-center-semantic-search.md",
        feature="Help Center Semantic Search and Answers",
        feature_type="rag",
        secondary=(),
        languages=("English", "German", "Dutch", "French", "Spanish", "Italian", "Portuguese", "Polish"),
        users=("Elena, knowledge manager", "Customer support leads"),
        gate_owner="Sofia Marchetti",
        numbers=("<= $0.002", "<= 1.2 s", "full answer p95 <= 3.5 s", ">= 0.75", ">= 95%", "<= 3%", "9.5 million"),
        p95_ms=3500,
        cost=(0.002, "USD"),
        question="attribute deflection",
    ),
    PrdCase(
        file="nl-automatische-ticketroutering.md",
        feature="Automatische ticketroutering",
        feature_type="classification",
        secondary=(),
        languages=("Dutch", "English", "German", "French", "Spanish"),
        users=("Fatima, dispatcher", "Jeroen, teamleider", "Kees, Helmwise Desk-beheerder"),
        gate_owner="Sanne de Vries",
        numbers=("≤ 800 ms", "p50 maximaal 300 ms", "≤ $0,0005", "≤ 0,05", "≥ 92%", "25% van de accounts", "wekelijks"),
        p95_ms=800,
        cost=(0.0005, "USD"),
        question="cold-start",
    ),
    PrdCase(
        file="sales-call-insights.md",
        feature="Sales Call Insights",
        feature_type="extraction",
        secondary=("classification",),
        languages=("English", "German", "Dutch", "French", "Spanish"),
        users=("Jordan, account executive", "Priyanka, sales manager", "Leon, revenue operations analyst"),
        gate_owner="Marcus Chen",
        numbers=("<= $0.03", "<= 5 min", "p50 under 2 minutes", ">= 0.85", "macro-F1", "<= 20%", "450,000 calls"),
        p95_ms=300_000,
        cost=(0.03, "USD"),
        question="objection categories",
    ),
    PrdCase(
        file="ticket-thread-summarizer.md",
        feature="Ticket Thread Summarizer",
        feature_type="summarization",
        secondary=(),
        languages=("English", "German", "Dutch", "French", "Spanish"),
        users=("Maya, first-line support agent", "Grace, support team lead"),
        gate_owner="Priya Raman",
        numbers=("< $0.004", "<= 4 s", "p50 <= 2 s", "0 invented refunds or deadlines", "<= 15%", "620,000 summaries"),
        p95_ms=4000,
        cost=(0.004, "USD"),
        question="300 English threads",
    ),
]
IDS = [case.file.removesuffix(".md") for case in CASES]


def prd_text(case: PrdCase) -> str:
    return (PRDS / case.file).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalog() -> MetricCatalog:
    return MetricCatalog.load(KNOWLEDGE)


@pytest.fixture
def plain_deps(knowledge_copy: Path, make_deps: Callable[..., Deps], hashing_model: HashingEmbeddings) -> Deps:
    """The bundled knowledge, not indexed: drafting needs only the playbook files."""
    deps: Deps = make_deps(knowledge_copy, hashing_model)
    return deps


# -- The playbook's metric catalog ------------------------------------------------------------


def test_the_catalog_parses_every_metric_of_the_playbook(catalog: MetricCatalog) -> None:
    names = [metric.name for metric in catalog.metrics]
    text = (BUILTIN / CATALOG_PATH).read_text(encoding="utf-8")
    assert names == re.findall(r"^### (.+)$", text, re.M)
    assert {metric.category for metric in catalog.metrics} == {"quality", "operations", "trust", "business"}
    for metric in catalog.metrics:
        assert metric.definition and metric.how_to_measure and metric.threshold and metric.watch_out_for
        assert metric.applies_to or metric.kinds
    groundedness, latency = catalog.get("groundedness"), catalog.get("latency")
    assert groundedness is not None and groundedness.applies_to == ("rag", "summarization")
    assert latency is not None and latency.category == "operations"


def test_a_catalog_entry_missing_its_threshold_is_skipped_not_fatal() -> None:
    text = (BUILTIN / CATALOG_PATH).read_text(encoding="utf-8")
    broken = text.replace("- **Typical launch threshold:** >= 85% of answers graded relevant", "- **Note:** none")
    catalog = MetricCatalog.parse(broken)
    assert catalog.get("relevance") is None and catalog.get("accuracy") is not None


def test_without_the_teams_catalog_page_the_built_in_one_drafts(plain_deps: Deps) -> None:
    (plain_deps.knowledge_dir / CATALOG_PATH).unlink()
    draft = draft_evals(plain_deps, "Summarise tickets")
    assert draft.metrics and draft.sources[0].path == CATALOG_PATH


def test_an_unreadable_catalog_page_says_what_is_missing(
    plain_deps: Deps, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (plain_deps.knowledge_dir / CATALOG_PATH).unlink()
    monkeypatch.setattr("bot.builtin.data_dir", lambda: tmp_path / "no-package-data")
    with pytest.raises(KnowledgeError, match="metric catalog"):
        draft_evals(plain_deps, "Summarise tickets")


def test_the_drafters_rules_of_thumb_still_match_the_playbook() -> None:
    page = (BUILTIN / "playbook" / "evaluation-frameworks.md").read_text(encoding="utf-8")
    assert f"at least {PER_LANGUAGE} examples per language" in page
    assert f"{MIN_EVAL_SET}-500 examples" in page
    assert "10-20% of the eval set" in page and "at least 20% of items labelled by two people" in page
    assert "less than 80% of the time" in page


# -- The bundled PRDs, offline ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_bundled_prd_gets_a_plan_with_its_own_numbers_and_people(bundled_deps: Deps, case: PrdCase) -> None:
    draft = draft_evals(bundled_deps, case.feature, prd_text(case))
    assert draft.mode == "deterministic" and draft.notice and "without an LLM" in draft.notice
    assert draft.feature == case.feature
    assert draft.feature_type == case.feature_type and tuple(draft.secondary_types) == case.secondary
    assert draft.eval_set.languages == list(case.languages)
    assert set(case.users) <= set(draft.users)
    assert draft.gate_owner and case.gate_owner in draft.gate_owner

    markdown = draft.as_markdown()
    for number in case.numbers:
        assert number in markdown, number
    for user in case.users:
        assert user in markdown

    # PRD numbers beat playbook defaults, and each threshold says which it is.
    for name in ("Latency", "Cost per query"):
        metric = draft.metric(name)
        assert metric is not None and metric.threshold_source == "prd"
        assert metric.playbook_threshold and metric.playbook_threshold not in metric.threshold
    assert draft.p95_ms == case.p95_ms
    assert (draft.cost_per_request, draft.cost_currency) == case.cost
    assert any(m.threshold_source == "playbook" for m in draft.metrics)
    assert {m.category for m in draft.metrics} >= {"quality", "operations", "trust"}
    for metric in draft.metrics:
        assert metric.definition and metric.how_measured and metric.threshold

    # The eval set: at least 100 per language, edge and adversarial slices, labellers named.
    assert draft.eval_set.size >= PER_LANGUAGE * len(case.languages)
    assert draft.eval_set.edge_cases and draft.eval_set.adversarial_cases and draft.eval_set.labelling
    assert draft.eval_set.use_cases

    # The PRD's rollout phases become launch gates, after an offline gate.
    assert draft.launch_gates[0].name == "Offline gate"
    assert [gate.source for gate in draft.launch_gates[1:]] == ["prd"] * 4

    # The PRD's own open questions are carried over.
    assert any(q.origin == "prd" and case.question in q.question for q in draft.open_questions)

    # Sources: the metric catalog and the framework pages, by path and title.
    by_path = {source.path: source for source in draft.sources}
    assert by_path[CATALOG_PATH].title == "AI product metrics"
    assert by_path["playbook/evaluation-frameworks.md"].title == "Evaluation frameworks for AI features"
    assert "Eval set size" in by_path["playbook/evaluation-frameworks.md"].sections
    assert {"playbook/risks-and-guardrails.md", "playbook/user-trust.md"} <= set(by_path)
    assert all(source.path.startswith("playbook/") for source in draft.sources)

    summary = draft.summary_markdown()
    assert summary.startswith(f"**Eval plan: {case.feature}**") and "_(PRD)_" in summary
    # As Slack shows it: one section block, comparison signs escaped once.
    slack = to_mrkdwn(summary)
    assert len(slack) < 3000 and slack.startswith(f"*Eval plan: {case.feature}*")
    assert "&amp;lt;" not in slack and "&amp;gt;" not in slack


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_type_is_inferred_from_cue_words_when_the_prd_declares_none(case: PrdCase) -> None:
    undeclared = re.sub(r"^- \*\*(Feature type|Funktionstyp|Type functie):\*\*.*\n", "", prd_text(case), flags=re.M)
    assert undeclared != prd_text(case)
    guess = infer_feature_type(undeclared)
    assert guess.primary == case.feature_type
    assert guess.basis.startswith("inferred from cue words")


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Summarise long support ticket threads for agents", "summarization"),
        ("Zusammenfassung langer Support-Tickets für die Schichtübergabe", "summarization"),
        ("Samenvatting van lange klantgesprekken voor de teamleider", "summarization"),
        ("Route incoming tickets to the right queue with a priority", "classification"),
        ("Eingehende Anfragen automatisch klassifizieren und weiterleiten", "classification"),
        ("Automatisch tickets routeren naar de juiste wachtrij", "classification"),
        ("Misrouted and rerouted tickets", "classification"),
        ("Automatische ticketroutering voor de servicedesk", "classification"),
        # assigning each item to an account or a class
        ("Kontierung: Zuordnung jeder Position zu einem Sachkonto, regelbasiert mit KI-Vorschlag", "classification"),
        ("Elke melding wordt toegewezen aan het juiste team", "classification"),
        ("Extract invoice fields (IBAN, totals, dates) from PDFs", "extraction"),
        ("Rechnungsdaten automatisch aus PDF-Rechnungen auslesen", "extraction"),
        ("Velden uit facturen uitlezen en extraheren", "extraction"),
        ("Answer customer questions from our help center articles with citations", "rag"),
        ("Fragen der Kunden aus der Wissensdatenbank beantworten", "rag"),
        ("Vragen beantwoorden uit de kennisbank met bronvermelding", "rag"),
        ("Draft reply emails for sales reps", "generation"),
        ("An AI agent that books meetings on behalf of the user", "agent"),
        # a PRD that only sets measures still names its type by them
        ("KPIs: Context Relevance above 90%; 95% of replies use correct context", "rag"),
        ("The agent pipeline: a planner picks the tools involved in each step", "agent"),
    ],
)
def test_the_type_is_inferred_in_english_german_and_dutch(description: str, expected: str) -> None:
    assert infer_feature_type(description).primary == expected


def test_a_feature_with_no_cue_words_is_assumed_generation_and_says_so() -> None:
    guess = infer_feature_type("Make our app smarter")
    assert guess.primary == "generation" and "no cue words" in guess.basis


def test_non_goals_do_not_count_towards_the_type() -> None:
    text = "# Search\n## Goals\n- Search the knowledge base\n## Non-goals\n- Summarise, summarise, summarise tickets\n"
    assert infer_feature_type(text).primary == "rag"


def test_what_the_feature_is_called_outweighs_a_word_used_in_passing(plain_deps: Deps) -> None:
    body = (
        "It surfaces the Slack messages that matter; urgent items and changing priorities come first, "
        "and each message gets a priority and a route to the right channel. Messages are summarized.\n"
    )
    assert infer_feature_type(body).primary == "classification"
    assert infer_feature_type(body, name="Daily Digest Tool").primary == "summarization"
    draft = draft_evals(plain_deps, "", f"# Product Requirements Document: Daily Digest Tool\n\n{body}")
    assert draft.feature_type == "summarization"


def test_two_prds_give_visibly_different_plans(plain_deps: Deps) -> None:
    routing = draft_evals(plain_deps, "Ticket routing", (PRDS / "nl-automatische-ticketroutering.md").read_text())
    summary = draft_evals(plain_deps, "Thread summaries", (PRDS / "ticket-thread-summarizer.md").read_text())
    assert routing.feature_type != summary.feature_type
    # Different metrics: the catalog applies groundedness and token efficiency to summaries, not to routing.
    assert {"Groundedness", "Token efficiency"} <= {m.name for m in summary.metrics}
    assert not {"Groundedness", "Token efficiency"} & {m.name for m in routing.metrics}
    assert routing.metric("Latency").threshold != summary.metric("Latency").threshold  # type: ignore[union-attr]
    # Each plan names its own people and numbers, and none of the other's.
    routing_md, summary_md = routing.as_markdown(), summary.as_markdown()
    assert "Fatima" in routing_md and "Fatima" not in summary_md
    assert "Priya Raman" in summary_md and "Priya Raman" not in routing_md
    assert "800 ms" in routing_md and "800 ms" not in summary_md
    # Headings and the catalog's definitions repeat; most of the plan, and nearly all the summary, doesn't.
    shared = set(routing_md.splitlines()) & set(summary_md.splitlines())
    assert len(shared) < 0.5 * len(set(summary_md.splitlines()))
    routing_summary, summary_summary = routing.summary_markdown().splitlines(), summary.summary_markdown().splitlines()
    assert len(set(routing_summary) & set(summary_summary)) <= 3 < len(summary_summary) - 10


def test_a_bare_description_still_drafts_and_lists_what_is_missing(plain_deps: Deps) -> None:
    draft = draft_evals(plain_deps, "Summarise long support ticket threads for agents")
    assert draft.feature_type == "summarization" and draft.notice == NO_PRD_NOTICE
    assert all(metric.threshold_source == "playbook" for metric in draft.metrics)
    assert draft.metric("Hallucination rate") and draft.metric("Groundedness")
    assert all(q.origin == "gap" for q in draft.open_questions)
    gaps = " ".join(q.question for q in draft.open_questions)
    for missing in ("users", "languages", "latency", "cost", "eval set", "fallback", "roll out", "launch gates"):
        assert missing in gaps, missing
    assert draft.eval_set.size >= MIN_EVAL_SET and draft.eval_set.languages == []
    assert [gate.source for gate in draft.launch_gates] == ["playbook"] * 4
    assert "Summarise long support ticket threads" in draft.summary_markdown()


def test_a_prd_thread_without_headings_still_yields_its_numbers(plain_deps: Deps) -> None:
    thread = (
        "Reply suggestions for support agents\n"
        "We want to draft replies for agents in Zendesk, about 80,000 tickets per month.\n"
        "Latency: p95 under 2 s, p50 under 800 ms.\n"
        "Cost: at most $0.01 per suggestion.\n"
        "Languages at launch: English and German.\n"
        "Agents can edit or reject every suggestion.\n"
        "Who signs off on the tone guide?\n"
    )
    draft = draft_evals(plain_deps, "Reply suggestions for support agents", thread)
    assert draft.feature_type == "generation"
    assert (draft.p95_ms, draft.p50_ms, draft.cost_per_request) == (2000, 800, 0.01)
    assert draft.eval_set.languages == ["English", "German"]
    assert draft.metric("Latency").threshold_source == "prd"  # type: ignore[union-attr]
    assert any(q.origin == "prd" and "tone guide" in q.question for q in draft.open_questions)
    assert any(fact.label == "Volume" and "80,000 tickets per month" in fact.value for fact in draft.prd_facts)


def test_gaps_are_what_the_prd_leaves_out_and_does_not_ask_itself(plain_deps: Deps) -> None:
    draft = draft_evals(plain_deps, "Invoices", (PRDS / "de-rechnungsdaten-extraktion.md").read_text())
    gaps = [q.question for q in draft.open_questions if q.origin == "gap"]
    # Thresholds on confidence but no calibration; five languages but no per-language target; no injection.
    assert any("calibration" in gap for gap in gaps)
    assert any("5 languages" in gap for gap in gaps)
    assert any("prompt injection" in gap for gap in gaps)
    # The PRD asks itself who labels the scans, and states latency, cost, fallback and rollout.
    assert not any(word in gap for gap in gaps for word in ("eval set", "latency", "cost", "fallback", "roll out"))


def test_a_prd_title_names_the_feature_when_the_description_is_empty(plain_deps: Deps) -> None:
    draft = draft_evals(plain_deps, "", (PRDS / "sales-call-insights.md").read_text())
    assert draft.feature == "Sales Call Insights"


# -- Outputs ------------------------------------------------------------------------------------

# The part of promptfoo's config schema (promptfoo.dev/config-schema.json) this skeleton uses.
ASSERTION_TYPES = [
    "answer-relevance", "bleu", "classifier", "contains", "contains-all", "contains-any", "contains-html",
    "contains-json", "contains-sql", "contains-xml", "context-faithfulness", "context-recall", "context-relevance",
    "conversation-relevance", "cost", "equals", "factuality", "finish-reason", "g-eval", "gleu", "guardrails",
    "icontains", "icontains-all", "icontains-any", "is-html", "is-json", "is-refusal", "is-sql",
    "is-valid-function-call", "is-valid-openai-function-call", "is-valid-openai-tools-call", "is-xml",
    "javascript", "latency", "levenshtein", "llm-rubric", "pi", "meteor", "model-graded-closedqa",
    "model-graded-factuality", "moderation", "perplexity", "perplexity-score", "python", "regex", "rouge-n",
    "ruby", "similar", "starts-with", "tool-call-f1", "webhook", "word-count",
]  # fmt: skip
ASSERTION = {
    "type": "object",
    "properties": {
        "type": {"enum": ASSERTION_TYPES + [f"not-{kind}" for kind in ASSERTION_TYPES]},
        "value": {},
        "threshold": {"type": "number"},
        "metric": {"type": "string"},
        "weight": {"type": "number"},
    },
    "required": ["type"],
    "additionalProperties": False,
}
PROMPTFOO_SCHEMA = {
    "type": "object",
    "properties": {
        "description": {"type": "string"},
        "prompts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "providers": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "config": {"type": "object"}},
                "required": ["id"],
                "additionalProperties": False,
            },
        },
        "defaultTest": {
            "type": "object",
            "properties": {"assert": {"type": "array", "items": ASSERTION}},
            "additionalProperties": False,
        },
        "tests": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "vars": {"type": "object", "additionalProperties": {"type": "string"}},
                    "assert": {"type": "array", "items": ASSERTION, "minItems": 1},
                },
                "required": ["description", "vars", "assert"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["description", "prompts", "providers", "tests"],
    "additionalProperties": False,
}


def _asserts(config: dict[str, Any]) -> list[dict[str, Any]]:
    return [*config["defaultTest"]["assert"], *(item for test in config["tests"] for item in test["assert"])]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_promptfoo_skeleton_is_a_valid_config_derived_from_the_plan(plain_deps: Deps, case: PrdCase) -> None:
    draft = draft_evals(plain_deps, case.feature, prd_text(case))
    text = draft.as_promptfoo("openai:chat:gpt-4o-mini", base_url="http://127.0.0.1:9/v1")
    assert text.startswith("# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json")
    config = yaml.safe_load(text)
    jsonschema.validate(config, PROMPTFOO_SCHEMA)
    assert config["providers"] == [
        {"id": "openai:chat:gpt-4o-mini", "config": {"temperature": 0, "apiBaseUrl": "http://127.0.0.1:9/v1"}}
    ]
    # Every variable the prompt uses is set by every test.
    used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", config["prompts"][0]))
    assert used and all(used <= set(test["vars"]) for test in config["tests"])
    # Budgets from the PRD apply to every case.
    budgets = {item["type"]: item for item in config["defaultTest"]["assert"]}
    assert budgets["latency"]["threshold"] == case.p95_ms
    assert budgets["cost"]["threshold"] == case.cost[0]
    # Every language of the eval set has a typical case, and injection is tested with a canary.
    descriptions = [test["description"] for test in config["tests"]]
    for language in case.languages:
        assert any(d.startswith(f"Typical {language} case") for d in descriptions)
    injection = next(test for test in config["tests"] if "prompt injection" in test["description"])
    canary = injection["assert"][0]["value"]
    assert injection["assert"][0]["type"] == "not-icontains" and canary in json.dumps(injection["vars"])
    metrics = {item.get("metric", "") for item in _asserts(config)}
    assert {"Safety violation rate", "Fallback rate"} <= metrics


def test_promptfoo_assertions_follow_the_feature_type(plain_deps: Deps) -> None:
    def config(file: str) -> dict[str, Any]:
        draft = draft_evals(plain_deps, "Feature", (PRDS / file).read_text(encoding="utf-8"))
        loaded: dict[str, Any] = yaml.safe_load(draft.as_promptfoo())
        return loaded

    routing = _asserts(config("nl-automatische-ticketroutering.md"))
    assert {"type": "equals", "value": "{{expected_label}}", "metric": "Accuracy"} in routing
    search = config("help-center-semantic-search.md")
    faithfulness = next(item for item in _asserts(search) if item["type"] == "context-faithfulness")
    assert faithfulness["threshold"] == 0.95  # the PRD's groundedness target, >= 95%
    assert any(test["description"].startswith("Unanswerable") for test in search["tests"])
    invoices = config("de-rechnungsdaten-extraktion.md")
    assert {"is-json", "javascript"} <= {item["type"] for item in _asserts(invoices)}
    cost = next(item for item in invoices["defaultTest"]["assert"] if item["type"] == "cost")
    assert "EUR" in cost["metric"]
    summaries = config("ticket-thread-summarizer.md")
    rules = [test for test in summaries["tests"] if test["description"].startswith("Non-negotiable")]
    assert any("refunds" in test["assert"][0]["value"] for test in rules)


def test_without_prd_budgets_promptfoo_uses_the_playbook_defaults(plain_deps: Deps) -> None:
    config = yaml.safe_load(draft_evals(plain_deps, "Route tickets to the right queue").as_promptfoo())
    budgets = {item["type"]: item for item in config["defaultTest"]["assert"]}
    assert budgets["latency"]["threshold"] == 500  # "p95 <= 500 ms for inline classification"
    assert budgets["cost"]["threshold"] == 0.005
    assert "playbook default" in budgets["latency"]["metric"]


def test_the_yaml_round_trips_to_the_same_draft(plain_deps: Deps) -> None:
    draft = draft_evals(plain_deps, "Invoices", (PRDS / "de-rechnungsdaten-extraktion.md").read_text())
    loaded = yaml.safe_load(draft.as_yaml())
    assert EvalDraft.model_validate(loaded) == draft
    assert loaded["metrics"][0]["threshold_source"] in ("prd", "playbook")


# -- Reading a PRD file, and the CLI ------------------------------------------------------------


def _docx_from_markdown(markdown: str, path: Path) -> Path:
    """A Word version of a Markdown PRD, as a PM would write it: headings, bullets, a real table."""
    document = docx.Document()
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if table_rows:
            table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
            for r, row in enumerate(table_rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
            table_rows.clear()

    for line in markdown.splitlines():
        text = line.replace("**", "").strip()
        if text.startswith("|"):
            if not re.match(r"^\|[-| ]+\|$", text):
                table_rows.append([cell.strip() for cell in text.strip("|").split("|")])
            continue
        flush_table()
        if text.startswith("# "):
            document.add_heading(text[2:], level=0)
        elif text.startswith("#"):
            document.add_heading(text.lstrip("#").strip(), level=min(text.count("#", 0, 4), 3) - 1)
        elif text.startswith("- "):
            document.add_paragraph(text[2:], style="List Bullet")
        elif text:
            document.add_paragraph(text)
    flush_table()
    document.save(str(path))
    return path


def test_a_word_prd_reads_like_its_markdown(plain_deps: Deps, tmp_path: Path) -> None:
    path = _docx_from_markdown((PRDS / "sales-call-insights.md").read_text(encoding="utf-8"), tmp_path / "prd.docx")
    text = read_prd(path, 10_000_000)
    draft = draft_evals(plain_deps, "Sales call insights", text)
    assert draft.feature_type == "extraction" and draft.secondary_types == ["classification"]
    assert draft.cost_per_request == 0.03 and draft.p95_ms == 300_000
    # Word keeps no bold, so a persona runs to its second comma.
    assert [user.split(" at ")[0] for user in draft.users] == [
        "Jordan, account executive",
        "Priyanka, sales manager with 9 reps",
        "Leon, revenue operations analyst",
    ]
    assert [gate.name for gate in draft.launch_gates][1:] == [
        "0 — Internal",
        "1 — Pilot",
        "2 — Beta",
        "3 — General availability",
    ]
    assert any("objection categories" in q.question for q in draft.open_questions if q.origin == "prd")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.md", None, "No PRD file"),
        ("prd.yaml", b"errors: []", "use a .md, .txt, .pdf, .docx or .html file"),
        ("broken.pdf", b"%PDF-1.4 not really", "corrupt PDF"),
        ("latin1.txt", "Fü".encode("latin-1"), "not UTF-8"),
        ("big.md", b"# PRD\n" + b"x" * 2000, "the limit is"),
    ],
)
def test_an_unreadable_prd_file_is_an_input_error(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_prd(path, 1000)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("KNOWLEDGE_DIR", str(KNOWLEDGE))

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["draft-evals", *args], catch_exceptions=False)

    return run


def test_cli_prints_the_full_plan_in_markdown(run_cli: Callable[..., Any]) -> None:
    result = run_cli("Ticket routing", "--prd", str(PRDS / "nl-automatische-ticketroutering.md"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Eval plan: Ticket routing")
    assert (
        "≤ 800 ms" in result.output and "Fatima, dispatcher" in result.output and "## Open questions" in result.output
    )


def test_cli_prints_yaml_and_promptfoo(run_cli: Callable[..., Any]) -> None:
    prd = str(PRDS / "help-center-semantic-search.md")
    as_yaml = run_cli("Help center answers", "--prd", prd, "--format", "yaml")
    assert as_yaml.exit_code == 0
    plan = EvalDraft.model_validate(yaml.safe_load(as_yaml.stdout))
    assert plan.feature_type == "rag" and plan.cost_per_request == 0.002
    assert "without an LLM" in as_yaml.stderr
    as_promptfoo = run_cli("Help center answers", "--prd", prd, "--format", "promptfoo")
    assert as_promptfoo.exit_code == 0
    config = yaml.safe_load(as_promptfoo.stdout)
    jsonschema.validate(config, PROMPTFOO_SCHEMA)
    assert config["providers"][0]["id"] == "openai:chat:gpt-4o-mini"


def test_cli_drafts_from_a_description_alone(run_cli: Callable[..., Any]) -> None:
    result = run_cli("Summarise long support tickets for agents")
    assert result.exit_code == 0 and "### Gaps the PRD leaves" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Search", "--prd", "/nonexistent/prd.md"], "No PRD file at /nonexistent/prd.md"),
        (["Search", "--prd", str(BUILTIN / "error-codes" / "openai.yaml")], "use a .md, .txt"),
        (["Search", "--format", "pdf"], "Invalid value for '--format'"),
        ([], "Missing argument 'FEATURE'"),
    ],
)
def test_cli_refuses_bad_input_in_one_line(run_cli: Callable[..., Any], args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.exit_code != 0 and message in result.output


def test_cli_help_has_examples(run_cli: Callable[..., Any]) -> None:
    result = run_cli("--help")
    assert "Examples:" in result.output and "--format promptfoo" in result.output


# -- With an LLM (the loopback OpenAI endpoint) ----------------------------------------------------


@pytest.fixture
def llm_deps(plain_deps: Deps, openai_server: OpenAIServer) -> Iterator[Deps]:
    settings = plain_deps.settings.model_copy(
        update={
            "openai_api_key": "sk-test-loopback-0000000000000000",
            "openai_base_url": openai_server.base_url,
            "llm_timeout_s": 2.0,
            "llm_budget_s": 4.0,
            "llm_max_retries": 1,
        }
    )
    yield dataclasses.replace(plain_deps, settings=settings, llm=LLM(settings, backoff_base_s=0.01))


def _generated_plan(base: EvalDraft) -> dict[str, Any]:
    """What a model might send back: the base plan, rewritten, with one PRD target lost on the way."""
    plan = EvalPlan.model_validate(base.model_dump(include=set(EvalPlan.model_fields))).model_dump(mode="json")
    plan["feature_type"] = "generation"
    plan["metrics"] = [m for m in plan["metrics"] if m["name"] != "Cost per query"]
    latency = next(m for m in plan["metrics"] if m["name"] == "Latency")
    latency["threshold"], latency["threshold_source"] = "about a second", "playbook"
    plan["metrics"].append(
        {
            "name": "IBAN exact match",
            "category": "quality",
            "definition": "Share of invoices whose IBAN matches the label exactly.",
            "how_measured": "Exact match on the golden set, scans sliced separately.",
            "threshold": ">= 98 %",
            "threshold_source": "prd",
        }
    )
    plan["open_questions"] = [{"question": "Who owns the scan slice?", "origin": "gap"}]
    return plan


def test_the_llm_writes_the_plan_as_structured_output(
    llm_deps: Deps, plain_deps: Deps, openai_server: OpenAIServer
) -> None:
    text = (PRDS / "de-rechnungsdaten-extraktion.md").read_text(encoding="utf-8")
    base = draft_evals(plain_deps, "Rechnungsdaten-Extraktion", text)
    openai_server.script(reply(json.dumps(_generated_plan(base))))

    draft = draft_evals(llm_deps, "Rechnungsdaten-Extraktion", text)

    assert draft.mode == "generated" and draft.notice is None
    assert draft.metric("IBAN exact match") is not None
    assert any(q.question == "Who owns the scan slice?" for q in draft.open_questions)
    # The PRD still wins: its declared type, its latency target, its cost metric, its own questions.
    assert draft.feature_type == "extraction"
    assert draft.metric("Latency").threshold == base.metric("Latency").threshold  # type: ignore[union-attr]
    assert draft.metric("Latency").threshold_source == "prd"  # type: ignore[union-attr]
    assert draft.metric("Cost per query") == base.metric("Cost per query")
    assert [q for q in draft.open_questions if q.origin == "prd"] == [
        q for q in base.open_questions if q.origin == "prd"
    ]
    assert draft.sources == base.sources and draft.p95_ms == 8000
    assert "by the LLM" in draft.as_markdown()

    request = openai_server.requests[0]["body"]
    assert request["response_format"]["type"] == "json_schema"
    assert request["response_format"]["json_schema"]["name"] == "EvalPlan"
    prompt = request["messages"][-1]["content"]
    assert "Rechnungsdaten-Extraktion" in prompt and "0,02 €" in prompt  # the PRD
    assert "Confidence calibration (trust; applies to: classification, rag, extraction)" in prompt  # the catalog
    assert "threshold_source: prd" in prompt  # the deterministic first draft


@pytest.mark.parametrize(
    "failure",
    [malformed(), reply("Here is your plan: metrics are important."), reply('{"metrics": "none"}')],
    ids=["malformed-body", "prose-not-json", "wrong-shape"],
)
def test_an_unusable_llm_reply_falls_back_to_the_deterministic_draft(
    llm_deps: Deps, openai_server: OpenAIServer, failure: Any
) -> None:
    openai_server.default = failure
    text = (PRDS / "ticket-thread-summarizer.md").read_text(encoding="utf-8")
    draft = draft_evals(llm_deps, "Ticket Thread Summarizer", text)
    assert draft.mode == "deterministic"
    assert draft.notice and "deterministic draft" in draft.notice and "unusable" in draft.notice
    assert draft.metric("Cost per query").threshold == "Cost per summary: < $0.004"  # type: ignore[union-attr]
    assert openai_server.calls == 2  # one retry, then the fallback


def test_a_plan_gets_the_longer_eval_draft_budget(
    llm_deps: Deps, plain_deps: Deps, openai_server: OpenAIServer
) -> None:
    base = draft_evals(plain_deps, "Route tickets to the right queue")
    openai_server.script(reply(json.dumps(_generated_plan(base)), delay_s=1.5))
    slow = dataclasses.replace(
        llm_deps,
        settings=llm_deps.settings.model_copy(
            update={"llm_budget_s": 0.5, "llm_timeout_s": 0.5, "eval_draft_budget_s": 6.0}
        ),
    )
    slow = dataclasses.replace(slow, llm=LLM(slow.settings, backoff_base_s=0.01))
    # An answer would have given up after half a second; a plan may take its time.
    assert draft_evals(slow, "Route tickets to the right queue").mode == "generated"
    assert openai_server.calls == 1


def test_a_rejected_key_falls_back_at_once_and_says_what_to_check(llm_deps: Deps, openai_server: OpenAIServer) -> None:
    openai_server.default = unauthorized()
    draft = draft_evals(llm_deps, "Route tickets to the right queue")
    assert draft.mode == "deterministic" and draft.notice and "OPENAI_API_KEY" in draft.notice
    assert openai_server.calls == 1


def test_numbers_the_llm_gives_as_the_prds_must_be_in_the_prd(
    llm_deps: Deps, plain_deps: Deps, openai_server: OpenAIServer
) -> None:
    text = (
        "# Help center chatbot\n\nCustomers ask the chatbot questions; it answers from help-center articles.\n\n"
        "## Measuring Success\n"
        '- Share of users answering yes to "did that answer your question?": from 41% to 60%\n'
        "- Fewer fallbacks to a human agent: below 10% of conversations\n"
    )
    base = draft_evals(plain_deps, "Help center chatbot", text)
    plan = EvalPlan.model_validate(base.model_dump(include=set(EvalPlan.model_fields))).model_dump(mode="json")
    # The model drops one of the PRD's outcomes, invents a target for the other, and a PRD threshold.
    plan["success_criteria"] = [
        {"statement": "Answer acceptance", "baseline": "41%", "target": "75%", "source": "prd"},
        {"statement": "Agents trust the answers", "source": "playbook"},
    ]
    latency = next(m for m in plan["metrics"] if m["name"] == "Latency")
    latency["threshold"], latency["threshold_source"] = "p95 <= 2.5 s", "prd"
    openai_server.script(reply(json.dumps(plan)))

    draft = draft_evals(llm_deps, "Help center chatbot", text)

    statements = [c.statement for c in draft.success_criteria]
    assert "Answer acceptance" not in statements  # 75% is nowhere in the PRD
    assert "Agents trust the answers" in statements
    assert [c.statement for c in draft.success_criteria if c.source == "prd"] == [
        c.statement for c in base.success_criteria if c.source == "prd"
    ]
    latency_now, latency_base = draft.metric("Latency"), base.metric("Latency")
    assert latency_now is not None and latency_base is not None
    assert (latency_now.threshold, latency_now.threshold_source) == (latency_base.threshold, "playbook")
    assert draft.notice and "75" in draft.notice and "2.5" in draft.notice

    prompt = openai_server.requests[0]["body"]["messages"][-1]["content"]
    assert "outcomes_stated_in_the_prd" in prompt and "did that answer your question" in prompt
    assert "looked_for" in prompt and "metrics_not_applicable" in prompt


GAP_CASES = {
    # The language of the inputs, and an "only" in a scope table, state the launch languages.
    "languages": (
        # what a conversational agent says, named in its language
        "# Interview agent\n\n- **Indicators**: 15+ Nederlandse doorvraag-patronen\n",
        "# Assistant\n\nIt answers Italian professional services queries from the knowledge base.\n",
        "# RAG\n\n## Out of Scope\n\n| Feature | Why |\n|---|---|\n| Weitere Sprachen | MVP nur Englisch/Deutsch |\n",
        "# Toetsing\n\nDe regels toetsen Nederlandse juridische definities.\n",
        # the language as an adjective of the product
        "# Zoeken\n\nDit document beschrijft een Nederlandstalige zoekmachine voor de catalogus.\n",
        "# OCR\n\n- 85-95% OCR-Genauigkeit für Standard-deutsche Geschäftsrechnungen\n",
        # the language named after what is written in it
        "# Chatbox\n\n- AI-gesprekken in het Nederlands.\n",
        "# Berater\n\nDer Assistent führt Gespräche auf Deutsch.\n",
        "# Diagnose\n\n// Top ~50 GGZ-relevante ICD-10 codes met Nederlandse beschrijvingen\n",
        # one language, with more of them ruled out
        "# Vraagbaak\n\n## Buiten scope\n\n- Meertaligheid: de UI is Nederlands; een meertalige site is geen doel.\n",
    ),
    "unanswerable": (
        "# Copilot\n\n- Antworten nennen Datenlücken und Modellgrenzen.\n",
        '# RAG\n\nFallback: "Keine passende Antwort gefunden" statt Halluzination.\n',
        '# Assistent\n\n- "Weet ik niet" bij ontbrekende info\n',
        # it refuses when it is unsure
        "# RAG\n\nIn scope: retrieval, confidence gating, refusal & clarify flows, citations.\n",
        # what it shows when nothing is found
        '# RAG\n\n3. **If no results:** Show "Did you mean..." suggestions\n',
        "# RAG\n\n- Fallback: If not found, provide search link\n",
    ),
    "gate_owner": (
        "# RAG\n\n## Approvals\n\n| Checkpoint | Stakeholder |\n|---|---|\n| Go/No-Go-Decision | Product, CTO |\n",
        "# Epic\n\n## Stakeholder Sign-off\n\n- Business Eigenaar (OM): ✅ Approved (04-09-2025)\n",
        "# Assistent\n\n- **Stakeholders Gate 0:** CIO/CTO, DPO, afdelingsmanagers.\n",
        # a deployment that waits for a sign-off, a role whose duties include the acceptance
        "# Platform\n\n- Approval Workflow: Modell-Deployment requires Committee Sign-Off\n",
        "# Roadmap\n\n| Rolle | Aufgaben |\n|---|---|\n| Product Lead | Produktpriorisierung, fachliche Abnahme |\n",
        # a role that owns the launch gates
        "# Gifts\n\n| Role | Responsibility |\n|---|---|\n| AI Product Manager | Own priorities, launch gates |\n",
        # a role that answers for the acceptance in a list of duties, a step that needs a team's approval
        "# Notizen\n\n## Verantwortlichkeiten\n\n- **Projektleitung**: Priorisiert Anforderungen und verantwortet die "
        "Abnahme.\n",
        "# Win-back\n\n### Week 1\n\n- [ ] Build email templates\n- [ ] Get legal approval for communications\n",
    ),
    "eval_set": (
        "# Toetsing\n\n- 98% regelnauwkeurigheid gevalideerd via testcorpus (10,000 definities)\n",
        "# Toetsing\n\n- Juridische Validatie: 500 testcases door domeinexperts\n",
        "# OCR\n\n- Messung: Automatisierte Genauigkeitsbewertung gegen manuelle Verifikations-Sample-Set\n",
        # a train/dev split with its sizes, goldens run as a gate, a data set named by the history it covers
        "# Router\n\n- Basis: 40 pairs, Train 30, Dev 10.\n",
        "# Router\n\n- Gate: `scripts/run_goldens --all` -> 12 PASS\n",
        "# Scoring\n\n## Pilot\n\n- **Dataset**: 18 maanden opnames + uitkomsten.\n",
        # outputs compared with people's, or a set of test queries
        "# Extraction\n\n- Process 30 real PDFs with 99% field accuracy vs human benchmark\n",
        "# Search\n\n- Relevant documents in the top 5 results 95% of the time, as measured by test queries\n",
        "# Router\n\n- Build comprehensive test dataset (50+ examples)\n",
        "# Matching\n\n- Minimaal 1 demo-vacature + 5 test-cv's beschikbaar.\n",
        # a counted sample checked by hand, and the months of data it is checked on
        "# OCR\n\n| Kriterium | Messung |\n|---|---|\n| PDFs korrekt konvertiert | Stichprobe mit 10 PDFs |\n",
        "# Triage\n\n- [ ] Manual review of 50 tickets: 70%+ of recommendations rated helpful\n",
        "# Sentiment\n\n- Scope: 3–6 maanden aan enquête- en klachtdata.\n",
        "# Toxicity\n\n- actual_toxic: Ground truth label from human review\n",
        "# Triage\n\n- Confidence is calibrated on clinician‑authored synthetic cases for calibration.\n",
        # a suite of cases run again on new models, in a table row
        "# Studio\n\n| Modus | Beschreibung |\n|---|---|\n"
        "| Benchmark | Reusable Test-Suites, re-runnable bei neuen Modellen |\n",
    ),
    "fallback": (
        "# Agent\n\n| Network Failure | Connection timeout | Retry with exponential backoff |\n",
        "# Chatbox\n\nDe chatbot beantwoordt vragen en waar nodig overdraagt naar een mens.\n",
        "# Classifier\n\nA feature flag allows us to turn it off if there are issues.\n",
        # the next one is tried when the first fails, a person calls back
        "# Load balancing\n\n- If first one fails, get a random one of the good ones from redis\n",
        "# Assistent\n\n- Reicht die Info nicht, entsteht eine Rückruf-Aufgabe.\n",
        # drawn in a flowchart or a box diagram
        "# Recipes\n\n```mermaid\nflowchart TD\n    Error --> Retry[User can retry]\n```\n",
        "# Assistent\n\n```\n┌──────────────┐\n│ NEIN → Rückruf-Aufgabe │\n└──────────────┘\n```\n",
    ),
    "confidence_threshold": ("# Moderation\n\n- Real-time spam detection with configurable sensitivity levels\n",),
    "monitoring": (
        # the measures are kept and watched
        "# Interview agent\n\n## Volgende stappen\n\n- Metrics bijhouden - Meet impact van elke verbetering\n",
        "# Interview agent\n\n## Phase 3\n\n- Metrics Dashboard\n",
        "# Router\n\n- Track accuracy metrics in production\n",
        "# Growth\n\n- Review Week 1 experiment data; flag any assignment skew\n",
        "# Search\n\nWe add analytics events to the API to understand how the filter is used.\n",
        "# Filter\n\nWe can add the following events to the API to better understand the usage of the features.\n",
    ),
    "adversarial": (
        "# Pipeline\n\nThe system must block malicious or corrupted PDFs before ingestion.\n",
        # the attacks are tested or reviewed
        "# Bildzuordnung\n\n**Status:** Reliability-/Security-Review umgesetzt, noch nicht deployed\n",
        "# Uploads\n\n- A penetration test of the upload API runs before launch.\n",
    ),
    "retraining": (
        # outputs are recomputed on a new configuration
        "# Matching\n\n- Ein Re-Match mit neuer Config braucht keinen neuen KI-Aufruf.\n",
        "# Assistant\n\n- Benchmarks run in CI after QA deployment\n",
        "# Router\n\nEach new sub-model: train it, switch its flag on, compare the scores, adopt or roll back.\n",
        "# Search\n\nAn annual refresh cycle re-embeds and re-validates every document.\n",
        "# Router\n\n- Iterate on keyword lists based on user feedback\n",
        "# Extraction\n\n- Run evaluation on each commit\n",
        "# Studio\n\n- Test suites are re-runnable with every new model version.\n",
        "# Platform\n\n- Regression Detection: Alert bei Accuracy-Drop > 5%\n",
        "# Invoices\n\n- User corrections are sent back to the OCR vendor for model training\n",
        "# Belege\n\nDas System lernt nach drei gleichen Korrekturen dazu.\n",
        # it learns from what users do, or is adjusted on their feedback
        "# Router\n\n- System learns from who actually answers over time\n",
        "# Router\n\n- Learn from dismissals\n",
        "# Search\n\n- Adjust algorithm based on feedback\n",
        # it learns rules from the decisions people confirm
        "# Kontierung\n\n- **automatisches Regel-Lernen** aus bestätigten Entscheidungen\n",
        "# Router\n\nThe router learns from reviewer corrections every week.\n",
        # a measure past its limit changes the prompt; the rules come up for review again
        "# Triage\n\n- Mitigation: If false critical rate exceeds 10%, adjust LLM prompt to raise the threshold\n",
        "# Moderation\n\n**Next Review:** After 100 reviews with comments OR first incident\n",
    ),
    "override": (
        "# Scoring\n\n- **Menselijke validatie**: de arts beoordeelt elk advies.\n",
        "# Scoring\n\nEvery score goes through human validation before it reaches the ward.\n",
        "# Topic model\n\nThe submitter reviews the prefilled topic instead of answering the questions.\n",
        "# Copilot\n\nThe system must execute pending actions only after explicit user confirmation.\n",
        # the person turns the bot down and asks for a human
        '# Assistent\n\n| Situation | Aktion |\n|---|---|\n| Kunde will Mitarbeiter | "Ich verbinde Sie" |\n',
        "# Chatbot\n\nWhen the customer asks for a human, the chat goes to the support queue.\n",
        # a flowchart's step
        "# Recipes\n\n```mermaid\nflowchart TD\n    Edit -->|Yes| EditForm[Edit title/ingredients/steps]\n```\n",
        # the person a moderation decision hits can contest it
        "# Moderation\n\n- False positives: mitigation through an appeal process and moderator training\n",
        # users change what it produced
        "# Insights\n\n## API\n\n- **Update**: Insight content, action item status, and priority levels\n",
        "# Notes\n\nUsers can modify the summary before it is shared.\n",
    ),
    "latency": (
        "# Epic\n\n## Niet\u2011functioneel\n\n- Performance: extractie < 2s voor standaard DOCX 10 pagina's\n",
        "# OCR\n\n## Metriken\n\n**Verarbeitungs-Performance:**\n- **Ziel:** Rechnungen innerhalb 30 Sekunden\n",
        "# Berater\n\nKR2: Reduzieren wir die Zeit bis zur Beantwortung einer Frage auf unter 1 Minuten.\n",
        "# Removal\n\nThere should be no increase in the time it takes to perform a data refresh.\n",
        "# Summaries\n\n- Responsive performance (<2s processing for typical transcript)\n",
        "# Extraction\n\nA PDF URL becomes structured JSON data in <2 minutes.\n",
        "# Klassifikation\n\n- Ziel: 5 Bilder/Sekunde bei 20 Megapixel\n",
        # a step done in seconds
        '# SmartMail\n\n**Elevator Pitch:** "Van medisch verslag naar patiëntcommunicatie in 30 seconden."\n',
        "# SmartMail\n\n**Email Generation (30 seconden):**\n1. Therapeut klikt op SmartMail\n",
        # a time that must stay as it is
        "# Popularity\n\n8. Query time on the frontend must not be increased.\n",
        "# Gedächtnis\n\n- Betrieb: Fehlschläge nahe null; Latenz der Antwort unverändert.\n",
        "# Zoeken\n\nDe responstijd van de zoekbalk blijft gelijk.\n",
        "# Referrals\n\nReferral tracking should not add latency to user flows.\n",
        # a batch run's wall-clock limit in hours
        "# Pipeline\n\n| Requirement | Target |\n|---|---|\n| Max Run wall-clock | ≤ 20 hours, then it fails |\n",
        "# Empfehlungen\n\nDas Tracking läuft ohne zusätzliche Latenz im Hintergrund.\n",
    ),
    "rollout": (
        "# Reminders\n\n- June 6, 2022: Launched to 25% of in-progress application population\n",
        "# Empfehlungen\n\nDie Empfehlungen gehen zuerst an 10 % der Nutzer.\n",
    ),
    "users": (
        "# Klassifikation\n\nEntwicklung eines Prototyp-Softwaretools für Ingenieure.\n",
        "# Campaign\n\n## Target Audience\n\n- **Demographics**: Software developers, 25-45 years old\n",
    ),
    # nothing per use, or the tokens one request takes
    "cost": (
        "# Search\n\nClient-side embeddings are real, free to operate, and private by construction.\n",
        "# Onboarding\n\n- Pro Enrichment ca. 5–15k Tokens In + 1–2k Out.\n",
        # a price per unit of work
        "# Videos\n\n- Serverless-Rendering über AWS Lambda ($0.01-0.05/Video)\n",
        "# Scanner\n\n- OpenAI API: ~€0,25 per Pro scan\n",
    ),
}


@pytest.mark.parametrize(("key", "text"), [(key, text) for key, texts in GAP_CASES.items() for text in texts])
def test_no_gap_for_what_the_prd_states_in_its_own_words(plain_deps: Deps, key: str, text: str) -> None:
    draft = draft_evals(plain_deps, "Document answers", text)
    assert key not in {q.key for q in draft.open_questions if q.origin == "gap"}


@pytest.mark.parametrize(
    ("key", "text"),
    [
        (
            "languages",
            "# Assistant\n\nIt answers questions from the knowledge base.\n\n## Non-goals\n- German support\n",
        ),
        ("gate_owner", "# KEP\n\n## Release Signoff Checklist\n\n- [ ] KEP approvers have approved the KEP\n"),
        ("eval_set", "# Toetsing\n\n- Unit tests for each rule\n"),
        ("latency", "# OCR\n\n## Metriken\n\n**Verarbeitungs-Performance:**\n- **Ziel:** 90% der Rechnungen sofort\n"),
        ("retraining", "# Assistant\n\n- Benchmarks are listed in the appendix.\n"),
        ("retraining", "# Router\n\n- Training data comes from the support inbox.\n"),
        ("eval_set", "# Scoring\n\n- Dataset: patient records from the ward.\n"),
        ("eval_set", "# Service\n\n- The test suite passes before each deploy.\n"),
        ("gate_owner", "# Service\n\n- The release notes need a sign-off line.\n"),
        ("gate_owner", "# Gifts\n\n| Role | Responsibility |\n|---|---|\n| Design Lead | Deliver the gift UX |\n"),
        ("latency", "# Pipeline\n\nA nightly run takes about 20 hours on the full universe.\n"),
        (
            "unanswerable",
            "# RAG\n\nIt answers questions from the knowledge base with citations.\n\n- No results are cached.\n",
        ),
        ("gate_owner", "# Webshop\n\n- Wer ist verantwortlich für die finale Freigabe der Muster?\n"),
        ("retraining", "# Service\n\n- Failed jobs are rerun by the scheduler.\n"),
        ("retraining", "# MVP\n\nLearn from real usage, then add complexity based on customer feedback.\n"),
        # code in a fence is no prose, and arrows alone draw no diagram
        ("fallback", "# Service\n\n```python\n# on error: retry with backoff\nrun()\n```\n"),
        ("fallback", "# Demo\n\n```\nColor: #0044FF → #6600FF, retry the fade\n```\n"),
        ("cost", "# Shop\n\n- Customers pay $20/month for the plan.\n"),
        ("override", "# Moderation\n\nIt recommends an action: allow, warn, block or human review.\n"),
        ("adversarial", "# Service\n\n## Security\n\n- Data is encrypted at rest.\n"),
        ("monitoring", "# Service\n\n- An admin dashboard lists the bookings.\n"),
        ("retraining", "# Dating\n\n- Users see a new match every day.\n"),
        # a video's length and a claim about claims are no latency or override
        ("latency", "# Demo\n\n## Demo Flow (60 seconden video)\n\nDe coach toont het gebaar.\n"),
        ("override", "# Chatbot\n\nVeterans track claims and appeals in the app.\n"),
        # a sample drawn each week is monitoring; a document's own review date and a change log are no retraining
        # or override
        ("eval_set", "# Assistant\n\n- Measurement: Manual review of 100 random queries per week\n"),
        ("retraining", "# Scanner\n\n**Volgende Review**: Januari 2025\n"),
        ("override", "# Summaries\n\n## Change summary\n\n- v2 adds German.\n"),
    ],
)
def test_the_gap_stays_when_the_prd_only_seems_to_state_it(plain_deps: Deps, key: str, text: str) -> None:
    draft = draft_evals(plain_deps, "Document answers", text)
    assert key in {q.key for q in draft.open_questions if q.origin == "gap"}


def test_the_type_is_read_from_the_prose_not_from_code_blocks(plain_deps: Deps) -> None:
    query = "rate(query_classifications_total{fallback_used='True'}[1h]) / classification_confidence_total\n"
    text = (
        "# Assistant\n\nIt answers questions from the knowledge base with retrieval and citations.\n\n"
        f"```promql\n{query * 6}```\n"
    )
    assert draft_evals(plain_deps, "", text).feature_type == "rag"


def test_a_placeholder_target_is_kept_marked_and_never_a_metric_threshold(plain_deps: Deps) -> None:
    text = (
        "# Answer bot\n\nIt answers questions from help-center articles.\n\n## Success metrics\n\n"
        "- Answer accuracy above X% on the eval set\n- Fewer tickets: from 900 to 700 a week\n"
    )
    draft = draft_evals(plain_deps, "Answer bot", text)
    accuracy = next(c for c in draft.success_criteria if c.statement.startswith("Answer accuracy"))
    tickets = next(c for c in draft.success_criteria if c.statement.startswith("Fewer tickets"))
    assert (accuracy.target, accuracy.target_placeholder) == ("above X%", True)
    assert tickets.target_placeholder is False
    metric = draft.metric("Accuracy")
    assert metric is None or "X%" not in metric.threshold
    assert "above X% (placeholder: the PRD sets no number yet)" in draft.as_markdown()
    assert "target_placeholder: true" in draft.as_yaml()
