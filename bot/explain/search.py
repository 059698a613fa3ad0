"""The fallback search over the error catalog: entries ranked by the words they share with a text.

TF-IDF over each entry's code, aliases, title, meaning and causes; cheap, no model. It is what an
unmatched paste is offered as its closest known errors.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
_STOPWORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "with",
        "this",
        "that",
        "not",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "from",
        "into",
        "when",
        "what",
        "which",
        "will",
        "can",
        "could",
        "should",
        "would",
        "may",
        "might",
        "does",
        "did",
        "our",
        "its",
        "they",
        "them",
        "their",
        "there",
        "then",
        "than",
        "but",
        "all",
        "any",
        "per",
        "use",
        "used",
        "using",
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
)


def _tokens(text: str) -> set[str]:
    words: set[str] = set()
    for word in _WORD.findall(text.lower()):
        words.add(word)
        words.update(part for part in word.split("_") if len(part) >= 3)
    return words - _STOPWORDS


class WordSearch:
    """Documents ranked by the rarity-weighted words they share with a query, normalised by their length."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._tokens = [_tokens(text) for text in texts]
        document_frequency: dict[str, int] = defaultdict(int)
        for tokens in self._tokens:
            for token in tokens:
                document_frequency[token] += 1
        total = max(len(self._tokens), 1)
        self._idf = {token: math.log(1 + total / count) for token, count in document_frequency.items()}

    def rank(self, query: str, limit: int) -> list[tuple[int, float]]:
        """The `limit` best (document, score) pairs with some overlap, best first; ties in document order."""
        words = _tokens(query)
        ranked: list[tuple[float, int]] = []
        for index, tokens in enumerate(self._tokens):
            overlap = words & tokens
            if overlap:
                ranked.append((sum(self._idf[token] for token in overlap) / math.sqrt(len(tokens)), index))
        ranked.sort(key=lambda pair: (-pair[0], pair[1]))
        return [(index, score) for score, index in ranked[:limit]]
