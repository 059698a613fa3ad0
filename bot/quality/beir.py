"""Retrieval quality on a BEIR-format benchmark (corpus.jsonl[.gz], queries.jsonl, qrels/SPLIT.tsv)."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.exceptions import InputError
from bot.knowledge.chunking import Chunk
from bot.knowledge.index import KnowledgeIndex
from bot.knowledge.retrieval import DENSE_WEIGHT, Fusion, Mode, Retriever


@dataclass(frozen=True)
class Benchmark:
    name: str
    corpus: list[Chunk]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_benchmark(folder: Path, split: str = "train") -> Benchmark:
    """Read a BEIR folder; documents become one chunk each (title on top, as for knowledge files)."""
    corpus_path = next(
        (folder / name for name in ("corpus.jsonl", "corpus.jsonl.gz") if (folder / name).exists()), None
    )
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if corpus_path is None or not (folder / "queries.jsonl").exists() or not qrels_path.exists():
        raise InputError(f"{folder} is not a BEIR folder with corpus.jsonl[.gz], queries.jsonl and qrels/{split}.tsv")
    corpus = []
    for record in _lines(corpus_path):
        text = str(record.get("text", ""))
        corpus.append(
            Chunk(
                id=str(record["_id"]),
                path=str(record["_id"]),
                n=0,
                title=str(record.get("title", "")),
                section="",
                text=text,
                doctype="beir",
                file_sha256=hashlib.sha256(text.encode()).hexdigest(),
            )
        )
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = {str(q["_id"]): str(q["text"]) for q in _lines(folder / "queries.jsonl") if str(q["_id"]) in qrels}
    return Benchmark(folder.name, corpus, queries, qrels)


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    gains = sum((2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sum(
        (2**grade - 1) / math.log2(i + 2) for i, grade in enumerate(sorted(relevant.values(), reverse=True)[:k])
    )
    return gains / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    return next((1.0 / (i + 1) for i, doc in enumerate(ranked[:k]) if relevant.get(doc, 0) > 0), 0.0)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def evaluate(
    retriever: Retriever, benchmark: Benchmark, mode: Mode, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """nDCG@10, recall@10/100, MRR@10 and per-query latency (query embedding included).

    Every mode starts with a cold query-embedding cache, so each pays for its own embeddings and the
    modes' latencies compare like for like whatever order they run in.
    """
    retriever.search("warm up the model and the snapshot", k=10, mode=mode)
    retriever.embeddings.forget_queries()
    ndcg, r10, r100, mrr, latencies = [], [], [], [], []
    for done, (query_id, text) in enumerate(benchmark.queries.items(), 1):
        started = time.perf_counter()
        ranked = [passage.id for passage in retriever.search(text, k=100, mode=mode)]
        latencies.append((time.perf_counter() - started) * 1000)
        relevant = benchmark.qrels[query_id]
        ndcg.append(ndcg_at(ranked, relevant, 10))
        r10.append(recall_at(ranked, relevant, 10))
        r100.append(recall_at(ranked, relevant, 100))
        mrr.append(mrr_at(ranked, relevant, 10))
        if progress:
            progress(done, len(benchmark.queries))
    return {
        "mode": mode,
        "queries": len(benchmark.queries),
        "ndcg@10": round(statistics.fmean(ndcg), 4),
        "recall@10": round(statistics.fmean(r10), 4),
        "recall@100": round(statistics.fmean(r100), 4),
        "mrr@10": round(statistics.fmean(mrr), 4),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(_percentile(latencies, 0.95), 2),
    }


def compare(
    retriever: Retriever,
    benchmark: Benchmark,
    modes: Iterable[Mode],
    fusion: Fusion = "convex",
    dense_weight: float = DENSE_WEIGHT,
) -> list[dict[str, Any]]:
    """One `evaluate` row per mode, hybrid fusing the two sides with `fusion` at `dense_weight`."""
    tuned = Retriever(retriever.index, retriever.embeddings, retriever.candidates, dense_weight, fusion)
    return [evaluate(tuned, benchmark, mode) for mode in modes]


def ensure_indexed(
    index: KnowledgeIndex, benchmark: Benchmark, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Put the benchmark corpus into its own collection once; returns how many docs were written."""
    return index.write_chunks(benchmark.corpus, progress)
