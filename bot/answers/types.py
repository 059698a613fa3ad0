"""The `Conversation` a question was asked in. An answer is a `bot.core.reply.Reply` of kind "answer"."""

from __future__ import annotations

from dataclasses import dataclass, field


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
