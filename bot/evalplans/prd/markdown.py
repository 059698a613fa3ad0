"""A PRD's Markdown structure, read by a CommonMark parser (markdown-it-py, with GFM tables).

`read_blocks` turns the text into a flat list of blocks: headings, paragraphs, list items, block quotes
and table rows, each knowing the headings above it, whether it sits inside a block quote (where PRD
templates keep their guidance) and whether it is all emphasis (an italic instruction line). A list item
nested in another knows the items above it (`parents`), so a bold label with sub-bullets (`**Response
Time**` over `Target: < 5 s`) reads as one item with its fields. Fenced code is not structure: a
`# comment` in a code block is no heading.

PRDs also arrive as the plain text of a Word document or a Slack thread, with no Markdown list
markers and with table cells joined by ` | `; `bullets` and `tables` read those lines as well.

The patterns here and in the other PRD modules see whole PRDs and Slack threads, so each must run in
time linear in its input: no two quantifiers that can match the same characters one after the other,
and no scan that restarts at every character of a long run. The tools: possessive quantifiers (`*+`,
`++`) that never give characters back, and guards (`(?<!\\d)`, `(?<=\\S)`) that start or stop a scan only
where a run starts or ends. tests/test_regex_safety.py times every module-level pattern on hostile text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from markdown_it.token import Token

BlockKind = Literal["heading", "paragraph", "list_item", "block_quote", "table_row"]

BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
BOLD = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2}")
LEADING_LABEL = re.compile(r"^\*\*[^*\n]{1,60}?(?::\*\*|\*\*:)")  # "**Success Metric:** …", "**Goal**: …"
_LINK = re.compile(r"\[([^\[\]]+)\]\([^)\[]+\)")  # no "[" inside, so a scan ends where the next link starts
_LIST_COMPARATOR = re.compile(r"^\s*+(?:[-*+]|\d{1,3}[.)])\s++>=?\s*+\d")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}")
_SPACES = re.compile(r"\s+")
_MAX_LABEL = 80  # the longest bold paragraph read as the label of the list below it
# An instruction to the writer at the start of a section (EN / DE / NL imperatives), or a note on when to fill
# it in ("To be completed once …", "Nach dem Launch auszufüllen", "In te vullen na …").
_INSTRUCTION = re.compile(
    r"(?:describe|explain|list|outline|summari[sz]e|clarify|add|define|specify|provide|"
    r"beschreibe\w*|erkläre|erläutere|nenne|liste|füge|beschrijf|omschrijf|geef|noem|benoem|voeg|schets|"
    r"afbakenen|laten zien|duidelijk maken)\s|"
    r"[^\n]{0,40}?\b(?:of this section|dieses abschnitts|van deze sectie)\b|"
    r"(?:to be (?:completed|filled(?: in| out)?|answered|updated)|(?:fill|complete) (?:in|out|this)|"
    r"answer (?:the|these) (?:questions|following))\b|"
    r"(?:[\w ]{0,40}?\b(?:auszufüllen|zu beantworten|zu ergänzen|in te vullen|te beantwoorden))\b",
    re.I,
)
QUESTION_HEADING = re.compile(
    r"open (?:questions|issues|points)|offene (?:fragen|punkte)|open (?:vragen|punten)|"
    r"outstanding (?:questions|issues)|unresolved (?:questions|issues)|ungeklärte fragen|openstaande (?:vragen|punten)|"
    # decisions still to take ("Decisions needed", "Entscheidungsfenster", "Openstaande besluiten")
    r"decisions? (?:needed|pending|to (?:make|take))|pending decisions|entscheidungs(?:fenster|bedarf)|"
    r"offene entscheidungen|openstaande besluiten|te nemen besluiten|"
    # "Produktentscheidungen, die vor Phase 7 bestätigt werden müssen", "Noch zu klären", "To be decided"
    r"entscheidungen\b[^\n]{0,40}\b(?:bestätigt|getroffen|geklärt)|noch zu (?:entscheiden|klären)|"
    r"to be (?:decided|confirmed)|nog te (?:beslissen|bepalen)|"
    r"^(?:\d++[.)]?\s*+)?(?:questions|fragen|vragen)\b"
)
_HEADING_LINE = re.compile(r"^ {0,3}#{1,6}\s")
# "2. 🎯 Goals", "10) Success Metrics": a number and a short title without closing punctuation.
_TITLE_LINE = re.compile(r"^(\d{1,2})[.)]\s++([^\n.:;?!]{2,60})$")
_MIN_TITLES = 3
_MIN_TITLE_GAP = 2  # lines from one title to the next: the section's own text sits between

_PARSER = MarkdownIt("commonmark").enable("table")
_EMPHASIS = {"em_open": 1, "strong_open": 1, "em_close": -1, "strong_close": -1}


@dataclass(frozen=True)
class Block:
    """One block of a Markdown document.

    `text` is the block's inline Markdown as written (for a table row, its cells joined by ` | `);
    `heading_path` holds the texts of the headings above it, outermost first (a heading's own path
    ends with itself); `lines` is its span of source lines, end excluded. A block inside a block
    quote is `quoted` (a paragraph directly in one is of kind `block_quote`); one in a list item is
    `in_list` (its paragraphs are of kind `list_item`).
    """

    kind: BlockKind
    text: str
    heading_path: tuple[str, ...]
    lines: tuple[int, int]
    level: int = 0  # a heading's level, 1 to 6
    quoted: bool = False
    in_list: bool = False  # inside a list item
    emphasis_only: bool = False
    cells: tuple[str, ...] = ()  # a table row's cells, as plain text
    header: bool = False  # the header row of a table
    parents: tuple[str, ...] = ()  # the first paragraphs of the list items this block is nested in, outermost first
    parent_line: int = -1  # the first line of the innermost of those list items (-1: none)
    nested: bool = False  # a list item's first paragraph whose item holds a nested list (its sub-bullets)
    guidance: bool = False  # a template's instruction to the writer, or a prompt question right after one

    @property
    def plain(self) -> str:
        return plain(self.text)


def plain(text: str) -> str:
    """Markdown emphasis and links removed, whitespace collapsed."""
    text = BOLD.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = text.replace("`", "")
    return _SPACES.sub(" ", text).strip()


def _emphasis_only(inline: Token) -> bool:
    """Whether every character of the inline content sits inside emphasis (`*Describe the users here.*`)."""
    depth, emphasised = 0, False
    for child in inline.children or []:
        if child.type in _EMPHASIS:
            depth += _EMPHASIS[child.type]
        elif child.type in ("softbreak", "hardbreak") or (child.type == "text" and not child.content.strip()):
            continue
        elif depth == 0:
            return False
        else:
            emphasised = True
    return emphasised


def _lines(token: Token) -> tuple[int, int]:
    return (token.map[0], token.map[1]) if token.map else (0, 0)


def read_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown text in document order (see `Block`)."""
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []  # the open headings: (level, text)
    containers: list[str] = []  # the open block quotes and list items, innermost last
    items: list[int] = []  # the open list items: the index of each one's first paragraph in blocks, or -1
    labelled: list[bool] = []  # the open lists: whether a bold label paragraph heads each (see below)
    row: list[str] = []
    row_start: Token | None = None
    in_head = False
    pending: Token | None = None  # the block token whose inline content comes next
    source = text.splitlines()
    comparators: list[bool] = []  # the open block quotes: whether each is a list item's "> 95 %" read as a quote
    prefix = ""
    for token in _PARSER.parse(text):
        if token.type == "blockquote_open" and _comparator(source, token, containers):
            comparators.append(True)
            prefix = ">"
        elif token.type == "blockquote_close" and comparators and comparators[-1]:
            comparators.pop()
        elif token.type in ("blockquote_open", "list_item_open"):
            if token.type == "blockquote_open":
                comparators.append(False)
            containers.append(token.type)
            if token.type == "list_item_open":
                items.append(-1)
        elif token.type in ("blockquote_close", "list_item_close"):
            if token.type == "blockquote_close" and comparators:
                comparators.pop()
            containers.pop()
            if token.type == "list_item_close":
                items.pop()
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            # A paragraph all in bold, or ending in a colon, right above a list ("**Response time:**" over
            # "- **Target:** < 5 s", "Success looks like:") labels it: its items are nested in the label as in a
            # list item of its own.
            last = blocks[-1] if blocks else None
            label = (
                last is not None
                and last.kind == "paragraph"
                and (last.emphasis_only or last.plain.endswith(":") or bool(LEADING_LABEL.match(last.text)))
                and last.lines[1] == _lines(token)[0]
                and len(last.plain) <= _MAX_LABEL
            )
            labelled.append(label)
            if label:
                items.append(len(blocks) - 1)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            if labelled.pop():
                items.pop()
        elif token.type in ("heading_open", "paragraph_open"):
            pending = token
        elif token.type in ("thead_open", "thead_close"):
            in_head = token.type == "thead_open"
        elif token.type == "tr_open":
            row, row_start = [], token
        elif token.type == "inline" and pending is not None and pending.type == "heading_open":
            level = int(pending.tag[1])
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, token.content))
            blocks.append(
                Block(
                    "heading",
                    token.content,
                    tuple(heading for _, heading in path),
                    _lines(pending),
                    level=level,
                    quoted="blockquote_open" in containers,
                    in_list="list_item_open" in containers,
                    emphasis_only=_emphasis_only(token),
                )
            )
            pending = None
        elif token.type == "inline" and pending is not None:
            innermost = containers[-1] if containers else None
            kind: BlockKind = (
                "list_item"
                if innermost == "list_item_open"
                else "block_quote"
                if innermost == "blockquote_open"
                else "paragraph"
            )
            # The items this block is nested in: all open ones but its own (a paragraph of an item is not
            # nested in that item), each known by its first paragraph.
            outer = [index for index in (items[:-1] if innermost == "list_item_open" else items) if index >= 0]
            if outer:
                blocks[outer[-1]] = replace(blocks[outer[-1]], nested=True)
            blocks.append(
                Block(
                    kind,
                    prefix + token.content,
                    tuple(heading for _, heading in path),
                    _lines(pending),
                    quoted="blockquote_open" in containers,
                    in_list="list_item_open" in containers,
                    emphasis_only=_emphasis_only(token),
                    parents=tuple(blocks[index].text for index in outer),
                    parent_line=blocks[outer[-1]].lines[0] if outer else -1,
                )
            )
            if innermost == "list_item_open" and items[-1] < 0:
                items[-1] = len(blocks) - 1
            pending, prefix = None, ""
        elif token.type == "inline":
            row.append(token.content)  # a table cell
        elif token.type == "tr_close" and row_start is not None:
            blocks.append(
                Block(
                    "table_row",
                    " | ".join(row),
                    tuple(heading for _, heading in path),
                    _lines(row_start),
                    quoted="blockquote_open" in containers,
                    in_list="list_item_open" in containers,
                    cells=tuple(plain(cell) for cell in row),
                    header=in_head,
                )
            )
    return _mark_guidance(blocks)


