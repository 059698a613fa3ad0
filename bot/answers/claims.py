"""Claims that prove their citations: the model answers in JSON, each claim with its source and a quote from it.

    {"answer_status": "answered" | "missing", "missing_fact": str | null,
     "claims": [{"text": "...", "source": 2 | "thread", "quote": "words copied from source 2"}]}

A claim is kept only when its quote is found in the text of the source it names (the text the model was
shown), after both are normalised (case, whitespace, typographic quotes and dashes, Markdown markers) and
allowing a few typos: about one edit per EDIT_EVERY characters of the quote, measured with rapidfuzz's
`partial_ratio_alignment`. Numbers never get that leeway: every number in the quote must be in the matched
passage, and every number in the claim must be in the source. A quote from another source than the one named
doesn't count. `ClaimStream` reads the JSON as it streams, so checked claims can be shown one by one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from bot.answers.citations import CitationFilter, strip_citations
from bot.core.i18n import say
from bot.core.text import shorten, squash

STATUSES = ("answered", "missing")
THREAD = "thread"
# A quote shorter than this (normalised) proves nothing: "2 s" is in many a page.
MIN_QUOTE_CHARS = 8
# The typo budget: one edit (insertion, deletion or substitution) per this many characters of the quote.
EDIT_EVERY = 12
# A quote shown beside its claim is cut to this length.
QUOTE_CHARS = 160
# A missing fact named in a decline is cut to this length.
MISSING_FACT_CHARS = 200

# The reply's JSON schema, sent as the OpenAI `response_format` (strict structured output).
ANSWER_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "cited_answer",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "answer_status": {"type": "string", "enum": list(STATUSES)},
                "missing_fact": {"type": ["string", "null"]},
                "claims": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string"},
                            "source": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": [THREAD]}]},
                            "quote": {"type": "string"},
                        },
                        "required": ["text", "source", "quote"],
                        "additionalProperties": False,
                    },
                },
            },
            "required": ["answer_status", "missing_fact", "claims"],
            "additionalProperties": False,
        },
    },
}

_TYPOGRAPHY = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‹": "'",
        "›": "'",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "…": "...",
        "\u00a0": " ",
    }
)
_LINK = re.compile(r"\[([^\]\n]{0,300})\]\([^)\s]{0,500}\)")  # [text](url) -> text; bounded, so linear
_LIST_MARK = re.compile(r"(?m)^[ \t]*(?:[-+*•]|\d{1,3}[.)])[ \t]+")
_MARKERS = re.compile(r"[*_#>|~`\\]")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[.,](?=\d)")
_NUMBER = re.compile(r"\d+")
_SOURCE = re.compile(r"\[?\s{0,3}(?:source\s{0,3})?(\d{1,3}|thread)\s{0,3}\]?", re.I)
_CLAIMS_START = re.compile(r'"claims"\s*:\s*\[')
_STATUS = re.compile(r'"answer_status"\s*:\s*"([a-z]{1,20})"')


@dataclass(frozen=True)
class Claim:
    """One statement of the answer: `source` is a 1-based source number or THREAD."""

    text: str
    source: int | str
    quote: str


@dataclass
class ClaimsReply:
    """The model's reply, parsed; a claim entry that isn't a claim at all (no text, source or quote) is None."""

    status: str
    missing_fact: str | None
    claims: list[Claim | None] = field(default_factory=list)


def parse_claim(value: object) -> Claim | None:
    """A claim object from the reply, or None when it lacks text, a source or a quote."""
    if not isinstance(value, dict):
        return None
    text, quote, source = value.get("text"), value.get("quote"), value.get("source")
    if not isinstance(text, str) or not isinstance(quote, str) or not text.strip():
        return None
    if isinstance(source, bool):
        return None
    if isinstance(source, int):
        return Claim(text.strip(), source, quote)
    match = _SOURCE.fullmatch(source.strip()) if isinstance(source, str) else None
    if match is None:
        return None
    label = match.group(1).lower()
    return Claim(text.strip(), THREAD if label == THREAD else int(label), quote)


def parse_reply(text: str) -> ClaimsReply:
    """The reply as a ClaimsReply; ValueError when it isn't the JSON object asked for."""
    data = json.loads(_unfenced(text))
    if not isinstance(data, dict):
        raise ValueError(f"the reply is a JSON {type(data).__name__}, not an object")
    status = data.get("answer_status")
    claims = data.get("claims") or []
    if status not in STATUSES or not isinstance(claims, list):
        raise ValueError("the reply lacks answer_status or claims")
    missing = data.get("missing_fact")
    missing_fact = squash(missing) if isinstance(missing, str) and missing.strip() else None
    return ClaimsReply(status, missing_fact, [parse_claim(value) for value in claims])


