"""Draft the evaluation plan for an AI feature from its PRD: metrics, eval set, gates, guardrails, open questions.

Without an LLM the draft is built from the playbook's metric catalog (`ai-metrics.md`), tailored to
the feature type, and filled with what the PRD says: its users, its numbers (PRD targets beat
playbook defaults, and every threshold says which it is), its languages, rollout, risks and open
questions, plus the gaps it leaves. With an LLM the same structure comes back as structured output;
if the model fails, the deterministic draft is returned with a notice.

The plan's shape and its renderings live in `bot.evalplans.plan`; the gaps a PRD leaves, in `bot.evalplans.gaps`.
"""

from __future__ import annotations

import logging
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from bot.builtin import knowledge_file
from bot.core.llm import LLM
from bot.evalplans.feature_types import PROFILES, FeatureTypeGuess, infer_feature_type
from bot.evalplans.gaps import ADVERSARIAL_WORDS, CONFIDENCE_WORDS, FALLBACK_WORDS, prd_gaps
from bot.evalplans.metric_catalog import CatalogMetric, MetricCatalog
from bot.evalplans.plan import (
    EvalDraft,
    EvalPlan,
    EvalSet,
    Fact,
    LaunchGate,
    Metric,
    Monitoring,
    OpenQuestion,
    Origin,
    PlaybookSource,
    Point,
    SuccessCriterion,
    plan_yaml,
)
from bot.evalplans.prd_facts import MAX_TEXT_CHARS, PrdFacts, parse_prd, plain
from bot.exceptions import InputError, LLMError, LLMRejected, PMCopilotError
from bot.knowledge.loaders import LOADERS, SkipFile

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

MAX_PRD_CHARS = MAX_TEXT_CHARS
PROMPT_PRD_CHARS = 40_000  # about 10k tokens: a long PRD, not a whole wiki
MAX_FEATURE_NAME = 120

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

# PRD success-metric rows → catalog metrics, checked in this order (a "gap in accuracy between
# languages" is a fairness gap, not accuracy).
_ROW_METRIC: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        ("fairness-gap", r"\bgap\b|verschil|unterschied|between (?:english|languages)|tussen talen|fairness|\bbias"),
        ("confidence-calibration", r"calibrat|kalibr|\bece\b"),
        ("hallucination-rate", r"hallucinat|halluzin"),
        ("groundedness", r"grounded|supported by|belegt|onderbouwd|faithful"),
        ("relevance", r"relevan|ndcg|\bmrr\b"),
        ("human-override-rate", r"overrid|übersteuer|overschrijv|overrul|dismissed"),
        ("latency", r"\bp(?:50|90|95|99)\b|latenc|latenz"),
        ("cost-per-query", r"\bcost|kosten"),
        ("token-efficiency", r"\btokens?\b"),
        ("fallback-rate", r"fallback|terugval|rückfall"),
        ("safety-violation-rate", r"safety|toxic|moderation|red.?team|veiligheid"),
        ("task-success-rate", r"task success|aufgabenerfolg|taaksucces"),
        ("tone-consistency", r"\btone\b|tonalität|\btoon\b"),
        ("accuracy", r"accura|genauigkeit|nauwkeurigheid|precision|\brecall\b|\bf1\b|macro-f1|exact match"),
    )
)
# Non-functional requirement kinds that give a metric its PRD context.
_NFR_METRIC = {
    "latency": "latency",
    "cost": "cost-per-query",
    "context": "token-efficiency",
    "availability": "fallback-rate",
    "data": "safety-violation-rate",
}

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
_HEADING_MARKS = re.compile(r"^\s*+#++\s*+")
_PRD_SUFFIX = re.compile(r"(?<!\s)\s*+[—–:-]\s*+PRD\s*+$", re.I)  # "Ticket summaries — PRD"


# -- Inputs ------------------------------------------------------------------------------------


