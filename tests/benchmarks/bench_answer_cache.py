"""Answer cache: a hit vs a miss, server-side, with the LLM (a loopback endpoint) answering at once.

Run: .venv/bin/python -m tests.benchmarks.bench_answer_cache [--rounds N] [--redis URL]
Indexes the bundled knowledge with the real local model into a temporary folder, asks every
question in tests/golden/answerable.txt once (misses: cache lookup, hybrid retrieval, prompt,
ChatOpenAI call, grounding, cache write, metrics) and then N more times (hits: cache lookup,
metrics), and prints the medians side by side as a Markdown table. The goal is a hit under 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import redis

from bot.answers.answer import answer_question
from bot.config import load_settings
from bot.core.metrics import percentile
from bot.wiring import build_deps
from tests.openai_server import quoting, responding, running

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = ROOT / "tests" / "golden" / "answerable.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="cache hits per question")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Redis to cache in")
    args = parser.parse_args()
    questions = [line.strip() for line in QUESTIONS.read_text().splitlines() if line.strip()]
    prefix = f"pmc-bench-{uuid.uuid4().hex[:8]}"

    with tempfile.TemporaryDirectory() as data, running() as server:
        # Each answer quotes its first two sources, as a generated answer's claims must.
        server.default = responding(quoting([1, 2]))
        settings = load_settings(
            data_dir=Path(data),
            knowledge_dir=ROOT / "knowledge",
            redis_url=args.redis,
            cache_prefix=prefix,
            openai_api_key="sk-bench-loopback-000000000000",
            openai_base_url=server.base_url,
        )
        deps = build_deps(settings)
        deps.index.reindex()
        answer_question(deps, "warm-up: what is a fallback rate?")  # loads the model and the client

        misses: list[float] = []
        modes: dict[str, int] = {}
        for question in questions:
            started = time.perf_counter()
            answer = answer_question(deps, question)
            misses.append((time.perf_counter() - started) * 1000)
            assert not answer.cached
            kind = answer.mode if answer.answered else "declined"
            modes[kind] = modes.get(kind, 0) + 1
        hits: list[float] = []
        for _ in range(args.rounds):
            for question in questions:
                started = time.perf_counter()
                answer = answer_question(deps, question)
                hits.append((time.perf_counter() - started) * 1000)
                assert answer.cached
        llm_calls = server.calls - 1

    client = redis.Redis.from_url(args.redis)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)

    miss_median, hit_median = statistics.median(misses), statistics.median(hits)
    print(
        f"{len(questions)} questions ({modes}), {llm_calls} LLM calls, {args.rounds} hits per question, Redis store\n"
    )
    print("| | median | p95 | n |")
    print("|---|---:|---:|---:|")
    rows = [
        ("miss (retrieve + generate, LLM answers at once)", misses),
        ("hit (answer cache)", hits),
    ]
    for label, values in rows:
        print(
            f"| {label} | {statistics.median(values):.2f} ms | {percentile(values, 95) or 0:.2f} ms | {len(values)} |"
        )
    print(
        f"\nhit is {miss_median / hit_median:.0f}x faster; goal hit < 10 ms: {'met' if hit_median < 10 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
