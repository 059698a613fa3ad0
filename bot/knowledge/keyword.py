"""The keyword side of hybrid search: BM25 (bm25s) over the same chunks the vector store holds.

The knowledge is English, German and Dutch. Each chunk is stemmed with its own language's stemmer, and its
German or Dutch compounds also count as their parts where the index knows both (`Rechnungsdaten` is also
`Rechnung` and `Daten`). A question is stemmed in its own language, and each of its terms becomes a group
of variants: the term as the index holds it, and its equivalents from the trilingual glossary
(bot.knowledge.glossary) that occur in the index. A chunk scores the best variant of each group, so an
English `invoice` finds a German `Rechnung` and a chunk holding both counts the concept once.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
from collections import Counter
from collections.abc import Collection, Sequence

import bm25s
import numpy as np
import Stemmer

from bot.knowledge.glossary import Glossary, builtin_glossary
from bot.knowledge.languages import LANGS, STOPWORDS, Lang, Words, compound_parts, guess, split_compound, split_words

_STOPWORDS = sorted(STOPWORDS)
_stemmer = Stemmer.Stemmer("english")
# bm25s sets its own logger to DEBUG on import; keep its per-index chatter out of our logs.
logging.getLogger("bm25s").setLevel(logging.WARNING)
# German and Dutch glue words into compounds: "Halluzinationsrate" asked, "Halluzinationen" written. A query
# term the index has never seen stands in for the indexed term sharing its longest prefix, when that prefix
# is at least MIN_SHARED characters and PREFIX_SHARE of the term. On SciFact (English) it moves nDCG@10 by
# less than 0.001.
MIN_SHARED = 7
PREFIX_SHARE = 0.6
# Work on a question is capped: its first characters, its first terms, a few variants per term.
MAX_QUERY_CHARS = 2000
MAX_QUERY_TERMS = 64
MAX_VARIANTS = 8
# A glossary equivalent scores this share of what the question's own term would: of two passages saying the
# same, the one in the question's words ranks first. Of 0.5, 0.7, 0.85 and 1.0, 0.85 ranked the expected
# document best for the cross-language questions of tests/devsets/answers/tune.jsonl (bench_crosslang; measured
# before terms weighed by their concept's IDF).
EXPANSION_WEIGHT = 0.85

Variant = tuple[str, ...]


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Stop words out, English stems: the plain tokenizer (sentence overlap, error-catalog search)."""
    tokens = bm25s.tokenize(list(texts), stopwords=_STOPWORDS, stemmer=_stemmer, return_ids=False, show_progress=False)
    return tokens


def bm25_index(rows: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> bm25s.BM25:
    """A bm25s index over rows of tokens (at least one row), built quietly."""
    index = bm25s.BM25(k1=k1, b=b)
    index.index([list(row) for row in rows], show_progress=False)
    return index


def _idf(doc_freq: int, chunks: int) -> float:
    """BM25's IDF as bm25s computes it (the Lucene variant)."""
    return math.log(1 + (chunks - doc_freq + 0.5) / (doc_freq + 0.5))


class KeywordIndex:
    """BM25 scores for every chunk; rows line up with `ids`."""

    def __init__(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        k1: float = 1.2,
        b: float = 0.75,
        glossary: Glossary | None = None,
    ) -> None:
        """`glossary` None uses the built-in one; `Glossary([])` searches without one."""
        self.ids = list(ids)
        self.glossary = builtin_glossary() if glossary is None else glossary
        self._words = Words()
        tokens, self.languages = self._terms(texts) if self.ids else ([], [])
        self.doc_freq: Counter[str] = Counter(token for row in tokens for token in set(row))
        self._vocabulary = sorted(self.doc_freq)
        self._bm25 = bm25_index(tokens, k1, b) if self.ids else bm25s.BM25(k1=k1, b=b)

    def __len__(self) -> int:
        return len(self.ids)

    def _terms(
        self, texts: Sequence[str], vocabulary: Collection[str] | None = None
    ) -> tuple[list[list[str]], list[Lang]]:
        """Each text's stemmed terms (in its language) with its compounds' parts, and its language. A part
        must be in `vocabulary` (default: the texts' own terms) or a one-word glossary term."""
        words = split_words(texts)
        langs = [guess(row) for row in words]
        rows = [self._words.stems(row, lang) for row, lang in zip(words, langs, strict=True)]
        held = vocabulary if vocabulary is not None else {term for row in rows for term in row}
        parts = compound_parts(
            words, langs, self._words, lambda stem, lang: stem in held or self.glossary.knows(stem, lang)
        )
        if parts:
            for row, terms, lang in zip(words, rows, langs, strict=True):
                terms.extend(part for word in row for part in parts.get((lang, word), ()))
        return rows, langs

    def scores(self, query: str, mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (0 where `mask` is False): per group, its best variant."""
        if not self.ids:
            return np.zeros(0, dtype=np.float32)
        groups = self.query_groups(query)
        if not groups:
            return np.zeros(len(self.ids), dtype=np.float32)
        if all(len(group) == 1 for group in groups):
            scores = np.asarray(self._bm25.get_scores([term for group in groups for term in group[0]]))
        else:
            wanted = {term for group in groups for variant in group for term in variant if term in self.doc_freq}
            by_term = {term: np.asarray(self._bm25.get_scores([term]), dtype=np.float32) for term in wanted}
            scores = np.zeros(len(self.ids), dtype=np.float32)
            for group in groups:
                scores += self._group_scores(group, by_term)
        scores = scores.astype(np.float32)
        return scores if mask is None else np.where(mask, scores, 0.0).astype(np.float32)

    def _group_scores(self, group: list[Variant], by_term: dict[str, np.ndarray]) -> np.ndarray:
        """A group's score per chunk: its best variant, glossary equivalents at EXPANSION_WEIGHT.

        The group is one concept, so its terms weigh by the concept's IDF (chunks holding any variant), not
        their own: a German "KI" is rare in English knowledge, but "AI or KI" is not, and a question about AI
        must not favour the German pages for it.
        """
        zero = np.zeros(len(self.ids), dtype=np.float32)
        if len(group) == 1:
            return sum((by_term[term] for term in group[0] if term in by_term), zero)
        held = np.zeros(len(self.ids), dtype=bool)
        for variant in group:
            if all(term in by_term for term in variant):
                held |= np.logical_and.reduce([by_term[term] > 0 for term in variant])
        concept = _idf(int(held.sum()), len(self.ids))
        sums = [
            sum(
                (
                    by_term[term] * (concept / _idf(self.doc_freq[term], len(self.ids)))
                    for term in variant
                    if term in by_term
                ),
                zero,
            )
            for variant in group
        ]
        return np.maximum.reduce([sums[0], *(EXPANSION_WEIGHT * other for other in sums[1:])])

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
        """The query's terms as the index holds them (glossary equivalents aside)."""
        return [term for group in self.query_groups(query) for term in group[0]]

    def language(self, query: str) -> Lang:
        """The question's language, as `query_groups` stems it."""
        return guess(split_words([query[:MAX_QUERY_CHARS]])[0])

    def gloss(self, query: str) -> str | None:
        """A German or Dutch question in English glossary terms (`Glossary.gloss`); None for an English one, or
        when the glossary changes none of its words."""
        words = split_words([query[:MAX_QUERY_CHARS]])[0]
        lang = guess(words)
        return None if lang == "en" else self.glossary.gloss(words, lang)

    def query_groups(self, query: str) -> list[list[Variant]]:
        """One group per query term or glossary phrase: the term as the index holds it first, then the
        glossary's equivalents the index holds (at most MAX_VARIANTS)."""
        words = split_words([query[:MAX_QUERY_CHARS]])[0]
        lang = guess(words)
        content = [word for word in words if word not in STOPWORDS][:MAX_QUERY_TERMS]
        if lang != "en":
            content = [part for word in content for part in self._split(word, lang)]
        stems = [self._words.stem(word, lang) for word in content]
        groups: list[list[Variant]] = []
        at = 0
        while at < len(stems):
            size, rows = self.glossary.match(stems[at:], lang)
            size = max(size, 1)
            original = tuple(self._held(word, lang) for word in content[at : at + size])
            group = [original]
            for variant in sorted(self.glossary.variants(rows)):
                if variant != original and all(term in self.doc_freq for term in variant):
                    group.append(variant)
            groups.append(group[:MAX_VARIANTS])
            at += size
        return groups

    def _held(self, word: str, lang: Lang) -> str:
        """The word's stem in `lang`; if the index lacks it, its stem in another language the index has, else
        the indexed term sharing the longest prefix (`_known`)."""
        stem = self._words.stem(word, lang)
        if stem in self.doc_freq:
            return stem
        for other in LANGS:
            alternative = self._words.stem(word, other)
            if alternative in self.doc_freq:
                return alternative
        return self._known(stem)

    def _split(self, word: str, lang: Lang) -> tuple[str, ...]:
        """A German or Dutch compound the index lacks, as its two parts where the index or glossary knows both."""
        if any(self._words.stem(word, other) in self.doc_freq for other in LANGS) or self.glossary.knows(
            self._words.stem(word, lang), lang
        ):
            return (word,)

        def known(part: str) -> str | None:
            stem = self._words.stem(part, lang)
            held = part not in STOPWORDS and (stem in self.doc_freq or self.glossary.knows(stem, lang))
            return part if held else None

        return split_compound(word, known) or (word,)

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
        """The IDF-weighted share of the query's terms that occur in `texts` (1.0 when all do); a term counts
        as present when a glossary equivalent of it is."""
        present = {token for row in self._terms(texts, self.doc_freq)[0] for token in row}
        return self._covered(self.query_groups(query), present)

    def coverages(self, query: str, texts: Sequence[str]) -> list[float]:
        """`coverage` of the query by each text on its own; the query is read once for all of them."""
        groups = self.query_groups(query)
        return [self._covered(groups, set(row)) for row in self._terms(texts, self.doc_freq)[0]]

    def _covered(self, groups: list[list[Variant]], present: set[str]) -> float:
        covered: dict[str, bool] = {}
        for group in groups:
            equivalent = any(all(term in present for term in variant) for variant in group[1:])
            for term in group[0]:
                covered[term] = covered.get(term, False) or equivalent or term in present
        if not covered:
            return 0.0
        weight = {term: math.log(1 + len(self.ids) / (1 + self.doc_freq[term])) for term in covered}
        return sum(weight[term] for term, hit in covered.items() if hit) / sum(weight.values())