def feature_name(feature: str, facts: PrdFacts) -> str:
    """The first line of the description (Markdown heading marks and a trailing "— PRD" dropped)."""
    first = next((line for line in (feature or "").splitlines() if line.strip()), "")
    first = _HEADING_MARKS.sub("", first)
    first = _PRD_SUFFIX.sub("", plain(first)).strip()
    if not first:
        first = facts.title or ""
    if len(first) > MAX_FEATURE_NAME:
        first = first[:MAX_FEATURE_NAME].rsplit(" ", 1)[0] + "…"
    return first


def _check_inputs(feature: str, prd: str | None, max_feature_chars: int) -> None:
    if not (feature or "").strip() and not (prd or "").strip():
        raise InputError('Describe the feature, e.g. `draft-evals "Summarise long support tickets for agents"`.')
    if len(feature or "") > max_feature_chars:
        raise InputError(
            f"That feature description is {len(feature):,} characters; keep it under {max_feature_chars:,} "
            "or pass the PRD as a file."
        )
    if prd and len(prd) > MAX_PRD_CHARS:
        raise InputError(f"That PRD is {len(prd):,} characters; the limit is {MAX_PRD_CHARS:,}.")


def read_prd(path: Path, max_bytes: int) -> str:
    """A PRD file in any format the knowledge folder takes (.md, .txt, .pdf, .docx, .html) as Markdown."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS or suffix in (".yaml", ".yml"):
        raise InputError(f"Can't read {path.name} as a PRD: use a .md, .txt, .pdf, .docx or .html file.")
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise InputError(f"No PRD file at {path}.") from error
    except OSError as error:
        raise InputError(f"Can't read the PRD {path}: {error.strerror or error}.") from error
    if len(data) > max_bytes:
        raise InputError(f"The PRD {path.name} is {len(data) / 1e6:.3g} MB; the limit is {max_bytes / 1e6:.3g} MB.")
    try:
        markdown, title = LOADERS[suffix](data, path)
    except SkipFile as error:
        raise InputError(f"Can't read the PRD {path.name}: {error}.") from error
    if not markdown.strip():
        raise InputError(f"The PRD {path.name} has no text.")
    if title and not re.search(r"^#\s", markdown, re.M):
        markdown = f"# {title}\n\n{markdown}"
    return markdown


# -- The deterministic draft -------------------------------------------------------------------


def _short(text: str, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _row_metric(name: str) -> str | None:
    lowered = name.lower()
    return next((key for key, pattern in _ROW_METRIC if pattern.search(lowered)), None)


def _metrics(
    catalog: MetricCatalog, facts: PrdFacts, guess: FeatureTypeGuess
) -> tuple[list[Metric], list[str], list[SuccessCriterion]]:
    """Catalog metrics for the type (plus any the PRD sets a target for), with PRD targets as thresholds."""
    by_metric: dict[str, list[str]] = {}
    outcomes: list[SuccessCriterion] = []
    for row in facts.success_rows:
        key = _row_metric(row.name)
        if key and catalog.get(key):
            by_metric.setdefault(key, []).append(f"{row.name}: {row.target}")
        else:
            outcomes.append(
                SuccessCriterion(
                    statement=row.name,
                    baseline=row.baseline if row.baseline.strip("–- ") and row.baseline != "n/a" else None,
                    target=row.target,
                    source="prd",
                )
            )
    context: dict[str, list[str]] = {}
    for kind, key in _NFR_METRIC.items():
        if facts.nfr.get(kind):
            context.setdefault(key, []).append(facts.nfr[kind])

    profile = PROFILES[guess.primary]
    metrics: list[Metric] = []
    skipped: list[str] = []
    for entry in catalog.metrics:
        if not entry.applies(guess.all) and entry.key not in by_metric:
            skipped.append(entry.name)
            continue
        metrics.append(_metric(entry, by_metric.get(entry.key, []), context.get(entry.key, []), facts, profile.measure))
    return metrics, skipped, outcomes


def _metric(
    entry: CatalogMetric, targets: list[str], context: list[str], facts: PrdFacts, measure: dict[str, str]
) -> Metric:
    source: Origin = "playbook"
    threshold = entry.threshold
    if entry.key == "latency" and facts.latencies:
        # The table's p95 row plus the p50 that usually only the non-functional requirements state.
        threshold, source = "; ".join(item.text for item in facts.distinct_latencies()), "prd"
    elif targets:
        threshold, source = "; ".join(targets), "prd"
    elif entry.key == "cost-per-query" and facts.cost:
        threshold, source = f"{facts.cost_label}: {facts.cost.text}", "prd"
    how = entry.how_to_measure
    if entry.key in measure:
        how = f"{measure[entry.key]} {how}".strip()
    if entry.key == "fairness-gap" and len(facts.languages) > 1:
        how += f" Slice by language: {', '.join(facts.languages)}."
    prd_context = "; ".join(_short(text, 200) for text in context if text not in threshold) or None
    return Metric(
        name=entry.name,
        category=entry.category,
        definition=entry.definition,
        how_measured=how,
        threshold=threshold,
        threshold_source=source,
        playbook_threshold=entry.threshold,
        prd_context=prd_context,
        watch_out_for=entry.watch_out_for,
    )


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
    found = [_short(item, 220) for item in facts.requirements if _NEVER.search(item)]
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
    distribution += [f"PRD: {_short(note, 260)}" for note in facts.distribution_notes]
    if facts.users:
        distribution.append(f"Cover every user group: {'; '.join(facts.users)}.")
    use_cases = [_short(case, 90) for case in facts.use_cases]
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
        line = f"PRD risk: {risk.title}" + (f" — {_short(risk.text, 120)}" if risk.text else "")
        (adversarial if ADVERSARIAL_WORDS.search(f"{risk.title} {risk.text}") else edge_cases).append(line)

    labelling: list[str] = [
        f"PRD: {_short(note, 260)}" for note in facts.eval_set_notes if re.search(r"label|gelabel|annotat", note, re.I)
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
    existing = [_short(note, 260) for note in facts.eval_set_notes if not note.startswith(("Label ", "Gate owner"))]
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
    guardrails = [Point(text=_short(item, 240), source="prd") for item in facts.requirements if _GUARDRAIL.search(item)]
    guardrails = guardrails[:7]
    for risk in facts.risks:
        if risk.mitigation:
            guardrails.append(Point(text=f"{risk.title}: {_short(risk.mitigation, 200)}", source="prd"))
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
        Point(text=_short(text, 240), source="prd")
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
    bar = "; ".join(_short(text, 110) for text in headline[:3]) or "every quality metric at its threshold"
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
        f"PRD risk: {risk.title}" + (f" — mitigation: {_short(risk.mitigation, 140)}" if risk.mitigation else "")
        for risk in facts.risks
        if _DRIFT_RISK.search(risk.title)
    ]
    others = [language for language in facts.languages if language != "English"]
    if others:
        drift.append(f"Per-language quality ({', '.join(others)}): non-English slices usually drift first.")
    if facts.nfr.get("freshness"):
        drift.append(f"PRD freshness target: {_short(facts.nfr['freshness'], 160)}")
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
    volume = f" (of {_short(facts.volume, 120)})" if facts.volume else ""
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
        out.append(Fact(label="Volume", value=_short(facts.volume, 220)))
    for item in facts.distinct_latencies():
        out.append(Fact(label=f"Latency {item.percentile}", value=_short(item.text, 160)))
    if facts.cost:
        out.append(Fact(label="Cost target", value=f"{facts.cost_label}: {facts.cost.text}"))
    if facts.languages:
        out.append(Fact(label="Languages", value=", ".join(facts.languages)))
    shares = [f"{phase.name}: {', '.join(phase.percentages)}" for phase in facts.rollout if phase.percentages]
    if shares:
        out.append(Fact(label="Rollout shares", value="; ".join(shares)))
    if facts.nfr.get("availability"):
        out.append(Fact(label="Availability", value=_short(facts.nfr["availability"], 200)))
    return out


# Pages and sections the deterministic draft paraphrases (cited only if present in the knowledge folder).
_CITED: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "playbook/evaluation-frameworks.md",
        (
            "Fix success criteria before building or training",
            "Building an eval set that mirrors real users",
            "Eval set size",
            "Edge cases and adversarial cases",
            "Languages and locales in the eval set",
            "Who labels the eval set",
            "Thresholds and launch gates",
            "Guardrails for AI features",
            "Monitoring after launch: drift, retraining and review cadence",
        ),
    ),
    ("playbook/risks-and-guardrails.md", ("What does a minimum guardrail set look like at launch?",)),
    ("playbook/user-trust.md", ("Graceful degradation at low model confidence", "Easy human override")),
)


def _page(knowledge_dir: Path, path: str) -> tuple[str, list[str]] | None:
    try:
        text = knowledge_file(knowledge_dir, path).read_text(encoding="utf-8-sig")
    except OSError:
        return None
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), Path(path).stem)
    return title, headings


def playbook_sources(knowledge_dir: Path, catalog: MetricCatalog, metrics: list[Metric]) -> list[PlaybookSource]:
    """The catalog page (with the metrics used) and the framework pages whose sections the draft follows."""
    sources = [PlaybookSource(path=catalog.path, title=catalog.title, sections=[metric.name for metric in metrics])]
    for path, sections in _CITED:
        page = _page(knowledge_dir, path)
        if page is None:
            continue
        title, headings = page
        sources.append(PlaybookSource(path=path, title=title, sections=[s for s in sections if s in headings]))
    return sources


def build_draft(
    feature: str, facts: PrdFacts, catalog: MetricCatalog, knowledge_dir: Path, *, has_prd: bool = True
) -> EvalDraft:
    """The deterministic draft: the catalog tailored to the feature type and filled with the PRD's facts."""
    name = feature_name(feature, facts)
    guess = infer_feature_type(f"{feature}\n{facts.text}", facts.declared_type)
    metrics, skipped, outcomes = _metrics(catalog, facts, guess)
    eval_set = _eval_set(facts, guess)
    guardrails, degradation = _guardrails(facts, guess)
    questions = [OpenQuestion(question=q, origin="prd") for q in facts.open_questions]
    questions += [OpenQuestion(question=q, origin="gap") for q in prd_gaps(facts, guess, catalog, metrics, eval_set)]
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
        metrics_not_applicable=skipped,
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


