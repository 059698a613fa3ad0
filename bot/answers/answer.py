"""Answer a PM's question from the knowledge: retrieve, decline on weak evidence, or quote and cite."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.answers.cache import AnswerCache
from bot.answers.citations import CitationFilter
from bot.answers.links import link_sources
from bot.answers.types import Conversation
from bot.core import prompts
from bot.core.llm import OFF_NOTICE, Completion, as_messages
from bot.core.metrics import AnswerRecord, Fallback
from bot.core.prompts import Prompt, combined_version
from bot.core.redact import redact
from bot.core.reply import Reply, Source
from bot.core.text import sentences, shorten
from bot.core.tokens import trim_history, truncate
from bot.exceptions import LLMError
from bot.knowledge.keyword import tokenize
from bot.knowledge.retrieval import Passage

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

# The decline threshold on `Retriever.evidence` (best cosine x sqrt of query-term coverage).
# Calibrated with `pm-copilot eval answers --calibrate` on tests/golden/answerable.txt plus the
# answerable golden questions (51) against tests/golden/unanswerable.txt plus the unanswerable
# ones (31), over the bundled knowledge with all-MiniLM-L6-v2: 0.30 separates them best
# (accuracy 0.90: 96% of answerable kept, 81% of unanswerable declined); cosine alone peaked at
# 0.84. MIN_EVIDENCE overrides it, e.g. for an OpenAI embedding model, whose scale differs.
DEFAULT_MIN_EVIDENCE = 0.30

EXTRACTIVE_NOTE = "_Generation is off (no LLM configured), so here are the most relevant passages, quoted._"
MAX_QUOTES = 3
QUOTE_CHARS = 420


OnToken = Callable[[str], None]
"""Receives answer text as it is produced, for surfaces that stream (assistant pane, CLI).

Citations are checked on the way, so the pieces add up to the final answer's text. A cached
answer arrives in one piece. If generation breaks off midway, the returned (extractive) Reply
replaces whatever was shown.
"""


def cite(passage: Passage) -> Source:
    """A retrieved passage as a cited source; its snippet redacted."""
    return Source(
        path=passage.path,
        title=passage.title,
        section=passage.section,
        score=passage.score,
        snippet=redact(passage.snippet()),
        url=passage.url,
    )


def distinct(passages: Iterable[Passage]) -> list[Passage]:
    """Drop passages that repeat a path and section already kept (overlapping chunks of one section)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for passage in passages:
        key = (passage.path, passage.section)
        if key not in seen:
            seen.add(key)
            kept.append(passage)
    return kept


def best_excerpt(text: str, question: str, limit: int = QUOTE_CHARS) -> str:
    """The run of consecutive sentences that shares the most terms with the question, within `limit`."""
    parts = sentences(text)
    if not parts:
        return ""
    wanted = set(tokenize([question])[0])
    overlap = [len(wanted & set(tokens)) for tokens in tokenize(parts)]
    best, best_score = (0, 1), -1.0
    for start in range(len(parts)):
        length = 0
        shared = 0  # a running sum: summing the window afresh for each end is cubic in short sentences
        for end in range(start, len(parts)):
            length += len(parts[end]) + 1
            if length > limit and end > start:
                break
            shared += overlap[end]
            score = shared - 0.01 * (end - start)
            if score > best_score:
                best, best_score = (start, end + 1), score
    return shorten(" ".join(parts[best[0] : best[1]]), limit)


def extractive_answer(question: str, passages: list[Passage], note: str = EXTRACTIVE_NOTE) -> str:
    """Quote the best sentences of the top passages, each cited as [n] in source order."""
    parts = [note]
    for number, passage in enumerate(passages[:MAX_QUOTES], 1):
        heading = f"{passage.title} — {passage.section}" if passage.section else passage.title
        quote = best_excerpt(passage.text, question).replace("\n", " ")
        parts.append(f"*{heading}* [{number}]\n> {quote}")
    return "\n\n".join(parts)


