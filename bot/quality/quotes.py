"""What an answer's text claims about its sources: the sentences it quotes, its citations, its quotes.

    plain("**Humans** approve\n> before `sending`")      -> "humans approve before sending"
    quotes_in('*Plan* [1]\n> Ship in May.')               -> [Quote("Ship in May.", (1,))]
    quotes_in('They say "ship it by May" [2].')           -> [Quote("ship it by May", (2,))]

A quote is a blockquote (lines starting with `>`), attributed to the citations on its own lines or, failing
those, on the nearest line before it (the extractive answer's `*Title — Section* [n]`) or after it; or text
in double quotes followed by a citation. `unfound_quotes` lists the quotes that the sources they cite don't
hold, after `plain` on both sides and with each `…` (and each redacted secret) treated as a cut.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core.text import squash

_MARKUP = re.compile(r"[*`>_]")
_CITATION = re.compile(r"\[(\d{1,3})\]")
_CITATIONS = re.compile(r"\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")
# Text in double quotes (straight, curly, German low-high) right after which a citation follows. Quote
# characters can't occur inside, so each stretch between two of them is scanned once: linear time.
_INLINE = re.compile(r"[\"“„]([^\"“”„\n]{8,600})[\"“”][.,;:]?[ \t]*\[(\d{1,3})\]")
# A cut, or a secret the reply redacted (`…[redacted]`, `[redacted]`): what is left on either side is verbatim.
_CUT = re.compile(r"…?\[redacted\]|…|\.\.\.")


@dataclass(frozen=True)
class Quote:
    """Text an answer presents as taken from a source, and the source numbers (1-based) it cites for it."""

    text: str
    cited: tuple[int, ...]


def plain(text: str) -> str:
    """Text compared for quoting: Markdown markers (`*`, backticks, `>`, `_`) gone, whitespace collapsed, lower case."""
    return squash(_MARKUP.sub("", text)).lower()


def quotes_sentence(answer: str, sentence: str) -> bool:
    """True when `sentence` appears in the answer text, compared as `plain` text."""
    wanted = plain(sentence)
    return bool(wanted) and wanted in plain(answer)


def unlisted_citations(answer: str, sources: int) -> int:
    """Citations [n] that name no listed source (n outside 1..sources)."""
    return sum(1 for number in _CITATION.findall(answer) if not 1 <= int(number) <= sources)


def _cited(line: str) -> tuple[int, ...]:
    return tuple(int(number) for number in _CITATION.findall(line))


def _outside(line: str) -> tuple[int, ...]:
    """The citations on a line that isn't itself part of a quote."""
    return () if line.lstrip().startswith(">") else _cited(line)


def quotes_in(answer: str) -> list[Quote]:
    """The blockquotes and the cited quotations of an answer, each with the sources it is attributed to."""
    lines = answer.splitlines()
    found: list[Quote] = []
    index = 0
    while index < len(lines):
        if not lines[index].lstrip().startswith(">"):
            for match in _INLINE.finditer(lines[index]):
                found.append(Quote(match.group(1), (int(match.group(2)),)))
            index += 1
            continue
        start = index
        while index < len(lines) and lines[index].lstrip().startswith(">"):
            index += 1
        block = lines[start:index]
        cited = tuple(number for line in block for number in _cited(line))
        if not cited:
            # The nearest non-blank line on either side, unless it belongs to another quote.
            before = next((line for line in reversed(lines[:start]) if line.strip()), "")
            after = next((line for line in lines[index:] if line.strip()), "")
            cited = _outside(before) or _outside(after)
        text = _CITATIONS.sub(" ", " ".join(line.lstrip().lstrip(">") for line in block))
        if plain(text):
            found.append(Quote(squash(text), cited))
    return found


def _holds(source: str, quote: str) -> bool:
    """True when every piece of `quote` between cuts (`…`) is in `source` (both already `plain`)."""
    pieces = [piece.strip(" .,;:") for piece in _CUT.split(plain(quote))]
    return all(piece in source for piece in pieces if piece)


def unfound_quotes(answer: str, sources: Sequence[str], texts: Mapping[str, str]) -> list[Quote]:
    """The quotes no cited source holds.

    sources: the answer's listed source paths, in order (citation [n] is `sources[n-1]`).
    texts: each path's whole text, already `plain`. A quote that cites nothing listed is checked against
    every listed source.
    """
    unfound = []
    for quote in quotes_in(answer):
        cited = [sources[n - 1] for n in quote.cited if 1 <= n <= len(sources)] or list(sources)
        if not any(_holds(texts.get(path, ""), quote.text) for path in cited):
            unfound.append(quote)
    return unfound