def _further_reading(deps: Deps, draft: EvalDraft) -> list[PlaybookSource]:
    """Playbook sections on the feature type beyond the pages already cited, if the index is built."""
    try:
        if deps.index.count() == 0:
            return []
        query = f"{PROFILES[draft.feature_type].reading_query} {draft.feature}"
        passages = deps.retriever.search(query, k=6, doctypes=["playbook"])
    except PMCopilotError as error:
        log.warning("eval draft: no further reading (%s)", error)
        return []
    cited = {source.path for source in draft.sources}
    found: dict[str, PlaybookSource] = {}
    for passage in passages:
        if passage.path in cited or passage.similarity < 0.3:
            continue
        source = found.setdefault(passage.path, PlaybookSource(path=passage.path, title=passage.title))
        if passage.section and passage.section not in source.sections:
            source.sections.append(passage.section)
    return list(found.values())[:2]


# -- The LLM draft -----------------------------------------------------------------------------


def _prompt_variables(draft: EvalDraft, facts: PrdFacts, catalog: MetricCatalog, has_prd: bool) -> dict[str, str]:
    scaffold = draft.model_dump(
        mode="json", include=set(EvalPlan.model_fields), exclude={"feature", "feature_type", "secondary_types"}
    )
    prd = facts.text[:PROMPT_PRD_CHARS] if has_prd else "(No PRD was given: only the feature description above.)"
    return {
        "feature": draft.feature,
        "feature_type": f"{draft.type_label} ({draft.feature_type_basis})",
        "prd": prd,
        "catalog": catalog.as_text(),
        "draft": plan_yaml(scaffold).strip(),
    }


