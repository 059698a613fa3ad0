"""The asker's language: English, German or Dutch, from the question's text and, when that is unsure, a hint.

`detect(text, hint)` asks py3langid (its model ships as package data, so it works offline), restricted
to the three languages. A question it is confident about (CONFIDENT) is answered in that language
whatever the hint says; for a short or mixed one ("KPI owner?") the hint wins: the asker's Slack
locale (`de-DE`, `nl-NL`, `en-US`) or a language code. With no usable hint, a plausible guess
(PLAUSIBLE) still counts, and anything weaker is English.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

Lang = Literal["en", "de", "nl"]
LANGUAGES: tuple[Lang, ...] = ("en", "de", "nl")
DEFAULT_LANG: Lang = "en"
NAMES: dict[Lang, str] = {"en": "English", "de": "German", "nl": "Dutch"}
# A language as English, German and Dutch write its name (lower case), and its English name.
LANGUAGE_NAMES: dict[str, str] = {
    "english": "English",
    "englisch": "English",
    "engels": "English",
    "german": "German",
    "deutsch": "German",
    "duits": "German",
    "dutch": "Dutch",
    "niederländisch": "Dutch",
    "nederlands": "Dutch",
    "french": "French",
    "französisch": "French",
    "frans": "French",
    "spanish": "Spanish",
    "spanisch": "Spanish",
    "spaans": "Spanish",
    "italian": "Italian",
    "italienisch": "Italian",
    "italiaans": "Italian",
    "portuguese": "Portuguese",
    "portugiesisch": "Portuguese",
    "portugees": "Portuguese",
    "polish": "Polish",
    "polnisch": "Polish",
    "pools": "Polish",
    "swedish": "Swedish",
    "schwedisch": "Swedish",
    "zweeds": "Swedish",
    "danish": "Danish",
    "dänisch": "Danish",
    "deens": "Danish",
    "japanese": "Japanese",
    "japanisch": "Japanese",
    "japans": "Japanese",
    "turkish": "Turkish",
    "türkisch": "Turkish",
    "turks": "Turkish",
    "arabic": "Arabic",
    "arabisch": "Arabic",
    "chinese": "Chinese",
    "chinesisch": "Chinese",
    "chinees": "Chinese",
}

# Probabilities over the three languages (they add up to 1). Measured on tests/devsets/languages/questions.yaml:
# wrong guesses on PM questions of five words or more stay below CONFIDENT, and the short questions a hint
# should settle mostly sit between the two.
CONFIDENT = 0.80
PLAUSIBLE = 0.50
# Enough text to tell the language; more only costs time.
SAMPLE_CHARS = 600

# What says nothing about the language: links, code, Slack's mentions and emoji, citations, numbers.
# Each alternative is a single bounded or negated class run: linear time.
_NOISE = re.compile(r"https?://\S+|`[^`]*`|<[^<>]*>|:[a-z0-9_+-]+:|\[[^\[\]]*\]|[\d.,%]+")

_lock = threading.Lock()


@functools.cache
def _identifier() -> LanguageIdentifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def warm() -> None:
    """Load the model now (about half a second), so the first question's ack doesn't wait for it."""
    with _lock:
        _identifier()


def language(code: object) -> Lang | None:
    """A language code or a locale (`de`, `de-DE`, `nl_BE`, `EN-us`) as one of LANGUAGES, or None."""
    if not isinstance(code, str) or not code:
        return None
    base = code.replace("_", "-").split("-", 1)[0].strip().lower()
    return cast("Lang", base) if base in LANGUAGES else None


def guess(text: str) -> tuple[Lang, float]:
    """The most likely of LANGUAGES and its probability; (DEFAULT_LANG, 0.0) for text with no words in it."""
    sample = _NOISE.sub(" ", text[: SAMPLE_CHARS * 2])[:SAMPLE_CHARS]
    if not any(char.isalpha() for char in sample):
        return DEFAULT_LANG, 0.0
    with _lock:
        identifier = _identifier()
    found, probability = identifier.classify(sample)
    return cast("Lang", found), float(probability)


def detect(text: str, hint: str | None = None) -> Lang:
    """The language to answer `text` in: the detector's when it is confident, else the hint's, else English.

    hint: the asker's locale or a language code; one outside LANGUAGES is ignored.
    """
    found, probability = guess(text)
    if probability >= CONFIDENT:
        return found
    hinted = language(hint)
    if hinted is not None:
        return hinted
    return found if probability >= PLAUSIBLE else DEFAULT_LANG
