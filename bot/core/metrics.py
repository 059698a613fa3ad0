"""Self-metrics: what every answer cost and how it went, as store events, a Markdown report and Prometheus.

Each answer is one event under `answers` in the Store (so every replica's answers count), and the
Slack app's 👍/👎 votes are events under `feedback`. `stats_report` reads both for `/pm stats` and
`pm-copilot stats`; `Metrics.registry` serves the same figures on `GET /metrics`: process counters
for rates Prometheus can compute, and store-wide window gauges for what it can't (the 👎 share).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.core.pricing import PriceTable
from bot.core.store import Store

log = logging.getLogger(__name__)

ANSWERS_KEY = "answers"
FEEDBACK_KEY = "feedback"
KEEP_S = 31 * 86400
WINDOWS: tuple[tuple[str, int], ...] = (("24h", 86400), ("7d", 7 * 86400), ("30d", 30 * 86400))
# Window gauges read up to 30 days of events; a scrape every few seconds mustn't do that each time.
_GAUGE_TTL_S = 15.0

Fallback = Literal["off", "failed"]


@dataclass
class AnswerRecord:
    """One answer as the metrics see it; `fallback` says why an answer was extractive (LLM off or failed)."""

    latency_ms: float
    mode: str
    declined: bool = False
    cached: bool = False
    fallback: Fallback | None = None
    unverified: bool = False
    citations_dropped: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    model: str = ""
    prompt_version: str = ""
    answer_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    ts: float = field(default_factory=time.time)

    @classmethod
    def from_json(cls, text: str) -> AnswerRecord | None:
        try:
            data = json.loads(text)
            return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        except (ValueError, TypeError):
            return None


@dataclass
class WindowStats:
    """The figures for one time window; rates are None when there is nothing to divide by."""

    window: str
    questions: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    cost_usd: float = 0.0
    cost_per_query_usd: float | None = None
    cache_hit_rate: float | None = None
    fallback_rate: float | None = None
    decline_rate: float | None = None
    votes: int = 0
    override_rate: float | None = None
    unpriced: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100): always one of the observed values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _records(values: Iterable[str]) -> Iterator[AnswerRecord]:
    for value in values:
        record = AnswerRecord.from_json(value)
        if record is not None:
            yield record


def _votes(values: Iterable[str]) -> Iterator[str]:
    for value in values:
        try:
            vote = json.loads(value).get("vote")
        except (ValueError, AttributeError):
            continue
        if vote in ("up", "down"):
            yield vote


def window_stats(store: Store, window: str, seconds: int, now: float | None = None) -> WindowStats:
    """Aggregate the answer and feedback events of the last `seconds`."""
    since = (now if now is not None else time.time()) - seconds
    records = list(_records(store.events_since(ANSWERS_KEY, since)))
    votes = list(_votes(store.events_since(FEEDBACK_KEY, since)))
    stats = WindowStats(window=window, questions=len(records), votes=len(votes))
    latencies = [record.latency_ms for record in records]
    stats.p50_ms = percentile(latencies, 50)
    stats.p95_ms = percentile(latencies, 95)
    stats.cost_usd = sum(record.cost_usd or 0.0 for record in records)
    stats.unpriced = sum(1 for record in records if record.cost_usd is None)
    stats.cost_per_query_usd = stats.cost_usd / len(records) if records else None
    stats.cache_hit_rate = _ratio(sum(record.cached for record in records), len(records))
    # A decline needs no LLM, so the fallback rate is over the questions that got an answer.
    answered = [record for record in records if not record.declined]
    stats.fallback_rate = _ratio(sum(record.fallback is not None for record in answered), len(answered))
    stats.decline_rate = _ratio(len(records) - len(answered), len(records))
    stats.override_rate = _ratio(votes.count("down"), len(votes))
    return stats


def all_windows(store: Store, now: float | None = None) -> list[WindowStats]:
    now = now if now is not None else time.time()
    return [window_stats(store, name, seconds, now) for name, seconds in WINDOWS]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}" if value in (0, 1) else f"{value:.1%}"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def _usd(value: float | None) -> str:
    if value is None:
        return "–"
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def stats_report(store: Store, now: float | None = None) -> str:
    """A Markdown table of the self-metrics over 24 h, 7 d and 30 d (for `/pm stats` and `pm-copilot stats`)."""
    windows = all_windows(store, now)
    rows: list[tuple[str, list[str]]] = [
        ("Questions", [f"{w.questions:,}" for w in windows]),
        ("Latency p50", [_ms(w.p50_ms) for w in windows]),
        ("Latency p95", [_ms(w.p95_ms) for w in windows]),
        ("Cost per query", [_usd(w.cost_per_query_usd) for w in windows]),
        ("Total cost", [_usd(w.cost_usd) if w.questions else "–" for w in windows]),
        ("Cache hit rate", [_percent(w.cache_hit_rate) for w in windows]),
        ("Fallback rate", [_percent(w.fallback_rate) for w in windows]),
        ("Decline rate", [_percent(w.decline_rate) for w in windows]),
        (
            "Human override rate (👎)",
            [f"{_percent(w.override_rate)} of {w.votes}" if w.votes else "–" for w in windows],
        ),
    ]
    lines = ["| Metric | " + " | ".join(w.window for w in windows) + " |", "|---|" + "---:|" * len(windows)]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows]
    notes = [
        "_Fallback: an extractive answer because the LLM was off or failed. Override: 👎 share of the votes._",
    ]
    unpriced = windows[-1].unpriced
    if unpriced:
        notes.append(f"_{unpriced} answers used a model with no known price; set LLM_PRICES to count them._")
    return "\n".join([*lines, "", *notes])


class _WindowCollector(Collector):
    """Store-wide window figures as gauges, recomputed at most every few seconds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cached: tuple[float, list[WindowStats]] | None = None
        self._mutex = threading.Lock()

    def _windows(self) -> list[WindowStats]:
        with self._mutex:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] > _GAUGE_TTL_S:
                self._cached = (now, all_windows(self.store))
            return self._cached[1]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = {
            "questions": ("Questions answered (all replicas)", lambda w: w.questions),
            "latency_p50_seconds": ("Answer latency p50", lambda w: None if w.p50_ms is None else w.p50_ms / 1000),
            "latency_p95_seconds": ("Answer latency p95", lambda w: None if w.p95_ms is None else w.p95_ms / 1000),
            "cost_per_query_usd": ("LLM cost per question", lambda w: w.cost_per_query_usd),
            "cache_hit_ratio": ("Share of questions served from the answer cache", lambda w: w.cache_hit_rate),
            "fallback_ratio": ("Share of answers that fell back to extractive", lambda w: w.fallback_rate),
            "decline_ratio": ("Share of questions declined for weak evidence", lambda w: w.decline_rate),
            "override_ratio": ("Share of 👎 among feedback votes", lambda w: w.override_rate),
        }
        try:
            windows = self._windows()
        except Exception:  # a scrape must never fail because the store hiccuped
            log.warning("could not compute window metrics", exc_info=True)
            return
        for name, (help_text, read) in figures.items():
            family = GaugeMetricFamily(f"pmc_window_{name}", help_text, labels=["window"])
            for window in windows:
                value = read(window)
                if value is not None:
                    family.add_metric([window.window], float(value))
            yield family


