"""Text helpers every capability shares: cutting text to a length, one-line text, sentences.

    clip("a long message", 10)          -> "a long me…"     a hard cut, for stored text (any marker)
    shorten("a long message", 10)       -> "a long…"        cut between words, for what a person reads
    squash(" two\n lines ")             -> "two lines"
    sentences("One. Two!\nThree")       -> ["One.", "Two!", "Three"]

Every result of `clip` and `shorten` is at most `limit` characters, marker included.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"

# A break after . ! or ? before something that starts a sentence, or a line break. Linear time: the
# lookbehind lets a match start only right after a mark, so each run of whitespace is scanned once.
# An abbreviation's period ends no sentence: "ca. 80-120€", "z. B. Nettoeinkommen", "max. 30 Tage", "inkl. Hex-Codes",
# "vs. Wizard", "bijv. Word" (each a fixed-width look-behind, so the split stays linear).
_ABBREVIATIONS = (
    "ca",
    "z",
    "bzw",
    "ggf",
    "inkl",
    "exkl",
    "max",
    "min",
    "evtl",
    "etc",
    "vs",
    "approx",
    "incl",
    "excl",
    "resp",
    "usw",
    "vgl",
    "nr",
    "bijv",
    "mio",
    "mrd",
    "zgl",
    "sog",
    "bspw",
    "ggü",
    "dh",
    "eg",
    "ie",
)
_NOT_AFTER = "".join(rf"(?<!\b(?i:{word})\.)" for word in _ABBREVIATIONS)
_NOT_AFTER += r"(?<!\b(?i:z\. b|d\. h|u\. a)\.)(?<!\b(?i:e\.g|i\.e|z\.b|d\.h|u\.a|o\.a)\.)"
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])" + _NOT_AFTER + r"\s+(?=[A-ZÄÖÜ0-9\"'(*_\[-])|\n+")
_TRAILING = ",;:"


def squash(text: str) -> str:
    """`text` on one line: each run of whitespace becomes one space, the ends trimmed."""
    return " ".join(text.split())


def clip(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """`text` cut to at most `limit` characters, ending in `marker` when cut (mid-word if need be)."""
    if len(text) <= limit:
        return text
    if limit <= len(marker):
        return text[: max(0, limit)]
    return text[: limit - len(marker)] + marker


def shorten(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """`text` cut between words to at most `limit` characters, ending in `marker` when cut.

    A word that runs past the cut goes whole, never as a fragment: half a secret might escape
    redaction. Whitespace and `,;:` before the marker go too. A first word longer than the
    limit leaves the marker alone.
    """
    if len(text) <= limit:
        return text
    bare = marker.strip()
    room = limit - len(marker)
    if room <= 0:
        return bare if len(bare) <= limit else ""
    end = room
    while end > 0 and not text[end].isspace():
        end -= 1
    kept = text[:end].rstrip().rstrip(_TRAILING).rstrip()
    return kept + marker if kept else bare


def sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped; a line break always ends one (list items, table rows)."""
    return [part.strip() for part in _SENTENCE_BREAK.split(text) if part.strip()]