def _comparator(source: list[str], token: Token, containers: list[str]) -> bool:
    """A list item that starts with a comparison ("- >95 Prozent valide Datensätze"), which CommonMark reads as a
    block quote inside the item."""
    if not containers or containers[-1] != "list_item_open" or not token.map:
        return False
    line = source[token.map[0]] if token.map[0] < len(source) else ""
    return bool(_LIST_COMPARATOR.match(line))


def is_instruction(text: str) -> bool:
    """Whether a line is an instruction to the writer ("Describe the users", "Schets wie …", "… of this section")."""
    return bool(_INSTRUCTION.match(text.lstrip("*_: ")))


def _mark_guidance(blocks: list[Block]) -> list[Block]:
    """Mark a template's guidance left in: a section that opens with an instruction to the writer ("Describe the
    core problem …", "Beschrijf …") and the prompt questions right after it ("Who faces the problem?")."""
    marked = list(blocks)
    for index, block in enumerate(blocks):
        if index == 0 or blocks[index - 1].kind != "heading" or block.kind != "paragraph" or block.quoted:
            continue
        if not is_instruction(block.plain):  # "*To be completed …*" as well
            continue
        marked[index] = replace(block, guidance=True)
        if block.heading_path and QUESTION_HEADING.search(plain(block.heading_path[-1]).lower()):
            continue  # "List the open questions:" over the team's own questions
        for after in range(index + 1, len(blocks)):
            prompt = blocks[after]
            if prompt.kind not in ("paragraph", "list_item") or not all(
                line.rstrip().endswith("?") for line in prompt.text.splitlines()
            ):
                break
            marked[after] = replace(prompt, guidance=True)
    return marked


