"""What an eval plan needs from a PRD: its users, numbers, languages, rollout, risks and open questions.

PRDs come as Markdown files in English, German or Dutch (`## Goals` / `## Ziele` / `## Doelen` …),
or as the text of a Slack thread with little structure. Sections are recognised by their headings
in any of the three languages; where there are none, the facts are looked for in the whole text.
Numbers are kept as the PRD wrote them (`0,02 €`, `≤ 800 ms`) for showing, and parsed for the
machine-readable outputs (latency in ms, cost as an amount and currency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["en", "de", "nl"]

# The most text `parse_prd` reads. `draft_evals` refuses a longer PRD, and a Slack thread keeps far
# less; with every pattern linear, this bounds the work of one call.
MAX_TEXT_CHARS = 200_000

# Section kinds by heading words (EN / DE / NL); the first match wins, so the order matters
# ("Non-functional requirements" before "requirements", "Non-goals" before "goals").
_SECTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("non_goals", r"non-?goals|nicht-?ziele|niet-?doelen|out of scope"),
        ("nfr", r"non-?functional|nicht-?funktional|niet-?functione"),
        ("success", r"success|erfolg|succes|metrics|kennzahlen|metrieken|\bkpis?\b"),
        ("goals", r"goals|ziele\b|doelen|objectives"),
        ("users", r"users|nutzer|benutzer|gebruikers|personas|anwender"),
        ("rollout", r"roll-?out|uitrol|einführung|launch plan|phases"),
        ("risks", r"risks|risiken|risico"),
        ("open_questions", r"open questions|offene fragen|open vragen|questions|fragen|vragen"),
        ("requirements", r"requirements|anforderungen|eisen"),
        ("problem", r"problem|probleem|background|hintergrund|achtergrond|context"),
    )
)

_LANGUAGE_NAMES: dict[str, str] = {
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
LANGUAGE_OF_CODE: dict[Language, str] = {"en": "English", "de": "German", "nl": "Dutch"}
_LANGUAGE_WORD = re.compile(r"\b(" + "|".join(sorted(_LANGUAGE_NAMES, key=len, reverse=True)) + r")\b", re.I)
_LANGUAGE_LINE = re.compile(r"language|sprache|talen\b|\btaal\b|locale", re.I)

# Stop words that tell the three languages apart.
_STOPWORDS: dict[Language, frozenset[str]] = {
    "en": frozenset({"the", "and", "of", "with", "which", "is", "are", "for", "this", "that", "will"}),
    "de": frozenset({"und", "der", "die", "das", "nicht", "mit", "für", "ist", "von", "werden", "wird", "auf"}),
    "nl": frozenset({"het", "een", "niet", "voor", "van", "wordt", "zijn", "met", "op", "bij", "naar"}),
}

_NFR_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        ("latency", r"latenc|latenz|response time|antwortzeit|responstijd"),
        ("volume", r"volume|volumen|traffic|\bload\b"),
        ("cost", r"cost|kosten|budget"),
        ("availability", r"availab|verfügbar|beschikbaar|reliab|zuverlässig|betrouwbaar|uptime"),
        ("context", r"context|kontext|input size|eingabe|invoer"),
        ("retraining", r"retrain|hertrain|nachtrain|training"),
        ("freshness", r"fresh|aktualität|actualiteit"),
        ("data", r"\bdata\b|daten|privacy|gegevens|compliance"),
    )
)

# These patterns see whole PRDs and Slack threads, so each must run in time linear in its input:
# no two quantifiers that can match the same characters one after the other, and no scan that
# restarts at every character of a long run. The tools: possessive quantifiers (`*+`, `++`) that
# never give characters back, and guards (`(?<!\d)`, `(?<=\S)`) that start or stop a scan only where
# a run starts or ends. tests/test_regex_safety.py times every module-level pattern on hostile text.

# The heading text without the closing `#`s, as `(.*?)\s*#*\s*$` gives it, but the lazy text only stops
# to try the closing sequence after a character that can end the text: one that is neither a space nor
# `#`, or a `#` followed by a space.
_HEADING = re.compile(r"^(#{1,6})\s++((?:.*?(?:(?<=[^\s#])|(?<=#)(?=\s)))??)\s*+#*+\s*+$")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_BOLD = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2}")
_META = re.compile(r"\*{1,2}([^*\n:]+?):\*{1,2}\s*+([^*\n]+?)(?<=\S)(?=\s*+(?:(?:;\s*+)?\*{1,2}[^*\n]+?:\*{1,2}|$))")
_PLAIN_META = re.compile(r"^\s*+(?:[-*•]\s++)?([A-Za-zÄÖÜäöüß][\w \-]{1,28}):\s++(\S.*)$")  # value: .strip() it
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ0-9\"'(])")
_PERCENTILE = re.compile(r"\bp(50|90|95|99)\b", re.I)
_DURATION = re.compile(
    r"(?<!\d)(\d++(?:[.,]\d++)?)\s*+(ms|millisec\w*|millisek\w*|s|sec|secs|seconds?|sekunden?|seconden?|"
    r"min|mins|minutes?|minuten|minuut|h|hours?|stunden?|uur)\b",
    re.I,
)
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}
# An amount before its currency starts at the first digit of a number and spans at most 32 characters:
# scanning to the end of "1.1.1.1…" from each of its digits would take quadratic time.
_MONEY = re.compile(
    r"(?P<c1>[$€£])\s?(?P<n1>\d[\d.,]*\d|\d)"
    r"|(?<!\d)(?P<n2>\d[\d.,]{0,30}\d|\d)\s?(?P<c2>€|EUR\b|USD\b|£|ct\b|cents?\b)"
)
_CURRENCY = {"$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "ct": "EUR-cent", "cent": "USD-cent"}
_PERCENT = re.compile(r"(?<!\d)(\d++(?:[.,]\d++)?)\s?%")
_EVAL_SET = re.compile(
    r"golden.?set|eval(?:uation)?.?set|evaluierungs\w*|evaluatieset\w*|testset|labell?(?:ed|ing)|gelabel\w*|"
    r"annotat\w*|to label\b",
    re.I,
)
_MONTHLY = re.compile(r"per month|a month|pro monat|im monat|per maand|monthly|monatlich|maandelijks", re.I)
_CASE_NUMBER = re.compile(r"\(\d++\)")  # "(1) triage, (2) drafting and (3) search"
_CASE_JOINERS = frozenset({"and", "und", "en"})
_WHOLE_RESPONSE = re.compile(
    r"answer|antwort|antwoord|summary|zusammenfassung|samenvatting|\bfull\b|complete|vollständig|volledig", re.I
)
_LINK = re.compile(r"\[([^\[\]]+)\]\([^)\[]+\)")  # no "[" inside, so a scan ends where the next link starts
_PRD_LABEL = re.compile(r"(?<!\s)\s*+[—–:-]\s*+PRD\s*+$|^PRD\s*+[—–:-]\s*+", re.I)  # "Title — PRD", "PRD: Title"
_CLASS_COUNT = re.compile(r"(?<!\d)(\d++)\s++(?:categories|classes|kategorien|klassen|categorieën|intents)", re.I)


@dataclass(frozen=True)
class Section:
    heading: str
    kind: str
    body: str


@dataclass(frozen=True)
class TargetRow:
    """One row of the PRD's success-metrics table."""

    name: str
    baseline: str
    target: str


