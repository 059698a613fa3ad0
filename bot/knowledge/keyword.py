"""The keyword side of hybrid search: BM25 (bm25s) over the same chunks the vector store holds."""

from __future__ import annotations

import bisect
import logging
import math
import os
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s import stopwords as bm25_stopwords

# The knowledge is multilingual (English, German, Dutch PRDs), so stop words of all three go.
_STOPWORDS = sorted(
    {
        *bm25_stopwords.STOPWORDS_EN_PLUS,
        *bm25_stopwords.STOPWORDS_GERMAN,
        *bm25_stopwords.STOPWORDS_DUTCH,
    }
)
_stemmer = Stemmer.Stemmer("english")
# bm25s sets its own logger to DEBUG on import; keep its per-index chatter out of our logs.
logging.getLogger("bm25s").setLevel(logging.WARNING)
# German and Dutch glue words into compounds: "Halluzinationsrate" asked, "Halluzinationen" written. A query
# term the index has never seen stands in for the indexed term sharing its longest prefix, when that prefix
# is at least MIN_SHARED characters and PREFIX_SHARE of the term. On SciFact (English) it moves nDCG@10 by
# less than 0.001.
MIN_SHARED = 7
PREFIX_SHARE = 0.6


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(list(texts), stopwords=_STOPWORDS, stemmer=_stemmer, return_ids=False, show_progress=False)
    return tokens


def bm25_index(rows: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> bm25s.BM25:
    """A bm25s index over rows of tokens (at least one row), built quietly."""
    index = bm25s.BM25(k1=k1, b=b)
    index.index([list(row) for row in rows], show_progress=False)
    return index


class KeywordIndex:
    """BM25 scores for every chunk; rows line up with `ids`."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = list(ids)
        tokens = tokenize(texts) if self.ids else []
        self.doc_freq: Counter[str] = Counter(token for row in tokens for token in set(row))
        self._vocabulary = sorted(self.doc_freq)
        self._bm25 = bm25_index(tokens, k1, b) if self.ids else bm25s.BM25(k1=k1, b=b)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (0 where `mask` is False)."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        tokens = self.query_terms(query)
        if not tokens:
            return np.zeros(len(self.ids), dtype=np.float32)
        scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
        return scores if mask is None else np.where(mask, scores, 0.0).astype(np.float32)

    def top(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (row, score) pairs with a positive score, best first."""
        scores = self.scores(query, mask)
        if not len(scores):
            return []
        k = min(k, len(scores))
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows])]
        return [(int(row), float(scores[row])) for row in rows if scores[row] > 0]

    def query_terms(self, query: str) -> list[str]:
        """The query's terms; one the index has never seen becomes the indexed term it shares most prefix with."""
        return [self._known(token) for token in tokenize([query])[0]]

    def _known(self, token: str) -> str:
        if token in self.doc_freq or not self._vocabulary:
            return token
        # In sorted order, the longest common prefix is always with a neighbour of the insertion point.
        at = bisect.bisect_left(self._vocabulary, token)
        neighbours = self._vocabulary[max(at - 1, 0) : at + 1]
        # Character prefixes are the point here, not path components.
        best = max(neighbours, key=lambda term: len(os.path.commonprefix([token, term])))  # noqa: RUF071
        shared = len(os.path.commonprefix([token, best]))  # noqa: RUF071
        return best if shared >= MIN_SHARED and shared >= PREFIX_SHARE * len(token) else token

    def coverage(self, query: str, texts: Sequence[str]) -> float:
        """The IDF-weighted share of the query's terms that occur in `texts` (1.0 when all do)."""
        wanted = set(self.query_terms(query))
        if not wanted:
            return 0.0
        present = {token for row in tokenize(texts) for token in row}
        weight = {token: math.log(1 + len(self.ids) / (1 + self.doc_freq[token])) for token in wanted}
        return sum(weight[token] for token in wanted if token in present) / sum(weight.values())
