"""The LLM digest: the model reads numbered messages and every point must cite one, checked like answer citations.

A point that cites a number outside the thread is dropped (and counted); a digest left with no point at all is
no digest, and the caller falls back to the extractive one.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from bot.core.llm import LLM
from bot.core.redact import redact
from bot.digest.types import Digest, DigestItem, ThreadMessage

PROMPT = "digest"
# What the model reads: each message cut to this many characters, and the thread to MAX_PROMPT_CHARS (the root
# message and the latest messages are kept; the middle of a very long thread is left out, and said so).
MESSAGE_CHARS = 1_500
MAX_PROMPT_CHARS = 40_000
_OWNER = re.compile(r"[UW][A-Z0-9]{2,20}")


class Point(BaseModel):
    text: str = Field(description="one short sentence")
    message: int = Field(description="the number of the message this point comes from")


class ActionPoint(Point):
    owner: str = Field(default="", description="the owner's user ID as written in the thread, or empty")


class DigestDraft(BaseModel):
    """The structure the model fills."""

    decisions: list[Point] = Field(default_factory=list)
    open_questions: list[Point] = Field(default_factory=list)
    action_items: list[ActionPoint] = Field(default_factory=list)
    risks: list[Point] = Field(default_factory=list)


def numbered_messages(messages: list[ThreadMessage]) -> tuple[str, list[int]]:
    """The messages as the model sees them ("[n] U123: text"), and which indices made it in."""
    lines = [
        (index, f"[{index + 1}] {message.user}: {redact(message.text[:MESSAGE_CHARS]).replace(chr(10), ' ')}")
        for index, message in enumerate(messages)
    ]
    kept = [lines[0]] if lines else []
    room = MAX_PROMPT_CHARS - (len(lines[0][1]) if lines else 0)
    tail: list[tuple[int, str]] = []
    for index, line in reversed(lines[1:]):
        if len(line) + 1 > room:
            break
        tail.append((index, line))
        room -= len(line) + 1
    kept += reversed(tail)
    text = "\n".join(line for _, line in kept)
    if len(kept) < len(lines):
        text = text.replace("\n", f"\n(… {len(lines) - len(kept)} earlier messages left out …)\n", 1)
    return text, [index for index, _ in kept]


def generated_digest(llm: LLM, messages: list[ThreadMessage], title: str = "") -> Digest:
    """Ask the model for the digest; raises LLMError subclasses, and ValueError when no point cites a real message."""
    text, shown = numbered_messages(messages)
    draft = llm.structured(PROMPT, {"messages": text, "title": f" ({title})" if title else ""}, DigestDraft)
    allowed = {index + 1 for index in shown}
    digest = Digest(title=title, messages=len(messages), mode="generated")

    def item(point: Point, owner: str = "") -> DigestItem | None:
        if point.message not in allowed or not point.text.strip():
            digest.cited_dropped += 1
            return None
        source = messages[point.message - 1]
        found = _OWNER.fullmatch(owner.strip().lstrip("@<").rstrip(">"))
        return DigestItem(
            text=redact(point.text.strip())[:400],
            user=source.user,
            ts=source.ts,
            owner=found.group(0) if found else None,
        )

    digest.decisions = [i for p in draft.decisions if (i := item(p))]
    digest.questions = [i for p in draft.open_questions if (i := item(p))]
    digest.actions = [i for p in draft.action_items if (i := item(p, p.owner))]
    digest.risks = [i for p in draft.risks if (i := item(p))]
    if not digest.items():
        raise ValueError(f"no digest point cites a message of the thread ({digest.cited_dropped} dropped)")
    return digest
