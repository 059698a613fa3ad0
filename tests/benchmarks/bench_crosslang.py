"""Cross-language retrieval on the answers dev set: is the expected document among the top 5 documents?

Run: .venv/bin/python -m tests.benchmarks.bench_crosslang [--json] [--k 5]

Indexes tests/devsets/answers/docs with the built-in playbook as distractors, as `pm-copilot ask --knowledge
DIR` does, in a temporary DATA_DIR (the embedding cache is kept in tests/benchmarks/.cache/crosslang, so a
rerun embeds only what changed). For every question with a `doc`, ranks distinct documents by their best
passage and reports, per half (tune, check) and kind (answerable same-language, cross-language, near-miss),
the share whose `doc` is in the top k, and the MRR of `doc` over the first 20 documents, for hybrid, dense and
bm25.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.knowledge.retrieval import MODES, Mode, Retriever
from bot.wiring import build_deps

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "tests" / "devsets" / "answers"
CACHE = Path(__file__).resolve().parent / ".cache" / "crosslang"
HALVES = ("tune", "check")
KINDS = ("answerable", "cross-language", "near-miss")
DEPTH = 20  # documents ranked per question (MRR counts a document found below this as 0)


def load_questions(devset: Path, half: str) -> list[dict[str, Any]]:
    lines = (devset / f"{half}.jsonl").read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, filter(None, lines)) if row.get("doc")]


def ranked_documents(retriever: Retriever, question: str, mode: Mode, depth: int = DEPTH) -> list[str]:
    """Distinct document paths, best passage first."""
    passages = retriever.search(question, k=depth * 8, mode=mode)
    return list(dict.fromkeys(passage.path for passage in passages))[:depth]


def score(rows: Sequence[dict[str, Any]], rankings: Sequence[list[str]], k: int) -> dict[str, Any]:
    hits = sum(row["doc"] in ranking[:k] for row, ranking in zip(rows, rankings, strict=True))
    reciprocal = [
        1 / (ranking.index(row["doc"]) + 1) if row["doc"] in ranking else 0.0
        for row, ranking in zip(rows, rankings, strict=True)
    ]
    return {
        "questions": len(rows),
        "in_top_k": hits,
        "share": round(hits / len(rows), 3) if rows else None,
        "mrr": round(sum(reciprocal) / len(rows), 3) if rows else None,
        "misses": [row["id"] for row, ranking in zip(rows, rankings, strict=True) if row["doc"] not in ranking[:k]],
    }


def run(devset: Path, k: int) -> dict[str, Any]:
    """{half: {kind or "all": {mode: score}}}."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / "embeddings.sqlite"
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        if cached.exists():
            shutil.copy(cached, data_dir / "embeddings.sqlite")
        settings = load_settings(data_dir=data_dir, builtin_playbook=True, redis_url=None)
        deps = build_deps(settings, knowledge_dir=devset / "docs")
        deps.index.reindex()
        deps.embeddings.cache.close()
        shutil.copy(data_dir / "embeddings.sqlite", cached)
        report: dict[str, Any] = {"k": k, "chunks": len(deps.index.snapshot().ids)}
        for half in HALVES:
            rows = load_questions(devset, half)
            rankings = {
                mode: [ranked_documents(deps.retriever, row["question"], mode) for row in rows] for mode in MODES
            }
            by_kind: dict[str, Any] = {}
            for kind in (*KINDS, "all"):
                chosen = [i for i, row in enumerate(rows) if kind in ("all", row["kind"])]
                by_kind[kind] = {
                    mode: score([rows[i] for i in chosen], [rankings[mode][i] for i in chosen], k) for mode in MODES
                }
            report[half] = by_kind
    return report


def markdown(report: dict[str, Any]) -> str:
    k = report["k"]
    lines = [
        f"| half | kind | n | hybrid top-{k} | dense top-{k} | bm25 top-{k} | hybrid MRR | dense MRR | bm25 MRR |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for half in HALVES:
        for kind in (*KINDS, "all"):
            cell = report[half][kind]
            n = cell["hybrid"]["questions"]
            tops = " | ".join(f"{cell[mode]['in_top_k']}/{n}" for mode in MODES)
            mrrs = " | ".join(f"{cell[mode]['mrr']:.3f}" for mode in MODES)
            lines.append(f"| {half} | {kind} | {n} | {tops} | {mrrs} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEVSET, help="a dev set folder (docs/, tune.jsonl, check.jsonl)")
    parser.add_argument("--k", type=int, default=5, help="documents that count as found")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args()
    report = run(args.devset, args.k)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['chunks']} chunks indexed (dev set documents and the built-in playbook)\n")
    print(markdown(report))
    for half in HALVES:
        print(f"\n{half} misses (hybrid): {report[half]['all']['hybrid']['misses']}")


if __name__ == "__main__":
    main()
