"""The metrics a draft measures: the catalog's for the feature type, with the PRD's targets as thresholds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.core.text import shorten, squash
from bot.evalplans.feature_types import PROFILES
from bot.evalplans.plan import Metric, Origin, SuccessCriterion

if TYPE_CHECKING:
    from bot.evalplans.feature_types import FeatureTypeGuess
    from bot.evalplans.metric_catalog import CatalogMetric, MetricCatalog
    from bot.evalplans.prd.facts import PrdFacts

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


def short(text: str, limit: int = 240) -> str:
    """`text` on one line, cut between words to at most `limit` characters."""
    return shorten(squash(text), limit)


def _row_metric(name: str) -> str | None:
    lowered = name.lower()
    return next((key for key, pattern in _ROW_METRIC if pattern.search(lowered)), None)


def catalog_metrics(
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