@dataclass(frozen=True)
class Phase:
    """One rollout phase: its name, dates, audience and the criteria to pass to the next."""

    name: str
    dates: str
    audience: str
    criteria: str

    @property
    def percentages(self) -> list[str]:
        return [match.group(0).replace(" ", "") for match in _PERCENT.finditer(self.audience)]


@dataclass(frozen=True)
class Risk:
    title: str
    text: str
    mitigation: str


@dataclass(frozen=True)
class Duration:
    """A latency target: percentile, milliseconds, and the PRD's own words."""

    percentile: str
    ms: float
    text: str


@dataclass(frozen=True)
class Money:
    """A cost target: amount, currency, and the PRD's own words."""

    amount: float
    currency: str
    text: str


@dataclass
class PrdFacts:
    """The facts of one PRD (or thread, or bare description); empty fields mean the PRD doesn't say."""

    text: str
    language: Language = "en"
    title: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    use_cases: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    nfr: dict[str, str] = field(default_factory=dict)
    success_rows: list[TargetRow] = field(default_factory=list)
    rollout: list[Phase] = field(default_factory=list)
    gate_owner: str | None = None
    risks: list[Risk] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    latencies: list[Duration] = field(default_factory=list)
    cost: Money | None = None
    cost_label: str | None = None
    volume: str | None = None
    eval_set_notes: list[str] = field(default_factory=list)
    distribution_notes: list[str] = field(default_factory=list)
    class_count: int | None = None

    @property
    def product(self) -> str | None:
        return self.meta_value("product", "produkt")

    @property
    def owner(self) -> str | None:
        return self.meta_value("owner", "verantwortlich", "eigenaar")

    @property
    def declared_type(self) -> str | None:
        return self.meta_value("feature type", "funktionstyp", "type functie", "type")

    @property
    def ml_lead(self) -> str | None:
        return self.meta_value("ml lead")

    def meta_value(self, *keys: str) -> str | None:
        for key in keys:
            if self.meta.get(key):
                return self.meta[key]
        return None

    def section_text(self, *kinds: str) -> str:
        return "\n".join(section.body for section in self.sections if section.kind in kinds)

    @property
    def scoped_text(self) -> str:
        """The text minus its non-goals: what the feature does, for cue-word checks."""
        if not self.sections:
            return self.text
        return "\n".join(
            f"{section.heading}\n{section.body}" for section in self.sections if section.kind != "non_goals"
        )

    def latency(self, percentile: str) -> Duration | None:
        """The headline target for a percentile: the success-metrics table's, else the first stated."""
        return next((item for item in self.latencies if item.percentile == percentile), None)

    def distinct_latencies(self) -> list[Duration]:
        """The latency targets with repeats (same percentile and value) dropped, the table's wording kept."""
        seen: set[tuple[str, float]] = set()
        out = []
        for item in self.latencies:
            if (item.percentile, item.ms) not in seen:
                seen.add((item.percentile, item.ms))
                out.append(item)
        return out

    def response_p95(self) -> Duration | None:
        """The p95 for one complete model response (not search results, not the first token), if named."""
        for item in self.latencies:
            if (
                item.percentile == "p95"
                and _WHOLE_RESPONSE.search(item.text)
                and not re.search(r"first token|erste[ns]? token|eerste token", item.text, re.I)
            ):
                return item
        return self.latency("p95")

    @property
    def is_empty(self) -> bool:
        return not self.text.strip()


