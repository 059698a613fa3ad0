"""Which document a question names: "What does a DoBie trial cost?" is about DoBie's PRD, not any PRD with prices.

A question that names its feature wants the answer from that feature's document. Another document
that states the fact for a different feature ("<2 hrs" recordings in another meeting-notes PRD, a
typical latency threshold in the playbook) doesn't answer it. A document's name is its title plus the
words of its file name; a question names a document when it shares a rare name word with it, and
no other candidate shares as much.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from bot.core.language import detect
from bot.knowledge.keyword import tokenize

if TYPE_CHECKING:
    from bot.knowledge.index import Snapshot

# A word in more than this share of the documents' names ("prd", "document", "design") names none of them; in a
# small knowledge folder, only a word in one name does.
GENERIC_SHARE = 0.1

# The shortest name word that also counts as the start of a longer question word ("KI-Assistenten" names the
# "KI-Assistent" document).
PREFIX_CHARS = 5
# A name word the question writes with a capital inside the sentence ("ProDAI", "Help Center") counts this
# much more: the feature's name, not a verb that happens to be in another document's title.
CAPITAL_WEIGHT = 1.5
# …and one written in mixed case ("AllianzGPT", "WildID", "10xCards") this much: a product's own name, more than an
# acronym ("API") or a capitalised compound ("Conversion-Rate") that happens to be in one other title.
MIXED_WEIGHT = 2.0

# A German noun held by one document's name (and no other's text) names it only among at least this many documents.
MIN_NAMES_FOR_NOUNS = 50

_SEPARATORS = re.compile(r"[-_.]+")
_POSSESSIVE = re.compile(r"['’]s\b")
# A name may start with a digit: "10xCards".
_DIGIT_NAME = r"(?<=\s)\d[^\W_]*[A-Z][\w-]*"
_CAPITALISED = re.compile(r"(?<=\s)[^\W\d_]*[A-Z][\w-]*|" + _DIGIT_NAME)
# German capitalises every noun, so there only a capital after a word's first letter marks a name: "ProduktRAG",
# "KI-Assistent", "IRCTC", not "Projekt" or "Monat".
# (A lowercase letter or digit right before a capital: found in one pass, however long the word.)
_MIXED_CASE = re.compile(r"(?<=\s)[^\W_]*?[a-z\d][A-Z][\w-]*")
_INNER_CAPITAL = re.compile(r"(?<=\s)[^\W\d_]*[A-Z][^\W_]*[A-Z][\w-]*|(?<=\s)[^\W\d_]+-[A-Z][\w-]*|" + _DIGIT_NAME)
# Words for what is asked name no document, even when a title holds them ("Confidence Score Thresholds & Rules",
# "KI-Budget-Routing"): "Below what confidence score does Thorn flag a post?" names Thorn only.
_ASKED_WORDS = frozenset(
    tokenize(
        [
            "confidence score threshold budget cost costs price pricing target rate accuracy latency time limit "
            "konfidenz schwellenwert kosten preis ziel genauigkeit latenz zeit grenze drempel prijs doel "
            "nauwkeurigheid tijd limiet"
        ]
    )[0]
)


@dataclass(frozen=True)
class Names:
    """Each document's name words (title and file name, stemmed) and each word's IDF over the names."""

    version: int
    words: dict[str, frozenset[str]]
    idf: dict[str, float]


_cache: dict[int, Names] = {}


def names(snapshot: Snapshot) -> Names:
    """The names of the snapshot's documents, computed once per index version."""
    cached = _cache.get(id(snapshot))
    if cached is not None and cached.version == snapshot.version:
        return cached
    titles: dict[str, str] = {}
    for meta in snapshot.metadatas:
        path = str(meta.get("path", ""))
        if path and path not in titles:
            stem = _SEPARATORS.sub(" ", PurePosixPath(path).stem)
            titles[path] = f"{meta.get('title', '')} {stem}"
    rows = tokenize(list(titles.values())) if titles else []
    words = {path: frozenset(row) for path, row in zip(titles, rows, strict=True)}
    counts = Counter(word for row in words.values() for word in row)
    total = len(words)
    rare = max(1.0, GENERIC_SHARE * total)
    idf = {word: math.log(1 + total / count) for word, count in counts.items() if count <= rare}
    _cache.clear()
    _cache[id(snapshot)] = found = Names(snapshot.version, words, idf)
    return found


