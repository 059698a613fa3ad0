"""Words per language for the keyword index: English, German and Dutch stemming, a small language guess, and
splitting German and Dutch compounds into words the index knows.

Every chunk is stemmed with its own language's stemmer (`Words.stems`), decided once at index time by
`guess`: a count of each language's commonest function words, which is plenty for a passage and needs no
model. (bot.core.language detects the asker's language with py3langid; a passage only needs this much.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Literal

import bm25s
import Stemmer
from bm25s import stopwords as bm25_stopwords

Lang = Literal["en", "de", "nl"]
LANGS: tuple[Lang, ...] = ("en", "de", "nl")
_SNOWBALL: dict[Lang, str] = {"en": "english", "de": "german", "nl": "dutch"}


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# The knowledge is multilingual, so stop words of all three languages go, whatever a chunk's language.
# Plus a few German and Dutch question words bm25s's lists lack.
STOPWORDS = frozenset(
    {
        *bm25_stopwords.STOPWORDS_EN_PLUS,
        *bm25_stopwords.STOPWORDS_GERMAN,
        *bm25_stopwords.STOPWORDS_DUTCH,
        *_set("soll sollen sollte beim welk welke"),
    }
)

# Function words frequent in one language and rare in the other two (no "die", "in", "de", "was" or "is").
_MARKERS: dict[Lang, frozenset[str]] = {
    "en": _set(
        "the and of to is are for with that this which what how who will should be by from on it as an "
        "not or can does have has many much when where do"
    ),
    "de": _set(
        "der das und ist nicht mit den dem des ein eine einen einer sich auf für werden wird sind auch "
        "wie welche welcher welchen soll sollen oder bei nach über zu viele viel bis haben hat im zum zur vom gibt "
        "muss wann warum wer"
    ),
    "nl": _set(
        "het een en van niet met zijn ook voor wordt worden naar bij dat wat welke welk hoe moet kan deze "
        "aan om te onze hoeveel wanneer waarom heeft hebben zal zullen gaat op"
    ),
}
# Enough words to tell a passage's language; more only costs time.
SAMPLE_WORDS = 200

# Compounds: a word of at least MIN_COMPOUND letters splits into a head of at least MIN_PART letters (a
# linking s, es, n, en or e aside) and a tail of at least MIN_PART, both known.
MIN_COMPOUND = 9
MIN_PART = 4
_LINKS = ("", "s", "es", "n", "en", "e")


def guess(words: Sequence[str]) -> Lang:
    """The language whose function words are commonest among `words` (lower-cased); English on a tie."""
    counts = dict.fromkeys(LANGS, 0)
    for word in words[:SAMPLE_WORDS]:
        for lang in LANGS:
            if word in _MARKERS[lang]:
                counts[lang] += 1
    return max(LANGS, key=lambda lang: (counts[lang], lang == "en"))


def split_words(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased words of two or more characters, stop words kept (bm25s's token pattern)."""
    return bm25s.tokenize(list(texts), stopwords=None, return_ids=False, show_progress=False)


class Words:
    """Stemmers for the three languages, with a memo per language (a corpus repeats its words)."""

    def __init__(self) -> None:
        self._stemmers = {lang: Stemmer.Stemmer(_SNOWBALL[lang]) for lang in LANGS}
        self._memo: dict[Lang, dict[str, str]] = {lang: {} for lang in LANGS}

    def stem(self, word: str, lang: Lang) -> str:
        memo = self._memo[lang]
        stem = memo.get(word)
        if stem is None:
            stem = memo[word] = self._stemmers[lang].stemWord(word)
        return stem

    def stems(self, words: Iterable[str], lang: Lang) -> list[str]:
        """`words` without stop words, stemmed for `lang`."""
        return [self.stem(word, lang) for word in words if word not in STOPWORDS]


def split_compound(word: str, known: Callable[[str], str | None]) -> tuple[str, str] | None:
    """`word` as (head, tail) when both are known words; `known(part)` gives the part's term or None.

    Tries every cut from the longest tail down, so "rechnungsdaten" gives (rechnung, daten) and
    "unternehmenssystemen" gives (unternehmen, systemen) as the terms `known` returns for them. Linear in
    the word's length (a bounded number of lookups per cut), and words are short.
    """
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return None
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        tail = known(word[cut:])
        if tail is None:
            continue
        for link in _LINKS:
            head_word = word[:cut]
            if link and not head_word.endswith(link):
                continue
            head_word = head_word[: len(head_word) - len(link)]
            if len(head_word) < MIN_PART:
                continue
            head = known(head_word)
            if head is not None:
                return head, tail
    return None


def compound_parts(
    rows: Sequence[Sequence[str]], langs: Sequence[Lang], words: Words, known: Callable[[str, Lang], bool]
) -> dict[tuple[Lang, str], tuple[str, str]]:
    """For each German or Dutch word in `rows` (unstemmed, per text) that splits into two parts whose stems
    (in the text's language) are `known`: the parts' stems."""
    found: dict[tuple[Lang, str], tuple[str, str]] = {}
    seen: set[tuple[Lang, str]] = set()
    for row, lang in zip(rows, langs, strict=True):
        if lang == "en":
            continue

        def stem_if_known(part: str, lang: Lang = lang) -> str | None:
            stem = words.stem(part, lang)
            return stem if part not in STOPWORDS and known(stem, lang) else None

        for word in row:
            if (lang, word) in seen:
                continue
            seen.add((lang, word))
            parts = split_compound(word, stem_if_known)
            if parts:
                found[(lang, word)] = parts
    return found
