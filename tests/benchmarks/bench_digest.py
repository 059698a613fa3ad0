"""The offline thread digest on the dev set: recall of marked decisions and open questions, per half.

    .venv/bin/python -m tests.benchmarks.bench_digest [--threads DIR] [--json]

Threads 01-06 tuned the cue words and weights; 07-12 are held out and reported on their own.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.digest.extractive import extractive_digest
from bot.quality.digests import MARKS, DigestScore, Thread, load_threads, score_digests

THREADS = Path(__file__).resolve().parents[1] / "devsets" / "threads"
TUNING = 6


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def table(halves: dict[str, DigestScore]) -> str:
    lines = [
        "| threads | "
        + " | ".join(f"{mark}s found" for mark in MARKS)
        + " | "
        + " | ".join(f"{mark} precision" for mark in MARKS)
        + " |",
        "|---|" + "---:|" * (2 * len(MARKS)),
    ]
    for name, score in halves.items():
        found = [f"{_cell(s.recall)} ({s.found}/{s.marked})" for s in (score.sections[mark] for mark in MARKS)]
        precision = [_cell(score.sections[mark].precision) for mark in MARKS]
        lines.append(f"| {name} ({score.threads}) | " + " | ".join(found + precision) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=Path, default=THREADS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    threads = load_threads(args.threads)

    def digest_of(thread: Thread):  # type: ignore[no-untyped-def]
        return extractive_digest(thread.messages, thread.title)

    halves = {
        "tuning 01-06": score_digests(threads[:TUNING], digest_of),
        "held out 07-12": score_digests(threads[TUNING:], digest_of),
        "all": score_digests(threads, digest_of),
    }
    if args.json:
        print(json.dumps({name: score.as_dict() for name, score in halves.items()}, indent=2))
    else:
        print(table(halves))


if __name__ == "__main__":
    main()
