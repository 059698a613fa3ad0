"""Generated answers end to end: real retrieval, real ChatOpenAI, a loopback OpenAI endpoint, real Redis."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest

from bot.answers import generated
from bot.answers.answer import FALLBACK_NOTE, UNVERIFIED_WARNING, answer_question
from bot.answers.types import Conversation
from bot.core.llm import BUSY_NOTICE, KEY_NOTICE, LLM, MALFORMED_NOTICE, QUOTA_NOTICE
from bot.core.metrics import Metrics, window_stats
from bot.core.pricing import PriceTable
from bot.core.redact import redact
from bot.core.store import RedisStore
from bot.wiring import Deps
from tests.conftest import REDIS_URL
from tests.openai_server import (
    OpenAIServer,
    Step,
    claims_reply,
    hang,
    insufficient_quota,
    malformed,
    prompt_sources,
    quotable,
    quoting,
    rate_limited,
    reply,
    responding,
    server_error,
    unauthorized,
)

SUMMARIZER = "What is the p95 latency target for the ticket thread summarizer?"
OFF_TOPIC = "What is the capital of Australia?"


def generating(base: Deps, server: OpenAIServer, prefix: str, **overrides: object) -> Deps:
    """The bundled index with an LLM at `server`, and answers, cache and metrics in Redis under `prefix`."""
    values: dict[str, object] = {
        "openai_api_key": "sk-test-loopback-0000000000000000",
        "openai_base_url": server.base_url,
        # Generous for the loopback server: on a busy machine a 2 s timeout retried into the default reply.
        "llm_timeout_s": 5.0,
        "llm_budget_s": 15.0,
        "llm_max_retries": 2,
        "cache_prefix": prefix,
    }
    values.update(overrides)
    settings = base.settings.model_copy(update=values)
    store = RedisStore(REDIS_URL, prefix)
    prices = PriceTable()
    return dataclasses.replace(
        base, settings=settings, store=store, llm=LLM(settings, prices, backoff_base_s=0.05), metrics=Metrics(store)
    )


def sent_user_message(server: OpenAIServer, index: int = -1) -> str:
    content: str = server.requests[index]["body"]["messages"][-1]["content"]
    return content


def numbered_paths(prompt: str) -> dict[int, str]:
    """Source number -> path, as the prompt listed them."""
    return {int(n): path for n, path in re.findall(r"^\[(\d+)\] .*\((\S+\.md)\)$", prompt, re.M)}


def test_a_cited_answer_lists_the_cited_sources(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(responding(quoting([1, 2]), tokens_in=900))
    answer = answer_question(deps, SUMMARIZER)
    assert answer.answered and answer.mode == "generated" and not answer.unverified
    prompt = sent_user_message(openai_server)
    texts = prompt_sources(openai_server.requests[0]["body"])
    quotes = [quotable(texts[1]).rstrip("."), quotable(texts[2]).rstrip(".")]
    assert answer.markdown == f"The source says: {quotes[0]} [1]. The source says: {quotes[1]} [2]."
    listed = numbered_paths(prompt)
    assert len(listed) == 5 and SUMMARIZER in prompt
    assert [source.path for source in answer.sources] == [listed[1], listed[2]]
    assert "prds/ticket-thread-summarizer.md" in listed.values()
    system = openai_server.requests[0]["body"]["messages"][0]
    assert system["role"] == "system" and '"quote"' in system["content"]
    assert answer.as_json().keys() == {"question", "answered", "answer", "mode", "sources", "latency_ms", "lang"}


def test_fabricated_citations_are_dropped_and_the_rest_renumbered(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    invented = ("Per the leaked memo, costs doubled.", 9, "costs doubled according to the leaked memo")
    openai_server.script(responding(quoting([3, 4, 3], invented=invented)))
    answer = answer_question(deps, SUMMARIZER)
    listed = numbered_paths(sent_user_message(openai_server))
    assert re.fullmatch(
        r"The source says: [^\[]+ \[1\]\. The source says: [^\[]+ \[2\]\. The source says: [^\[]+ \[1\]\.",
        answer.markdown,
    )
    assert "leaked memo" not in answer.markdown
    assert [source.path for source in answer.sources] == [listed[3], listed[4]]
    events = deps.store.events_since("answers", 0)
    assert '"citations_dropped": 1' in events[-1]


def test_an_answer_with_no_provable_claim_is_a_decline_not_an_unverified_answer(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(claims_reply(("Two seconds, probably.", 7, "two seconds, probably"), ("Fast.", 1, "")))
    answer = answer_question(deps, SUMMARIZER)
    assert not answer.answered and not answer.unverified and answer.mode == "generated"
    assert answer.markdown.startswith("I don't know") and UNVERIFIED_WARNING not in answer.markdown
    assert len(answer.sources) == 3


def test_the_model_saying_it_does_not_know_is_a_decline(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(claims_reply(status="missing", missing_fact="a p95 target"))
    answer = answer_question(deps, SUMMARIZER)
    assert not answer.answered and answer.mode == "generated" and not answer.unverified
    assert answer.markdown.startswith("I don't know: the sources don't say a p95 target.") and len(answer.sources) == 3


def test_weak_evidence_declines_without_calling_the_llm(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    answer = answer_question(deps, OFF_TOPIC)
    assert not answer.answered and answer.markdown.startswith("I don't know")
    assert openai_server.calls == 0


def test_streaming_shows_the_grounded_text_as_it_arrives(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(
        responding(quoting([2, 1, 3, 2], invented=("Check cost per ticket.", 8, "check cost per ticket")))
    )
    tokens: list[str] = []
    answer = answer_question(deps, SUMMARIZER, on_token=tokens.append)
    assert len(tokens) == 4  # each proven claim as it was complete; the invented one never shown
    assert "".join(tokens) == answer.markdown
    assert [re.findall(r"\[\d\]", token) for token in tokens] == [["[1]"], ["[2]"], ["[3]"], ["[1]"]]
    assert openai_server.requests[0]["body"]["stream"] is True
    hit: list[str] = []
    again = answer_question(deps, SUMMARIZER, on_token=hit.append)
    assert again.cached and hit == [answer.markdown]


def test_429_with_retry_after_then_a_generated_answer(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(rate_limited(retry_after_s=1), responding(quoting([1])))
    answer = answer_question(deps, SUMMARIZER)
    assert answer.mode == "generated" and answer.notice is None
    assert openai_server.calls == 2
    assert openai_server.request_times[1] - openai_server.request_times[0] >= 0.95


@pytest.mark.parametrize(
    ("step", "overrides", "notice", "calls"),
    [
        (server_error(), {"llm_max_retries": 2}, BUSY_NOTICE, 3),
        (hang(10), {"llm_timeout_s": 0.6, "llm_budget_s": 2.0, "llm_max_retries": 5}, BUSY_NOTICE, None),
        (malformed(), {"llm_max_retries": 1}, MALFORMED_NOTICE, 2),
        (reply("Plain prose instead of the JSON asked for [1]."), {}, MALFORMED_NOTICE, 1),
        (unauthorized(), {}, KEY_NOTICE, 1),
        (insufficient_quota(), {}, QUOTA_NOTICE, 1),
    ],
    ids=["repeated-500", "timeout", "malformed", "not-json", "401", "insufficient_quota"],
)
def test_llm_failures_fall_back_to_the_extractive_answer(
    bundled_deps: Deps,
    openai_server: OpenAIServer,
    redis_prefix: str,
    step: Step,
    overrides: dict[str, object],
    notice: str,
    calls: int | None,
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix, **overrides)
    openai_server.default = step
    started = time.monotonic()
    answer = answer_question(deps, SUMMARIZER)
    elapsed = time.monotonic() - started
    assert answer.answered and answer.mode == "extractive"
    assert answer.markdown.startswith(FALLBACK_NOTE) and "[1]" in answer.markdown
    assert answer.notice == notice
    assert "Traceback" not in answer.markdown and "sk-test" not in answer.markdown
    assert "prds/ticket-thread-summarizer.md" in [source.path for source in answer.sources]
    assert elapsed < deps.settings.llm_budget_s + 1.5
    if calls is not None:
        assert openai_server.calls == calls
    if calls == 1:
        assert elapsed < 1.5  # rejected or unusable at once, no backoff
    # A fallback is never cached: once the provider recovers, the next asker gets a written answer.
    openai_server.default = responding(quoting([1]))
    assert answer_question(deps, SUMMARIZER).mode == "generated"


def test_history_is_trimmed_to_the_token_budget_oldest_first(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix, max_history_tokens=120)
    history = [
        ("user", "OLDEST question about rollout " + "detail " * 200),
        ("assistant", "OLD answer about rollout " + "detail " * 200),
        ("user", "RECENT question: which metric matters most?"),
        ("assistant", "RECENT answer: the p95 latency [1]."),
    ]
    conversation = Conversation(scope="T1:C1:1700000000.000100", history=history)
    openai_server.script(responding(quoting([1])))
    answer_question(deps, SUMMARIZER, conversation=conversation)
    messages = openai_server.requests[0]["body"]["messages"]
    sent = [message["content"] for message in messages[1:-1]]
    assert sent == [history[2][1], history[3][1]]
    assert [message["role"] for message in messages] == ["system", "user", "assistant", "user"]


def test_only_the_turns_that_fit_are_redacted(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One huge old message in a thread must not cost every later question its redaction.
    deps = generating(bundled_deps, openai_server, redis_prefix, max_history_tokens=120)
    redacted: list[str] = []

    def recording(text: str) -> str:
        redacted.append(text)
        return redact(text)

    monkeypatch.setattr(generated, "redact", recording)
    huge = "HUGE " + "a-a-a- " * 20_000
    history = [("user", huge), ("assistant", "OLD answer"), ("user", "RECENT question?"), ("assistant", "RECENT [1].")]
    openai_server.script(responding(quoting([1])))
    answer_question(deps, SUMMARIZER, conversation=Conversation(scope="T1:C1:1700000000.000300", history=history))
    assert not [text for text in redacted if text.startswith("HUGE")]
    assert {"RECENT question?", "RECENT [1]."} <= set(redacted)


def test_thread_context_uses_the_follow_up_prompt_and_can_be_cited(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    prd = "PRD: Refund copilot. Launch bar: refund accuracy 97% on the golden set. Owner: Priya."
    conversation = Conversation(scope="T1:C9:1700000000.000200", context=prd)
    openai_server.script(claims_reply(("The launch bar is 97% refund accuracy on the golden set.", "thread", prd)))
    answer = answer_question(deps, "What is the refund copilot's launch bar?", conversation=conversation)
    assert answer.answered and not answer.unverified
    assert answer.markdown == f"The launch bar is 97% refund accuracy on the golden set [thread] (“{prd}”)."
    prompt = sent_user_message(openai_server)
    assert "Thread context" in prompt and prd in prompt


def test_secrets_never_reach_the_llm(bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    conversation = Conversation(scope="T1:C1:1", context=f"Our key is {secret}", history=[("user", f"use {secret}")])
    openai_server.script(claims_reply(("Never paste keys.", "thread", "Our key is")))
    answer_question(deps, f"Why does {secret} give 429 for the summarizer?", conversation=conversation)
    assert secret not in str(openai_server.requests[0]["body"])


def test_each_answer_records_its_cost_and_tokens(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(responding(quoting([1]), tokens_in=2000, tokens_out=100))
    answer_question(deps, SUMMARIZER)
    stats = window_stats(deps.store, "24h", 86400)
    assert stats.questions == 1
    assert stats.cost_usd == pytest.approx((2000 * 0.15 + 100 * 0.60) / 1_000_000)
    text = deps.store.events_since("answers", 0)[0]
    assert '"tokens_in": 2000' in text and '"model": "gpt-4o-mini"' in text and '"prompt_version": "' in text
