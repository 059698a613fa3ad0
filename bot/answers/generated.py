"""Generated answers: the LLM answers from numbered sources in claims, each with the quote that proves it.

The model replies with JSON (bot/answers/claims.py): for each claim, the source it comes from and the words
of that source that support it. A claim whose quote isn't in the source it cites is dropped (and counted
with the dropped citations); the rest become the answer's prose, cited [1], [2]… in order of first use.
When nothing survives, or the model names a fact the sources lack, the answer is a decline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answers.claims import (
    ANSWER_FORMAT,
    ClaimChecker,
    ClaimStream,
    ClaimWriter,
    decline_text,
    missing_phrase,
    parse_reply,
)
from bot.answers.extractive import cite
from bot.answers.types import Conversation
from bot.core import prompts
from bot.core.i18n import say
from bot.core.language import NAMES, language
from bot.core.llm import MALFORMED_NOTICE, Completion, as_messages
from bot.core.metrics import Fallback
from bot.core.prompts import Prompt
from bot.core.redact import redact
from bot.core.reply import Reply
from bot.core.text import shorten
from bot.core.tokens import trim_history, truncate
from bot.exceptions import LLMUnavailable
from bot.knowledge.retrieval import Passage

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

OnToken = Callable[[str], None]
"""Receives answer text as it is produced, for surfaces that stream (assistant pane, CLI).

Claims are checked on the way (each is shown once it is complete and proven), so the pieces add
up to the final answer's text. A decline, and a cached answer, arrive in one piece. If generation
breaks off midway, or the reply turns out not to be the JSON asked for, the returned (extractive)
Reply replaces whatever was shown.
"""


# The warning for an answer that cites nothing (`Reply.unverified`). A generated answer proves its claims
# or declines, so `generate` no longer writes one; the surfaces still render the flag.
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


# The reply's JSON schema as a Prompt, so that its version counts wherever the prompts' do (the answer cache key).
REPLY_FORMAT = Prompt(name="answer-format", text=json.dumps(ANSWER_FORMAT, sort_keys=True))


def answer_prompts(conversation: Conversation | None) -> list[Prompt]:
    """What a generated answer is asked with: the system prompt, answer or follow-up, and the reply format."""
    task = "follow-up" if conversation is not None and conversation.context.strip() else "answer"
    return [prompts.load("system"), prompts.load(task), REPLY_FORMAT]


def prompt_history(history: list[tuple[str, str]], budget: int) -> list[tuple[str, str]]:
    """The turns the prompt carries: each cut to TURN_CHARS, the latest that fit `budget` tokens, redacted.

    Trimming comes before redaction, so turns that don't make it into the prompt cost nothing.
    """
    kept = trim_history([(role, shorten(text, TURN_CHARS, " …")) for role, text in history], budget)
    return [(role, redact(text)) for role, text in kept]


def source_text(passage: Passage) -> str:
    """A passage's text as the model is shown it (and as its quotes are checked against)."""
    return redact(passage.text.strip())


def numbered_sources(passages: list[Passage]) -> str:
    """The passages as the model sees them: numbered, titled, secrets redacted."""
    return "\n\n".join(
        f"[{number}] {heading(passage)} ({passage.path})\n{source_text(passage)}"
        for number, passage in enumerate(passages, 1)
    )


def heading(passage: Passage) -> str:
    return f"{passage.title} — {passage.section}" if passage.section else passage.title


def generate(
    deps: Deps,
    question: str,
    passages: list[Passage],
    conversation: Conversation | None,
    on_token: OnToken | None,
    lang: str = "en",
) -> Outcome:
    """Ask the LLM for claims with quotes, written in `lang`; keep the claims whose quote is in the source they cite.

    Raises LLMError subclasses, and LLMUnavailable (with the malformed-reply notice) when the reply isn't
    the JSON asked for. With `on_token`, each checked claim is shown as soon as it is complete.
    """
    system, task, _ = answer_prompts(conversation)
    context = conversation.context.strip() if conversation is not None else ""
    thread = redact(truncate(context, CONTEXT_TOKENS)) if context else None
    variables: dict[str, str] = {"sources": numbered_sources(passages) or "(none found)", "question": redact(question)}
    variables |= {"language": NAMES[language(lang) or "en"]}
    if thread is not None:
        variables["context"] = thread
    history: list[tuple[str, str]] = []
    if conversation is not None:
        history = prompt_history(conversation.history, deps.settings.max_history_tokens)
    messages = as_messages(system.render(), history, task.render(**variables))
    writer = ClaimWriter(ClaimChecker([source_text(p) for p in passages], thread), len(passages))
    stream = ClaimStream()

    def forward(delta: str) -> None:
        stream.feed(delta)
        if stream.status == "answered":
            shown = writer.take(stream.claims)
            if shown and on_token is not None:
                on_token(shown)

    completion = deps.llm.complete(
        messages, on_delta=forward if on_token is not None else None, response_format=ANSWER_FORMAT
    )
    try:
        reply = parse_reply(completion.text)
    except ValueError as error:
        raise LLMUnavailable(f"the reply isn't the JSON asked for: {error}", notice=MALFORMED_NOTICE) from error
    tail = writer.take(reply.claims) if reply.status == "answered" else ""
    dropped = writer.dropped + writer.citations.dropped
    if dropped:
        log.info("dropped %d claim(s) whose quote isn't in the source they cite", dropped)
    if not writer.kept:
        # Nothing the model said could be proven, or it said what the sources lack: a decline, with the
        # closest sources for orientation.
        text = decline_text(reply.missing_fact, [heading(p) for p in passages[:3]], lang)
        if on_token is not None:
            on_token(text)
        declined = Reply(
            kind="answer",
            question=question,
            answered=False,
            markdown=text,
            mode="generated",
            sources=[cite(p) for p in passages[:3]],
        )
        return Outcome(declined, completion, citations_dropped=dropped)
    # A partial answer names what the sources leave out.
    note = (
        "\n\n" + say("answers.partial_missing", lang, missing=missing_phrase(reply.missing_fact))
        if reply.missing_fact
        else ""
    )
    tail += note
    if on_token is not None and tail:
        on_token(tail)
    answer = Reply(
        kind="answer",
        question=question,
        answered=True,
        markdown=writer.text + note,
        mode="generated",
        sources=[cite(passages[index]) for index in writer.citations.cited],
    )
    return Outcome(answer, completion, citations_dropped=dropped)
