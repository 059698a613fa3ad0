"""Knowledge-core benchmarks: retrieval latency by mode, reindex throughput vs raw encode, no-change reindex.

Run: .venv/bin/python -m tests.benchmarks.bench_index [--beir DIR] [--queries N]
SciFact is embedded once into tests/benchmarks/.cache (about 4-6 minutes on 2 cores), then reused.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bot.config import load_settings
from bot.knowledge.embeddings import LocalEmbeddingModel
from bot.quality.beir import _percentile, ensure_indexed, load_benchmark
from bot.wiring import build_deps

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
DEFAULT_BEIR = HERE.parents[2] / "shared" / "data" / "ir" / "scifact-dev"


def retrieval_latency(beir: Path, model: LocalEmbeddingModel, queries: int) -> list[dict[str, object]]:
    """p50/p95 per query, embedding included, modes interleaved so machine noise hits all alike."""
    deps = build_deps(load_settings(data_dir=CACHE / "beir", knowledge_dir=beir), knowledge_dir=beir, model=model)
    benchmark = load_benchmark(beir)
    ensure_indexed(deps.index, benchmark)
    texts = random.Random(7).sample(list(benchmark.queries.values()), min(queries, len(benchmark.queries)))
    modes = ("hybrid", "dense", "bm25")
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    deps.retriever.search("warm up", k=10)
    for text in texts:
        deps.embeddings.forget_queries()  # measure the query embedding every time
        for mode in modes:
            deps.embeddings.forget_queries()
            started = time.perf_counter()
            deps.retriever.search(text, k=10, mode=mode)  # type: ignore[arg-type]
            timings[mode].append((time.perf_counter() - started) * 1000)
    return [
        {
            "mode": mode,
            "queries": len(texts),
            "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(_percentile(values, 0.95), 1),
        }
        for mode, values in timings.items()
    ]


def reindex_throughput(beir: Path, model: LocalEmbeddingModel, files: int) -> dict[str, object]:
    """A full reindex from an empty cache vs model.encode on exactly the chunk texts it embeds."""
    benchmark = load_benchmark(beir)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "kb" / "playbook"
        folder.mkdir(parents=True)
        for chunk in benchmark.corpus[:files]:
            (folder / f"{chunk.id}.md").write_text(f"# {chunk.title}\n\n{chunk.text}\n")
        # The benchmark measures its own folder, without the built-in playbook.
        settings = load_settings(data_dir=Path(scratch) / "data", knowledge_dir=folder.parent, builtin_playbook=False)
        deps = build_deps(settings, model=model)
        started = time.perf_counter()
        report = deps.index.reindex()
        reindex_s = time.perf_counter() - started
        texts = [text for text in deps.index.snapshot().texts]
        started = time.perf_counter()
        model.embed_batch(texts)
        encode_s = time.perf_counter() - started
    return {
        "files": files,
        "chunks": report.embedded,
        "reindex_chunks_per_s": round(report.embedded / reindex_s, 1),
        "encode_texts_per_s": round(len(texts) / encode_s, 1),
        "ratio": round((report.embedded / reindex_s) / (len(texts) / encode_s), 2),
    }


def no_change_reindex(model: LocalEmbeddingModel, files: int, runs: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "kb"
        for n in range(files):
            path = folder / f"area{n % 10}" / f"note-{n:04d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"# Note {n}\n\n## Decision\n\nDecision {n}: ship behind a flag, measure override rate.\n")
        settings = load_settings(data_dir=Path(scratch) / "data", knowledge_dir=folder, builtin_playbook=False)
        deps = build_deps(settings, model=model)
        deps.index.reindex()
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            report = deps.index.reindex()
            seconds.append(time.perf_counter() - started)
            assert report.unchanged == files and report.embedded == 0
        shutil.rmtree(folder)
    return {
        "files": files,
        "runs": runs,
        "median_s": round(statistics.median(seconds), 3),
        "max_s": round(max(seconds), 3),
    }


def table(rows: list[dict[str, object]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row[key]) for key in keys) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--beir", type=Path, default=DEFAULT_BEIR)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--throughput-files", type=int, default=500)
    args = parser.parse_args()
    model = LocalEmbeddingModel()
    model.load()
    print("## Retrieval latency (SciFact, k=10, query embedding included)\n")
    print(table(retrieval_latency(args.beir, model, args.queries)))
    print("\n## Full reindex throughput vs raw encode (same model, same texts)\n")
    print(table([reindex_throughput(args.beir, model, args.throughput_files)]))
    print("\n## No-change reindex\n")
    print(table([no_change_reindex(model, 1000, 5)]))


if __name__ == "__main__":
    main()
