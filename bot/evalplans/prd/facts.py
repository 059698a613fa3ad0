"""What an eval plan needs from a PRD: its users, numbers, languages, rollout, risks and open questions.

PRDs come as Markdown files in English, German or Dutch (`## Goals` / `## Ziele` / `## Doelen` …),
or as the text of a Slack thread with little structure. Sections are recognised by their headings
in any of the three languages; where there are none, the facts are looked for in the whole text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.text import sentences
from bot.evalplans.prd.markdown import (
    BOLD,
    BULLET,
    Block,
    bullets,
    diagram_text,
    outline,
    plain,
    read_blocks,
    tables,
)
from bot.evalplans.prd.numbers import PERCENT, PERCENTILE, Duration, Money, duration_ms, durations, money
from bot.evalplans.prd.outcomes import Outcome, is_template, prd_outcomes, prd_questions, table_value
from bot.evalplans.prd.tables import Phase, TargetRow, cell, column, rollout, success_rows
from bot.evalplans.prd.words import (
    CASE_JOINERS,
    CLASS_COUNT,
    COST_ROW,
    DECIDER_COLUMN,
    EVAL_SET,
    FIRST_TOKEN,
    GATE,
    GATE_OWNER,
    LANGUAGE_LINE,
    LATENCY_ROW,
    LAUNCH_DECISION,
    MITIGATION,
    MONTHLY,
    NFR_KINDS,
    SIGN_OFF_HEADING,
    WHOLE_RESPONSE,
    Language,
    detect_language,
    languages_named,
    section_kind,
)

# The most text `parse_prd` reads. `draft_evals` refuses a longer PRD, and a Slack thread keeps far
# less; with every pattern linear, this bounds the work of one call.
MAX_TEXT_CHARS = 200_000

_META = re.compile(r"\*{1,2}([^*\n:]+?):\*{1,2}\s*+([^*\n]+?)(?<=\S)(?=\s*+(?:(?:;\s*+)?\*{1,2}[^*\n]+?:\*{1,2}|$))")
_PLAIN_META = re.compile(r"^\s*+(?:[-*•]\s++)?([A-Za-zÄÖÜäöüß][\w \-]{1,28}):\s++(\S.*)$")  # value: .strip() it
_CASE_NUMBER = re.compile(r"\(\d++\)")  # "(1) triage, (2) drafting and (3) search"
_PRD_LABEL = re.compile(r"(?<!\s)\s*+[—–:-]\s*+PRD\s*+$|^PRD\s*+[—–:-]\s*+", re.I)  # "Title — PRD", "PRD: Title"
_GATE_LABEL = re.compile(r"^[^:]{0,40}gate[^:]{0,20}:\s*", re.I)
# "Modell-Deployment requires Committee Sign-Off", "Go-live erst nach Freigabe durch den Datenschutz": a launch that
# waits for someone's approval.
_LAUNCH_SIGN_OFF = re.compile(
    r"\b(?:deploy\w*|releases?(?! notes)|launch\w*|go-?live|livegang|rollouts?|production|produktiv\w*|productie)\b"
    r"[^.\n]{0,60}?"
    r"\b(?:requires?|needs?|after|erfordert|braucht|nach|vereist|na)\b[^.\n]{0,40}?"
    r"\b(?:sign-?off|approval|freigabe|abnahme|goedkeuring|akkoord)\b",
    re.I,
)
# A role whose duties include the acceptance ("Product Lead | Produktpriorisierung, fachliche Abnahme").
_ACCEPTS = re.compile(
    r"\b(?:fachliche |final )?(?:abnahme|sign-?off|acceptance|go.?/?.?no.?go|eindacceptatie)\b|"
    # a role that owns the gates a launch must pass ("Own priorities, trade-offs, launch gates, and roadmap")
    r"\b(?:launch|release|ship|go-?live|rollout) (?:gates?|decisions?)\b",
    re.I,
)
# Someone whose duty is the acceptance ("Projektleitung: … verantwortet die Abnahme") or whose approval a step needs
# ("Get legal approval for communications"): who can say no.
_APPROVER = re.compile(
    r"\b(?:verantwortet|owns?|gives?|grants?|erteilt|responsible for|accountable for|verantwortlich für|"
    r"verantwortelijk voor|geeft)\s++(?:die |the |de |het )?(?:fachliche |final |finale )?"
    r"(?:abnahme|sign-?off|go.?/?.?no.?go|eindacceptatie|freigabe|approval|goedkeuring)\b|"
    r"\b(?:get|obtain|secure|einholen|holen)\s++(?:\w++\s++){0,2}?(?:legal|compliance|security|privacy|datenschutz|"
    r"juridische|management|leadership|executive|board|ceo|cfo)[\w-]*+\s++(?:approval|sign-?off|freigabe|goedkeuring)\b",
    re.I,
)
_OPEN_CHECKBOX = re.compile(r"^\s*+\[ \]")
_PERSONA_END = re.compile(r"[:;(]| - | — ")


@dataclass(frozen=True)
class Section:
    """A heading and the text under it up to the next heading; `blocks` are that text's blocks."""

    heading: str
    kind: str
    body: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Risk:
    title: str
    text: str
    mitigation: str


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
    outcomes: list[Outcome] = field(default_factory=list)
    content_text: str = ""  # the text minus template guidance and non-goals, for cue-word checks
    diagram_text: str = ""  # the words of its flowcharts and box diagrams (see `diagram_text`)
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
            if item.percentile == "p95" and WHOLE_RESPONSE.search(item.text) and not FIRST_TOKEN.search(item.text):
                return item
        return self.latency("p95")


