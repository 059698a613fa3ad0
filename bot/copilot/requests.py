"""What users type: a verb and its argument, read from text (`parse_request`) and checked once (`validate`)."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from bot.core.text import squash
from bot.evalplans.inputs import MAX_PRD_CHARS
from bot.exceptions import InputError

Verb = Literal["ask", "eval", "error", "stats", "reindex", "help", "scope"]
VERBS: tuple[Verb, ...] = ("ask", "eval", "error", "stats", "reindex", "help", "scope")

# Pasted errors can carry a stack trace or a JSON body; Slack caps a command's text near this anyway.
MAX_ERROR_CHARS = 8000
# A question longer than this many times MAX_QUESTION_CHARS is refused before any pattern reads it;
# whitespace padding up to that still collapses to a question of the allowed length.
RAW_QUESTION_FACTOR = 4

# Possessive `\s++` so a long run of spaces is read once, not once per way to split it between
# neighbouring `\s*`; and only the head of a request is matched, where these phrasings are.
_NATURAL_EVALS = re.compile(
    r"^\s*+(?:please\s++)?draft\s++(?:an?\s++|the\s++|some\s++)?eval\w*+(?:\s+criteria|\s+plan)?(?:\s+for)?\s*:?\s*",
    re.I,
)
_NATURAL_ERROR = re.compile(r"^\s*+(?:please\s++)?explain\s++(?:this|an|the|my)?\s*+error(?:\s+message)?\s*:?\s*", re.I)
_NATURAL_HEAD_CHARS = 200
_MENTIONS_EVALS = re.compile(r"\bevals?\b|\bevaluation", re.I)


class Request(NamedTuple):
    """One thing the user asked for: a verb and its argument (the question, feature or error text)."""

    verb: Verb
    argument: str


def parse_request(text: str) -> Request:
    """Read `ask …`, `eval …`, `error …`, `stats`, `reindex`, `help`, or a bare question.

    Natural phrasings from the assistant pane's suggested prompts ("Draft eval criteria for: …",
    "Explain this error: …") map to the same verbs. Empty text asks for help.
    """
    text = (text or "").strip()
    if not text:
        return Request("help", "")
    head = text[:_NATURAL_HEAD_CHARS]
    natural = _NATURAL_EVALS.match(head)
    if natural:
        return Request("eval", text[natural.end() :].strip())
    natural = _NATURAL_ERROR.match(head)
    if natural:
        return Request("error", text[natural.end() :].strip())
    first, _, rest = text.partition(" ")
    verb = first.lower().rstrip(":")
    rest = rest.strip()
    if verb in ("ask", "eval", "error"):
        return Request(verb, rest)  # type: ignore[arg-type]
    if verb in ("stats", "reindex", "help", "scope") and not rest:
        return Request(verb, "")  # type: ignore[arg-type]
    # "help me pick a metric" is a question, not a request for the usage text.
    return Request("ask", text)


# "save this PRD", "speichere dieses PRD", "PRD speichern", "sla deze PRD op", "PRD opslaan"
_SAVE = re.compile(
    r"\bsave\s++(?:this|the)\s++(?:prd|doc|document|thread)\b"
    r"|\bspeicher\w*+\s++(?:dieses|das|den|diesen)\s++(?:prd|dokument|thread)\b|\b(?:prd|dokument)\s++speichern\b"
    r"|\bsla\s++(?:deze|dit|de|het)\s++(?:prd|document|thread)\s++op\b|\b(?:prd|document)\s++opslaan\b",
    re.I,
)


def asks_to_save(text: str) -> bool:
    """True when a message asks to save its thread's PRD into the knowledge ("save this PRD", in en/de/nl)."""
    return bool(_SAVE.search((text or "")[:_NATURAL_HEAD_CHARS]))


def mentions_evals(text: str) -> bool:
    """True when a message asks about evals (in a PRD thread, that means: draft them from the PRD)."""
    return bool(_MENTIONS_EVALS.search(text or ""))


def validate(request: Request, max_chars: int, prd: str | None = None) -> Request:
    """The request with its argument cleaned, or InputError with a usage hint: the rules on what users type.

    max_chars: MAX_QUESTION_CHARS, for questions and feature descriptions. prd: the PRD an eval
    request comes with (a file, a thread), which can name the feature by itself.
    """
    verb, argument = request
    if verb == "ask":
        if len(argument) > RAW_QUESTION_FACTOR * max_chars:
            raise InputError(f"That question is {len(argument):,} characters; keep it under {max_chars:,}.")
        argument = squash(argument)
        if not argument:
            raise InputError("Ask a question, e.g. `What should we measure before launching an AI summarizer?`")
        if len(argument) > max_chars:
            raise InputError(f"That question is {len(argument):,} characters; keep it under {max_chars:,}.")
    elif verb == "eval":
        argument = argument.strip()
        if not argument and not (prd or "").strip():
            raise InputError("Describe the feature, e.g. `eval an AI summary of support tickets`.")
        if len(argument) > max_chars:
            raise InputError(f"That feature description is {len(argument):,} characters; keep it under {max_chars:,}.")
        if prd and len(prd) > MAX_PRD_CHARS:
            raise InputError(f"That PRD is {len(prd):,} characters; the limit is {MAX_PRD_CHARS:,}.")
    elif verb == "error":
        if len(argument) > MAX_ERROR_CHARS:
            raise InputError(f"Paste at most {MAX_ERROR_CHARS:,} characters of the error.")
        if not argument.strip():
            raise InputError("Paste the error message, e.g. `error 429 insufficient_quota`.")
    return Request(verb, argument)
