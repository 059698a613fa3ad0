"""The LLM client against a loopback OpenAI endpoint: retries, budgets, rejections, streaming, structure."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import load_settings
from bot.core import prompts
from bot.core.llm import (
    BUSY_NOTICE,
    KEY_NOTICE,
    LLM,
    MALFORMED_NOTICE,
    QUOTA_NOTICE,
    as_messages,
    backoff,
    retry_after,
)
from bot.exceptions import LLMRejected, LLMUnavailable
from tests.openai_server import (
    OpenAIServer,
    Step,
    error,
    hang,
    insufficient_quota,
    malformed,
    rate_limited,
    reply,
    server_error,
    unauthorized,
)

MESSAGES = as_messages("You are terse.", [("user", "Earlier question"), ("assistant", "Earlier answer")], "Hi?")
# The answer prompt names the language to write in and how to say "I don't know" in it.
LANGUAGE = {"language": "English", "dont_know": "I don't know"}


def make_llm(server: OpenAIServer, tmp_path: Path, **overrides: object) -> LLM:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "openai_api_key": "sk-test-loopback-0000000000000000",
        "openai_base_url": server.base_url,
        "llm_timeout_s": 2.0,
        "llm_budget_s": 6.0,
        "llm_max_retries": 3,
    }
    values.update(overrides)
    return LLM(load_settings(**values), backoff_base_s=0.05)


def test_a_reply_carries_its_tokens_and_cost(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(reply("Ship it [1].", tokens_in=1000, tokens_out=200))
    completion = make_llm(openai_server, tmp_path).complete(MESSAGES)
    assert completion.text == "Ship it [1]."
    assert (completion.tokens_in, completion.tokens_out, completion.attempts) == (1000, 200, 1)
    assert completion.cost_usd == pytest.approx((1000 * 0.15 + 200 * 0.60) / 1_000_000)
    sent = openai_server.requests[0]
    assert sent["headers"]["authorization"] == "Bearer sk-test-loopback-0000000000000000"
    assert sent["body"]["model"] == "gpt-4o-mini"
    assert [m["role"] for m in sent["body"]["messages"]] == ["system", "user", "assistant", "user"]


@pytest.mark.parametrize(("model", "temperature"), [("gpt-4o-mini", 0.1), ("o3-mini", None), ("gpt-5-mini", None)])
def test_reasoning_models_get_their_default_temperature(
    openai_server: OpenAIServer, tmp_path: Path, model: str, temperature: float | None
) -> None:
    make_llm(openai_server, tmp_path, llm_model=model).complete(MESSAGES)
    assert openai_server.requests[0]["body"].get("temperature") == temperature


def test_streaming_delivers_deltas_and_usage(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(reply("Keep the eval set frozen [2].", tokens_in=300, tokens_out=7))
    deltas: list[str] = []
    completion = make_llm(openai_server, tmp_path).complete(MESSAGES, on_delta=deltas.append)
    assert len(deltas) > 3 and "".join(deltas) == completion.text == "Keep the eval set frozen [2]."
    assert (completion.tokens_in, completion.tokens_out) == (300, 7)
    body = openai_server.requests[0]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_429_with_retry_after_waits_then_succeeds(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(rate_limited(retry_after_s=1), reply("Done [1]."))
    completion = make_llm(openai_server, tmp_path).complete(MESSAGES)
    assert completion.text == "Done [1]." and completion.attempts == 2
    waited = openai_server.request_times[1] - openai_server.request_times[0]
    assert 0.95 <= waited < 1.8


def test_retry_after_longer_than_the_budget_gives_up_at_once(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(rate_limited(retry_after_s=30))
    started = time.monotonic()
    with pytest.raises(LLMUnavailable) as raised:
        make_llm(openai_server, tmp_path, llm_budget_s=5).complete(MESSAGES)
    assert time.monotonic() - started < 1.0
    assert openai_server.calls == 1 and raised.value.notice == BUSY_NOTICE


def test_repeated_500s_retry_with_backoff_then_give_up(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = server_error()
    with pytest.raises(LLMUnavailable) as raised:
        make_llm(openai_server, tmp_path, llm_max_retries=2).complete(MESSAGES)
    assert openai_server.calls == 3
    assert raised.value.notice == BUSY_NOTICE
    gaps = [b - a for a, b in zip(openai_server.request_times, openai_server.request_times[1:], strict=False)]
    assert gaps[1] > gaps[0] * 0.9  # backoff grows (with jitter within each step's upper half)


def test_timeouts_stay_within_the_budget(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = hang(10)
    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="timed out"):
        make_llm(openai_server, tmp_path, llm_timeout_s=0.6, llm_budget_s=2.0, llm_max_retries=5).complete(MESSAGES)
    assert time.monotonic() - started < 2.6
    assert openai_server.calls >= 2


@pytest.mark.parametrize(
    ("step", "notice"),
    [
        (unauthorized(), KEY_NOTICE),
        (insufficient_quota(), QUOTA_NOTICE),
        (error(403, "unsupported_country_region_territory", "Country not supported."), "permissions"),
        (error(404, "model_not_found", "The model `gpt-9` does not exist."), "LLM_MODEL"),
    ],
    ids=["401", "insufficient_quota", "403", "404-model"],
)
def test_rejections_are_final_after_one_call(
    openai_server: OpenAIServer, tmp_path: Path, step: Step, notice: str
) -> None:
    openai_server.default = step
    with pytest.raises(LLMRejected) as raised:
        make_llm(openai_server, tmp_path).complete(MESSAGES)
    assert openai_server.calls == 1
    assert notice in raised.value.notice
    assert "sk-test-loopback" not in str(raised.value)


@pytest.mark.parametrize(
    "step",
    [malformed(), malformed('{"id": "x", "choices": "nope"}'), malformed("<html>Bad gateway</html>"), reply("  ")],
    ids=["truncated-json", "wrong-shape", "html", "empty"],
)
def test_malformed_or_empty_replies_are_failures(openai_server: OpenAIServer, tmp_path: Path, step: Step) -> None:
    openai_server.default = step
    with pytest.raises(LLMUnavailable) as raised:
        make_llm(openai_server, tmp_path, llm_max_retries=1).complete(MESSAGES)
    assert openai_server.calls == 2
    assert raised.value.notice == MALFORMED_NOTICE


def test_a_malformed_reply_then_a_good_one_succeeds(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(malformed(), reply("Recovered [1]."))
    assert make_llm(openai_server, tmp_path).complete(MESSAGES).text == "Recovered [1]."


class Criteria(BaseModel):
    feature: str
    metrics: list[str]


def test_structured_output_parses_into_the_schema(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.script(reply('{"feature": "summarizer", "metrics": ["faithfulness", "p95 latency"]}'))
    result = make_llm(openai_server, tmp_path).structured(
        "answer", {"sources": "[1] PRD", "question": "What to measure?", **LANGUAGE}, Criteria
    )
    assert result == Criteria(feature="summarizer", metrics=["faithfulness", "p95 latency"])
    body = openai_server.requests[0]["body"]
    assert body["messages"][0]["content"] == prompts.load("structured-system").render()
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Criteria"


def test_structured_output_that_does_not_fit_is_a_failure(openai_server: OpenAIServer, tmp_path: Path) -> None:
    openai_server.default = reply('{"feature": 3}')
    with pytest.raises(LLMUnavailable):
        make_llm(openai_server, tmp_path, llm_max_retries=1).structured(
            "answer", {"sources": "", "question": "?", **LANGUAGE}, Criteria
        )


def test_without_a_key_nothing_is_called(openai_server: OpenAIServer, tmp_path: Path) -> None:
    llm = make_llm(openai_server, tmp_path, openai_api_key=None)
    assert not llm.enabled
    with pytest.raises(LLMUnavailable, match="no LLM configured"):
        llm.complete(MESSAGES)
    assert openai_server.calls == 0


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_parsing(headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


def test_retry_after_as_an_http_date() -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 5))
    assert 3.5 < (retry_after({"retry-after": when}) or 0) <= 5.0


def test_backoff_grows_exponentially_with_jitter() -> None:
    for attempt in (1, 2, 3):
        ceiling = 0.5 * 2 ** (attempt - 1)
        assert all(ceiling / 2 <= backoff(attempt) <= ceiling for _ in range(50))
    assert backoff(10) <= 4.0
