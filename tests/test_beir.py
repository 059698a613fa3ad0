"""The BEIR retrieval eval: its metrics against values worked out by hand, and a tiny benchmark end to end."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.quality.beir import compare, ensure_indexed, load_benchmark, mrr_at, ndcg_at, recall_at
from bot.wiring import Deps
from tests.conftest import HashingEmbeddings

MakeDeps = Callable[..., Deps]

RANKED = ["a", "b", "c", "d"]
RELEVANT = {"b": 1, "d": 2, "e": 1, "x": 0}  # graded; "e" is never retrieved, "x" is judged not relevant


def test_ndcg_matches_the_hand_computed_value() -> None:
    # DCG: b at rank 2 gains (2^1 - 1) / log2(3), d at rank 4 gains (2^2 - 1) / log2(5).
    dcg = 1 / math.log2(3) + 3 / math.log2(5)
    # Ideal: grades 2, 1, 1 at ranks 1, 2, 3.
    ideal = 3 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert dcg / ideal == pytest.approx(0.465503, abs=1e-6)
    assert ndcg_at(RANKED, RELEVANT, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at(RANKED, RELEVANT, 2) == pytest.approx((1 / math.log2(3)) / (3 + 1 / math.log2(3)))
    assert ndcg_at(["d", "b", "e"], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at(RANKED, {"z": 1}, 10) == 0.0
    assert ndcg_at(RANKED, {}, 10) == 0.0


@pytest.mark.parametrize(
    ("k", "expected"),
    [(1, 0.0), (2, 1 / 3), (4, 2 / 3), (10, 2 / 3)],
)
def test_recall_counts_the_relevant_documents_found_in_the_top_k(k: int, expected: float) -> None:
    assert recall_at(RANKED, RELEVANT, k) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("ranked", "k", "expected"),
    [(RANKED, 10, 1 / 2), (RANKED, 1, 0.0), (["d", "b"], 10, 1.0), (["x", "c", "a", "e"], 10, 1 / 4), (["x"], 10, 0.0)],
)
def test_mrr_is_the_reciprocal_rank_of_the_first_relevant_document(ranked: list[str], k: int, expected: float) -> None:
    assert mrr_at(ranked, RELEVANT, k) == pytest.approx(expected)


@pytest.fixture
def tiny_beir(tmp_path: Path) -> Path:
    """A BEIR folder: three abstracts, two queries with qrels in the test split, one query without."""
    folder = tmp_path / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    corpus = [
        {"_id": "d1", "title": "Vitamin D", "text": "Vitamin D deficiency raises the risk of bone fractures."},
        {"_id": "d2", "title": "Sleep", "text": "Short sleep impairs memory consolidation in adults."},
        {"_id": "d3", "title": "Coffee", "text": "Coffee consumption is linked to lower liver disease risk."},
    ]
    with gzip.open(folder / "corpus.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(doc) + "\n" for doc in corpus)
    queries = [
        {"_id": "q1", "text": "vitamin D deficiency bone fractures"},
        {"_id": "q2", "text": "sleep memory consolidation"},
        {"_id": "q3", "text": "not judged in this split"},
    ]
    (folder / "queries.jsonl").write_text("".join(json.dumps(query) + "\n" for query in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n")
    return folder


def test_a_tiny_benchmark_scores_perfectly_in_every_mode_and_fusion(
    tiny_beir: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    benchmark = load_benchmark(tiny_beir, "test")
    assert sorted(benchmark.queries) == ["q1", "q2"]  # only the judged queries
    assert [chunk.title for chunk in benchmark.corpus] == ["Vitamin D", "Sleep", "Coffee"]
    deps = make_deps(tiny_beir, hashing_model)
    assert ensure_indexed(deps.index, benchmark) == 3
    for fusion in ("convex", "rrf"):
        rows = compare(deps.retriever, benchmark, ["hybrid", "bm25"], fusion)  # type: ignore[arg-type]
        for row in rows:
            assert row["queries"] == 2
            assert (row["ndcg@10"], row["recall@10"], row["mrr@10"]) == (1.0, 1.0, 1.0), (fusion, row)


def test_a_folder_that_is_not_beir_is_refused(tmp_path: Path) -> None:
    from bot.exceptions import InputError

    with pytest.raises(InputError, match="not a BEIR folder"):
        load_benchmark(tmp_path)
