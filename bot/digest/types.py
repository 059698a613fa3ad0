"""What a digest is: the `ThreadMessage`s it reads and the `Digest` it writes, each item tied to one message."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Section = Literal["decisions", "questions", "actions", "risks"]
SECTIONS: tuple[Section, ...] = ("decisions", "questions", "actions", "risks")
TITLES: dict[Section, str] = {
    "decisions": "Decisions",
    "questions": "Open questions",
    "actions": "Owners and action items",
    "risks": "Risks",
}


class ThreadMessage(BaseModel):
    """One message of the thread: who wrote it, its Slack ts (its identity) and its text (redacted, cut)."""

    user: str
    ts: str
    text: str


class DigestItem(BaseModel):
    """One point of the digest, quoting or restating message `ts` by `user`; `owner` for action items."""

    text: str
    user: str
    ts: str
    owner: str | None = None


class Digest(BaseModel):
    """The digest of a thread; every item names the message it comes from."""

    title: str = ""
    messages: int = 0
    mode: Literal["generated", "extractive"] = "extractive"
    notice: str | None = None
    decisions: list[DigestItem] = Field(default_factory=list)
    questions: list[DigestItem] = Field(default_factory=list)
    actions: list[DigestItem] = Field(default_factory=list)
    risks: list[DigestItem] = Field(default_factory=list)
    cited_dropped: int = 0

    def section(self, name: Section) -> list[DigestItem]:
        items: list[DigestItem] = getattr(self, name)
        return items

    def items(self) -> list[tuple[Section, DigestItem]]:
        return [(name, item) for name in SECTIONS for item in self.section(name)]
