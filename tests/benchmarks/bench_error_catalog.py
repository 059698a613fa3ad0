"""Error explanations: identification accuracy on tests/error_messages.yaml and time per explain, offline.

The fallback search (`ErrorCatalog.closest`, what an unmatched paste is offered) is scored on the same
messages: is the expected entry the first of the closest entries, or among the first three?

Run: .venv/bin/python -m tests.benchmarks.bench_error_catalog [--rounds N]
Prints a Markdown table (for the README) and any message that was not identified.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from bot.explain.catalog import ErrorCatalog

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = ROOT / "tests" / "error_messages.yaml"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50, help="times each message is explained for the timing")
    args = parser.parse_args()

    started = time.perf_counter()
    catalog = ErrorCatalog.for_knowledge(None)  # the built-in catalog, as the bot with no team files
    load_ms = (time.perf_counter() - started) * 1000
    cases = yaml.safe_load(MESSAGES.read_text())

    provider_ok = code_ok = both_ok = closest_first = closest_three = 0
    misses: list[str] = []
    for case in cases:
        explanation = catalog.explain(case["message"])
        provider_hit = explanation.provider == case["provider"]
        code_hit = explanation.code == case["code"]
        provider_ok += provider_hit
        code_ok += code_hit
        both_ok += provider_hit and code_hit
        nearest = [(match.provider, match.code) for match in catalog.closest(case["message"])]
        closest_first += nearest[:1] == [(case["provider"], case["code"])]
        closest_three += (case["provider"], case["code"]) in nearest
        if not (provider_hit and code_hit):
            misses.append(
                f"- {case['form']}: expected {case['provider']}/{case['code']}, "
                f"got {explanation.provider}/{explanation.code}"
            )

    timings: list[float] = []
    for _ in range(args.rounds):
        for case in cases:
            begun = time.perf_counter()
            catalog.explain(case["message"])
            timings.append((time.perf_counter() - begun) * 1000)

    total = len(cases)
    print(
        f"Error explanations: {total} messages, {len(catalog)} catalog entries, "
        f"{args.rounds} rounds for timing, catalog loaded in {load_ms:.0f} ms\n"
    )
    print("| measure | value |")
    print("|---|---|")
    print(f"| provider identified | {provider_ok}/{total} ({provider_ok / total:.1%}) |")
    print(f"| code identified | {code_ok}/{total} ({code_ok / total:.1%}) |")
    print(f"| provider and code | {both_ok}/{total} ({both_ok / total:.1%}) |")
    print(f"| fallback search, expected entry first | {closest_first}/{total} ({closest_first / total:.1%}) |")
    print(f"| fallback search, expected entry in top 3 | {closest_three}/{total} ({closest_three / total:.1%}) |")
    print(f"| explain, median | {statistics.median(timings):.2f} ms |")
    print(f"| explain, p95 | {_percentile(timings, 0.95):.2f} ms |")
    if misses:
        print("\nNot identified:")
        print("\n".join(misses))


if __name__ == "__main__":
    main()
