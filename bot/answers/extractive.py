"""Offline answers: the sentences of the top passages that answer the question, quoted and cited."""

from __future__ import annotations

from collections.abc import Iterable

from bot.answers.sentences import Sentence, leans_back, split
from bot.core.i18n import say
from bot.core.redact import redact
from bot.core.reply import Source
from bot.core.text import shorten
from bot.knowledge.retrieval import Passage

EXTRACTIVE_NOTE = say("answers.extractive_note", "en")
MAX_QUOTES = 3
QUOTE_CHARS = 480
SENTENCES_PER_QUOTE = 3
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


def quotes(ranked: list[Sentence], passages: list[Passage], limit: int = MAX_QUOTES) -> list[tuple[Passage, str]]:
    """Up to `limit` quotes, one per passage, in the order of their best sentences.

    Each quote holds its passage's best sentence in bold and its next best ones (at most
    SENTENCES_PER_QUOTE in all, within QUOTE_CHARS) in document order, with the sentence before
    the best one when that one leans on it for its subject.
    """
    order = list(dict.fromkeys(sentence.passage for sentence in ranked))[:limit]
    chosen = []
    for number in order:
        mine = [sentence for sentence in ranked if sentence.passage == number][:SENTENCES_PER_QUOTE]
        chosen.append((passages[number], _quote(split(passages[number]), mine)))
    return chosen


def _quote(parts: list[tuple[str, int]], mine: list[Sentence]) -> str:
    """The kept sentences in document order; sentences not next to each other on one line are joined by
    "…", so every piece between cuts reads as it stands in the source."""
    best = mine[0].position
    keep = {best}
    if best > 0 and (leans_back(parts[best][0]) or parts[best - 1][0].endswith(":")):
        keep.add(best - 1)
    room = QUOTE_CHARS - sum(len(parts[at][0]) for at in keep)
    for sentence in mine[1:]:
        if len(parts[sentence.position][0]) <= room:
            keep.add(sentence.position)
            room -= len(parts[sentence.position][0])
    shown: list[str] = []
    previous: int | None = None
    for at in sorted(keep):
        text, line = parts[at]
        if previous is not None and not (at - 1 == previous and parts[previous][1] == line):
            shown.append("…")
        text = shorten(text.replace("*", ""), QUOTE_CHARS)
        shown.append(f"**{text}**" if at == best else text)
        previous = at
    return " ".join(shown)


def extractive_answer(chosen: list[tuple[Passage, str]], note: str = EXTRACTIVE_NOTE) -> str:
    """The note, then each quote under its source's heading, cited as [n] in order."""
    parts = [note]
    for number, (passage, quote) in enumerate(chosen, 1):
        heading = f"{passage.title} — {passage.section}" if passage.section else passage.title
        parts.append(f"*{heading}* [{number}]\n> {quote.replace(chr(10), ' ')}")
    return "\n\n".join(parts)


def decline_answer(passages: list[Passage], lang: str = "en") -> str:
    if not passages:
        return say("answers.decline_nothing", lang)
    closest = "; ".join(f"{p.title} — {p.section}" if p.section else p.title for p in passages[:3])
    return say("answers.decline_closest", lang, closest=closest)
