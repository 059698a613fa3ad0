"""The error catalog: what an API error means, what to do about it, and what it means for the product.

The catalog is YAML, one file per provider, shipped in the package (bot/data/error-codes/); admins
add or override entries with files in KNOWLEDGE_DIR/error-codes/. `ErrorCatalog.for_knowledge(folder)`
builds the two into one (`ErrorCatalog.load(folder)` validates one folder); `catalog.explain(text)` redacts the
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
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from bot.builtin import error_codes_dir
from bot.core.redact import redact
from bot.exceptions import KnowledgeError
from bot.explain.parser import ParsedError, parse_error_text

log = logging.getLogger(__name__)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster when present

PROVIDER_ORDER = ("openai", "anthropic", "azure-openai", "gemini", "slack", "rag-stack")

CODE, ALIAS_AS_CODE, RANK_STEP = 100, 85, 3
PATTERN, PATTERN_EXTRA, PATTERN_EXTRA_MAX = 60, 10, 20
MENTION_CODE, MENTION_ALIAS = 45, 40
STATUS, STATUS_MISMATCH = 20, -10

Url = Annotated[str, StringConstraints(strict=True, pattern=r"^https?://\S+$")]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class CatalogEntry(BaseModel):
    """One error: how to recognise it and how to explain it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    code: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_.\-]+(:[A-Za-z0-9_.\-]+)?$")]
    http_status: int | None = Field(default=None, ge=100, le=599)
    aliases: list[Text] = Field(default_factory=list)
    patterns: list[Text] = Field(default_factory=list)
    retryable: bool
    title: Text
    meaning: Text
    causes: list[Text] = Field(min_length=1)
    fixes: list[Text] = Field(min_length=1)
    pm_impact: Text
    docs: list[Url] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {error}") from error
        return patterns

    @property
    def base_code(self) -> str:
        """The code as providers send it: `rate_limit_exceeded` for `rate_limit_exceeded:tokens`."""
        return self.code.split(":", 1)[0]


class CatalogFile(BaseModel):
    """One provider's file in bot/data/error-codes/ or KNOWLEDGE_DIR/error-codes/."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    provider: Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    provider_name: Text
    docs: Url
    errors: list[CatalogEntry] = Field(min_length=1)

    @field_validator("errors")
    @classmethod
    def _codes_unique(cls, errors: list[CatalogEntry]) -> list[CatalogEntry]:
        seen: set[str] = set()
        for entry in errors:
            if entry.code in seen:
                raise ValueError(f"code {entry.code!r} appears twice")
            seen.add(entry.code)
        return errors


class CatalogMatch(BaseModel):
    """A catalog entry offered as a near match, with its score."""

    provider: str
    code: str
    title: str
    score: float


class ErrorExplanation(BaseModel):
    """What a pasted error means.

    `model_dump()` is exactly the `explain-error` JSON of DESIGN.md. The fields marked
    `exclude=True` (`closest`, `provider_name`, `score`, `redacted_input`) are for people and for callers
    in this package: read them as attributes, or call `model_dump(include=...)` to get them.
    `closest` holds the nearest entries when nothing matched, and the runners-up when something did.
    """

    provider: str | None
    code: str | None
    http_status: int | None
    retryable: bool | None
    title: str
    meaning: str
    causes: list[str]
    fixes: list[str]
    pm_impact: str
    docs: list[str]
    matched: bool
    closest: list[CatalogMatch] = Field(default_factory=list, exclude=True)
    provider_name: str | None = Field(default=None, exclude=True)
    score: float = Field(default=0.0, exclude=True)
    redacted_input: str = Field(default="", exclude=True)
    origin: Literal["catalog", "llm"] = Field(default="catalog", exclude=True)

    def as_markdown(self) -> str:
        """The explanation for a person: what happened, what to do, what it means for the product."""
        if self.origin == "llm":
            lines = [f"**{self.title}**", "_AI-written from the knowledge base, not from the error catalog._", ""]
            lines += self._body()
            if self.closest:
                lines += ["", "Closest catalog entries: " + "; ".join(f"{m.title} (`{m.code}`)" for m in self.closest)]
            return "\n".join(lines)
        if not self.matched:
            lines = [f"**{self.title}**", "", self.meaning]
            if self.closest:
                lines += ["", "**Closest known errors**"]
                lines += [f"- {match.title} (`{match.provider}` `{match.code}`)" for match in self.closest]
            lines += ["", "**What to do now**", *(f"- {fix}" for fix in self.fixes)]
            return "\n".join(lines)
        facts = [self.provider_name or self.provider or "", f"`{self.code}`"]
        if self.http_status:
            facts.append(f"HTTP {self.http_status}")
        facts.append("retry with backoff" if self.retryable else "retrying won't help")
        lines = [f"**{self.title}**", " · ".join(fact for fact in facts if fact), "", *self._body()]
        if self.docs:
            lines += ["", "Docs: " + " · ".join(self.docs)]
        # Near-ties only, e.g. the other 429s when all we had was a bare "429".
        others = [match for match in self.closest if match.score >= 0.75 * self.score]
        if others:
            lines += ["", "Could also be: " + "; ".join(f"{m.title} (`{m.code}`)" for m in others)]
        return "\n".join(lines)

    def _body(self) -> list[str]:
        return [
            f"**What happened.** {self.meaning}",
            "",
            "**Likely causes**",
            *(f"- {cause}" for cause in self.causes),
            "",
            "**What to do now**",
            *(f"- {fix}" for fix in self.fixes),
            "",
            f"**What it means for the product.** {self.pm_impact}",
        ]


@dataclass(frozen=True)
class CatalogItem:
    """An entry with the file-level facts it inherits."""

    provider: str
    provider_name: str
    entry: CatalogEntry
    docs: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    order: tuple[int, int]


def _location(loc: Sequence[int | str], data: object) -> str:
    """`errors[3].retryable (entry 'insufficient_quota')` from a pydantic error location."""
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else ("." if where else "") + str(part)
    if len(loc) >= 2 and loc[0] == "errors" and isinstance(loc[1], int) and isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and loc[1] < len(errors) and isinstance(errors[loc[1]], dict):
            code = errors[loc[1]].get("code")
            if code is not None:
                where += f" (entry {code!r})"
    return where or "(top level)"


def validate_catalog_file(path: Path) -> CatalogFile:
    """Read and validate one catalog file; KnowledgeError names the file and the field at fault."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{path}: can't read the file: {error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeError(f"{path}: not valid YAML{where}: {getattr(error, 'problem', error)}") from error
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected a mapping with provider, provider_name, docs and errors")
    try:
        return CatalogFile.model_validate(data)
    except ValidationError as error:
        problems = [f"{_location(item['loc'], data)}: {item['msg']}" for item in error.errors()[:5]]
        more = f" (and {error.error_count() - 5} more)" if error.error_count() > 5 else ""
        raise KnowledgeError(f"{path}: " + "; ".join(problems) + more) from error


