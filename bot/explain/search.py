"""The fallback search over the error catalog: entries ranked by the words they share with a text.

BM25 (bm25s) over each entry's code, aliases, title, meaning and causes; cheap, no model. It is what
an unmatched paste is offered as its closest known errors. The words are the catalog's own: identifiers
count whole and by their parts (`rate_limit_exceeded` is also `rate`, `limit`, `exceeded`), and the
words every traceback carries don't count. The knowledge base's tokenizer (stemmed prose, no split
identifiers) finds the expected entry first for fewer of tests/error_messages.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from bm25s.stopwords import STOPWORDS_EN_PLUS

from bot.knowledge.keyword import bm25_index

_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
# English stop words (bm25s's list) and the words every traceback carries.
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {
    "traceback",
    "file",
    "line",
    "most",
    "recent",
    "call",
    "last",
    "self",
    "return",
    "raise",
    "error",
    "errors",
    "exception",
}


def _words(text: str) -> list[str]:
    """The words of `text` that identify an error, repeats kept: identifiers whole and by their parts."""
    words: list[str] = []
    for word in _WORD.findall(text.lower()):
        words.append(word)
        if "_" in word:
            words.extend(part for part in word.split("_") if len(part) >= 3)
    return [word for word in words if word not in _STOPWORDS]


class WordSearch:
    """Documents ranked by BM25 for the distinct words of a query."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._size = len(texts)
        self._bm25 = bm25_index([_words(text) for text in texts]) if texts else None

    def rank(self, query: str, limit: int) -> list[tuple[int, float]]:
        """The `limit` best (document, score) pairs with a positive score, best first; ties in document order."""
        if self._bm25 is None:
            return []
        known = [word for word in dict.fromkeys(_words(query)) if word in self._bm25.vocab_dict]
        if not known:
            return []
        scores = np.asarray(self._bm25.get_scores(known))
        ranked = sorted((index for index in range(self._size) if scores[index] > 0), key=lambda i: (-scores[i], i))
        return [(index, float(scores[index])) for index in ranked[:limit]]