def plain(text: str) -> str:
    """Markdown emphasis and links removed, whitespace collapsed."""
    text = _BOLD.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("`", "")
    return re.sub(r"\s+", " ", text).strip()


def detect_language(text: str) -> Language:
    words = re.findall(r"[a-zäöüß]+", text.lower())
    counts = {code: sum(word in stop for word in words) for code, stop in _STOPWORDS.items()}
    return max(counts, key=lambda code: (counts[code], code == "en"))


def parse_number(raw: str, language: Language = "en") -> float | None:
    """`1,2` → 1.2 in German and Dutch; `1,200` → 1200 in English; `1.100` → 1100 in German."""
    raw = raw.strip().rstrip(".,")
    if not raw:
        return None
    if "," in raw and "." in raw:
        decimal = "," if raw.rfind(",") > raw.rfind(".") else "."
    elif "," in raw:
        decimal = "." if language == "en" and re.fullmatch(r"\d{1,3}(,\d{3})+", raw) else ","
    elif "." in raw:
        decimal = "," if language != "en" and re.fullmatch(r"\d{1,3}(\.\d{3})+", raw) else "."
    else:
        decimal = "."
    thousands = "," if decimal == "." else "."
    try:
        return float(raw.replace(thousands, "").replace(decimal, "."))
    except ValueError:
        return None


def _unit_ms(unit: str) -> float:
    unit = unit.lower()
    if unit.startswith("ms") or unit.startswith("milli"):
        return _UNIT_MS["ms"]
    if unit.startswith(("min", "minuut")):
        return _UNIT_MS["min"]
    if unit.startswith(("h", "stund", "uur")):
        return _UNIT_MS["h"]
    return _UNIT_MS["s"]


def durations(text: str, language: Language = "en") -> list[Duration]:
    """The percentile latency targets in a sentence like `p95 <= 1.2 s; p50 under 2 minutes`."""
    found: list[Duration] = []
    for clause in re.split(r";|,(?!\d)|\.\s|\band\b|\bund\b|\ben\b", text):
        percentiles = _PERCENTILE.findall(clause)
        if not percentiles and re.search(r"\bmedian\w*|\bmediaan\w*", clause, re.I):
            percentiles = ["50"]
        spans = list(_DURATION.finditer(clause))
        for percentile, span in zip(percentiles, spans, strict=False):
            value = parse_number(span.group(1), language)
            if value is not None:
                found.append(Duration(f"p{percentile}", value * _unit_ms(span.group(2)), plain(clause)))
    return found


def money(text: str, language: Language = "en") -> Money | None:
    """The first amount of money in `text`, e.g. `höchstens 0,02 € pro Dokument` → 0.02 EUR."""
    match = _MONEY.search(text)
    if not match:
        return None
    number = match.group("n1") or match.group("n2")
    symbol = match.group("c1") or match.group("c2")
    amount = parse_number(number, language)
    if amount is None:
        return None
    currency = _CURRENCY.get(symbol.strip().rstrip("s"), symbol)
    if currency.endswith("-cent"):
        amount, currency = amount / 100, currency.split("-")[0]
    return Money(amount, currency, match.group(0).strip())


def _sections(text: str) -> list[Section]:
    """Sections by heading, a subsection without a known name taking its parent's kind."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    heading: str | None = None
    kind = "other"
    body: list[str] = []
    for line in text.splitlines():
        match = _HEADING.match(line)
        if not match:
            body.append(line)
            continue
        if heading is not None:
            sections.append(Section(heading, kind, "\n".join(body).strip()))
        level, heading = len(match.group(1)), match.group(2).strip()
        body = []
        while stack and stack[-1][0] >= level:
            stack.pop()
        named = _section_kind(heading)
        kind = named or (stack[-1][1] if stack else "other")
        stack.append((level, kind))
    if heading is not None:
        sections.append(Section(heading, kind, "\n".join(body).strip()))
    return sections


def _section_kind(heading: str) -> str | None:
    lowered = heading.lower()
    for kind, pattern in _SECTION_KINDS:
        if pattern.search(lowered):
            return kind
    return None


def bullets(body: str) -> list[str]:
    """The list items of a section, with wrapped continuation lines joined.

    A section without list markers (a Word document, whose loader keeps no bullet characters)
    gives its paragraphs instead.
    """
    items: list[str] = []
    for line in body.splitlines():
        match = _BULLET.match(line)
        if match:
            items.append(match.group(1).strip())
        elif items and line.startswith(("  ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    if not items:
        items = [line.strip() for line in body.splitlines() if line.strip() and not _is_table_row(line.strip())]
    return items


def _is_table_row(stripped: str) -> bool:
    # Pipe rows as Markdown writes them, or as the DOCX loader joins table cells ("a | b | c").
    return stripped.startswith("|") or stripped.count(" | ") >= 2


def tables(text: str) -> list[list[list[str]]]:
    """Markdown tables as rows of cells (the header row first, separator rows dropped)."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), "."]:
        stripped = line.strip()
        if _is_table_row(stripped):
            if not _TABLE_SEPARATOR.match(stripped.strip("|").strip()):
                row = [plain(cell) for cell in stripped.strip("|").split("|")]
                if current and len(row) != len(current[0]):
                    # Another table right after this one (a Word document lists its tables back to back).
                    found.append(current)
                    current = []
                current.append(row)
        elif not stripped:
            continue
        elif current:
            found.append(current)
            current = []
    return [table for table in found if len(table) >= 2]


def _column(header: list[str], pattern: str, default: int) -> int:
    for index, cell in enumerate(header):
        if re.search(pattern, cell, re.I):
            return index
    return default


def _cell(row: list[str], index: int) -> str:
    return row[index] if 0 <= index < len(row) else ""


def _success_rows(all_tables: list[list[list[str]]]) -> list[TargetRow]:
    rows: list[TargetRow] = []
    for table in all_tables:
        header = table[0]
        target = _column(header, r"target|ziel|doel|goal", -1)
        if target < 0:
            continue
        baseline = _column(header, r"baseline|ausgang|uitgang|current|today|heute|huidig", -1)
        for row in table[1:]:
            if row and row[0]:
                rows.append(TargetRow(row[0], _cell(row, baseline), _cell(row, target)))
    return rows


