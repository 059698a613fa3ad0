"""Self-metrics in real Redis: a scripted sequence of answers and votes, and the numbers it must produce."""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client import generate_latest

from bot.answers.answer import answer_question
from bot.config import load_settings
from bot.core.metrics import (
    ANSWERS_KEY,
    FEEDBACK_KEY,
    KEEP_S,
    AnswerRecord,
    Metrics,
    all_windows,
    percentile,
    stats_report,
    window_stats,
)
from bot.core.pricing import PriceTable
from bot.core.store import RedisStore, Store
from bot.wiring import Deps
from tests.conftest import REDIS_URL
from tests.openai_server import OpenAIServer, quoting, responding, server_error
from tests.test_answers_generated import OFF_TOPIC, SUMMARIZER, generating


def vote(store: Store, vote: str, when: float, user: str = "U1") -> None:
    """A 👍/👎 the way the Slack app records it."""
    payload = {"ts": when, "user": user, "vote": vote, "question": "q", "sources": [], "answer_id": "a1"}
    store.add_event(FEEDBACK_KEY, when, json.dumps(payload), keep_s=31 * 86400)


def test_stats_from_a_scripted_sequence_of_answers(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix, llm_max_retries=0)
    openai_server.script(responding(quoting([1]), tokens_in=1000, tokens_out=200), server_error())
    answer_question(deps, SUMMARIZER)  # generated
    answer_question(deps, SUMMARIZER)  # cache hit
    answer_question(deps, OFF_TOPIC)  # declined
    fallback = answer_question(deps, "How do we label an eval set for the summarizer?")  # 500 -> extractive
    assert fallback.mode == "extractive" and fallback.notice
    now = time.time()
    for user, value in (("U1", "up"), ("U2", "down"), ("U3", "down")):
        vote(deps.store, value, now, user)

    stats = window_stats(deps.store, "24h", 86400)
    records = [AnswerRecord.from_json(value) for value in deps.store.events_since(ANSWERS_KEY, 0)]
    latencies = [record.latency_ms for record in records if record is not None]
    assert stats.questions == 4
    assert stats.cache_hit_rate == 0.25
    assert stats.decline_rate == 0.25
    assert stats.fallback_rate == pytest.approx(1 / 3)  # 1 of the 3 answers that weren't declines
    assert stats.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1e6)
    assert stats.cost_per_query_usd == pytest.approx(stats.cost_usd / 4)
    assert stats.p50_ms == sorted(latencies)[1] and stats.p95_ms == max(latencies)
    assert (stats.votes, stats.override_rate) == (3, pytest.approx(2 / 3))

    report = stats_report(deps.store)
    assert "| Questions | 4 | 4 | 4 |" in report
    assert "| Cache hit rate | 25.0% | 25.0% | 25.0% |" in report
    assert "| Fallback rate | 33.3% |" in report and "| Decline rate | 25.0% |" in report
    assert "| Human override rate (👎) | 66.7% of 3 |" in report
    assert "| Cost per query | $0.0001 |" in report

    scraped = generate_latest(deps.metrics.registry).decode()
    for line in (
        'pmc_questions_total{mode="generated",outcome="answered"} 1.0',
        'pmc_questions_total{mode="generated",outcome="cached"} 1.0',
        'pmc_questions_total{mode="extractive",outcome="declined"} 1.0',
        'pmc_answer_fallbacks_total{reason="failed"} 1.0',
        'pmc_llm_tokens_total{direction="in"} 1000.0',
        "pmc_answer_latency_seconds_count 4.0",
        'pmc_window_questions{window="24h"} 4.0',
        'pmc_window_cache_hit_ratio{window="7d"} 0.25',
    ):
        assert line in scraped, line
    assert 'pmc_window_override_ratio{window="30d"} 0.66' in scraped


def test_windows_count_only_their_own_period(redis_prefix: str) -> None:
    store = RedisStore(REDIS_URL, redis_prefix)
    metrics = Metrics(store)
    now = time.time()
    for index, latency in enumerate(range(10, 201, 10)):  # 20 answers in the last hour
        metrics.record(AnswerRecord(latency_ms=latency, mode="generated", cost_usd=0.001, ts=now - 60 - index))
    metrics.record(AnswerRecord(latency_ms=5000, mode="extractive", fallback="off", ts=now - 3 * 86400))
    metrics.record(AnswerRecord(latency_ms=7000, mode="extractive", declined=True, ts=now - 20 * 86400))
    metrics.record(AnswerRecord(latency_ms=9000, mode="generated", ts=now - 40 * 86400))
    vote(store, "down", now - 10 * 86400)

    day, week, month = all_windows(store, now)
    assert (day.questions, week.questions, month.questions) == (20, 21, 22)
    assert (day.p50_ms, day.p95_ms) == (100, 190)
    assert day.cost_per_query_usd == pytest.approx(0.001)
    assert (day.fallback_rate, week.fallback_rate) == (0.0, pytest.approx(1 / 21))
    assert (week.decline_rate, month.decline_rate) == (0.0, pytest.approx(1 / 22))
    assert (day.votes, week.override_rate, month.override_rate) == (0, None, 1.0)
    assert "| Human override rate (👎) | – | – | 100% of 1 |" in stats_report(store, now)


def test_stats_on_an_empty_store_show_dashes(redis_prefix: str) -> None:
    report = stats_report(RedisStore(REDIS_URL, redis_prefix))
    assert "| Questions | 0 | 0 | 0 |" in report and "| Latency p50 | – | – | – |" in report


def test_unreadable_events_are_skipped(redis_prefix: str) -> None:
    store = RedisStore(REDIS_URL, redis_prefix)
    store.add_event(ANSWERS_KEY, time.time(), "not json", keep_s=KEEP_S)
    store.add_event(FEEDBACK_KEY, time.time(), '{"vote": "meh"}', keep_s=KEEP_S)
    Metrics(store).record(AnswerRecord(latency_ms=12, mode="generated"))
    stats = window_stats(store, "24h", 86400)
    assert (stats.questions, stats.votes) == (1, 0)


def test_unpriced_models_are_flagged_not_counted_as_free(redis_prefix: str) -> None:
    store = RedisStore(REDIS_URL, redis_prefix)
    metrics = Metrics(store)
    cost = metrics.prices.cost("llama3.1:8b", 1000, 100)
    metrics.record(AnswerRecord(latency_ms=900, mode="generated", cost_usd=cost, model="llama3.1:8b"))
    assert cost is None
    assert "1 answers used a model with no known price" in stats_report(store)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", (0.15, 0.60)),
        ("gpt-4o-mini-2024-07-18", (0.15, 0.60)),
        ("gpt-4o-2024-08-06", (2.50, 10.00)),
        ("gpt-4.1-nano", (0.10, 0.40)),
        ("mystery-model", None),
    ],
)
def test_price_lookup_matches_the_longest_prefix(model: str, expected: tuple[float, float] | None) -> None:
    assert PriceTable().price(model) == expected


def test_llm_prices_override_and_extend_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_PRICES", '{"llama3.1:8b": [0, 0], "gpt-4o-mini": {"input": 0.1, "output": 0.2}}')
    prices = PriceTable(load_settings().llm_prices)
    assert prices.cost("llama3.1:8b", 5000, 500) == 0.0
    assert prices.cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([7.0], 95, 7.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.0), ([1.0, 2.0, 3.0, 4.0], 95, 4.0)],
)
def test_percentile_is_nearest_rank(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected
