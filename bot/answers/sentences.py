"""Which sentence of the retrieved passages answers the question.

Passages are retrieved whole, but a PM needs the one sentence that answers. Each sentence of the
top passages is scored by its cosine similarity to the question (the embedding model, with the
sentence embeddings cached like any other) plus the IDF-weighted share of the question's terms it
holds. The best sentences decide what an extractive answer quotes, and whether the documents
state the fact asked for at all (`bot.answers.attributes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answers.attributes import Kind, holds
from bot.core.text import sentences
from bot.knowledge.keyword import tokenize
from bot.knowledge.retrieval import Passage

# A sentence's score: COSINE_WEIGHT x its cosine to the question + OVERLAP_WEIGHT x the share of the
# question's aspect terms it holds + PASSAGE_WEIGHT x its passage's retrieval score. Tuned on the
# tuning half of tests/devsets/answers (is the answering sentence among those quoted).
COSINE_WEIGHT = 0.5
OVERLAP_WEIGHT = 0.6
# Weight of the passage's own retrieval score: the retriever saw the whole passage.
PASSAGE_WEIGHT = 0.2
# A sentence that holds a value of the kind the question asks for (a duration for "how long", an amount for
# "what does it cost"; bot.answers.attributes) is more likely the answer.
# Only what is quoted is ranked so; whether the fact is stated at all is read from `relevance` alone.
KIND_WEIGHT = 0.35
# Label-like lines ("Product: X", "Transcription") rarely answer: a sentence under SHORT_WORDS words
# loses up to SHORT_PENALTY.
SHORT_WORDS = 5
SHORT_PENALTY = 0.0
# A question term found in this share of the top passages names the subject (the feature), not
# what is asked about it.
SUBJECT_SHARE = 0.6
# Work per question is bounded: at most this many sentences, embedded by their first SENTENCE_CHARS characters.
MAX_SENTENCES = 200
SENTENCE_CHARS = 400
# The longest line read as the label of the bullets under it ("**API-Key-Management:**").
LABEL_CHARS = 100
# A line at least this long that stops mid-sentence is hard-wrapped prose: the next line runs on.
WRAP_CHARS = 60
# What starts a block of its own rather than running on: a list item, a table row, a heading, a quote, a code fence.
_BLOCK_START = re.compile(r"^\s*+(?:[-*+•>|#]|\d{1,3}[.)]\s|```)")
_TABLE_OR_HEADING = re.compile(r"^\s*+[|#]")
# A line that ends a sentence or labels what follows.
_SENTENCE_END = re.compile(r"[.!?:;)\]`*|]\s*+$")
# Lines that are only structure carry no answer of their own.
_RULE = re.compile(r"[\s|:\-=*#>_]*")
# List markers and quote marks at the start of a line: shown without them.
_LEAD = re.compile(r"[\s>*+\-•]*(?:\d{1,3}[.)]\s+)?")
# A sentence that leans on the one before it for its subject.
_ANAPHOR = re.compile(
    r"(?:it|this|that|these|those|they|there|such|also|then|es|dies|diese[rsmn]?|das|sie|dort|auch|dann|"
    r"het|dit|deze|die|dat|zij|ze|daar|ook|dan)\b",
    re.I,
)

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")

Embed = Callable[[list[str]], list[list[float]]]
Coverages = Callable[[str, list[str]], list[float]]


@dataclass(frozen=True)
class Sentence:
    """One sentence of a retrieved passage and how well it answers the question."""

    passage: int  # index into the passages it came from
    position: int  # index among that passage's sentences
    text: str
    cosine: float  # to the question
    overlap: float  # IDF-weighted share of the aspect's terms the sentence holds
    retrieval: float  # the passage's fused retrieval score (0-1)
    words: int
    fits: bool = False  # holds a value of the kind the question asks for
    in_context: float = 0.0  # cosine to the question of the sentence read under its label or table header

    @property
    def relevance(self) -> float:
        """How close the sentence is to the question, whatever values it holds; read on its own or under its label
        or table header, whichever is closer."""
        brevity = SHORT_PENALTY * max(0, SHORT_WORDS - self.words) / SHORT_WORDS
        cosine = max(self.cosine, self.in_context)
        return COSINE_WEIGHT * cosine + OVERLAP_WEIGHT * self.overlap + PASSAGE_WEIGHT * self.retrieval - brevity

    @property
    def score(self) -> float:
        """Relevance, plus KIND_WEIGHT when the sentence holds a value of the kind asked for: what is quoted."""
        return self.relevance + KIND_WEIGHT * self.fits


def clean(sentence: str) -> str:
    """A sentence as quoted: without list markers, quote marks or stray emphasis at its start."""
    return _LEAD.sub("", sentence.replace("**", ""), count=1).strip()


def _unwrapped(lines: list[str]) -> list[tuple[str, int]]:
    """The lines of a text with hard-wrapped prose joined back: a long line of prose or of a list item that stops
    mid-sentence runs on into the next line when that one starts no list item, table row, heading or quote ("Was die
    Prüfung nicht besteht, wird auf" / "höchstens 30 Prozent Sicherheit gedeckelt …"). Code fences are left as they
    are. Each joined line keeps the number of its first line."""
    joined: list[tuple[str, int]] = []
    running = fenced = False
    for number, line in enumerate(lines):
        fence = line.lstrip().startswith(("```", "~~~"))
        fenced ^= fence
        if running and line.strip() and not _BLOCK_START.match(line):
            text, first = joined[-1]
            joined[-1] = (f"{text} {line.strip()}", first)
        else:
            joined.append((line, number))
        last = joined[-1][0]
        running = (
            not (fenced or fence)
            and len(line) >= WRAP_CHARS
            and not _TABLE_OR_HEADING.match(last)
            and not _SENTENCE_END.search(last)
        )
    return joined


def split(passage: Passage) -> list[tuple[str, int]]:
    """The passage's sentences worth scoring, each with the number of the line it starts on: structure-only
    lines (table rules, bare markers) and sentences that are nothing but markup dropped."""
    found = []
    for line, number in _unwrapped(passage.text.splitlines()):
        for sentence in sentences(line):
            text = clean(sentence)
            if text and not _RULE.fullmatch(text):
                found.append((text, number))
    return found


def aspect(question: str, passages: Sequence[Passage]) -> str:
    """The question without the words that name its subject: those in the top passages' titles or in
    most of their texts. "At what AI confidence does the Web3 moderation system block a post?" asks
    about confidence and blocking; every passage of that PRD mentions moderation."""
    if not passages:
        return question
    titles = {token for row in tokenize([f"{p.title} {p.section}" for p in passages]) for token in row}
    texts = [set(row) for row in tokenize([p.text for p in passages])]
    words = _WORD.findall(question)
    kept = []
    for word, tokens in zip(words, tokenize(words), strict=True):
        subject = any(
            token in titles or sum(token in row for row in texts) >= SUBJECT_SHARE * len(texts) for token in tokens
        )
        if not subject:
            kept.append(word)
    return " ".join(kept) if kept else question


def _is_label(text: str) -> bool:
    return text.endswith(":") and len(text) <= LABEL_CHARS


def _labels(passage: Passage, parts: list[tuple[str, int]]) -> list[str]:
    """For each of `parts` (`split(passage)`), the label it sits under: for a table row, its table's header row
    ("| Priority | First Response |" over "| P1 Critical | < 1 uur |"); else the nearest line above its own that ends
    in a colon ("**API-Key- und Credentials-Management:**" over its bullets), or ""."""
    above, label, header, in_table = [], "", "", False
    for line in passage.text.splitlines():
        row = line.lstrip().startswith("|")
        if row and not in_table:
            header = clean(line)
        above.append(header if row and clean(line) != header else label)
        in_table = row
        if _is_label(text := clean(line)):
            label = text
    return [above[number] for _, number in parts]


def rank(
    question: str, passages: Sequence[Passage], embed: Embed, coverages: Coverages, kind: Kind | None = None
) -> list[Sentence]:
    """Every sentence of `passages` scored against `question`, best first; `kind` is the kind of value asked for.

    A bullet is also read under the label it sits under, so "Verschlüsselte Speicherung (AES-256)" is found by
    what its label ("API-Key- und Credentials-Management:") says it is about."""
    found: list[tuple[int, int, str, str]] = []
    for number, passage in enumerate(passages):
        parts = split(passage)
        for position, ((text, _), label) in enumerate(zip(parts, _labels(passage, parts), strict=True)):
            # A label answers nothing itself (it is quoted with the bullet it heads), unless it holds a value of the
            # kind asked for: 'Premium Tier - "Pro" ($9.99/month):' states the price.
            if not _is_label(text) or (kind is not None and holds(kind, text)):
                found.append((number, position, text, label))
    found = found[:MAX_SENTENCES]
    if not found:
        return []
    asked = aspect(question, passages)
    texts = [text for _, _, text, _ in found]
    read = [f"{context}: {text}" for _, _, text, context in found if context]
    vectors = np.asarray(embed([question, *(text[:SENTENCE_CHARS] for text in [*texts, *read])]), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1)
    norms[norms == 0] = 1.0
    vectors /= norms[:, None]
    cosines = vectors[1:] @ vectors[0]
    plain_cosines, read_cosines = iter(cosines[: len(texts)]), iter(cosines[len(texts) :])
    overlaps = coverages(asked, texts)
    ranked = []
    for (number, position, text, context), overlap in zip(found, overlaps, strict=True):
        cosine = float(next(plain_cosines))
        ranked.append(
            Sentence(
                number,
                position,
                text,
                cosine,
                overlap,
                passages[number].score,
                len(text.split()),
                kind is not None and holds(kind, text),
                float(next(read_cosines)) if context else cosine,
            )
        )
    return sorted(ranked, key=lambda s: s.score, reverse=True)


def leans_back(text: str) -> bool:
    """Whether a sentence needs the one before it to be understood (a pronoun subject, a bare list item)."""
    return bool(_ANAPHOR.match(text)) or len(text) < 40
