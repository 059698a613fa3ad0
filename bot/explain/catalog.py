"""The error catalog: what an API error means, what to do about it, and what it means for the product.

The catalog is YAML, one file per provider, shipped in the package (bot/data/error-codes/); admins
add or override entries with files in KNOWLEDGE_DIR/error-codes/ (`bot.explain.catalog_files`).
`ErrorCatalog.for_knowledge(folder)` builds the two into one (`ErrorCatalog.load(folder)` validates one
folder); `catalog.explain(text)` redacts the
pasted text, parses it (`bot.explain.parser`) and scores each entry on the evidence, most specific
first:

    a code in a structured place (JSON field, `An API error occurred: x`, a bare code)   100
    the same, but through one of the entry's aliases                                       85
    one of the entry's regex patterns (+10 for each further pattern, up to +20)            60
    the entry's code or alias named anywhere in the text                                 45/40
    the HTTP status (-10 when it contradicts the entry's)                                  20
    the provider the text points at (only when there is other evidence)                 10-50

Ties go to the provider order below (OpenAI first, as the most common source), then file order,
so a bare `429` is an OpenAI request rate limit, with the other 429s listed as `closest`. A text
whose only evidence is a status, while it names a different provider, stays unmatched.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.builtin import error_codes_dir
from bot.core.redact import redact
from bot.exceptions import KnowledgeError
from bot.explain.catalog_files import CatalogEntry, CatalogFile, load_files, merge_files
from bot.explain.explanation import CatalogMatch, ErrorExplanation
from bot.explain.parser import ParsedError, parse_error_text
from bot.explain.search import WordSearch

log = logging.getLogger(__name__)

PROVIDER_ORDER = ("openai", "anthropic", "azure-openai", "gemini", "slack", "rag-stack")

CODE, ALIAS_AS_CODE, RANK_STEP = 100, 85, 3
PATTERN, PATTERN_EXTRA, PATTERN_EXTRA_MAX = 60, 10, 20
MENTION_CODE, MENTION_ALIAS = 45, 40
STATUS, STATUS_MISMATCH = 20, -10


@dataclass(frozen=True)
class CatalogItem:
    """An entry with the file-level facts it inherits."""

    provider: str
    provider_name: str
    entry: CatalogEntry
    docs: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    order: tuple[int, int]


def _bounded(text: str, limit: int = 100_000) -> str:
    """At most the last `limit` characters, cut at a line break (or a space) so no secret loses its prefix."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    cut = re.search(r"\n", tail) or re.search(r"\s", tail)
    return tail[cut.end() :] if cut else ""


def _is_plain_word(term: str) -> bool:
    # `conflict` or `ratelimited` in prose proves nothing; they count only in structured places.
    return term.isalpha() and term.islower()