def _top_headings(blocks: list[Block]) -> list[Block]:
    """The document's own headings (not those quoted or inside a list item)."""
    return [block for block in blocks if block.kind == "heading" and not block.quoted and not block.in_list]


def _sections(lines: list[str], blocks: list[Block]) -> list[Section]:
    """Sections by heading, a subsection without a known name taking its parent's kind."""
    headings = _top_headings(blocks)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    position = 0  # blocks come in document order: one walk hands each section its own
    for index, heading in enumerate(headings):
        start = heading.lines[1]
        end = headings[index + 1].lines[0] if index + 1 < len(headings) else len(lines)
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        kind = section_kind(heading.text) or (stack[-1][1] if stack else "other")
        stack.append((heading.level, kind))
        while position < len(blocks) and blocks[position].lines[0] < start:
            position += 1
        first = position
        while position < len(blocks) and blocks[position].lines[0] < end:
            position += 1
        body = "\n".join(lines[start:end]).strip()
        sections.append(Section(heading.text.strip(), kind, body, tuple(blocks[first:position])))
    return sections


def _launch_deciders(all_tables: list[list[list[str]]], sections: list[Section]) -> str | None:
    """Who decides the launch: the go/no-go row of an approvals table, or the people a sign-off section lists."""
    for table in all_tables:
        for row in table[1:]:
            duty = next((value for value in row[1:] if _ACCEPTS.search(value)), None)
            if row and row[0] and duty:
                return f"{row[0]}: {duty}"
        decider = column(table[0], DECIDER_COLUMN, -1)
        for row in table[1:] if decider >= 0 else []:
            if row and LAUNCH_DECISION.search(row[0]) and cell(row, decider):
                return f"{row[0]}: {cell(row, decider)}"
    for section in sections:
        if not SIGN_OFF_HEADING.search(section.heading):
            continue
        # An unticked checklist ("[ ] KEP approvers have approved …") says who must sign, not who did.
        items = [plain(item) for item in bullets(section.body) if not _OPEN_CHECKBOX.match(item)]
        if items:
            return "; ".join(items[:3])
    return None