def _merge(base: EvalDraft, plan: EvalPlan) -> EvalDraft:
    """The LLM's plan, held to what the PRD and the parser know for certain.

    The PRD's targets stay the thresholds of their metrics, its open questions stay in, its declared
    type stands, and the numbers for tools (latency, cost) and the sources come from the base draft.
    """
    metrics = list(plan.metrics)
    for known in base.metrics:
        if known.threshold_source != "prd":
            continue
        same = next((m for m in metrics if m.name.lower() == known.name.lower()), None)
        if same is None:
            metrics.append(known)
        else:
            same.threshold, same.threshold_source = known.threshold, "prd"
    dropped = [
        known
        for known in base.open_questions
        if known.origin == "prd" and all(q.question != known.question for q in plan.open_questions)
    ]
    questions = [*dropped, *plan.open_questions]
    declared = base.feature_type_basis.startswith("declared")
    return EvalDraft(
        **plan.model_dump(exclude={"metrics", "open_questions", "feature", "feature_type", "secondary_types"}),
        metrics=metrics,
        open_questions=questions,
        feature=base.feature,
        feature_type=base.feature_type if declared else plan.feature_type,
        secondary_types=base.secondary_types if declared else plan.secondary_types,
        mode="generated",
        notice=None,
        feature_type_basis=base.feature_type_basis if declared else "chosen by the LLM",
        prd_title=base.prd_title,
        metrics_not_applicable=[
            name for name in base.metrics_not_applicable if not any(m.name == name for m in metrics)
        ],
        sources=base.sources,
        p50_ms=base.p50_ms,
        p95_ms=base.p95_ms,
        cost_per_request=base.cost_per_request,
        cost_currency=base.cost_currency,
    )


