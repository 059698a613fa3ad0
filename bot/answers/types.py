"""What an answer is: `Answer` and its `Source`s, and the `Conversation` a question was asked in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.core.redact import redact
from bot.knowledge.retrieval import Passage


class Source(BaseModel):
    """A cited knowledge chunk; `path` is relative to the knowledge folder, `url` its web address if it has one."""

    path: str
    title: str
    section: str
    score: float
    snippet: str
    url: str | None = None

    @classmethod
    def of(cls, passage: Passage) -> Source:
        return cls(
            path=passage.path,
            title=passage.title,
            section=passage.section,
            score=passage.score,
            snippet=redact(passage.snippet()),
            url=passage.url,
        )


class Answer(BaseModel):
    """An answer for any surface. `as_json()` is the stable `ask --json` contract."""

    question: str
    answered: bool
    answer: str
    mode: Literal["generated", "extractive"]
    sources: list[Source] = Field(default_factory=list)
    latency_ms: float = 0.0
    notice: str | None = None
    cached: bool = False
    unverified: bool = False

    def as_json(self) -> dict[str, Any]:
        # A source without a `url` leaves the key out (the field is an optional addition to the contract).
        return self.model_dump(
            include={"question", "answered", "answer", "mode", "sources", "latency_ms"}, exclude_none=True
        )


@dataclass
class Conversation:
    """Where a question was asked and what surrounds it: a PRD thread, or the assistant pane.

    `scope` names the place (workspace, channel, thread). An answer drawn from this context is
    cached only under this scope, never served elsewhere. `context` is the PRD text (the thread's
    root message and shared text files); `history` holds earlier turns as (role, text), oldest first.
    """

    scope: str
    context: str = ""
    history: list[tuple[str, str]] = field(default_factory=list)