def decline_answer(passages: list[Passage]) -> str:
    if not passages:
        return "I don't know: the knowledge base has nothing on that yet."
    closest = "; ".join(f"{p.title} — {p.section}" if p.section else p.title for p in passages[:3])
    return f"I don't know: nothing in the knowledge base answers that well enough. The closest sources are: {closest}."


def min_evidence(deps: Deps) -> float:
    return deps.settings.min_evidence if deps.settings.min_evidence is not None else DEFAULT_MIN_EVIDENCE


UNVERIFIED_WARNING = (
    "\n\n⚠️ _No sources cited: this answer isn't backed by the knowledge base, so check it before relying on it._"
)
FALLBACK_NOTE = "_The AI writer couldn't answer just now, so here are the most relevant passages, quoted._"
# The thread's own material (a PRD pasted or shared in the thread) is capped so the sources still fit.
CONTEXT_TOKENS = 3000
# A history turn is cut to this many characters before it is counted or redacted, so one huge message
# can't make every later question in its thread slow. It is about twice what the default history
# budget (1,500 tokens) holds, so a cut turn can still fill it.
TURN_CHARS = 12_000


@dataclass
class _Outcome:
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
) -> _Outcome:
    """Ask the LLM with numbered sources; keep only real citations; raises LLMError subclasses."""
    system, task = answer_prompts(conversation)
    context = conversation.context.strip() if conversation is not None else ""
    variables: dict[str, str] = {"sources": numbered_sources(passages) or "(none found)", "question": redact(question)}
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
    if re.match(r"(?i)\s*(i don't know|i do not know)\b", text) and not citations.grounded:
        # The model found the sources wanting: a decline, with the closest sources for orientation.
        declined = Reply(
            kind="answer",
            question=question,
            answered=False,
            markdown=text,
            mode="generated",
            sources=[cite(p) for p in passages[:3]],
        )
        return _Outcome(declined, completion, citations_dropped=citations.dropped)
    unverified = not citations.grounded
    if unverified:
        text += UNVERIFIED_WARNING
        if on_token is not None:
            on_token(UNVERIFIED_WARNING)
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
    return _Outcome(answer, completion, citations_dropped=citations.dropped)


def _decline(question: str, passages: list[Passage]) -> Reply:
    return Reply(
        kind="answer",
        question=question,
        answered=False,
        markdown=decline_answer(passages),
        mode="extractive",
        sources=[cite(p) for p in passages[:3]],
    )


def outside_scope(
    deps: Deps, question: str, k: int, doctypes: Iterable[str] | None, folders: Iterable[str]
) -> list[str]:
    """The top-level folders outside `folders` whose passages would answer well, best first (none: nobody knows)."""
    passages = distinct(deps.retriever.search(question, k=k * 2, doctypes=doctypes))[:k]
    if deps.retriever.evidence(question, passages) < min_evidence(deps):
        return []
    scope = tuple(folders)
    outside = [p.path for p in passages if not any(p.path.startswith(f"{folder}/") for folder in scope)]
    return list(dict.fromkeys(path.rsplit("/", 1)[0] if "/" in path else path for path in outside))[:3]


def _decline_out_of_scope(question: str, folders: Iterable[str], elsewhere: list[str]) -> Reply:
    searched = ", ".join(f"`{folder}`" for folder in folders) or "no folders"
    others = ", ".join(f"`{folder}`" for folder in elsewhere)
    return Reply(
        kind="answer",
        question=question,
        answered=False,
        markdown=(
            f"I don't know from the knowledge this channel searches ({searched}). Other folders might know: "
            f"{others}; ask in a channel whose scope covers them (`/pm scope` shows a channel's)."
        ),
        mode="extractive",
    )


def _extractive(question: str, passages: list[Passage], note: str, notice: str) -> Reply:
    cited = passages[:MAX_QUOTES]
    return Reply(
        kind="answer",
        question=question,
        answered=True,
        markdown=extractive_answer(question, cited, note),
        mode="extractive",
        sources=[cite(p) for p in cited],
        notice=notice,
    )


