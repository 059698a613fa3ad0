"""Generated answers: the LLM writes from numbered sources, and only real citations survive."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answers.citations import CitationFilter
from bot.answers.extractive import cite
from bot.answers.types import Conversation
from bot.core import prompts
from bot.core.i18n import say, starts_with
from bot.core.language import NAMES, language
from bot.core.llm import Completion, as_messages
from bot.core.metrics import Fallback
from bot.core.prompts import Prompt
from bot.core.redact import redact
from bot.core.reply import Reply
from bot.core.text import shorten
from bot.core.tokens import trim_history, truncate
from bot.knowledge.retrieval import Passage

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

OnToken = Callable[[str], None]
"""Receives answer text as it is produced, for surfaces that stream (assistant pane, CLI).

Citations are checked on the way, so the pieces add up to the final answer's text. A cached
answer arrives in one piece. If generation breaks off midway, the returned (extractive) Reply
replaces whatever was shown.
"""


UNVERIFIED_WARNING = "\n\n" + say("answers.unverified", "en")
# The thread's own material (a PRD pasted or shared in the thread) is capped so the sources still fit.
CONTEXT_TOKENS = 3000
# A history turn is cut to this many characters before it is counted or redacted, so one huge message
# can't make every later question in its thread slow. It is about twice what the default history
# budget (1,500 tokens) holds, so a cut turn can still fill it.
TURN_CHARS = 12_000


@dataclass
class Outcome:
    """An answer with what it took: the LLM completion, if any, and why it fell back, if it did."""

    answer: Reply
    completion: Completion | None = None
    fallback: Fallback | None = None
    cacheable: bool = True
    citations_dropped: int = 0


def answer_prompts(conversation: Conversation | None) -> list[Prompt]:
    """The templates a generated answer uses: the system prompt, then answer or follow-up."""
    task = "follow-up" if conversation is not None and conversation.context.strip() else "answer"
    return [prompts.load("system"), prompts.load(task)]


def numbered_sources(passages: list[Passage]) -> str:
    """The passages as the model sees them: numbered, titled, secrets redacted."""
    blocks = []
    for number, passage in enumerate(passages, 1):
        heading = f"{passage.title} — {passage.section}" if passage.section else passage.title
        blocks.append(f"[{number}] {heading} ({passage.path})\n{redact(passage.text.strip())}")
    return "\n\n".join(blocks)


def prompt_history(history: list[tuple[str, str]], budget: int) -> list[tuple[str, str]]:
    """The turns the prompt carries: each cut to TURN_CHARS, the latest that fit `budget` tokens, redacted.

    Trimming comes before redaction, so turns that don't make it into the prompt cost nothing.
    """
    kept = trim_history([(role, shorten(text, TURN_CHARS, " …")) for role, text in history], budget)
    return [(role, redact(text)) for role, text in kept]


def generate(
    deps: Deps,
    question: str,
    passages: list[Passage],
    conversation: Conversation | None,
    on_token: OnToken | None,
    lang: str = "en",
) -> Outcome:
    """Ask the LLM with numbered sources, to answer in `lang`; keep only real citations; raises LLMError subclasses."""
    system, task = answer_prompts(conversation)
    context = conversation.context.strip() if conversation is not None else ""
    variables: dict[str, str] = {"sources": numbered_sources(passages) or "(none found)", "question": redact(question)}
    variables |= {"language": NAMES[language(lang) or "en"], "dont_know": say("answers.dont_know", lang)}
    if context:
        variables["context"] = redact(truncate(context, CONTEXT_TOKENS))
    history: list[tuple[str, str]] = []
    if conversation is not None:
        history = prompt_history(conversation.history, deps.settings.max_history_tokens)
    messages = as_messages(system.render(), history, task.render(**variables))
    citations = CitationFilter(len(passages), allow_thread=bool(context))

    def forward(delta: str) -> None:
        shown = citations.feed(delta)
        if shown and on_token is not None:
            on_token(shown)

    completion = deps.llm.complete(messages, on_delta=forward if on_token is not None else None)
    if on_token is None:
        citations.feed(completion.text)
    tail = citations.flush()
    if on_token is not None and tail:
        on_token(tail)
    text = citations.text.strip()
    gave_up = re.match(r"(?i)\s*(i don't know|i do not know)\b", text) or starts_with(text, "answers.dont_know")
    if gave_up and not citations.grounded:
        # The model found the sources wanting: a decline, with the closest sources for orientation.
        declined = Reply(
            kind="answer",
            question=question,
            answered=False,
            markdown=text,
            mode="generated",
            sources=[cite(p) for p in passages[:3]],
        )
        return Outcome(declined, completion, citations_dropped=citations.dropped)
    unverified = not citations.grounded
    if unverified:
        warning = "\n\n" + say("answers.unverified", lang)
        text += warning
        if on_token is not None:
            on_token(warning)
    if citations.dropped:
        log.info("dropped %d citation(s) to sources that weren't retrieved", citations.dropped)
    answer = Reply(
        kind="answer",
        question=question,
        answered=True,
        markdown=text,
        mode="generated",
        sources=[cite(passages[index]) for index in citations.cited],
        unverified=unverified,
    )
    return Outcome(answer, completion, citations_dropped=citations.dropped)