class ErrorCatalog:
    """Every known error, indexed for `explain`. Build with `ErrorCatalog.load(folder)`."""

    def __init__(self, files: Iterable[CatalogFile]) -> None:
        ordered = sorted(
            files,
            key=lambda f: PROVIDER_ORDER.index(f.provider) if f.provider in PROVIDER_ORDER else len(PROVIDER_ORDER),
        )
        self.items: list[CatalogItem] = []
        for file_index, catalog_file in enumerate(ordered):
            for entry_index, entry in enumerate(catalog_file.errors):
                self.items.append(
                    CatalogItem(
                        provider=catalog_file.provider,
                        provider_name=catalog_file.provider_name,
                        entry=entry,
                        docs=tuple(entry.docs or [catalog_file.docs]),
                        patterns=tuple(re.compile(pattern) for pattern in entry.patterns),
                        order=(file_index, entry_index),
                    )
                )
        self._build_indexes()

    def _build_indexes(self) -> None:
        self._by_term: dict[str, list[tuple[int, bool]]] = defaultdict(list)  # lowercased -> (item, is_code)
        self._by_status: dict[int, list[int]] = defaultdict(list)
        mentions: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        phrases: dict[str, list[tuple[int, bool]]] = defaultdict(list)
        for index, item in enumerate(self.items):
            entry = item.entry
            terms = [(entry.code, True), (entry.base_code, True), *((alias, False) for alias in entry.aliases)]
            for term, is_code in dict.fromkeys(terms):
                self._by_term[term.lower()].append((index, is_code))
                if any(char.isspace() for char in term):
                    phrases[term.lower()].append((index, is_code))
                elif ":" not in term and not _is_plain_word(term):
                    mentions[term].append((index, is_code))
            if entry.http_status:
                self._by_status[entry.http_status].append(index)
        self._mentions = dict(mentions)
        self._phrases = dict(phrases)
        self._mention_re = self._alternation(mentions, flags=0)
        self._phrase_re = self._alternation(phrases, flags=re.IGNORECASE)
        self._search = WordSearch(
            [
                " ".join([i.entry.code, *i.entry.aliases, i.entry.title, i.entry.meaning, *i.entry.causes])
                for i in self.items
            ]
        )

    @staticmethod
    def _alternation(terms: Iterable[str], flags: int) -> re.Pattern[str] | None:
        escaped = [re.escape(term) for term in sorted(terms, key=len, reverse=True)]
        return re.compile(r"(?<!\w)(?:" + "|".join(escaped) + r")(?!\w)", flags) if escaped else None

    @classmethod
    def load(cls, folder: Path, *, strict: bool = True) -> ErrorCatalog:
        """Load every *.yaml / *.yml in `folder`.

        strict: raise KnowledgeError on the first bad file (tests, CI, `doctor`); when False (the
        running bot), log a warning naming the file and the field, and skip that file.
        """
        if not folder.is_dir():
            if strict:
                raise KnowledgeError(f"no error catalog at {folder}")
            log.warning("no error catalog at %s: error explanations will all be unmatched", folder)
            return cls([])
        return cls(load_files(folder, strict))

    @classmethod
    def for_knowledge(cls, knowledge_dir: Path | None, *, strict: bool = False) -> ErrorCatalog:
        """The built-in catalog with the team's `knowledge_dir/error-codes/*.yaml` laid over it.

        A team entry with the same provider and code replaces the built-in one (in its place, so
        ties still go the same way); other team entries add to the catalog. `strict` applies to the
        team's files; the built-in ones are the product's own and always validated.
        """
        builtin = load_files(error_codes_dir(), strict=True)
        team_folder = knowledge_dir / "error-codes" if knowledge_dir is not None else None
        if team_folder is None or not team_folder.is_dir():
            return cls(builtin)
        return cls(merge_files(builtin, load_files(team_folder, strict)))

    def __len__(self) -> int:
        return len(self.items)

    def get(self, provider: str, code: str) -> CatalogItem | None:
        """The entry for exactly this provider and code, if the catalog has it."""
        return next((i for i in self.items if i.provider == provider and i.entry.code == code), None)

    def explain(self, text: str) -> ErrorExplanation:
        """Explain a pasted error message; secrets in `text` never reach the result."""
        clean = redact(_bounded(text))
        parsed = parse_error_text(clean)
        scores, evidence_kinds = self._score(parsed)
        ranked = sorted(scores, key=lambda i: (-scores[i], self.items[i].order))
        best = ranked[0] if ranked else None
        if (
            best is not None
            and evidence_kinds[best] == {"status"}
            and parsed.provider_hints
            and self.items[best].provider not in parsed.provider_hints
        ):
            best = None  # a status alone, and the text points at another provider: don't guess
        if best is None:
            return self._unmatched(parsed, clean)
        item = self.items[best]
        runners_up = [
            CatalogMatch(
                provider=self.items[i].provider,
                code=self.items[i].entry.code,
                title=self.items[i].entry.title,
                score=scores[i],
            )
            for i in ranked[1:4]
        ]
        entry = item.entry
        return ErrorExplanation(
            provider=item.provider,
            code=entry.code,
            http_status=entry.http_status or parsed.http_status,
            retryable=entry.retryable,
            title=entry.title,
            meaning=entry.meaning,
            causes=list(entry.causes),
            fixes=list(entry.fixes),
            pm_impact=entry.pm_impact,
            docs=list(item.docs),
            matched=True,
            closest=runners_up,
            provider_name=item.provider_name,
            score=scores[best],
            redacted_input=clean,
        )

    def _score(self, parsed: ParsedError) -> tuple[dict[int, float], dict[int, set[str]]]:
        """Score every entry with some evidence; also say which kinds of evidence each had."""
        identity: dict[int, float] = defaultdict(float)  # the best code/alias evidence
        kinds: dict[int, set[str]] = defaultdict(set)

        def note(index: int, points: float, kind: str) -> None:
            identity[index] = max(identity[index], points)
            kinds[index].add(kind)

        for code in parsed.codes:
            for index, is_code in self._by_term.get(code.value.lower(), ()):
                note(index, (CODE if is_code else ALIAS_AS_CODE) - RANK_STEP * code.rank, "code")
        for pattern, table in ((self._mention_re, self._mentions), (self._phrase_re, self._phrases)):
            if pattern is None:
                continue
            for match in pattern.finditer(parsed.text):
                key = match.group(0) if table is self._mentions else match.group(0).lower()
                for index, is_code in table.get(key, ()):
                    note(index, MENTION_CODE if is_code else MENTION_ALIAS, "mention")

        scores: dict[int, float] = dict(identity)
        for index, item in enumerate(self.items):
            hits = sum(1 for pattern in item.patterns if pattern.search(parsed.text))
            if hits:
                scores[index] = scores.get(index, 0) + PATTERN + min(PATTERN_EXTRA * (hits - 1), PATTERN_EXTRA_MAX)
                kinds[index].add("pattern")
        if parsed.http_status:
            for index in self._by_status.get(parsed.http_status, ()):
                scores[index] = scores.get(index, 0) + STATUS
                kinds[index].add("status")
            for index in list(scores):
                status = self.items[index].entry.http_status
                if status and status != parsed.http_status:
                    scores[index] += STATUS_MISMATCH
        for index in scores:
            scores[index] += parsed.provider_hints.get(self.items[index].provider, 0)
        return {i: s for i, s in scores.items() if s > 0}, kinds

    def closest(self, text: str, limit: int = 3) -> list[CatalogMatch]:
        """The entries that best match the words of `text` (BM25); cheap, no model."""
        return [
            CatalogMatch(
                provider=self.items[i].provider,
                code=self.items[i].entry.code,
                title=self.items[i].entry.title,
                score=round(score, 3),
            )
            for i, score in self._search.rank(text, limit)
        ]

    def _unmatched(self, parsed: ParsedError, clean: str) -> ErrorExplanation:
        closest = self.closest(clean)
        provider = parsed.provider_hint
        source = f" from {provider}" if provider else ""
        nearest = "; ".join(f"{m.title} ({m.provider} {m.code})" for m in closest)
        meaning = f"PM Copilot's error catalog doesn't recognise this message{source}."
        if nearest:
            meaning += f" Closest known errors: {nearest}."
        return ErrorExplanation(
            provider=provider,
            code=parsed.code,
            http_status=parsed.http_status,
            retryable=None,
            title="Not in the error catalog",
            meaning=meaning,
            causes=[],
            fixes=[
                "Paste the whole error, with the HTTP status and the response body, if it was trimmed.",
                "Check the provider's status page and error docs for this exact message.",
                "Once you know what it was, add it to error-codes/ in the knowledge folder so the next person "
                "gets an answer.",
            ],
            pm_impact="Unknown until an engineer has looked at it. If users see failures, treat it as an incident.",
            docs=[],
            matched=False,
            closest=closest,
            redacted_input=clean,
        )
