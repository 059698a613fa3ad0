"""The metrics a draft measures: the catalog's for the feature type, with the PRD's targets as thresholds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.core.text import shorten, squash
from bot.evalplans.feature_types import PROFILES
from bot.evalplans.plan import Metric, NotApplicable, Origin, SuccessCriterion

if TYPE_CHECKING:
    from bot.evalplans.feature_kinds import FeatureKind
    from bot.evalplans.feature_types import FeatureTypeGuess
    from bot.evalplans.metric_catalog import CatalogMetric, MetricCatalog
    from bot.evalplans.prd.facts import PrdFacts

# A PRD's outcome or success-metric row → the catalog metric that stands for it, checked in this order
# (a "gap in accuracy between languages" is a fairness gap, not accuracy; "not able to answer" is a
# fallback before "able to answer" is task success). `None` marks outcomes no catalog metric measures
# (time a person spends is not the system's latency).
_ROW_METRIC: tuple[tuple[str | None, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern))
    for key, pattern in (
        (None, r"completion time|time spent|time saved|tijdsbesparing|zeitersparnis|entry time|time to insight"),
        ("fairness-gap", r"\bgap\b|verschil|unterschied|between (?:english|languages)|tussen talen|fairness|\bbias\b"),
        ("confidence-calibration", r"calibrat|kalibr|\bece\b"),
        (
            "groundedness",
            r"grounded|supported by|belegt|onderbouwd|faithful|citation|cited|source-backed|bronvermelding",
        ),
        ("hallucination-rate", r"hallucinat|halluzin|unsupported|i don.t know"),
        ("relevance", r"relevan|ndcg|\bmrr\b|findab|vindbaar|auffindbar|contextual (?:precision|recall)"),
        ("open-and-click-through-rate", r"click.?through|\bctr\b|klickrate|doorklik\w*|open rate|öffnungsrate"),
        # a ticket resolved without a person is the task done, not a fallback
        (
            "task-success-rate",
            r"deflect\w*|resolved without|ohne (?:menschliche[ns]? )?(?:agent|mitarbeiter|eingriff)\w*|"
            r"zonder (?:menselijke )?tussenkomst",
        ),
        (
            "human-override-rate",
            r"\buser corrects|\bcorrections? (?:by|from) (?:users?|agents?)|overrid|übersteuer|overschrijv|overrul|"
            r"dismissed|\bneemt\b.{0,40}signal|manual correction|"
            r"manuelle korrektur|nachbearbeitung|handmatige correctie",
        ),
        (
            "latency",
            r"\bp(?:50|90|95|99)\b|latenc|latenz|response time|time.to.(?:answer|first)|processing time|"
            r"load time|inference time|antwortzeit|responstijd|laadtijd|verarbeitungszeit|ladezeit|verwerkingstijd|"
            r"zeit bis zur (?:beantwortung|antwort)|beantwortungszeit|antwoordtijd|reactietijd|"
            r"\bresults? within \d",
        ),
        ("cost-per-query", r"\bcost|kosten|\bprice|\bpreis|\bprijs"),
        ("token-efficiency", r"\btokens?\b"),
        (
            "fallback-rate",
            r"fallback|fall back|terugval|rückfall|interrupt|not able to answer|unable to answer|"
            r"speak (?:with|to) a human|human agent|escalat|pipeline errors|api failures",
        ),
        (
            "operation-failure-rate",
            r"reliability rate|pipeline reliability|"
            r"(?:build|pipeline|deploy\w*|job|migration) (?:success|failure) rate",
        ),
        ("resource-headroom", r"resource usage|ressourcenverbrauch|cpu (?:usage|load)|memory usage|geheugengebruik"),
        ("safety-violation-rate", r"safety|toxic|harmful|moderation|red.?team|veiligheid|schädlich|schadelijk"),
        (
            "task-success-rate",
            r"task success|task completion|aufgabenerfolg|taaksucces|successful+y|helpful|answer(?:ed)? (?:your|the|a) "
            r"question|did that answer|resolution|resolved|deflect|self-serve|answer acceptance|acceptance rate|"
            # handled or completed end to end ("volledig afgehandeld door AI", "im ersten Chat-Kontakt geklärt")
            r"(?:vollständig|komplett)\w* (?:abschließ|abgeschlossen|geklärt)|volledig afgehandeld|fully (?:handled|"
            r"completed?)|completion rate|abschlussrate|first.contact|ersten (?:chat.)?kontakt|eerste contact",
        ),
        (
            "user-satisfaction",
            r"\bcsat\b|satisf|zufriedenheit|tevredenheid|\bnps\b|trust.score|umfrage|survey|enquête|"
            r"feedback.bewertung|\b(?:star )?ratings?\b|sterne|sterren",
        ),
        ("tone-consistency", r"\btone\b|tonalität|\btoon\b"),
        (
            "accuracy",
            r"accura|genauigkeit|nauwkeurigheid|precision|\brecall\b|\bf1\b|macro-f1|exact match|\bauc\b|"
            r"false (?:negative|positive|signal)|tag quality|correctly",
        ),
    )
)
# Words that name groups of people whose results could differ (a fairness gap needs them).
_GROUPS = re.compile(
    r"\b(?:fairness|unfair\w*|demograph\w*|gender|geslacht|geschlecht|leeftijd|age|alter|ethnic\w*|accessib\w*|"
    r"disab\w*|dialects?|accents?|regions?|segments?|customers|patients|patiënten|veterans|citizens|applicants|"
    r"students?|comments?|klanten|kunden|bürger\w*|users|gebruikers|nutzer)\b",
    re.I,
)
MIN_GROUP_CUES = 3
_LLM = re.compile(
    r"\b(?:llms?|gpt[\w.-]*|tokens?|prompts?|claude|gemini|openai|language models?|genai|generative)\b", re.I
)

# Non-functional requirement kinds that give a metric its PRD context.
_NFR_METRIC = {
    "latency": "latency",
    "cost": "cost-per-query",
    "context": "token-efficiency",
    "availability": "fallback-rate",
    "data": "safety-violation-rate",
}


def short(text: str, limit: int = 240) -> str:
    """`text` on one line, cut between words to at most `limit` characters."""
    return shorten(squash(text), limit)


def outcome_metric(text: str) -> str | None:
    """The catalog key of the metric that stands for an outcome, or None when none does."""
    lowered = text.lower()[:1000]
    return next((key for key, pattern in _ROW_METRIC if pattern.search(lowered)), None)


# An A/B test: its design words ("Type: A/B Test", "Control … vs Treatment …", "holdout") and its hypothesis ("We
# believe … will result in …").
_EXPERIMENT = re.compile(
    r"\ba/b[- ]?test|\bsplit[- ]test|\bcontrol (?:group|arm)|\bholdout|\bcontrol\b[^\n]{0,80}?\bvs\.?\s|"
    r"\btreatment\b|\bvariants?\b|\bwe believe\b|\bwill result in\b|\bkontrollgruppe|\bcontrolegroep",
    re.I,
)
MIN_EXPERIMENT_CUES = 3
_EXPERIMENT_METRICS = ("attribution", "novelty-effect-guard")


def catalog_metrics(
    catalog: MetricCatalog, facts: PrdFacts, guess: FeatureTypeGuess, kind: FeatureKind | None = None
) -> tuple[list[Metric], list[NotApplicable], list[SuccessCriterion]]:
    """Catalog metrics for the type and kind (plus any the PRD sets a target for), with PRD targets as thresholds.

    Returns the metrics, the catalog metrics left out with the reason, and the PRD's outcomes as
    success criteria (each with the metric that stands for it, where one does).
    """
    by_metric: dict[str, list[str]] = {}
    outcomes: list[SuccessCriterion] = []
    for outcome in facts.outcomes:
        key = outcome_metric(outcome.text)
        entry = catalog.get(key) if key else None
        if entry and outcome.target and not outcome.placeholder:  # "> X%" is no threshold yet
            by_metric.setdefault(entry.key, []).append(short(f"{outcome.text}: {outcome.target}", 200))
        outcomes.append(
            SuccessCriterion(
                statement=outcome.text,
                baseline=outcome.baseline,
                target=outcome.target,
                source="prd",
                metric=entry.name if entry else None,
                target_placeholder=outcome.placeholder,
            )
        )
    context: dict[str, list[str]] = {}
    for nfr, key in _NFR_METRIC.items():
        if facts.nfr.get(nfr):
            context.setdefault(key, []).append(facts.nfr[nfr])

    profile = PROFILES[guess.primary]
    metrics: list[Metric] = []
    skipped: list[NotApplicable] = []
    text = facts.content_text or facts.text
    experiment = len({cue.lower() for cue in _EXPERIMENT.findall(text[:200_000])}) >= MIN_EXPERIMENT_CUES
    for entry in catalog.metrics:
        reason = None if entry.key in by_metric else entry.not_applicable(guess.all, kind)
        if reason is not None and experiment and entry.key in _EXPERIMENT_METRICS:
            reason = None  # an A/B test of any feature measures its lift against the control group
        if reason is None and entry.key not in by_metric:
            reason = _prd_unfit(entry.key, facts, text)
        if reason is not None:
            skipped.append(NotApplicable(metric=entry.name, reason=reason))
            continue
        metrics.append(_metric(entry, by_metric.get(entry.key, []), context.get(entry.key, []), facts, profile.measure))
    return metrics, skipped, outcomes


def _prd_unfit(key: str, facts: PrdFacts, text: str) -> str | None:
    """Why a metric the type allows still doesn't fit what the PRD describes, or None when it fits."""
    text = text[:200_000]
    if key == "fairness-gap" and len(facts.languages) < 2 and len(_GROUPS.findall(text)) < MIN_GROUP_CUES:
        return "the PRD names no groups of people (languages, regions, segments) whose results could differ"
    if key == "token-efficiency" and not _LLM.search(text):
        return "the PRD names no LLM or prompt whose tokens could be counted"
    return None


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
    prd_context = "; ".join(short(text, 200) for text in context if text not in threshold) or None
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
