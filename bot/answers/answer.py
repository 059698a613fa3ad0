"""Answer a PM's question from the knowledge: retrieve, decline on weak evidence, or quote and cite."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from bot.answers.attributes import Kind, asked_kind, missing
from bot.answers.cache import AnswerCache
from bot.answers.extractive import (
    EXTRACTIVE_NOTE,
    FALLBACK_NOTE,
    QUOTE_CHARS,
    cite,
    decline_answer,
    distinct,
    extractive_answer,
    quotes,
)
from bot.answers.generated import (
    TURN_CHARS,
    UNVERIFIED_WARNING,
    OnToken,
    Outcome,
    answer_prompts,
    generate,
    prompt_history,
)
from bot.answers.links import link_sources
from bot.answers.sentences import Sentence, rank
from bot.answers.subject import named_document, spelled_documents
from bot.answers.types import Conversation
from bot.core.i18n import notice, say
from bot.core.language import Lang, detect, language
from bot.core.metrics import AnswerRecord, Fallback
from bot.core.prompts import combined_version
from bot.core.redact import redact
from bot.core.reply import Reply
from bot.core.text import shorten
from bot.exceptions import LLMError
from bot.knowledge.retrieval import Passage

__all__ = [
    "EXTRACTIVE_NOTE",
    "FALLBACK_NOTE",
    "TURN_CHARS",
    "UNVERIFIED_WARNING",
    "OnToken",
    "answer_question",
    "distinct",
    "min_evidence",
    "prompt_history",
]

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
# A question asking for a kind of value (a price, a date, a count…) is answered only when one of
# this many best sentences holds such a value (bot.answers.attributes; tuned on the tuning half of
# tests/devsets/answers: 12 of 15 near-misses declined, 2 of 32 answerable questions lost).
CHECKED_SENTENCES = 3
# A product or model name, or a language by name, is rare in a PRD and seldom in the sentence closest to the question
# ("OpenAI GPT-4-turbo API or local model"): more sentences are read for one (tuned on the tuning half: 12). So is a
# duration: a time limit sits in a requirements table far from the question's words ("AI generatie: < 5 seconden"),
# and a number with a time unit is seldom there by chance (tuning half, 1,342 questions: reading 12 sentences for a
# duration answered 25 more questions and declined 2 fewer near-misses; for an amount, a target or a count the
# near-misses lost matched the answers gained).
NAME_SENTENCES = 12
_READ_FURTHER: tuple[Kind, ...] = ("name", "language", "duration")
# The named document (bot.answers.subject) is looked for among this many times k passages.
NAMED_POOL = 4
# …and this many of its passages are searched for the answering sentence (a PRD's answer is often in a
# section the question shares few words with).
NAMED_PASSAGES = 10
# Before declining a fact as unstated, this many of the document's passages are read (see `_compose`).
DEEPER_PASSAGES = 25


# A question asked in another language than the passages that answer it has a lower cosine to them (the local model
# is English): it needs this share of the threshold. On the tuning half of tests/devsets/answers, of the questions
# that name no document and whose best passage is in another language, 0.30 let 28 of 50 answerable ones through and
# 0.20 (this share) 40, while near-misses let through rose from 17 to 24 of 26 (the sentence check still declines them).
CROSS_LANGUAGE_EVIDENCE = 2 / 3


def min_evidence(deps: Deps) -> float:
    return deps.settings.min_evidence if deps.settings.min_evidence is not None else DEFAULT_MIN_EVIDENCE


def evidence_threshold(deps: Deps, question: str, passages: list[Passage]) -> float:
    """`min_evidence`, or its CROSS_LANGUAGE_EVIDENCE share when the best passage is in another language."""
    threshold = min_evidence(deps)
    if passages:
        keyword = deps.index.snapshot().keyword
        if keyword.language(passages[0].text) != keyword.language(question):
            return threshold * CROSS_LANGUAGE_EVIDENCE
    return threshold


def _decline(question: str, passages: list[Passage], lang: Lang = "en") -> Reply:
    return Reply(
        kind="answer",
        question=question,
        answered=False,
        markdown=decline_answer(passages, lang),
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


def _decline_out_of_scope(question: str, folders: Iterable[str], elsewhere: list[str], lang: Lang = "en") -> Reply:
    searched = ", ".join(f"`{folder}`" for folder in folders) or say("answers.no_folders", lang)
    others = ", ".join(f"`{folder}`" for folder in elsewhere)
    return Reply(
        kind="answer",
        question=question,
        answered=False,
        markdown=say("answers.decline_out_of_scope", lang, searched=searched, others=others),
        mode="extractive",
    )


def _decline_unstated(
    question: str, passages: list[Passage], ranked: list[Sentence], kind: Kind, lang: Lang = "en"
) -> Reply:
    """The feature is found but the fact isn't: say so, and quote the closest the documents come."""
    best = ranked[0]
    passage = passages[best.passage]
    others = [p for p in passages[:3] if p is not passage]
    return Reply(
        kind="answer",
        question=question,
        answered=False,
        markdown=say(
            "answers.decline_unstated",
            lang,
            title=passage.title,
            missing=say(f"answers.missing.{kind}", lang),
            closest=shorten(best.text, QUOTE_CHARS),
        ),
        mode="extractive",
        sources=[cite(p) for p in [passage, *others]],
    )