def _risk(item: str) -> Risk:
    bold = BOLD.match(item.strip())
    title = bold.group(1).strip().rstrip(":") if bold else plain(item).split(":", 1)[0][:80]
    rest = plain(item[bold.end() :] if bold else item).lstrip(":,; ")
    parts = MITIGATION.split(rest, maxsplit=1)
    return Risk(title=title, text=parts[0].strip(), mitigation=parts[1].strip() if len(parts) > 1 else "")


def _persona(item: str) -> str:
    bold = BOLD.match(item.strip())
    if bold:
        return bold.group(1).strip().rstrip(":.")
    text = _PERSONA_END.split(plain(item), maxsplit=1)[0]
    return ",".join(text.split(",")[:2]).strip()[:80]


def _use_cases(line: str) -> list[str]:
    """The numbered use cases in one line: `(1) triage, (2) drafting and (3) search.` → the three names."""
    marks = list(_CASE_NUMBER.finditer(line))
    cases = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(line)
        words = line[mark.end() : end].split()
        if end < len(line) and len(words) > 1 and words[-1].lstrip(",") in CASE_JOINERS:
            words.pop()  # the "and" before the next number
        case = plain(" ".join(words)).rstrip(".,; ")
        if case:
            cases.append(case)
    return cases


def _languages(text: str) -> list[str]:
    """Languages the PRD supports: from the line that talks about languages and names the most of them."""
    best: list[str] = []
    for line in text.splitlines():
        if not LANGUAGE_LINE.search(line):
            continue
        names = languages_named(line)
        if len(names) > len(best):
            best = names
    return best


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("|", "#")):
            continue
        bullet = BULLET.match(stripped)
        out.extend(sentences(plain(bullet.group(1) if bullet else stripped)))
    return out


