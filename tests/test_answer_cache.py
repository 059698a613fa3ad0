"""The answer cache in real Redis: hits skip the LLM, reindex and prompt edits invalidate, scopes never leak."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from bot.answers.answer import answer_question
from bot.answers.cache import normalise
from bot.answers.types import Conversation
from bot.cli import cli
from bot.core import prompts
from bot.core.store import RedisStore
from bot.wiring import Deps
from tests.conftest import REDIS_URL, HashingEmbeddings
from tests.openai_server import OpenAIServer, claims_reply, quoting, responding
from tests.test_answers_generated import SUMMARIZER, generating

MakeDeps = Callable[..., Deps]


def test_a_repeated_question_is_served_from_the_cache_without_the_llm(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.default = responding(quoting([1]))
    first = answer_question(deps, SUMMARIZER)
    assert not first.cached and openai_server.calls == 1
    for variant in (SUMMARIZER, "  what is the P95 latency target for the ticket thread summarizer  ", SUMMARIZER[:-1]):
        again = answer_question(deps, variant)
        assert again.cached and again.markdown == first.markdown and again.sources == first.sources
    assert openai_server.calls == 1
    different = answer_question(deps, SUMMARIZER, k=3)
    assert not different.cached and openai_server.calls == 2


def test_a_reindex_invalidates_cached_answers(
    make_deps: MakeDeps,
    knowledge_copy: Path,
    hashing_model: HashingEmbeddings,
    openai_server: OpenAIServer,
    redis_prefix: str,
) -> None:
    deps = make_deps(
        knowledge_copy,
        hashing_model,
        redis_url=REDIS_URL,
        cache_prefix=redis_prefix,
        openai_api_key="sk-test-loopback-0000000000000000",
        openai_base_url=openai_server.base_url,
        min_evidence=0.0,
    )
    deps.index.reindex()
    openai_server.default = responding(quoting([1]))
    question = "What does the ticket thread summarizer cost per ticket?"
    answer_question(deps, question)
    assert answer_question(deps, question).cached and openai_server.calls == 1
    prd = knowledge_copy / "prds" / "ticket-thread-summarizer.md"
    prd.write_text(prd.read_text() + "\n\n## Cost update\n\nThe cap is now 0.4 cents per ticket.\n")
    report = deps.index.reindex()
    assert report.updated == 1
    fresh = answer_question(deps, question)
    assert not fresh.cached and openai_server.calls == 2


def test_an_answer_from_a_thread_is_never_served_in_another_scope(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    private = "PRD (private): Project Falcon ships on 3 March; launch bar 95% refund accuracy."
    question = "When does Project Falcon ship?"
    openai_server.default = claims_reply(("On 3 March.", "thread", "Project Falcon ships on 3 March"))
    in_thread = Conversation(scope="T111:C_PRIVATE:1700000000.000100", context=private)
    shipped = answer_question(deps, question, conversation=in_thread).markdown
    assert shipped == "On 3 March [thread] (“Project Falcon ships on 3 March”)."
    assert answer_question(deps, question, conversation=in_thread).cached
    assert openai_server.calls == 1

    openai_server.default = claims_reply(status="missing", missing_fact="when Project Falcon ships")
    elsewhere = [
        Conversation(scope="T111:C_PUBLIC:1700000000.000900", context=private),  # another channel
        Conversation(scope="T222:C_PRIVATE:1700000000.000100", context=private),  # another workspace
        Conversation(scope="T111:C_PRIVATE:1700000000.000100", context="a different thread root"),
    ]
    for conversation in elsewhere:
        answer = answer_question(deps, question, conversation=conversation)
        assert not answer.cached and "3 March" not in answer.markdown
    assert openai_server.calls == 1 + len(elsewhere)
    outside = answer_question(deps, question)  # no conversation: the workspace-wide path
    assert not outside.cached and "3 March" not in outside.markdown


def test_answer_cache_false_turns_it_off(bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix, answer_cache=False)
    for _ in range(2):
        assert not answer_question(deps, SUMMARIZER).cached
    assert openai_server.calls == 2


def test_cached_answers_expire_after_their_ttl(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix, answer_cache_ttl_s=1)
    answer_question(deps, SUMMARIZER)
    assert answer_question(deps, SUMMARIZER).cached
    time.sleep(1.1)
    assert not answer_question(deps, SUMMARIZER).cached
    assert openai_server.calls == 2


def test_a_prompt_change_misses_the_cache(
    bundled_deps: Deps,
    openai_server: OpenAIServer,
    redis_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.default = responding(quoting([1]))
    assert not answer_question(deps, SUMMARIZER).cached
    assert answer_question(deps, SUMMARIZER).cached and openai_server.calls == 1

    # Edit the answer template, as a deploy with a reworded prompt would.
    edited = tmp_path / "prompts"
    shutil.copytree(prompts.PROMPTS_DIR, edited)
    template = edited / "answer.md"
    template.write_text(template.read_text(encoding="utf-8") + "\nAnswer in at most three sentences.\n")
    monkeypatch.setattr(prompts, "PROMPTS_DIR", edited)

    again = answer_question(deps, SUMMARIZER)
    assert not again.cached and openai_server.calls == 2
    sent = json.dumps(openai_server.requests[-1]["body"]["messages"])
    assert "at most three sentences" in sent
    assert answer_question(deps, SUMMARIZER).cached and openai_server.calls == 2  # cached under the new prompt


def test_extractive_answers_are_cached_too(bundled_deps: Deps, redis_prefix: str) -> None:
    settings = bundled_deps.settings.model_copy(update={"cache_prefix": redis_prefix})
    deps = dataclasses.replace(bundled_deps, settings=settings, store=RedisStore(REDIS_URL, redis_prefix))
    first = answer_question(deps, SUMMARIZER)
    again = answer_question(deps, SUMMARIZER)
    assert first.mode == again.mode == "extractive" and again.cached and again.markdown == first.markdown
    assert again.notice == first.notice


def test_cache_clear_empties_the_prefix(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    answer_question(deps, SUMMARIZER)
    client = redis.Redis.from_url(REDIS_URL)
    other = f"{redis_prefix}x:answer:keep"
    client.set(other, "1", ex=60)
    try:
        assert any(key.startswith(f"{redis_prefix}:answer:".encode()) for key in client.scan_iter(f"{redis_prefix}:*"))
        # The CLI configures logging for its process; keep pytest's handlers for the tests after this one.
        monkeypatch.setattr(logging.getLogger(), "handlers", logging.getLogger().handlers[:])
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        monkeypatch.setenv("CACHE_PREFIX", redis_prefix)
        result = CliRunner().invoke(cli, ["cache", "clear", "--answers-only"])
        assert result.exit_code == 0 and "removed 1 keys" in result.output
        assert list(client.scan_iter(f"{redis_prefix}:answer:*")) == []
        assert deps.store.events_since("answers", 0)  # metrics kept
        result = CliRunner().invoke(cli, ["cache", "clear"])
        assert result.exit_code == 0
        assert list(client.scan_iter(f"{redis_prefix}:*")) == []
        assert client.get(other) == b"1"  # another prefix is untouched
    finally:
        client.delete(other)
        client.close()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is a fallback rate?", "what is a fallback rate"),
        ("What  is\ta fallback rate ?", "What is a fallback rate"),
        ("Was ist eine Fallback-Rate？", "was ist eine fallback-rate"),
    ],
)
def test_normalise_ignores_case_spacing_and_end_punctuation(a: str, b: str) -> None:
    assert normalise(a) == normalise(b)


def test_normalise_keeps_meaningful_differences() -> None:
    assert normalise("What is p95?") != normalise("What is p50?")