def _fallback_notice(error: LLMError) -> str:
    reason = (
        "the AI provider refused the request; an admin may need to check OPENAI_API_KEY or LLM_MODEL"
        if isinstance(error, LLMRejected)
        else "the AI provider was unavailable or sent back an unusable draft"
    )
    return (
        f"This is the deterministic draft ({reason}): the playbook's metric catalog filled with the PRD's own numbers."
    )


def drafting_llm(llm: LLM, budget_s: float) -> LLM:
    """The same endpoint with the longer time budget (EVAL_DRAFT_BUDGET_S) that writing a whole plan needs."""
    if budget_s <= llm.settings.llm_budget_s:
        return llm
    settings = llm.settings.model_copy(
        update={"llm_budget_s": budget_s, "llm_timeout_s": max(llm.settings.llm_timeout_s, budget_s * 2 / 3)}
    )
    return LLM(settings, llm.prices, backoff_base_s=llm.backoff_base_s)


def draft_evals(deps: Deps, feature: str, prd: str | None = None) -> EvalDraft:
    """Draft the eval plan for `feature`, tailored by its PRD (or by the description alone).

    With an LLM configured, the plan is written by the LLM as structured output on top of the
    deterministic draft; if the LLM fails, the deterministic draft comes back with a notice.
    """
    _check_inputs(feature, prd, deps.settings.max_question_chars)
    catalog = MetricCatalog.load(deps.knowledge_dir)
    has_prd = bool(prd and prd.strip())
    facts = parse_prd(prd or "") if has_prd else parse_prd(feature)
    draft = build_draft(feature, facts, catalog, deps.knowledge_dir, has_prd=has_prd)
    draft.sources += _further_reading(deps, draft)
    if deps.llm is None or not deps.llm.enabled:
        return draft
    try:
        llm = drafting_llm(deps.llm, deps.settings.eval_draft_budget_s)
        plan = llm.structured("draft-evals", _prompt_variables(draft, facts, catalog, has_prd), EvalPlan)
    except LLMError as error:
        log.warning("eval draft: the LLM failed, returning the deterministic draft: %s", error)
        draft.notice = _fallback_notice(error)
        return draft
    if not plan.metrics:
        log.warning("eval draft: the LLM's plan has no metrics, returning the deterministic draft")
        draft.notice = _fallback_notice(LLMError("no metrics in the reply"))
        return draft
    return _merge(draft, plan)
