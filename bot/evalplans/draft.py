"""The deterministic eval plan for an AI feature: metrics, eval set, gates, guardrails, open questions.

Built without an LLM from the playbook's metric catalog (`ai-metrics.md`), tailored to the feature
type, and filled with what the PRD says: its users, its numbers (PRD targets beat playbook defaults,
and every threshold says which it is), its languages, rollout, risks and open questions, plus the
gaps it leaves. `bot.evalplans.generate` has an LLM write on top of it.

The plan's shape lives in `bot.evalplans.plan`; the gaps a PRD leaves, in `bot.evalplans.gaps`.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from bot.evalplans.feature_kinds import NON_AI_KINDS, infer_kind
from bot.evalplans.feature_types import PROFILES, FeatureTypeGuess, infer_feature_type
from bot.evalplans.gaps import ADVERSARIAL_WORDS, CONFIDENCE_WORDS, FALLBACK_WORDS, prd_gaps
from bot.evalplans.inputs import feature_name
from bot.evalplans.metrics import catalog_metrics, short
from bot.evalplans.plan import (
    EvalDraft,
    EvalSet,
    Fact,
    LaunchGate,
    Metric,
    Monitoring,
    OpenQuestion,
    Point,
    SuccessCriterion,
)
from bot.evalplans.sources import playbook_sources

if TYPE_CHECKING:
    from pathlib import Path

    from bot.evalplans.metric_catalog import MetricCatalog
    from bot.evalplans.prd.facts import PrdFacts

# Rules of thumb from the playbook (evaluation-frameworks.md); tests check that the page still says so.
MIN_EVAL_SET = 300  # "Eval set size": 300-500 examples for a first launch gate
PER_LANGUAGE = 100  # "Languages and locales in the eval set": at least 100 per language
PER_CLASS = 50  # "Eval set size": 30-50 examples per class
EDGE_SHARE = 0.15  # "Edge cases and adversarial cases": keep 10-20% of the set for them
DOUBLE_LABELLED = "20%"  # "Who labels the eval set": at least 20% labelled by two people
MIN_AGREEMENT = "80%"  # ... and below 80% agreement the guidelines need work

DETERMINISTIC_NOTICE = (
    "Drafted without an LLM: built from the playbook's metric catalog and this PRD's own numbers. "
    "Set OPENAI_API_KEY for a written draft."
)
NO_PRD_NOTICE = (
    "Drafted without an LLM and without a PRD: built from the playbook's metric catalog, so every threshold is "
    "a playbook default. Attach the PRD (--prd, or ask in its thread) for a plan with its own numbers."
)

_NEVER = re.compile(r"\b(never|niemals|nie|nooit|must not|darf nicht|mag niet|always|immer|altijd)\b", re.I)
_GUARDRAIL = re.compile(
    r"\b(never|niemals|nooit|must not|only (?:when|if)|nur wenn|alleen (?:als|wanneer)|threshold|schwellenwert|"
    r"drempel\w*|confiden\w*|konfidenz\w*|checks?|prüf\w*|plausibilit\w*|controle\w*|validat\w*|isolation|"
    r"consent|zustimmung|toestemming|block\w*|approv\w*|freigabe|goedkeur\w*|label\w*|disable|switch \w+ off|"
    r"ausschalt\w*|aan- of uitzetten|ein- und ausschalten|always|immer|altijd)\b",
    re.I,
)
_OFFLINE = re.compile(r"offline|eval set only|nur golden|alleen golden", re.I)
_DRIFT_RISK = re.compile(r"drift|new |neue|nieuwe|stale|outdated|veraltet|verouderd|seasonal", re.I)


def _success_criteria(facts: PrdFacts, outcomes: list[SuccessCriterion], feature: str) -> list[SuccessCriterion]:
    criteria = list(outcomes)
    if not criteria:
        criteria = [SuccessCriterion(statement=goal, source="prd") for goal in facts.goals]
    if not criteria:
        criteria = [
            SuccessCriterion(
                statement=f"Name the user outcome {feature!r} must change, with a baseline and a target, and "
                "the model metrics that stand for it; write them down before any prompt is tuned.",
                source="playbook",
            )
        ]
    return criteria


def _non_negotiables(facts: PrdFacts) -> list[str]:
    found = [short(item, 220) for item in facts.requirements if _NEVER.search(item)]
    for row in facts.success_rows:
        if re.search(r"(?:^|;)\s*0\s+\w", row.target):
            found.append(f"{row.name}: {row.target}")
    return list(dict.fromkeys(found))[:6]


def _eval_set(facts: PrdFacts, guess: FeatureTypeGuess) -> EvalSet:
    profile = PROFILES[guess.primary]
    others = [PROFILES[kind] for kind in guess.secondary]
    languages = facts.languages
    core = max(MIN_EVAL_SET, PER_LANGUAGE * len(languages), PER_CLASS * (facts.class_count or 0))
    edge = int(math.ceil(core * EDGE_SHARE / 10) * 10)
    reasons = [f"{core} examples that mirror real traffic"]
    if len(languages) > 1:
        reasons.append(f"at least {PER_LANGUAGE} per language × {len(languages)} languages")
    if facts.class_count:
        reasons.append(f"about {PER_CLASS} per class × {facts.class_count} classes")
    if core == MIN_EVAL_SET:
        reasons.append(f"the playbook's minimum of {MIN_EVAL_SET} for a first launch gate")
    rationale = f"{'; '.join(reasons)}; plus {edge} edge and adversarial cases (about {int(EDGE_SHARE * 100)}%)."

    distribution = ["Sample real, anonymised production or pilot data in proportion to actual traffic."]
    distribution += [f"PRD: {short(note, 260)}" for note in facts.distribution_notes]
    if facts.users:
        distribution.append(f"Cover every user group: {'; '.join(facts.users)}.")
    use_cases = [short(case, 90) for case in facts.use_cases]
    if use_cases:
        distribution.append(f"A slice per use case: {'; '.join(use_cases)}.")

    # A secondary type adds its first slices (an extraction that also classifies gets overlapping classes).
    edge_cases = list(dict.fromkeys([*profile.edge_cases, *(case for p in others for case in p.edge_cases[:2])]))
    if len(languages) > 1:
        edge_cases.append(f"Mixed-language inputs across {', '.join(languages)}")
    adversarial = list(
        dict.fromkeys([*profile.adversarial_cases, *(case for p in others for case in p.adversarial_cases[:1])])
    )
    for risk in facts.risks:
        line = f"PRD risk: {risk.title}" + (f" — {short(risk.text, 120)}" if risk.text else "")
        (adversarial if ADVERSARIAL_WORDS.search(f"{risk.title} {risk.text}") else edge_cases).append(line)

    labelling: list[str] = [
        f"PRD: {short(note, 260)}" for note in facts.eval_set_notes if re.search(r"label|gelabel|annotat", note, re.I)
    ]
    roles = [user.split(",", 1)[1].strip() if "," in user else user for user in facts.users]
    experts = f" ({'; '.join(roles[:3])})" if roles else ""
    labelling.append(
        f"Domain experts label, not only the engineers building it{experts}; write guidelines with examples."
    )
    labelling.append(
        f"Label at least {DOUBLE_LABELLED} of items twice; below {MIN_AGREEMENT} agreement, fix the guidelines "
        "before blaming the model."
    )
    existing = [short(note, 260) for note in facts.eval_set_notes if not note.startswith(("Label ", "Gate owner"))]
    return EvalSet(
        size=core + edge,
        size_rationale=rationale,
        existing=existing,
        distribution=distribution,
        use_cases=use_cases,
        edge_cases=edge_cases,
        adversarial_cases=adversarial,
        languages=languages,
        per_language=PER_LANGUAGE,
        labelling=labelling,
    )


def _guardrails(facts: PrdFacts, guess: FeatureTypeGuess) -> tuple[list[Point], list[Point]]:
    guardrails = [Point(text=short(item, 240), source="prd") for item in facts.requirements if _GUARDRAIL.search(item)]
    guardrails = guardrails[:7]
    for risk in facts.risks:
        if risk.mitigation:
            guardrails.append(Point(text=f"{risk.title}: {short(risk.mitigation, 200)}", source="prd"))
    output_check = (
        "schema validation and deterministic checks on every field"
        if guess.primary in ("extraction", "classification")
        else "moderation and blocked claim types (prices, refunds, legal or medical advice)"
    )
    playbook = [
        "Input checks: size limits, PII masking, prompt-injection detection for uploaded or retrieved content.",
        f"Output checks: {output_check}.",
        "Timeouts and retries with backoff, and a non-AI path when the provider is down.",
        "Spend limits, with an alert at 80% of the monthly budget.",
        "Log the model and prompt version with every output; give users a visible way to report a bad one.",
    ]
    if guess.primary == "agent":
        playbook.append("Cap steps and tool calls per task; a human approves irreversible actions.")
    guardrails += [Point(text=text, source="playbook") for text in playbook]

    sentences = [*facts.requirements, *(facts.nfr.get(kind, "") for kind in ("availability", "latency"))]
    degradation = [
        Point(text=short(text, 240), source="prd")
        for text in dict.fromkeys(sentences)
        if text and (FALLBACK_WORDS.search(text) or CONFIDENCE_WORDS.search(text))
    ][:5]
    if len(degradation) < 2:
        degradation += [
            Point(
                text="High confidence: show the output, or apply it if the action is low-risk and reversible.",
                source="playbook",
            ),
            Point(
                text="Medium confidence: a suggestion that takes one click to accept, uncertain parts highlighted.",
                source="playbook",
            ),
            Point(
                text="Low confidence: no generated output; show search results, a template or ask a question.",
                source="playbook",
            ),
            Point(
                text="Model down or too slow: the non-AI flow, with a short note that the AI is unavailable.",
                source="playbook",
            ),
        ]
    return guardrails, degradation


def _launch_gates(facts: PrdFacts, metrics: list[Metric]) -> list[LaunchGate]:
    gates: list[LaunchGate] = []
    headline = [f"{m.name}: {m.threshold}" for m in metrics if m.category == "quality" and m.threshold_source == "prd"]
    bar = "; ".join(short(text, 110) for text in headline[:3]) or "every quality metric at its threshold"
    first = facts.rollout[0] if facts.rollout else None
    if not (first and _OFFLINE.search(f"{first.name} {first.audience}")):
        gates.append(
            LaunchGate(
                name="Offline gate",
                audience="None: the eval set only",
                criteria=f"{bar}; 0 critical failures on the adversarial slice; latency and cost within budget.",
                source="playbook",
            )
        )
    if facts.rollout:
        gates += [
            LaunchGate(
                name=phase.name,
                audience=phase.audience,
                criteria=phase.criteria,
                dates=phase.dates or None,
                source="prd",
            )
            for phase in facts.rollout
        ]
    else:
        gates += [
            LaunchGate(
                name="Internal dogfood",
                audience="Own employees",
                criteria="No new failure categories for 2 weeks; override rate measured.",
                source="playbook",
            ),
            LaunchGate(
                name="Limited beta",
                audience="5-10% of traffic or selected customers",
                criteria="Production metrics within 3 points of offline results; latency and cost within budget.",
                source="playbook",
            ),
            LaunchGate(
                name="General availability",
                audience="All users",
                criteria="Beta targets held for 2-4 weeks; monitoring and on-call in place.",
                source="playbook",
            ),
        ]
    return gates


def _monitoring(facts: PrdFacts, guess: FeatureTypeGuess) -> Monitoring:
    drift = list(PROFILES[guess.primary].drift)
    drift += [
        f"PRD risk: {risk.title}" + (f" — mitigation: {short(risk.mitigation, 140)}" if risk.mitigation else "")
        for risk in facts.risks
        if _DRIFT_RISK.search(risk.title)
    ]
    others = [language for language in facts.languages if language != "English"]
    if others:
        drift.append(f"Per-language quality ({', '.join(others)}): non-English slices usually drift first.")
    if facts.nfr.get("freshness"):
        drift.append(f"PRD freshness target: {short(facts.nfr['freshness'], 160)}")
    if facts.nfr.get("retraining"):
        retraining = Point(text=facts.nfr["retraining"], source="prd")
    else:
        retraining = Point(
            text="Revise the prompt or retrain when a quality metric falls 3-5 points below its launch value or a "
            "new failure category appears; rerun the full eval set before every model, prompt or index change.",
            source="playbook",
        )
    alerts = []
    p95 = facts.latency("p95")
    if p95:
        alerts.append(f"p95 latency over {_duration(p95.ms)}")
    if facts.cost:
        alerts.append(f"cost per request over {facts.cost.text}")
    alert_text = f" Alert on {' or '.join(alerts)}." if alerts else ""
    volume = f" (of {short(facts.volume, 120)})" if facts.volume else ""
    cadence = [
        f"Daily: dashboards for latency, errors, cost and fallback rate.{alert_text}",
        f"Weekly: review 50-100 sampled production outputs{volume}; add new failure cases to the eval set.",
        "Monthly: rerun the full eval set, review the fairness slices, decide on prompt updates or retraining.",
        "On every model, prompt or index change: rerun the full eval set before release.",
    ]
    return Monitoring(drift=drift, retraining=retraining, review_cadence=cadence)


def _duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{ms / 60_000:g} min"
    if ms >= 1000:
        return f"{ms / 1000:g} s"
    return f"{ms:g} ms"


def _prd_facts(facts: PrdFacts) -> list[Fact]:
    out: list[Fact] = []
    if facts.product:
        out.append(Fact(label="Product", value=facts.product))
    if facts.owner:
        out.append(Fact(label="Owner", value=facts.owner))
    if facts.volume:
        out.append(Fact(label="Volume", value=short(facts.volume, 220)))
    for item in facts.distinct_latencies():
        out.append(Fact(label=f"Latency {item.percentile}", value=short(item.text, 160)))
    if facts.cost:
        out.append(Fact(label="Cost target", value=f"{facts.cost_label}: {facts.cost.text}"))
    if facts.languages:
        out.append(Fact(label="Languages", value=", ".join(facts.languages)))
    shares = [f"{phase.name}: {', '.join(phase.percentages)}" for phase in facts.rollout if phase.percentages]
    if shares:
        out.append(Fact(label="Rollout shares", value="; ".join(shares)))
    if facts.nfr.get("availability"):
        out.append(Fact(label="Availability", value=short(facts.nfr["availability"], 200)))
    return out


def build_draft(
    feature: str, facts: PrdFacts, catalog: MetricCatalog, knowledge_dir: Path, *, has_prd: bool = True
) -> EvalDraft:
    """The deterministic draft: the catalog tailored to the feature type and filled with the PRD's facts."""
    name = feature_name(feature, facts)
    # The PRD's prose, not its code blocks: a metric query full of `classification_total` is no classifier.
    prose = f"{feature}\n{facts.content_text or facts.text}"
    guess = infer_feature_type(prose, facts.declared_type, name=f"{feature}\n{facts.title or ''}")
    kind = infer_kind(prose, guess)
    metrics, skipped, outcomes = catalog_metrics(catalog, facts, guess, kind)
    eval_set = _eval_set(facts, guess)
    guardrails, degradation = _guardrails(facts, guess)
    questions = [OpenQuestion(question=q, origin="prd") for q in facts.open_questions]
    questions += [
        OpenQuestion(question=gap.question, origin="gap", key=gap.key, looked_for=gap.looked_for)
        for gap in prd_gaps(facts, guess, catalog, metrics, eval_set, ai=kind not in NON_AI_KINDS)
    ]
    p50, p95 = facts.latency("p50"), facts.response_p95()
    return EvalDraft(
        feature=name,
        feature_type=guess.primary,
        secondary_types=list(guess.secondary),
        feature_type_basis=guess.basis,
        prd_title=facts.title,
        product=facts.product,
        users=facts.users,
        prd_facts=_prd_facts(facts),
        success_criteria=_success_criteria(facts, outcomes, name),
        non_negotiables=_non_negotiables(facts),
        metrics=metrics,
        metrics_not_applicable=[item.metric for item in skipped],
        metrics_not_applicable_reasons=skipped,
        feature_kind=kind,
        eval_set=eval_set,
        guardrails=guardrails,
        degradation=degradation,
        launch_gates=_launch_gates(facts, metrics),
        gate_owner=facts.gate_owner,
        monitoring=_monitoring(facts, guess),
        open_questions=questions,
        sources=playbook_sources(knowledge_dir, catalog, metrics),
        mode="deterministic",
        notice=DETERMINISTIC_NOTICE if has_prd else NO_PRD_NOTICE,
        p50_ms=p50.ms if p50 else None,
        p95_ms=p95.ms if p95 else None,
        cost_per_request=facts.cost.amount if facts.cost else None,
        cost_currency=facts.cost.currency if facts.cost else None,
    )