_DIAGRAM_LANGUAGES = ("mermaid", "plantuml", "puml")
_BOX_DRAWING = re.compile(r"[│├└┌┐┘┬┴┼═║╔╗╚╝]")


def diagram_text(text: str) -> str:
    """The words drawn in a document's diagrams: fenced Mermaid or PlantUML charts, and plain fences drawn with box
    lines. A flowchart's node labels are the author's prose ("Error --> Retry[User can retry]"); code in
    other fences is not, so it stays out."""
    drawn = []
    for token in _PARSER.parse(text):
        if token.type != "fence":
            continue
        language = token.info.strip().split(maxsplit=1)[0].lower() if token.info.strip() else ""
        if language in _DIAGRAM_LANGUAGES or (language in ("", "text", "txt") and _BOX_DRAWING.search(token.content)):
            drawn.append(token.content)
    return "\n".join(drawn)


def outline(text: str) -> str:
    """A plain-text PRD (no Markdown headings) whose sections are numbered title lines ("2. 🎯 Goals"), as Markdown:
    those lines become headings and every other line a paragraph of its own. Any other text is returned as is."""
    lines = text.split("\n")
    if any(_HEADING_LINE.match(line) for line in lines):
        return text
    titles = [(index, int(match.group(1))) for index, line in enumerate(lines) if (match := _TITLE_LINE.match(line))]
    numbers = [number for _, number in titles]
    # At least three sections numbered one after the other, each with text before the next one.
    if len(titles) < _MIN_TITLES or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return text
    if any(later - earlier < _MIN_TITLE_GAP for (earlier, _), (later, _) in pairwise(titles)):
        return text
    heads = {index for index, _ in titles}
    kept = [f"## {line.strip()}" if index in heads else line for index, line in enumerate(lines) if line.strip()]
    return "\n\n".join(kept)


def is_table_row(stripped: str) -> bool:
    """A pipe row as Markdown writes it, or as the DOCX loader joins table cells (`a | b | c`)."""
    return stripped.startswith("|") or stripped.count(" | ") >= 2


def bullets(body: str) -> list[str]:
    """The list items of a section, with wrapped continuation lines joined.

    A section without list markers (a Word document, whose loader keeps no bullet characters)
    gives its paragraphs instead.
    """
    items: list[str] = []
    for line in body.splitlines():
        match = BULLET.match(line)
        if match:
            items.append(match.group(1).strip())
        elif items and line.startswith(("  ", "\t")) and line.strip():
            items[-1] += " " + line.strip()
    if not items:
        items = [line.strip() for line in body.splitlines() if line.strip() and not is_table_row(line.strip())]
    return items


def tables(text: str) -> list[list[list[str]]]:
    """Tables as rows of plain cells (the header row first, separator rows dropped), pipe rows or DOCX rows."""
    found: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), "."]:
        stripped = line.strip()
        if is_table_row(stripped):
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
