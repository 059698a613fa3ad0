"""A trilingual glossary of product and AI terms (bot/data/glossary/terms.yaml), for cross-language keyword search.

Each row names one concept in English, German and Dutch (`invoice` / `Rechnung` / `factuur`), a list where a
language has several usual words. A question naming a term in one language is matched by its stems in the
question's language, and the keyword search then also looks for the row's other terms, as the index stems
them (`Glossary.match`, `Glossary.variants`); the index keeps only the variants it holds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot import builtin
from bot.exceptions import ConfigError
from bot.knowledge.languages import LANGS, STOPWORDS, Lang, Words, split_words

# A term: letters (any script), digits, spaces, hyphens, slashes, dots, apostrophes and ampersands.
_TERM = re.compile(r"[\w][\w .'/&-]{0,59}")
MAX_PHRASE = 4  # words in a term, stop words aside
MAX_ROWS = 2000


def glossary_file() -> Path:
    return builtin.data_dir() / "glossary" / "terms.yaml"


@dataclass(frozen=True)
class Row:
    """One concept: its terms per language, as written."""

    terms: dict[Lang, tuple[str, ...]]


def parse(text: str, source: str = "glossary") -> list[Row]:
    """The rows of a glossary file; ConfigError naming the row when one is malformed."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML ({error})") from None
    entries = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{source}: expected a mapping with a non-empty `terms` list")
    if len(entries) > MAX_ROWS:
        raise ConfigError(f"{source}: {len(entries)} rows, at most {MAX_ROWS}")
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or set(entry) != set(LANGS):
            raise ConfigError(f"{source}: row {number} needs exactly the keys en, de and nl")
        terms: dict[Lang, tuple[str, ...]] = {}
        for lang in LANGS:
            value = entry[lang]
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not values or not all(isinstance(item, str) for item in values):
                raise ConfigError(f"{source}: row {number} ({lang}) must be a term or a list of terms")
            for term in values:
                if not _TERM.fullmatch(term):
                    raise ConfigError(f"{source}: row {number} ({lang}): {term!r} is not a term of up to 60 characters")
            terms[lang] = tuple(values)
        key = terms["en"][0].lower()
        if key in seen:
            raise ConfigError(f"{source}: row {number} repeats row {seen[key]} ({key!r})")
        seen[key] = number
        rows.append(Row(terms))
    return rows


class Glossary:
    """Rows, with every term stemmed by each language's stemmer, for matching questions and expanding them."""

    def __init__(self, rows: Sequence[Row], words: Words | None = None) -> None:
        self.rows = list(rows)
        self.words = words or Words()
        # (language of the question, its stemmed phrase) -> rows naming it.
        self._by_phrase: dict[tuple[Lang, tuple[str, ...]], list[int]] = {}
        self._variants: list[set[tuple[str, ...]]] = []
        for number, row in enumerate(self.rows):
            variants: set[tuple[str, ...]] = set()
            for term_lang, terms in row.terms.items():
                for term_words in split_words(terms):
                    # English terms occur in German and Dutch text too (loanwords), stemmed as those languages;
                    # a German or Dutch term is asked and written in its own. So "tag" asked is no German "Tag",
                    # and a German "Quote" is not searched as an English "quote".
                    for lang in LANGS if term_lang == "en" else (term_lang,):
                        phrase = tuple(self.words.stems(term_words, lang))
                        if 0 < len(phrase) <= MAX_PHRASE:
                            variants.add(phrase)
                            rows_of = self._by_phrase.setdefault((lang, phrase), [])
                            if number not in rows_of:
                                rows_of.append(number)
            self._variants.append(variants)

    def __len__(self) -> int:
        return len(self.rows)

    def match(self, stems: Sequence[str], lang: Lang) -> tuple[int, list[int]]:
        """The longest glossary phrase at the start of `stems` (stemmed for `lang`): (its length, its rows);
        (0, []) when none starts there."""
        for size in range(min(MAX_PHRASE, len(stems)), 0, -1):
            rows = self._by_phrase.get((lang, tuple(stems[:size])))
            if rows:
                return size, rows
        return 0, []

    def gloss(self, words: Sequence[str], lang: Lang) -> str | None:
        """`words` (lower-cased, in `lang`) with every glossary phrase replaced by the row's first English term and
        function words dropped: "wie viele aktive nutzer" -> "viele active users"; None when no phrase changes. A
        German or Dutch question read this way is closer, for an English embedding model, to the English passage
        that answers it."""
        kept = [word for word in words if word not in STOPWORDS]
        stems = [self.words.stem(word, lang) for word in kept]
        out: list[str] = []
        changed = False
        i = 0
        while i < len(kept):
            size, rows = self.match(stems[i:], lang)
            if size:
                english = self.rows[rows[0]].terms["en"][0]
                changed = changed or english != " ".join(kept[i : i + size])
                out.append(english)
                i += size
            else:
                out.append(kept[i])
                i += 1
        return " ".join(out) if changed else None

    def knows(self, stem: str, lang: Lang) -> bool:
        """Whether a one-word term of the glossary stems to `stem` in `lang`."""
        return (lang, (stem,)) in self._by_phrase

    def variants(self, rows: Sequence[int]) -> set[tuple[str, ...]]:
        """Every stemmed form of the rows' terms, in each language's stemming."""
        return set().union(*(self._variants[row] for row in rows)) if rows else set()


@functools.cache
def builtin_glossary() -> Glossary:
    """The glossary shipped in bot/data/glossary, loaded once."""
    path = glossary_file()
    return Glossary(parse(path.read_text(encoding="utf-8"), str(path.name)))
