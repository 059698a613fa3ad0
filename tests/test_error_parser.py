"""The parser finds codes, the HTTP status and provider hints in the shapes people paste."""

from __future__ import annotations

import pytest

from bot.explain.parser import parse_error_text


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("openai.RateLimitError: Error code: 429 - {'error': {}}", 429),
        ("error, status code: 401, status: 401 Unauthorized, message: Incorrect API key provided", 401),
        ("Error: 429 You exceeded your current quota", 429),
        ("google.api_core.exceptions.ResourceExhausted: 429 Resource has been exhausted", 429),
        ('{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}', 503),
        ("{'error': {'code': '404', 'message': 'Resource not found'}}", 404),
        ("POST /v1/chat/completions HTTP/1.1 502 Bad Gateway", 502),
        ("the upstream returned 529 again", 529),
        ("429", 429),
    ],
)
def test_status_is_read_where_it_is_stated(text: str, status: int) -> None:
    assert parse_error_text(text).http_status == status


@pytest.mark.parametrize(
    "text",
    [
        "chromadb.errors.InvalidDimensionException: "
        "Embedding dimension 1536 does not match collection dimensionality 384",
        '  File "/app/bot/answer.py", line 404, in generate',
        "Rate limit reached: Limit 30000, Used 28734, Requested 2310.",
        "200",
    ],
)
def test_stray_numbers_are_not_taken_for_a_status(text: str) -> None:
    assert parse_error_text(text).http_status is None


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        (
            "Error code: 400 - {'error': {'message': 'x', 'type': 'invalid_request_error', 'param': 'messages', "
            "'code': 'context_length_exceeded'}}",
            ["context_length_exceeded", "invalid_request_error"],
        ),
        (
            '{"error": {"code": 400, "status": "INVALID_ARGUMENT", "details": [{"reason": "API_KEY_INVALID"}]}}',
            ["API_KEY_INVALID", "INVALID_ARGUMENT"],
        ),
        ("The server responded with: {'ok': False, 'error': 'not_in_channel'}", ["not_in_channel"]),
        ("Error: An API error occurred: channel_not_found", ["channel_not_found"]),
        ('/pm failed with the error "dispatch_failed"', ["dispatch_failed"]),
        ("status = StatusCode.RESOURCE_EXHAUSTED details = 'Quota exceeded'", ["RESOURCE_EXHAUSTED"]),
        ("not_in_channel", ["not_in_channel"]),
    ],
)
def test_codes_come_most_explicit_first(text: str, codes: list[str]) -> None:
    parsed = parse_error_text(text)
    assert [code.value for code in parsed.codes] == codes
    assert parsed.code == codes[0]


def test_anthropic_envelope_type_is_not_a_code() -> None:
    parsed = parse_error_text('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
    assert [code.value for code in parsed.codes] == ["overloaded_error"]
    assert parsed.message == "Overloaded"


@pytest.mark.parametrize(
    ("text", "provider"),
    [
        (
            'litellm.RateLimitError: AnthropicException - {"type":"error","error":{"type":"rate_limit_error"}}',
            "anthropic",
        ),
        (
            "openai.RateLimitError: Error code: 429 - {'error': {'code': '429', 'message': 'Requests to the "
            "ChatCompletions_Create Operation under Azure OpenAI API version 2024-02-15-preview have exceeded'}}",
            "azure-openai",
        ),
        ("google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED.", "gemini"),
        ("slack_sdk.errors.SlackApiError: The request to the Slack API failed.", "slack"),
        ("langchain_core.exceptions.OutputParserException: Invalid json output", "rag-stack"),
        ("openai.APIConnectionError: Connection error.", "openai"),
    ],
)
def test_the_most_specific_provider_hint_wins(text: str, provider: str) -> None:
    assert parse_error_text(text).provider_hint == provider


def test_long_tracebacks_keep_their_last_lines() -> None:
    noise = "".join(f'  File "/app/module_{n}.py", line {n}, in step\n' for n in range(2_000))
    last = "openai.RateLimitError: Error code: 429 - {'error': {'code': 'insufficient_quota'}}"
    parsed = parse_error_text(noise + last)
    assert parsed.http_status == 429
    assert parsed.code == "insufficient_quota"


@pytest.mark.parametrize(
    ("text", "status", "code"),
    [
        ("openai." + "a." * 2_000 + "NotFoundError: 404", 404, None),
        ("google.api_core.exceptions.NotFound: 404 Model not found", 404, None),
        ("Code: mismatched_organization", None, "mismatched_organization"),
        ("code=" + "a_" * 2_000 + "b", None, "a_" * 2_000 + "b"),
        ("code=a" + "_" * 5_000 + "0", None, None),  # a word that runs into digits is no code
    ],
)
def test_long_names_and_codes_parse_as_short_ones_do(text: str, status: int | None, code: str | None) -> None:
    parsed = parse_error_text(text)
    assert (parsed.http_status, parsed.code) == (status, code)