class Metrics:
    """Records answers to the store and to a Prometheus registry (served on GET /metrics)."""

    def __init__(self, store: Store, prices: PriceTable | None = None, registry: CollectorRegistry | None = None):
        self.store = store
        self.prices = prices or PriceTable()
        self.registry = registry or CollectorRegistry()
        self.questions = Counter(
            "pmc_questions",
            "Questions answered, by mode and outcome",
            ["mode", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pmc_answer_latency_seconds",
            "Time to answer a question, server-side",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30),
            registry=self.registry,
        )
        self.tokens = Counter("pmc_llm_tokens", "LLM tokens, by direction", ["direction"], registry=self.registry)
        self.cost = Counter("pmc_llm_cost_usd", "LLM spend in USD (priced models only)", registry=self.registry)
        self.cache_hits = Counter("pmc_answer_cache_hits", "Answers served from the cache", registry=self.registry)
        self.fallbacks = Counter(
            "pmc_answer_fallbacks", "Extractive answers, by reason (off, failed)", ["reason"], registry=self.registry
        )
        self.declines = Counter("pmc_answer_declines", "Questions declined for weak evidence", registry=self.registry)
        self.registry.register(_WindowCollector(store))

    def record(self, record: AnswerRecord) -> None:
        """Store the answer as an event and count it; never raises (metrics mustn't cost an answer)."""
        try:
            self.store.add_event(ANSWERS_KEY, record.ts, json.dumps(asdict(record)), keep_s=KEEP_S)
            outcome = "declined" if record.declined else "cached" if record.cached else "answered"
            self.questions.labels(mode=record.mode, outcome=outcome).inc()
            self.latency.observe(record.latency_ms / 1000)
            self.tokens.labels(direction="in").inc(record.tokens_in)
            self.tokens.labels(direction="out").inc(record.tokens_out)
            if record.cost_usd:
                self.cost.inc(record.cost_usd)
            if record.cached:
                self.cache_hits.inc()
            if record.fallback is not None and not record.declined:
                self.fallbacks.labels(reason=record.fallback).inc()
            if record.declined:
                self.declines.inc()
        except Exception:
            log.warning("could not record answer metrics", exc_info=True)