_WORD = re.compile(r"[a-z][a-z0-9_]{2,}")
_STOPWORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "you",
        "your",
        "with",
        "this",
        "that",
        "not",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "from",
        "into",
        "when",
        "what",
        "which",
        "will",
        "can",
        "could",
        "should",
        "would",
        "may",
        "might",
        "does",
        "did",
        "our",
        "its",
        "they",
        "them",
        "their",
        "there",
        "then",
        "than",
        "but",
        "all",
        "any",
        "per",
        "use",
        "used",
        "using",
        "traceback",
        "file",
        "line",
        "most",
        "recent",
        "call",
        "last",
        "self",
        "return",
        "raise",
        "error",
        "errors",
        "exception",
    }
)


def _tokens(text: str) -> set[str]:
    words: set[str] = set()
    for word in _WORD.findall(text.lower()):
        words.add(word)
        words.update(part for part in word.split("_") if len(part) >= 3)
    return words - _STOPWORDS


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


def _load_files(folder: Path, strict: bool) -> list[CatalogFile]:
    """The valid catalog files of one folder; see `ErrorCatalog.load` for `strict`."""
    files: list[CatalogFile] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            catalog_file = validate_catalog_file(path)
            for entry in catalog_file.errors:
                first = seen.get((catalog_file.provider, entry.code))
                if first is not None:
                    raise KnowledgeError(
                        f"{path}: errors: {catalog_file.provider} {entry.code!r} is already defined in {first}"
                    )
        except KnowledgeError as error:
            if strict:
                raise
            log.warning("skipping error catalog file: %s", error)
            continue
        seen.update({(catalog_file.provider, entry.code): path for entry in catalog_file.errors})
        files.append(catalog_file)
    return files


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
        document_frequency: dict[str, int] = defaultdict(int)
        self._item_tokens: list[set[str]] = []
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
            tokens = _tokens(" ".join([entry.code, *entry.aliases, entry.title, entry.meaning, *entry.causes]))
            self._item_tokens.append(tokens)
            for token in tokens:
                document_frequency[token] += 1
        self._mentions = dict(mentions)
        self._phrases = dict(phrases)
        self._mention_re = self._alternation(mentions, flags=0)
        self._phrase_re = self._alternation(phrases, flags=re.IGNORECASE)
        total = max(len(self.items), 1)
        self._idf = {token: math.log(1 + total / count) for token, count in document_frequency.items()}

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
        return cls(_load_files(folder, strict))

    @classmethod
    def for_knowledge(cls, knowledge_dir: Path | None, *, strict: bool = False) -> ErrorCatalog:
        """The built-in catalog with the team's `knowledge_dir/error-codes/*.yaml` laid over it.

        A team entry with the same provider and code replaces the built-in one (in its place, so
        ties still go the same way); other team entries add to the catalog. `strict` applies to the
        team's files; the built-in ones are the product's own and always validated.
        """
        builtin = _load_files(error_codes_dir(), strict=True)
        team_folder = knowledge_dir / "error-codes" if knowledge_dir is not None else None
        if team_folder is None or not team_folder.is_dir():
            return cls(builtin)
        team = _load_files(team_folder, strict)
        overrides = {(f.provider, entry.code): entry for f in team for entry in f.errors}
        used: set[tuple[str, str]] = set()
        merged: list[CatalogFile] = []
        for catalog_file in builtin:
            errors = []
            for entry in catalog_file.errors:
                key = (catalog_file.provider, entry.code)
                if key in overrides:
                    used.add(key)
                errors.append(overrides.get(key, entry))
            merged.append(catalog_file.model_copy(update={"errors": errors}))
        for catalog_file in team:
            added = [entry for entry in catalog_file.errors if (catalog_file.provider, entry.code) not in used]
            if added:
                merged.append(catalog_file.model_copy(update={"errors": added}))
        return cls(merged)

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
        """The entries whose words overlap most with `text` (weighted by rarity); cheap, no model."""
        words = _tokens(text)
        ranked: list[tuple[float, int]] = []
        for index, tokens in enumerate(self._item_tokens):
            overlap = words & tokens
            if overlap:
                score = sum(self._idf[token] for token in overlap) / math.sqrt(len(tokens))
                ranked.append((score, index))
        ranked.sort(key=lambda pair: (-pair[0], self.items[pair[1]].order))
        return [
            CatalogMatch(
                provider=self.items[i].provider,
                code=self.items[i].entry.code,
                title=self.items[i].entry.title,
                score=round(score, 3),
            )
            for score, i in ranked[:limit]
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
