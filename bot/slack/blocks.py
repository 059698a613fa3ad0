"""Replies as Slack Block Kit: pure formatting, no Web API calls.

Markdown becomes Slack mrkdwn (bold, italics, links, headings, lists, code, tables as code).
The answer comes first, then a Sources context block, then the 👍/👎 (and Share) buttons.
Slack's limits hold for any answer length: at most 3,000 characters per section block, and
each message at most 50 blocks and about 4,000 characters of text; longer replies become
several messages, never an error.
"""

from __future__ import annotations

import re
from typing import Any, TypedDict
from urllib.parse import urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.copilot import Reply
from bot.core.i18n import say
from bot.core.redact import redact
from bot.core.text import shorten, squash

SECTION_CHARS = 3000
MESSAGE_CHARS = 4000
MAX_BLOCKS = 50
FALLBACK_CHARS = 300
MAX_SOURCES = 8

# Block Kit ids the app's action handlers listen for.
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SHARE = "share_reply"
ACTIONS_BLOCK = "pmc_actions"

Block = dict[str, Any]


class SlackMessage(TypedDict):
    """One chat.postMessage / response_url payload: the notification text and the blocks."""

    text: str
    blocks: list[Block]


# -- Markdown to mrkdwn ----------------------------------------------------------------------

# Each pattern runs in time linear in the line (tests/test_regex_safety.py): possessive `*+` never gives
# characters back; a lazy span stops at the next opening mark instead of scanning past it, so that a
# line of unclosed `**`, `` ` ``, `[` or `<` costs one pass, not one pass per mark.
# The heading text without closing `#`s, as `(.*?)\s*#*\s*$` would give, but the lazy text only stops
# to try the closing sequence after a character that can end the text.
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s++((?:.*?(?:(?<=[^\s#])|(?<=#)(?=\s)))??)\s*+#*+\s*+$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_DIVIDER = re.compile(r"^\s*+\|?\s*+:?-{2,}+:?\s*+(?:\|\s*+:?-{2,}+:?\s*+)*+\|?\s*+$")
_CODE_SPAN = re.compile(r"(?<!`)(`++)(.+?)(?<!`)\1(?!`)")  # closed by a run of as many backticks
_IMAGE_OR_LINK = re.compile(r"!?\[([^\[\]]*)\]\((\S[^\s)\[]*)(?:\s++\"[^\"]{0,300}\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
# A label that reads as an address (`https://…`, `mailto:…`, `www.…`, `docs.example.com/…`).
_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|www\.)|^[\w-]+(?:\.[\w-]+)*\.[a-z][a-z0-9-]+(?:[/:?#]|$)", re.I)
_BOLD_ITALIC = re.compile(r"\*\*\*(?=\S)((?:[^*]|\*(?!\*\*))+?)(?<=\S)\*\*\*")
_BOLD = re.compile(r"\*\*(?=\S)((?:[^*]|\*(?!\*))+?)(?<=\S)\*\*|__(?=\S)((?:[^_]|_(?!_))+?)(?<=\S)__")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)((?:[^*]|(?<=\s)\*(?=\s))+?)(?<=\S)\*(?![\w*])")  # " * " may be inside
_STRIKE = re.compile(r"~~(?=\S)((?:[^~]|~(?!~))+?)(?<=\S)~~")
_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
_BOLD_MARK = "\x01"


def escape(text: str) -> str:
    """Escape the three characters Slack reserves for its own markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _target(url: str) -> str:
    """A link target that can't smuggle in a label: cut at `|` (where Slack would end it), `<` and `>` encoded."""
    return url.split("|", 1)[0].replace("<", "%3C").replace(">", "%3E")


def _destination(url: str) -> str:
    """Where a link really goes, for a reader: its host, or a mailto's address."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return parts.path if parts.scheme == "mailto" else parts.hostname or url


def _link(label: str, url: str) -> str:
    """A Markdown link as mrkdwn that shows its real host whenever the label doesn't say where it goes."""
    url = _target(url)
    host = _destination(url)
    label = label.replace("|", "/").strip()
    if not label or label == url:
        return f"<{escape(url)}>"
    if label.lower() == host.lower():
        return f"<{escape(url)}|{escape(label)}>"
    if _ADDRESS.match(label):
        named = _destination(label if ":" in label.split("/", 1)[0] else f"https://{label}")
        # A label posing as another address would be believed; show the real one instead.
        return f"<{escape(url)}|{escape(label)}>" if named.lower() == host.lower() else f"<{escape(url)}>"
    return f"<{escape(url)}|{escape(label)}> ({escape(host)})"


def _inline(text: str) -> str:
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return f"\x00{len(kept) - 1}\x00"

    text = _CODE_SPAN.sub(lambda m: keep(f"`{escape(m.group(2))}`"), text)
    text = _IMAGE_OR_LINK.sub(
        lambda m: (
            keep(_link(m.group(1), m.group(2)))
            if m.group(2).startswith(("http://", "https://", "mailto:"))
            else m.group(0)
        ),
        text,
    )
    text = _AUTOLINK.sub(lambda m: keep(f"<{escape(_target(m.group(1)))}>"), text)
    text = escape(text)
    text = _BOLD_ITALIC.sub(rf"{_BOLD_MARK}_\1_{_BOLD_MARK}", text)
    text = _BOLD.sub(lambda m: f"{_BOLD_MARK}{m.group(1) or m.group(2)}{_BOLD_MARK}", text)
    text = _ITALIC_STAR.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text).replace(_BOLD_MARK, "*")
    return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], text)


def _table(rows: list[str]) -> list[str]:
    """A Markdown table as an aligned code block: mrkdwn has no tables."""
    cells = [
        [cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows if not _TABLE_DIVIDER.match(row)
    ]
    widths = [max(len(row[i]) if i < len(row) else 0 for row in cells) for i in range(max(map(len, cells)))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    return ["```", *(escape(line) for line in lines), "```"]


def to_mrkdwn(markdown: str) -> str:
    """Convert Markdown to Slack mrkdwn; text inside code stays as written (escaped)."""
    out: list[str] = []
    lines = markdown.replace("\r\n", "\n").split("\n")
    in_code = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("```"):
            in_code = not in_code
            out.append("```")  # Slack would show a language tag as code text
        elif in_code:
            out.append(escape(line))
        elif _TABLE_ROW.match(line):
            end = index
            while end < len(lines) and _TABLE_ROW.match(lines[end]):
                end += 1
            out.extend(_table(lines[index:end]))
            index = end
            continue
        elif heading := _HEADING.match(line):
            out.append(f"*{_inline(heading.group(1).replace('**', ''))}*")
        elif _RULE.match(line):
            out.append("──────────")
        elif bullet := _BULLET.match(line):
            out.append(f"{bullet.group(1)}• {_inline(bullet.group(2))}")
        elif numbered := _NUMBERED.match(line):
            out.append(f"{numbered.group(1)}{numbered.group(2)}. {_inline(numbered.group(3))}")
        elif quote := _QUOTE.match(line):
            out.append(f"> {_inline(quote.group(1))}")
        else:
            out.append(_inline(line))
        index += 1
    if in_code:
        out.append("```")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


# -- Splitting to Slack's limits ---------------------------------------------------------------


def _pack(parts: list[str], separator: str, limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{separator}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = part
    if current:
        chunks.append(current)
    return chunks


def _split_plain(text: str, limit: int, separators: tuple[str, ...] = ("\n", " ")) -> list[str]:
    if len(text) <= limit:
        return [text]
    if not separators:
        return [text[start : start + limit] for start in range(0, len(text), limit)]
    separator, rest = separators[0], separators[1:]
    parts: list[str] = []
    for part in text.split(separator):
        parts.extend(_split_plain(part, limit, rest))
    return _pack(parts, separator, limit)


def _units(text: str) -> list[tuple[str, bool]]:
    """Paragraphs, with each fenced code block kept whole as one unit: (text, is_code)."""
    units: list[tuple[str, bool]] = []
    for index, part in enumerate(re.split(r"(```\n?.*?\n?```)", text, flags=re.S)):
        if index % 2:
            units.append((part, True))
        else:
            units.extend((paragraph, False) for paragraph in re.split(r"\n{2,}", part) if paragraph.strip())
    return units


def split_text(text: str, limit: int = SECTION_CHARS) -> list[str]:
    """Split mrkdwn into pieces of at most `limit` characters at paragraph, line or word breaks.

    A code block that has to be cut is closed at the cut and reopened in the next piece.
    """
    pieces: list[str] = []
    for unit, is_code in _units(text):
        if len(unit) <= limit:
            pieces.append(unit)
        elif is_code:
            body = unit.strip("`").strip("\n")
            pieces.extend(f"```\n{part}\n```" for part in _split_plain(body, limit - 8))
        else:
            pieces.extend(_split_plain(unit, limit))
    return _pack(pieces, "\n\n", limit)


# -- Blocks ----------------------------------------------------------------------------------


def _section(text: str) -> Block:
    return SectionBlock(text=MarkdownTextObject(text=text)).to_dict()


def _context(text: str) -> Block:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_CHARS])]).to_dict()


def _button(label: str, action_id: str, value: str) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=label, emoji=True), action_id=action_id, value=value)


