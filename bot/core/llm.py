"""The language model: any OpenAI-compatible chat endpoint through langchain-openai's ChatOpenAI.

ChatOpenAI's own retries are off; `LLM` retries with tenacity instead, so that every wait fits one
time budget (LLM_BUDGET_S) and a user gets the extractive answer within it when the endpoint fails:

    429 (rate limit), 5xx, timeouts, refused connections,
    malformed or empty completions                       -> retry: Retry-After, else exponential backoff
                                                            with jitter; LLMUnavailable when the retries
                                                            or the budget run out
    401, 403, 404, 429 insufficient_quota, other 4xx     -> LLMRejected at once (retrying won't help)

Both errors carry a one-line `notice` in PM terms for the surfaces to show.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
import tenacity
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from bot.config import Settings
from bot.core import prompts
from bot.core.i18n import say
from bot.core.pricing import PriceTable
from bot.core.redact import redact
from bot.core.tokens import count_tokens
from bot.exceptions import LLMError, LLMRejected, LLMUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
OnDelta = Callable[[str], None]

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 4.0
# Never start an attempt with less time than this left: it could only time out.
MIN_ATTEMPT_S = 0.25

STRUCTURED_SYSTEM = "structured-system"

OFF_NOTICE = say("llm.off", "en")
BUSY_NOTICE = say("llm.busy", "en")
MALFORMED_NOTICE = say("llm.malformed", "en")
UNREACHABLE_NOTICE = say("llm.unreachable", "en")
KEY_NOTICE = say("llm.key", "en")
QUOTA_NOTICE = say("llm.quota", "en")
FORBIDDEN_NOTICE = say("llm.forbidden", "en")


# What one attempt may raise: the client's errors, a stream over its time, and a reply that isn't a completion.
_ATTEMPT_ERRORS = (openai.OpenAIError, TimeoutError, ValueError, TypeError, KeyError, AttributeError, ValidationError)


class _Retryable(Exception):
    """One attempt failed in a way another attempt may not."""

    def __init__(self, reason: str, notice_key: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.notice_key = notice_key
        self.notice = say(notice_key, "en")
        self.retry_after_s = retry_after_s


def _rejected(message: str, notice_key: str, **values: object) -> LLMRejected:
    return LLMRejected(
        message, notice=say(notice_key, "en", **values), notice_key=notice_key, notice_values=dict(values)
    )


@dataclass
class Completion:
    """A model reply with what it cost."""

    text: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0
    attempts: int = 1
    latency_ms: float = 0.0


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_code(error: openai.APIStatusError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    return str(error.code or detail.get("code") or detail.get("type") or "")


def classify(error: Exception, model: str) -> LLMError | _Retryable:
    """Map an exception from one attempt to a final LLMError or a retryable failure."""
    if isinstance(error, openai.APITimeoutError | TimeoutError):
        return _Retryable("timed out", "llm.busy")
    if isinstance(error, openai.APIConnectionError):
        return _Retryable(f"connection failed: {error}", "llm.unreachable")
    if isinstance(error, openai.APIStatusError):
        status, code = error.status_code, _error_code(error)
        message = redact(f"HTTP {status} ({code}) {error.message}")
        if status == 429 and "insufficient_quota" in code:
            return _rejected(message, "llm.quota")
        if status in (408, 409, 429) or status >= 500:
            return _Retryable(message, "llm.busy", retry_after(error.response.headers))
        if status == 401:
            return _rejected(message, "llm.key")
        if status == 403:
            return _rejected(message, "llm.forbidden")
        if status == 404:
            return _rejected(message, "llm.no_model", model=repr(model))
        return _rejected(message, "llm.refused", status=status)
    # Anything else came from reading the reply: a body that isn't a completion.
    return _Retryable(redact(f"malformed reply: {type(error).__name__}: {error}"), "llm.malformed")


def backoff(attempt: int, base_s: float = BACKOFF_BASE_S) -> float:
    """Exponential backoff with jitter: about base·2^(n-1), spread over its upper half."""
    ceiling = min(BACKOFF_CAP_S, base_s * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    raise TypeError(f"unexpected content type {type(content).__name__}")


def as_messages(system: str, history: Sequence[tuple[str, str]], user: str) -> list[BaseMessage]:
    """System prompt, earlier turns (role "user" or "assistant"), then the new user message."""
    messages: list[BaseMessage] = [SystemMessage(system)]
    for role, text in history:
        messages.append(AIMessage(text) if role in ("assistant", "ai", "bot") else HumanMessage(text))
    messages.append(HumanMessage(user))
    return messages


class LLM:
    """Chat completions with retries inside a time budget, cost accounting and structured output."""

    def __init__(self, settings: Settings, prices: PriceTable | None = None, backoff_base_s: float = BACKOFF_BASE_S):
        self.settings = settings
        self.model = settings.llm_model
        self.prices = prices or PriceTable()
        self.backoff_base_s = backoff_base_s
        self._chat: Any = None

    @property
    def enabled(self) -> bool:
        return self.settings.llm_enabled

    @property
    def chat(self) -> Any:
        """The ChatOpenAI client, built on first use (no network until then)."""
        if self._chat is None:
            from langchain_openai import ChatOpenAI

            self._chat = ChatOpenAI(
                api_key=self.settings.openai_api_key,  # type: ignore[arg-type]
                base_url=self.settings.openai_base_url,
                model=self.model,
                timeout=self.settings.llm_timeout_s,
                max_retries=0,
                # Low temperature keeps answers close to the sources; reasoning models (o1, o3, gpt-5…)
                # accept only their default and reject the request otherwise.
                temperature=None if re.match(r"^(o\d|gpt-5)", self.model) else 0.1,
                stream_usage=True,
            )
        return self._chat

    def complete(
        self,
        messages: Sequence[BaseMessage],
        *,
        on_delta: OnDelta | None = None,
        max_tokens: int | None = None,
        response_format: Mapping[str, Any] | None = None,
    ) -> Completion:
        """One reply to `messages`, streamed to `on_delta` if given; raises LLMError subclasses.

        `response_format` goes to the endpoint as is (e.g. a JSON schema); the reply's text is not parsed here.
        """

        def attempt(timeout_s: float, streamed: list[bool]) -> Completion:
            kwargs: dict[str, Any] = {"timeout": timeout_s}
            if max_tokens:
                kwargs["max_tokens"] = max_tokens
            if response_format:
                kwargs["response_format"] = dict(response_format)
            if on_delta is None:
                message = self.chat.invoke(list(messages), **kwargs)
                return self._completion(_text(message.content), message.usage_metadata, messages)
            deadline = time.monotonic() + timeout_s
            parts: list[str] = []
            usage = None
            for chunk in self.chat.stream(list(messages), **kwargs):
                delta = _text(chunk.content)
                if delta:
                    parts.append(delta)
                    streamed[0] = True
                    on_delta(delta)
                usage = chunk.usage_metadata or usage
                if time.monotonic() > deadline:
                    raise TimeoutError("the stream outlasted its time budget")
            return self._completion("".join(parts), usage, messages)

        return self._with_retries(attempt)

    def structured(
        self,
        prompt_name: str,
        variables: Mapping[str, object],
        schema: type[T],
        *,
        system: str = STRUCTURED_SYSTEM,
    ) -> T:
        """Render the prompt <prompt_name> (values redacted) and parse the reply into `schema` (JSON schema output).

        `system` names the system prompt; raises PromptError for a missing template or variable, and
        LLMError subclasses when the endpoint fails or the reply doesn't fit the schema.
        """
        if not self.enabled:
            raise LLMUnavailable("no LLM configured", notice=OFF_NOTICE, notice_key="llm.off")
        user = prompts.load(prompt_name).render(**{name: redact(str(value)) for name, value in variables.items()})
        messages = as_messages(prompts.load(system).render(), [], user)
        runnable = self.chat.with_structured_output(schema, method="json_schema", include_raw=True)
        parsed: list[T] = []

        def attempt(timeout_s: float, streamed: list[bool]) -> Completion:
            result = runnable.invoke(messages, timeout=timeout_s)
            if result.get("parsing_error") is not None or not isinstance(result.get("parsed"), schema):
                raise ValueError(f"reply doesn't fit {schema.__name__}: {result.get('parsing_error')}")
            raw = result["raw"]
            completion = self._completion(_text(raw.content) or "{}", raw.usage_metadata, messages)
            parsed.append(result["parsed"])
            return completion

        self._with_retries(attempt)
        return parsed[-1]

    def _completion(self, text: str, usage: Any, messages: Sequence[BaseMessage]) -> Completion:
        if not text.strip():
            raise ValueError("empty completion")
        if usage:
            tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        else:
            # Some OpenAI-compatible servers report no usage; count it ourselves.
            tokens_in = sum(count_tokens(_text(message.content)) + 4 for message in messages)
            tokens_out = count_tokens(text)
        return Completion(
            text=text,
            model=self.model,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self.prices.cost(self.model, tokens_in, tokens_out),
        )

    def _with_retries(self, attempt: Callable[[float, list[bool]], Completion]) -> Completion:
        if not self.enabled:
            raise LLMUnavailable("no LLM configured", notice=OFF_NOTICE, notice_key="llm.off")
        started = time.monotonic()
        deadline = started + self.settings.llm_budget_s

        def once() -> Completion:
            streamed = [False]
            try:
                return attempt(min(self.settings.llm_timeout_s, deadline - time.monotonic()), streamed)
            except _ATTEMPT_ERRORS as error:
                outcome = classify(error, self.model)
                if isinstance(outcome, LLMError):
                    log.warning("LLM rejected the request, not retrying: %s", outcome)
                    raise outcome from error
                if streamed[0]:
                    # Text already reached the reader; a second attempt would repeat it.
                    raise LLMUnavailable(
                        f"stream broke off: {outcome}", notice=outcome.notice, notice_key=outcome.notice_key
                    ) from error
                raise outcome from error

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            wait=self._wait,
            # Give up when the next attempt would start with less than MIN_ATTEMPT_S of the budget left.
            stop=tenacity.stop_after_attempt(self.settings.llm_max_retries + 1)
            | tenacity.stop_before_delay(self.settings.llm_budget_s - MIN_ATTEMPT_S),
            before_sleep=tenacity.before_sleep_log(log, logging.INFO),
        )
        try:
            completion = retrying(once)
        except tenacity.RetryError as error:
            failed = error.last_attempt.exception()
            assert isinstance(failed, _Retryable)
            raise LLMUnavailable(
                f"gave up after {error.last_attempt.attempt_number} attempts: {failed}",
                notice=failed.notice,
                notice_key=failed.notice_key,
            ) from failed
        completion.attempts = retrying.statistics["attempt_number"]
        completion.latency_ms = round((time.monotonic() - started) * 1000, 1)
        return completion

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Retry-After when the endpoint sent one, else exponential backoff with jitter."""
        failed = state.outcome.exception() if state.outcome else None
        if isinstance(failed, _Retryable) and failed.retry_after_s is not None:
            return failed.retry_after_s
        return backoff(state.attempt_number, self.backoff_base_s)