class Gathered(NamedTuple):
    """What a question is answered from."""

    passages: list[Passage]
    named: str | None  # the document the question names (bot.answers.subject)
    about: str | None  # the document it is about: the named one, or the one most of the top passages come from


def gather(
    deps: Deps, question: str, k: int, doctypes: Iterable[str] | None = None, folders: Iterable[str] | None = None
) -> Gathered:
    """The k passages to answer from, the document the question names, and the one it is about; only the latter's
    sentences may answer. A named document's passages come first, whatever else scored. Naming a document is
    evidence the knowledge covers the question; most passages coming from one is not (an off-topic question's
    closest passages often do), and reading further into that document quotes worse (tuning half)."""
    pool = distinct(deps.retriever.search(question, k=k * NAMED_POOL, doctypes=doctypes, folders=folders))
    passages = pool[:k]
    snapshot = deps.index.snapshot()
    named = named_document(question, snapshot, [p.path for p in pool])
    if named is None:
        # A product name in mixed case ("ProDAI") names its document even when retrieval missed it, when the asker may
        # read it (a search held to the document finds it within the channel's scope).
        reachable = [
            path
            for path in spelled_documents(question, snapshot)
            if deps.retriever.search(question, k=1, doctypes=doctypes, folders=folders, document=path)
        ]
        if reachable:
            named = named_document(question, snapshot, [*(p.path for p in pool), *reachable])
    about = named
    if about is None and passages and [p.path for p in passages].count(passages[0].path) > len(passages) // 2:
        about = passages[0].path
    if named is not None:
        own = [p for p in pool if p.path == named][:NAMED_PASSAGES]
        passages = [*own, *(p for p in passages if p.path != named)][: max(k, len(own))]
        # The named document's own best passages, however far down the whole collection's ranking they are, come
        # last: they may hold the answering sentence, and they don't push other documents out of the top.
        passages += _unread(deps, question, passages, named, NAMED_PASSAGES, doctypes, folders)[
            : NAMED_PASSAGES - len(own)
        ]
    return Gathered(passages, named, about)


def _unread(
    deps: Deps,
    question: str,
    passages: list[Passage],
    document: str,
    k: int,
    doctypes: Iterable[str] | None,
    folders: Iterable[str] | None,
) -> list[Passage]:
    """The document's k best passages for `question`, searched on its own, that are not among `passages` yet."""
    held = {p.id for p in passages}
    found = deps.retriever.search(question, k=k, doctypes=doctypes, folders=folders, document=document)
    return [p for p in found if p.id not in held]


def _closest(ranked: list[Sentence], passages: list[Passage], about: str | None, checked: int) -> list[Sentence]:
    """The `checked` sentences closest to the question, whatever values they hold, from the document the question
    is about when there is one: a fact about the feature must come from its document, and whether it is stated is
    read from the closest sentences, not from those that merely hold a value of the asked kind (a near-miss's
    document has numbers too)."""
    own = [sentence for sentence in ranked if about is None or passages[sentence.passage].path == about]
    return sorted(own, key=lambda sentence: sentence.relevance, reverse=True)[:checked]


def ranked_sentences(deps: Deps, question: str, passages: list[Passage], kind: Kind | None) -> list[Sentence]:
    """The passages' sentences by how well they answer `question`, which asks for a value of `kind`
    (bot.answers.sentences)."""
    coverages = deps.index.snapshot().keyword.coverages
    return rank(question, passages, deps.embeddings.embed_documents, coverages, kind)