def _nfr(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in lines:
        text = plain(item)
        label, _, rest = text.partition(":")
        if not rest or len(label) > 40:
            continue
        for kind, pattern in NFR_KINDS:
            if kind not in found and pattern.search(label):
                found[kind] = rest.strip()
                break
    return found


def _meta(facts: PrdFacts, head: list[str]) -> None:
    """`**Key:** value` pairs, or `Key: value; Key: value` without bold, in the lines before the first section."""
    for line in head:
        for key, value in _META.findall(line):
            facts.meta.setdefault(key.strip().lower(), plain(value).rstrip(";").strip())
        if "*" not in line:
            # "Key: value; Key: value" without bold, as a Word document or plain text has it.
            for part in line.split(";"):
                plain_meta = _PLAIN_META.match(part)
                if plain_meta:
                    facts.meta.setdefault(plain_meta.group(1).strip().lower(), plain_meta.group(2).strip())


def parse_prd(text: str) -> PrdFacts:
    """Everything the drafter uses from a PRD (or any text about a feature)."""
    text = outline((text or "")[:MAX_TEXT_CHARS].replace("\r\n", "\n"))
    facts = PrdFacts(text=text, language=detect_language(text))
    if not text.strip():
        return facts
    lines = text.replace("\r", "\n").split("\n")
    blocks = read_blocks(text)
    headings = _top_headings(blocks)
    facts.sections = _sections(lines, blocks)
    first = next((heading for heading in headings if heading.level == 1), None)
    if first:
        facts.title = _PRD_LABEL.sub("", first.text.strip())
    section_start = next((heading.lines[0] for heading in headings if heading.level >= 2), len(lines))
    _meta(facts, lines[:section_start])

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
    facts.rollout = rollout(all_tables)
    facts.success_rows = [
        row for row in success_rows(all_tables) if not any(row.name == phase.name for phase in facts.rollout)
    ]
    prose = [line for line in text.splitlines() if not line.strip().startswith("|")]
    owner_line = next((line for line in prose if GATE.search(line) and GATE_OWNER.search(line)), None) or next(
        (line for line in prose if _LAUNCH_SIGN_OFF.search(line)), None
    )
    # "Gate owner: X; sign-off: Y" → "X; sign-off: Y" (the label is the field's name).
    facts.gate_owner = (
        _GATE_LABEL.sub("", plain(owner_line))
        if owner_line
        else _launch_deciders(all_tables, facts.sections)
        or next((plain(line).lstrip("-*•[] ") for line in prose if _APPROVER.search(line) and "?" not in line), None)
    )
    facts.risks = [_risk(item) for item in bullets(facts.section_text("risks"))]
    questions = prd_questions(blocks)
    facts.open_questions = questions
    facts.outcomes = prd_outcomes(blocks)
    facts.content_text = "\n".join(
        block.text
        for block in blocks
        if (block.kind == "heading" or not is_template(block))
        and not any(section_kind(heading) == "non_goals" for heading in block.heading_path)
    )
    facts.diagram_text = diagram_text(text)
    # A row read from the Markdown keeps its measurement cells after " | "; its name alone marks it as stated.
    stated = {part.lower() for outcome in facts.outcomes for part in (outcome.text, outcome.text.split(" | ")[0])}
    facts.outcomes += [
        Outcome(row.name, table_value(row.baseline), table_value(row.target))
        for row in facts.success_rows
        if row.name.lower() not in stated
    ]
    facts.languages = _languages(facts.scoped_text)

    _numbers(facts)
    scoped = _sentences(facts.scoped_text)
    # A table row names an eval set too ("| Benchmark Mode | Reusable Test-Suites, re-runnable bei neuen Modellen |").
    rows = [" | ".join(row) for table in tables(facts.scoped_text) for row in table[1:]]
    facts.eval_set_notes = list(dict.fromkeys(s for s in scoped + rows if EVAL_SET.search(s)))[:4]
    problem = _sentences(facts.section_text("problem")) or scoped
    facts.distribution_notes = [s for s in problem if len(PERCENT.findall(s)) >= 2 or MONTHLY.search(s)][:3]
    counts = [int(match.group(1)) for match in CLASS_COUNT.finditer(facts.scoped_text)]
    facts.class_count = max(counts) if counts else None
    return facts


def _numbers(facts: PrdFacts) -> None:
    """Latency and cost targets: the success-metrics table first, then the non-functional requirements."""
    language = facts.language
    latencies: list[Duration] = []
    for row in facts.success_rows:
        if LATENCY_ROW.search(row.name):
            percentile = PERCENTILE.search(row.name)
            ms = duration_ms(row.target, language)
            if ms is not None:
                latencies.append(
                    Duration(f"p{percentile.group(1)}" if percentile else "p95", ms, f"{row.name}: {row.target}")
                )
    # All of them, duplicates of the table's targets included: their wording says what is timed.
    latencies += durations(facts.nfr.get("latency", ""), language)
    if not latencies:
        for sentence in _sentences(facts.scoped_text):
            if LATENCY_ROW.search(sentence):
                latencies.extend(durations(sentence, language))
    facts.latencies = latencies

    for row in facts.success_rows:
        if COST_ROW.search(row.name):
            found = money(row.target, language)
            if found:
                facts.cost, facts.cost_label = found, row.name
                break
    if facts.cost is None and facts.nfr.get("cost"):
        facts.cost = money(facts.nfr["cost"], language)
        facts.cost_label = facts.nfr["cost"] if facts.cost else None
    if facts.cost is None:
        for sentence in _sentences(facts.scoped_text):
            if COST_ROW.search(sentence) and (found := money(sentence, language)):
                facts.cost, facts.cost_label = found, sentence
                break

    facts.volume = (facts.nfr.get("volume") or "").rstrip(".") or None
    if facts.volume is None:
        facts.volume = next(
            (s for s in _sentences(facts.scoped_text) if MONTHLY.search(s) and re.search(r"\d", s)), None
        )
