"""`Reply`: what PM Copilot tells a user, whatever the surface (Slack blocks, CLI text, JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.core.language import Lang

ReplyKind = Literal[
    "answer", "evals", "error", "stats", "reindex", "help", "usage", "refusal", "scope", "digest", "saved"
]


class Source(BaseModel):
    """A cited knowledge chunk; `path` is relative to the knowledge folder, `url` its web address if it has one."""

    path: str
    title: str
    section: str
    score: float
    snippet: str
    url: str | None = None


class Attachment(BaseModel):
    """A long document that goes with a reply, e.g. a full eval plan, uploaded as a file."""

    filename: str
    title: str
    content: str


class Reply(BaseModel):
    """The body (`markdown`) and, for answers, how it was made and what it cites.

    `as_json()` is the stable `ask --json` contract; `lang` is an optional addition to it.
    """

    kind: ReplyKind
    markdown: str
    question: str = ""
    answered: bool = True
    mode: Literal["generated", "extractive"] | None = None
    sources: list[Source] = Field(default_factory=list)
    notice: str | None = None
    unverified: bool = False
    cached: bool = False
    latency_ms: float = 0.0
    attachment: Attachment | None = None
    lang: Lang | None = None  # the language the reply is in (answers); None: English, not chosen

    @property
    def wants_feedback(self) -> bool:
        """Replies to a PM's request get 👍/👎; usage hints and reports don't."""
        return self.kind in ("answer", "evals", "error")

    def as_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.markdown,
            "mode": self.mode,
            # A source without a `url` leaves the key out (the field is an optional addition to the contract).
            "sources": [source.model_dump(exclude={"url"} if source.url is None else None) for source in self.sources],
            "latency_ms": self.latency_ms,
        } | ({"lang": self.lang} if self.lang else {})