def _unfenced(text: str) -> str:
    """`text` without the Markdown code fence some models wrap JSON in."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else text[3:]
        text = text.rstrip().removesuffix("```")
    return text


def normalise(text: str) -> str:
    """`text` as quotes are compared: NFKC, Markdown links and markers gone, plain quotes and dashes, casefolded."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    text = _LIST_MARK.sub("", _LINK.sub(r"\1", text))
    return squash(_MARKERS.sub(" ", text)).casefold()


def numbers(text: str) -> list[str]:
    """The numbers in `text`, thousands and decimal separators taken out ("1,000" and "1000" are one number)."""
    return _NUMBER.findall(_DIGIT_SEPARATOR.sub("", text))


def quote_found(quote: str, text: str) -> bool:
    """Whether `quote` is in `text`, give or take normalisation and a few typos, with its numbers exact."""
    wanted, within = normalise(quote), normalise(text)
    if len(wanted) < MIN_QUOTE_CHARS:
        return False
    if wanted in within:
        return True
    allowed = max(1, len(wanted) // EDIT_EVERY)
    if len(wanted) >= len(within):
        return Levenshtein.distance(wanted, within, score_cutoff=allowed) <= allowed and _same_numbers(wanted, within)
    alignment = fuzz.partial_ratio_alignment(wanted, within, score_cutoff=100 * (1 - allowed / len(wanted)))
    if alignment is None:
        return False
    # The matched passage, widened by the typo budget so that a number at its edge is read whole.
    start, end = max(0, alignment.dest_start - allowed), alignment.dest_end + allowed
    return _same_numbers(wanted, within[start:end])


def _same_numbers(quote: str, passage: str) -> bool:
    return not Counter(numbers(quote)) - Counter(numbers(passage))


class ClaimChecker:
    """Checks claims against the texts the model was shown: numbered sources, and the thread if there is one."""

    def __init__(self, sources: list[str], thread: str | None = None) -> None:
        self.sources = sources
        self.thread = thread

    def source_text(self, claim: Claim) -> str | None:
        if claim.source == THREAD:
            return self.thread
        if isinstance(claim.source, int) and 1 <= claim.source <= len(self.sources):
            return self.sources[claim.source - 1]
        return None

    def check(self, claim: Claim) -> bool:
        """The quote is in the named source, and every number the claim states is in that source too."""
        text = self.source_text(claim)
        if text is None or not quote_found(claim.quote, text):
            return False
        stated = set(numbers(text))
        return all(number in stated for number in numbers(strip_citations(claim.text)))


def shows_quote(claim: Claim, limit: int) -> str | None:
    """The quote to show beside a claim: where the claim states a figure the reader may want to see in the
    source's words, and doesn't already repeat the quote; None otherwise."""
    # Without citation marks: a "[3]" the source itself holds must not read as one of the answer's.
    quote = strip_citations(claim.quote).strip("\"'“”‘’| ")
    if not numbers(claim.text) or not quote or normalise(quote) in normalise(claim.text):
        return None
    return shorten(quote, limit)


def missing_phrase(missing_fact: str) -> str:
    """The missing fact as the end of "the sources don't say …": short, lower-case first word, no final stop."""
    phrase = shorten(missing_fact, MISSING_FACT_CHARS).rstrip(" .")
    if len(phrase) > 1 and phrase[0].isupper() and phrase[1].islower():
        phrase = phrase[0].lower() + phrase[1:]
    return phrase


class ClaimStream:
    """Reads the reply's JSON as it streams and collects each claim object once it is complete.

    `status` is the answer_status, when it came before the claims (the schema's order). Decoding is
    retried only when a piece brings a closing brace, and from the start of the claim in progress.
    """

    def __init__(self) -> None:
        self.buffer = ""
        self.status: str | None = None
        self.claims: list[Claim | None] = []
        self._position: int | None = None  # where the next claim object may start, once "claims": [ was seen
        self._scanned = 0
        self._decoder = json.JSONDecoder()

    def feed(self, delta: str) -> None:
        self.buffer += delta
        if self._position is None:
            # Look again only at the tail that could hold a new start ('"claims": [' is short).
            start = _CLAIMS_START.search(self.buffer, max(0, self._scanned - 32))
            self._scanned = len(self.buffer)
            if start is None:
                return
            status = _STATUS.search(self.buffer, 0, start.start())
            self.status = status.group(1) if status else None
            self._position = start.end()
        elif "}" not in delta:
            return
        buffer, position = self.buffer, self._position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n,":
                position += 1
            if position >= len(buffer) or buffer[position] != "{":
                break
            try:
                value, position = self._decoder.raw_decode(buffer, position)
            except ValueError:
                break
            self.claims.append(parse_claim(value))
        self._position = position


class ClaimWriter:
    """Turns claims into the answer's prose as they arrive: each checked one kept with its citation, renumbered
    compactly by a CitationFilter (the first source cited is [1]); the rest dropped and counted."""

    def __init__(self, checker: ClaimChecker, sources: int, *, quote_chars: int = QUOTE_CHARS) -> None:
        self.checker = checker
        self.citations = CitationFilter(sources, allow_thread=checker.thread is not None)
        self.quote_chars = quote_chars
        self.seen = 0
        self.kept = 0
        self.dropped = 0
        self.text = ""

    def take(self, claims: Sequence[Claim | None]) -> str:
        """Check the claims not seen yet; return the text they add (empty when none was kept)."""
        pieces = []
        for claim in claims[self.seen :]:
            self.seen += 1
            if claim is None or not strip_citations(claim.text) or not self.checker.check(claim):
                self.dropped += 1
                continue
            pieces.append(self._render(claim))
        added = "".join(pieces)
        self.text += added
        return added

    def _render(self, claim: Claim) -> str:
        body = strip_citations(claim.text)
        end = "."
        if body[-1:] in (".", "!", "?", ";", ":"):
            body, end = body[:-1].rstrip(), body[-1] if body[-1] in ".!?" else "."
        label = "[thread]" if claim.source == THREAD else f"[{claim.source}]"
        cited = self.citations.feed(f"{body} {label}") + self.citations.flush()
        quote = shows_quote(claim, self.quote_chars)
        shown = f"{cited} (“{quote}”){end}" if quote else f"{cited}{end}"
        separator = " " if self.kept else ""
        self.kept += 1
        return separator + shown


def decline_text(missing_fact: str | None, closest: Sequence[str], lang: str = "en") -> str:
    """The "I don't know" for a generated answer, in `lang`: the fact the sources lack, if the model named it,
    and the closest sources' headings."""
    if missing_fact:
        text = say("answers.generated_missing", lang, missing=missing_phrase(missing_fact))
    else:
        text = say("answers.generated_unproven", lang)
    if closest:
        text += " " + say("answers.closest_sources", lang, closest="; ".join(closest))
    return text