def _extractive(question: str, passages: list[Passage], ranked: list[Sentence], note: str, notice: str) -> Reply:
    chosen = quotes(ranked, passages) or [(p, p.snippet(QUOTE_CHARS)) for p in passages[:1]]
    return Reply(
        kind="answer",
        question=question,
        answered=True,
        markdown=extractive_answer(chosen, note),
        mode="extractive",
        sources=[cite(passage) for passage, _ in chosen],
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
    lang: Lang = "en",
) -> Outcome:
    passages, named, about = gather(deps, question, k, doctypes, folders)
    strong = named is not None or deps.retriever.evidence(question, passages) >= evidence_threshold(
        deps, question, passages
    )
    if not strong and folders is not None:
        elsewhere = outside_scope(deps, question, k, doctypes, folders)
        if elsewhere:
            return Outcome(_decline_out_of_scope(question, folders, elsewhere, lang))
    # Thread context is evidence of its own: a question about the PRD in the thread can be
    # answered from it even when the knowledge base has nothing close.
    from_context = conversation is not None and bool(conversation.context.strip())
    if not deps.llm.enabled:
        if not strong:
            return Outcome(_decline(question, passages, lang))
        kind = asked_kind(question)
        ranked = ranked_sentences(deps, question, passages, kind)
        checked = NAME_SENTENCES if kind in _READ_FURTHER else CHECKED_SENTENCES
        closest = _closest(ranked, passages, about, checked)
        unstated = missing(question, [sentence.text for sentence in closest])
        if unstated is not None and about is not None:
            # Before saying the document doesn't state it, read further into that document: its answer is often in a
            # section the question shares few words with. The decision stays with the sentences closest to the
            # question, now over more of its passages.
            more = _unread(deps, question, passages, about, DEEPER_PASSAGES, doctypes, folders)
            if more:
                wider = [*passages, *more]
                ranked_wider = ranked_sentences(deps, question, wider, kind)
                if missing(question, [s.text for s in _closest(ranked_wider, wider, about, checked)]) is None:
                    passages, ranked, unstated = wider, ranked_wider, None
        if unstated is not None:
            return Outcome(_decline_unstated(question, passages, closest, unstated, lang))
        note, off = say("answers.extractive_note", lang), say("llm.off", lang)
        return Outcome(_extractive(question, passages, ranked, note, off), fallback="off")
    if not strong and not from_context:
        return Outcome(_decline(question, passages, lang))
    try:
        # The model reads k passages; only the offline sentence search looks further into the named document.
        return generate(deps, question, passages[:k], conversation, on_token, lang)
    except LLMError as error:
        log.warning("generation failed, answering extractively: %s", error)
        # Never cached: the next asker should get a written answer once the provider recovers.
        if not strong:
            declined = _decline(question, passages, lang)
            declined.notice = notice(error, lang)
            return Outcome(declined, fallback="failed", cacheable=False)
        ranked = ranked_sentences(deps, question, passages, asked_kind(question))
        quoted = _extractive(question, passages, ranked, say("answers.fallback_note", lang), notice(error, lang))
        return Outcome(quoted, fallback="failed", cacheable=False)


def answer_question(
    deps: Deps,
    question: str,
    *,
    k: int | None = None,
    doctypes: Iterable[str] | None = None,
    conversation: Conversation | None = None,
    on_token: OnToken | None = None,
    folders: Iterable[str] | None = None,
    lang: str | None = None,
) -> Reply:
    """Serve from the answer cache, or retrieve, then decline, generate with citations, or quote.

    `question` is as the façade's validation left it (bot.copilot): whitespace collapsed, within MAX_QUESTION_CHARS.
    folders: the channel's scope (`bot.knowledge.scopes`); None searches all of the knowledge.
    lang: the language to answer in (`bot.core.language`); None detects it from the question.
    """
    started = time.perf_counter()
    lang = language(lang) or detect(question)
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
        lang=lang,
    )
    hit = cache.get(key)
    if hit is not None:
        hit.question, hit.cached = question, True
        hit.latency_ms = round((time.perf_counter() - started) * 1000, 1)
        link_sources(deps, hit)
        if on_token is not None:
            on_token(hit.markdown)
        fallback: Fallback | None = None if hit.mode == "generated" or not hit.answered else "off"
        _record(deps, Outcome(hit, fallback=fallback), model, prompt_version)
        return hit
    outcome = _compose(deps, question, k, doctypes, conversation, on_token, folders, lang)
    answer = outcome.answer
    answer.lang = lang
    # Quotes come straight from the documents, which may hold a pasted key: never reply or cache one.
    answer.markdown = redact(answer.markdown)
    answer.latency_ms = round((time.perf_counter() - started) * 1000, 1)
    if outcome.cacheable:
        cache.put(key, answer)
    link_sources(deps, answer)
    _record(deps, outcome, model, prompt_version)
    return answer


def _record(deps: Deps, outcome: Outcome, model: str, prompt_version: str) -> None:
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