def _rollout(all_tables: list[list[list[str]]]) -> list[Phase]:
    for table in all_tables:
        header = table[0]
        name = _column(header, r"phase|fase|stage|stufe|stap", -1)
        if name < 0:
            continue
        dates = _column(header, r"date|zeitraum|periode|period|when|wann|wanneer|timing", 1)
        audience = _column(header, r"audience|zielgruppe|doelgroep|who|wer\b|wie\b|users", 2)
        criteria = _column(header, r"criteria|kriterien|exit|gate", 3)
        return [
            Phase(_cell(row, name), _cell(row, dates), _cell(row, audience), _cell(row, criteria))
            for row in table[1:]
            if _cell(row, name)
        ]
    return []


def _risk(item: str) -> Risk:
    bold = _BOLD.match(item.strip())
    title = bold.group(1).strip().rstrip(":") if bold else plain(item).split(":", 1)[0][:80]
    rest = plain(item[bold.end() :] if bold else item).lstrip(":,; ")
    parts = re.split(r"\b(?:Mitigations?|Gegenmaßnahmen?|Maatregel(?:en)?)\s*:", rest, maxsplit=1, flags=re.I)
    return Risk(title=title, text=parts[0].strip(), mitigation=parts[1].strip() if len(parts) > 1 else "")


def _persona(item: str) -> str:
    bold = _BOLD.match(item.strip())
    if bold:
        return bold.group(1).strip().rstrip(":.")
    text = re.split(r"[:;(]| - | — ", plain(item), maxsplit=1)[0]
    return ",".join(text.split(",")[:2]).strip()[:80]


def _use_cases(line: str) -> list[str]:
    """The numbered use cases in one line: `(1) triage, (2) drafting and (3) search.` → the three names."""
    marks = list(_CASE_NUMBER.finditer(line))
    cases = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(line)
        words = line[mark.end() : end].split()
        if end < len(line) and len(words) > 1 and words[-1].lstrip(",") in _CASE_JOINERS:
            words.pop()  # the "and" before the next number
        case = plain(" ".join(words)).rstrip(".,; ")
        if case:
            cases.append(case)
    return cases


def _languages(text: str) -> list[str]:
    """Languages the PRD supports: from the line that talks about languages and names the most of them."""
    best: list[str] = []
    for line in text.splitlines():
        if not _LANGUAGE_LINE.search(line):
            continue
        names = list(dict.fromkeys(_LANGUAGE_NAMES[word.lower()] for word in _LANGUAGE_WORD.findall(line)))
        if len(names) > len(best):
            best = names
    return best


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("|", "#")):
            continue
        bullet = _BULLET.match(stripped)
        out.extend(_SENTENCE.split(plain(bullet.group(1) if bullet else stripped)))
    return [sentence.strip() for sentence in out if sentence.strip()]