def _compose(
    deps: Deps,
    question: str,
    k: int,
    doctypes: Iterable[str] | None,
    conversation: Conversation | None,
    on_token: OnToken | None,
    folders: Iterable[str] | None = None,
) -> _Outcome:
    passages = distinct(deps.retriever.search(question, k=k * 2, doctypes=doctypes, folders=folders))[:k]
    strong = deps.retriever.evidence(question, passages) >= min_evidence(deps)
    if not strong and folders is not None:
        elsewhere = outside_scope(deps, question, k, doctypes, folders)
        if elsewhere:
            return _Outcome(_decline_out_of_scope(question, folders, elsewhere))
    # Thread context is evidence of its own: a question about the PRD in the thread can be
    # answered from it even when the knowledge base has nothing close.
    from_context = conversation is not None and bool(conversation.context.strip())
    if not deps.llm.enabled:
        if not strong:
            return _Outcome(_decline(question, passages))
        return _Outcome(_extractive(question, passages, EXTRACTIVE_NOTE, OFF_NOTICE), fallback="off")
    if not strong and not from_context:
        return _Outcome(_decline(question, passages))
    try:
        return generate(deps, question, passages, conversation, on_token)
    except LLMError as error:
        log.warning("generation failed, answering extractively: %s", error)
        # Never cached: the next asker should get a written answer once the provider recovers.
        if not strong:
            declined = _decline(question, passages)
            declined.notice = error.notice
            return _Outcome(declined, fallback="failed", cacheable=False)
        return _Outcome(
            _extractive(question, passages, FALLBACK_NOTE, error.notice), fallback="failed", cacheable=False
        )


def answer_question(
    deps: Deps,
    question: str,
    *,
    k: int | None = None,
    doctypes: Iterable[str] | None = None,
    conversation: Conversation | None = None,
    on_token: OnToken | None = None,
    folders: Iterable[str] | None = None,
) -> Reply:
    """Serve from the answer cache, or retrieve, then decline, generate with citations, or quote.

    `question` is as the façade's validation left it (bot.copilot): whitespace collapsed, within MAX_QUESTION_CHARS.
    folders: the channel's scope (`bot.knowledge.scopes`); None searches all of the knowledge.
    """
    started = time.perf_counter()
    k = k or deps.settings.top_k
    generating = deps.llm.enabled
    prompt_version = combined_version(*answer_prompts(conversation)) if generating else "extractive"
    model = deps.llm.model if generating else "extractive"
    cache = AnswerCache(deps.store, deps.settings.answer_cache_ttl_s, deps.settings.answer_cache)
    key = cache.key(
        question,
        index_version=deps.index.version(),
        prompt_version=prompt_version,
        model=model,
        k=k,
        threshold=min_evidence(deps),
        doctypes=doctypes,
        conversation=conversation,
        folders=folders,
    )
    hit = cache.get(key)
    if hit is not None:
        hit.question, hit.cached = question, True
        hit.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        link_sources(deps, hit)
        if on_token is not None:
            on_token(hit.markdown)
        fallback: Fallback | None = None if hit.mode == "generated" or not hit.answered else "off"
        _record(deps, _Outcome(hit, fallback=fallback), model, prompt_version)
        return hit
    outcome = _compose(deps, question, k, doctypes, conversation, on_token, folders)
    answer = outcome.answer
    # Quotes come straight from the documents, which may hold a pasted key: never reply or cache one.
    answer.markdown = redact(answer.markdown)
    answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if outcome.cacheable:
        cache.put(key, answer)
    link_sources(deps, answer)
    _record(deps, outcome, model, prompt_version)
    return answer


def _record(deps: Deps, outcome: _Outcome, model: str, prompt_version: str) -> None:
    answer, completion = outcome.answer, outcome.completion
    deps.metrics.record(
        AnswerRecord(
            latency_ms=answer.latency_ms,
            mode=answer.mode or "extractive",
            declined=not answer.answered,
            cached=answer.cached,
            fallback=outcome.fallback,
            unverified=answer.unverified,
            citations_dropped=outcome.citations_dropped,
            tokens_in=completion.tokens_in if completion else 0,
            tokens_out=completion.tokens_out if completion else 0,
            cost_usd=completion.cost_usd if completion else 0.0,
            model=model,
            prompt_version=prompt_version,
        )
    )
