"""Offline answers: the sentences of the top passages that answer the question, quoted and cited."""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.i18n import say
from bot.core.redact import redact
from bot.core.reply import Source
from bot.core.text import sentences, shorten
from bot.knowledge.keyword import tokenize
from bot.knowledge.retrieval import Passage

EXTRACTIVE_NOTE = say("answers.extractive_note", "en")
MAX_QUOTES = 3
QUOTE_CHARS = 420
FALLBACK_NOTE = say("answers.fallback_note", "en")


def cite(passage: Passage) -> Source:
    """A retrieved passage as a cited source; its snippet redacted."""
    return Source(
        path=passage.path,
        title=passage.title,
        section=passage.section,
        score=passage.score,
        snippet=redact(passage.snippet()),
        url=passage.url,
    )


def distinct(passages: Iterable[Passage]) -> list[Passage]:
    """Drop passages that repeat a path and section already kept (overlapping chunks of one section)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for passage in passages:
        key = (passage.path, passage.section)
        if key not in seen:
            seen.add(key)
            kept.append(passage)
    return kept


def best_excerpt(text: str, question: str, limit: int = QUOTE_CHARS) -> str:
    """The run of consecutive sentences that shares the most terms with the question, within `limit`."""
    parts = sentences(text)
    if not parts:
        return ""
    wanted = set(tokenize([question])[0])
    overlap = [len(wanted & set(tokens)) for tokens in tokenize(parts)]
    best, best_score = (0, 1), -1.0
    for start in range(len(parts)):
        length = 0
        shared = 0  # a running sum: summing the window afresh for each end is cubic in short sentences
        for end in range(start, len(parts)):
            length += len(parts[end]) + 1
            if length > limit and end > start:
                break
            shared += overlap[end]
            score = shared - 0.01 * (end - start)
            if score > best_score:
                best, best_score = (start, end + 1), score
    return shorten(" ".join(parts[best[0] : best[1]]), limit)


def extractive_answer(question: str, passages: list[Passage], note: str = EXTRACTIVE_NOTE) -> str:
    """Quote the best sentences of the top passages, each cited as [n] in source order."""
    parts = [note]
    for number, passage in enumerate(passages[:MAX_QUOTES], 1):
        heading = f"{passage.title} — {passage.section}" if passage.section else passage.title
        quote = best_excerpt(passage.text, question).replace("\n", " ")
        parts.append(f"*{heading}* [{number}]\n> {quote}")
    return "\n\n".join(parts)


def decline_answer(passages: list[Passage], lang: str = "en") -> str:
    if not passages:
        return say("answers.decline_nothing", lang)
    closest = "; ".join(f"{p.title} — {p.section}" if p.section else p.title for p in passages[:3])
    return say("answers.decline_closest", lang, closest=closest)