def _nfr(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in lines:
        text = plain(item)
        label, _, rest = text.partition(":")
        if not rest or len(label) > 40:
            continue
        for kind, pattern in _NFR_KINDS:
            if kind not in found and pattern.search(label):
                found[kind] = rest.strip()
                break
    return found


def parse_prd(text: str) -> PrdFacts:
    """Everything the drafter uses from a PRD (or any text about a feature)."""
    text = (text or "")[:MAX_TEXT_CHARS].replace("\r\n", "\n")
    facts = PrdFacts(text=text, language=detect_language(text))
    if not text.strip():
        return facts
    facts.sections = _sections(text)
    first = re.search(r"^#\s+(.+)$", text, re.M)
    if first:
        facts.title = _PRD_LABEL.sub("", first.group(1).strip())
    head = re.split(r"^#{2,6}\s", text, maxsplit=1, flags=re.M)[0].splitlines()
    for line in head:
        for key, value in _META.findall(line):
            facts.meta.setdefault(key.strip().lower(), plain(value).rstrip(";").strip())
        if "*" not in line:
            # "Key: value; Key: value" without bold, as a Word document or plain text has it.
            for part in line.split(";"):
                plain_meta = _PLAIN_META.match(part)
                if plain_meta:
                    facts.meta.setdefault(plain_meta.group(1).strip().lower(), plain_meta.group(2).strip())

    structured = bool(facts.sections)
    facts.goals = [plain(item) for item in bullets(facts.section_text("goals"))]
    users_text = facts.section_text("users")
    cases_line = next((line for line in users_text.splitlines() if "(1)" in line and "(2)" in line), "")
    facts.users = [_persona(item) for item in bullets(users_text) if item.strip() != cases_line.strip()]
    facts.use_cases = _use_cases(cases_line)
    facts.requirements = [plain(item) for item in bullets(facts.section_text("requirements"))]
    nfr_lines = bullets(facts.section_text("nfr")) if structured else []
    facts.nfr = _nfr(nfr_lines or [line for line in text.splitlines() if ":" in line])

    all_tables = tables(text)
    facts.rollout = _rollout(all_tables)
    facts.success_rows = [
        row for row in _success_rows(all_tables) if not any(row.name == phase.name for phase in facts.rollout)
    ]
    owner_line = next(
        (
            plain(line)
            for line in text.splitlines()
            if re.search(r"gate", line, re.I)
            and re.search(r"owner|verantwort|eigenaar|sign-?off|freigabe|akkoord", line, re.I)
            and not line.strip().startswith("|")
        ),
        None,
    )
    # "Gate owner: X; sign-off: Y" → "X; sign-off: Y" (the label is the field's name).
    facts.gate_owner = re.sub(r"^[^:]{0,40}gate[^:]{0,20}:\s*", "", owner_line, flags=re.I) if owner_line else None
    facts.risks = [_risk(item) for item in bullets(facts.section_text("risks"))]
    questions = [plain(item) for item in bullets(facts.section_text("open_questions"))]
    if not questions:
        questions = [
            plain(_BULLET.sub(r"\1", line)).strip()
            for line in text.splitlines()
            if line.strip().endswith("?") and not _HEADING.match(line)
        ]
    facts.open_questions = questions
    facts.languages = _languages(facts.scoped_text)

    _numbers(facts)
    scoped = _sentences(facts.scoped_text)
    facts.eval_set_notes = list(dict.fromkeys(s for s in scoped if _EVAL_SET.search(s)))[:4]
    problem = _sentences(facts.section_text("problem")) or scoped
    facts.distribution_notes = [s for s in problem if len(_PERCENT.findall(s)) >= 2 or _MONTHLY.search(s)][:3]
    counts = [int(match.group(1)) for match in _CLASS_COUNT.finditer(facts.scoped_text)]
    facts.class_count = max(counts) if counts else None
    return facts


_LATENCY_ROW = re.compile(r"\bp(?:50|90|95|99)\b|latenc|latenz", re.I)
_COST_ROW = re.compile(r"cost|kosten", re.I)


def _numbers(facts: PrdFacts) -> None:
    """Latency and cost targets: the success-metrics table first, then the non-functional requirements."""
    language = facts.language
    latencies: list[Duration] = []
    for row in facts.success_rows:
        if _LATENCY_ROW.search(row.name):
            percentile = _PERCENTILE.search(row.name)
            span = _DURATION.search(row.target)
            value = parse_number(span.group(1), language) if span else None
            if span and value is not None:
                latencies.append(
                    Duration(
                        f"p{percentile.group(1)}" if percentile else "p95",
                        value * _unit_ms(span.group(2)),
                        f"{row.name}: {row.target}",
                    )
                )
    # All of them, duplicates of the table's targets included: their wording says what is timed.
    latencies += durations(facts.nfr.get("latency", ""), language)
    if not latencies:
        for sentence in _sentences(facts.scoped_text):
            if _LATENCY_ROW.search(sentence):
                latencies.extend(durations(sentence, language))
    facts.latencies = latencies

    for row in facts.success_rows:
        if _COST_ROW.search(row.name):
            found = money(row.target, language)
            if found:
                facts.cost, facts.cost_label = found, row.name
                break
    if facts.cost is None and facts.nfr.get("cost"):
        facts.cost = money(facts.nfr["cost"], language)
        facts.cost_label = facts.nfr["cost"] if facts.cost else None
    if facts.cost is None:
        for sentence in _sentences(facts.scoped_text):
            if _COST_ROW.search(sentence) and (found := money(sentence, language)):
                facts.cost, facts.cost_label = found, sentence
                break

    facts.volume = (facts.nfr.get("volume") or "").rstrip(".") or None
    if facts.volume is None:
        facts.volume = next(
            (s for s in _sentences(facts.scoped_text) if _MONTHLY.search(s) and re.search(r"\d", s)), None
        )