def named_document(question: str, snapshot: Snapshot, candidates: Sequence[str]) -> str | None:
    """The one document among `candidates` (paths, best first) that `question` names, or None."""
    known = names(snapshot)
    text = _POSSESSIVE.sub("", question)
    german = detect(question) == "de"
    names_in = _INNER_CAPITAL if german else _CAPITALISED
    asked, capitals, mixed = (
        set(row) - _ASKED_WORDS
        for row in tokenize([text, " ".join(names_in.findall(text)), " ".join(_MIXED_CASE.findall(text))])
    )
    if german:
        capitals |= _own_nouns(text, snapshot, known)
    weights = {
        path: _weight(asked, capitals, mixed, known.words.get(path, frozenset()), known.idf)
        for path in dict.fromkeys(candidates)
    }
    ranked = sorted(weights.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] <= 0:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1]:
        return None
    return ranked[0][0]


def _own_nouns(text: str, snapshot: Snapshot, known: Names) -> set[str]:
    """German capitalises every noun, so a capital marks no name there; but a noun that one document's name holds
    and no other document's text uses is that product's name ("Was passiert bei Scenergy mit den Kundendaten …?"),
    where "Schüler", in one name too, runs through many documents. Only among many documents: in a small folder
    every word is in one name and one text."""
    if len(known.words) < MIN_NAMES_FOR_NOUNS:
        return set()
    unique = math.log(1 + len(known.words))
    found: set[str] = set()
    for noun in set(_CAPITALISED.findall(text)):
        (tokens,) = tokenize([noun])
        if tokens and all(known.idf.get(token, 0.0) >= unique for token in tokens) and _one_holder(noun, snapshot):
            found.update(tokens)
    return found


def _one_holder(word: str, snapshot: Snapshot) -> bool:
    """Whether the text of at most one document uses `word` (any case); stops at the second."""
    pattern = re.compile(re.escape(word), re.I)
    holders: set[str] = set()
    for meta, chunk in zip(snapshot.metadatas, snapshot.texts, strict=True):
        if pattern.search(chunk):
            holders.add(str(meta.get("path", "")))
            if len(holders) > 1:
                return False
    return True


def spelled_documents(question: str, snapshot: Snapshot) -> list[str]:
    """The documents whose name holds a rare word the question writes in mixed case ("ProDAI"): such a name finds
    its document even when retrieval didn't."""
    known = names(snapshot)
    (mixed,) = tokenize([" ".join(_MIXED_CASE.findall(_POSSESSIVE.sub("", question)))])
    return [path for path, words in known.words.items() if any(word in known.idf for word in set(mixed) & words)]


def _weight(asked: set[str], capitals: set[str], mixed: set[str], name: frozenset[str], idf: dict[str, float]) -> float:
    """The IDF of the name words the question holds, whole or as the start of a longer (inflected) word; 0
    unless it holds two of them or writes one as a name (a capital inside the sentence): one common word
    shared with a title ("help", "confidence") doesn't name a document."""
    held = [word for word in name if word in idf and _holds(asked, word)]
    named = [word for word in held if _holds(capitals, word)]
    if len(held) < 2 and not named:
        return 0.0
    return sum(
        idf[word] * (MIXED_WEIGHT if _holds(mixed, word) else CAPITAL_WEIGHT if word in named else 1.0) for word in held
    )


def _holds(tokens: set[str], word: str) -> bool:
    return word in tokens or (len(word) >= PREFIX_CHARS and any(token.startswith(word) for token in tokens))