def sources_block(reply: Reply) -> Block | None:
    """The Sources context block: number, title (a link when the source has a URL), section and path of each chunk."""
    if not reply.sources:
        return None
    lines = [f"*{say('slack.sources', reply.lang)}*"]
    for number, source in enumerate(reply.sources[:MAX_SOURCES], 1):
        where = f"{escape(source.title)} — {escape(source.section)}" if source.section else escape(source.title)
        if source.url and source.url.startswith(("https://", "http://")):
            where = f"<{escape(_target(source.url))}|{where.replace('|', '/')}>"
        lines.append(f"[{number}] {where} · `{escape(source.path)}`")
    return _context("\n".join(lines))


def footer_blocks(reply: Reply, reply_id: str | None = None, *, shareable: bool = False) -> list[Block]:
    """What follows the answer text: sources, the notice, then the feedback and Share buttons."""
    blocks: list[Block] = []
    sources = sources_block(reply)
    if sources is not None:
        blocks.append(sources)
    notes = []
    if reply.unverified:
        notes.append(say("slack.unverified", reply.lang))
    if reply.notice:
        notes.append(escape(reply.notice))
    if notes:
        blocks.append(_context("\n".join(f"_{note}_" for note in notes)))
    if reply_id is not None and (reply.wants_feedback or shareable):
        buttons = []
        if reply.wants_feedback:
            buttons += [
                _button(say("slack.helpful", reply.lang), FEEDBACK_UP, reply_id),
                _button(say("slack.not_helpful", reply.lang), FEEDBACK_DOWN, reply_id),
            ]
        if shareable:
            buttons.append(_button(say("slack.share", reply.lang), SHARE, reply_id))
        blocks.append(ActionsBlock(block_id=ACTIONS_BLOCK, elements=buttons).to_dict())
    return blocks


def as_slack_blocks(
    reply: Reply,
    reply_id: str | None = None,
    *,
    shareable: bool = False,
    shared_by: str | None = None,
) -> list[Block]:
    """Every block of a reply, in order; `as_slack_messages` packs them into messages.

    reply_id: the id the buttons carry (see bot.slack.feedback); no buttons without it.
    shareable: add the "Share in channel" button (ephemeral replies).
    shared_by: the Slack user id who shared it; shown with the question above the answer.
    """
    blocks: list[Block] = []
    if shared_by is not None:
        who = f"<@{shared_by}>"
        if reply.question:
            asked = f"_{escape(redact(reply.question))[:300]}_"
            blocks.append(_context(say("slack.shared_to", reply.lang, user=who, question=asked)))
        else:
            blocks.append(_context(say("slack.shared", reply.lang, user=who)))
    blocks.extend(_section(piece) for piece in split_text(to_mrkdwn(reply.markdown) or "_(empty)_", SECTION_CHARS))
    blocks.extend(footer_blocks(reply, reply_id, shareable=shareable))
    return blocks


def _block_chars(block: Block) -> int:
    text = block.get("text")
    if isinstance(text, dict):
        return len(str(text.get("text", "")))
    return sum(
        len(str(element.get("text", ""))) for element in block.get("elements", []) if element.get("type") != "button"
    )


def fallback_text(markdown: str, limit: int = FALLBACK_CHARS) -> str:
    """Plain notification text (push notifications, screen readers) for a reply."""
    plain = re.sub(r"[*_`>#~]+", "", re.sub(r"\[([^\[\]]*)\]\([^)\[]*\)", r"\1", markdown))
    return escape(shorten(squash(plain), limit))


def pack_messages(blocks: list[Block], text: str) -> list[SlackMessage]:
    """Group blocks into messages of at most MAX_BLOCKS blocks and MESSAGE_CHARS characters, in order."""
    messages: list[SlackMessage] = []
    current: list[Block] = []
    chars = 0
    for block in blocks:
        size = _block_chars(block)
        if current and (len(current) >= MAX_BLOCKS or chars + size > MESSAGE_CHARS):
            messages.append({"text": text if not messages else "(continued)", "blocks": current})
            current, chars = [], 0
        current.append(block)
        chars += size
    if current or not messages:
        messages.append({"text": text if not messages else "(continued)", "blocks": current})
    return messages


def as_slack_messages(
    reply: Reply,
    reply_id: str | None = None,
    *,
    shareable: bool = False,
    shared_by: str | None = None,
) -> list[SlackMessage]:
    """A reply as one or more messages within Slack's limits; the buttons end the last one."""
    blocks = as_slack_blocks(reply, reply_id, shareable=shareable, shared_by=shared_by)
    return pack_messages(blocks, fallback_text(reply.markdown))
