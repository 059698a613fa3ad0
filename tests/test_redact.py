"""Secrets in pasted text are replaced by markers that keep only the kind of credential."""

from __future__ import annotations

import pytest

from bot.redact import MARK, redact

# (a line as people paste it, the secret that must disappear, what must remain to tell the kind)
SECRETS = [
    pytest.param(
        "OPENAI_API_KEY=sk-1234567890abcdefghijklmnopqrstuvwxyzABCD",
        "1234567890abcdefghijklmnop",
        "sk-",
        id="openai-user-key",
    ),
    pytest.param(
        "client = OpenAI(api_key='sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk')",
        "Ab3dEf6hIj9kLm2nOp5qRs8t",
        "sk-proj-",
        id="openai-project-key",
    ),
    pytest.param(
        "key sk-svcacct-Zy9xWv8uTs7rQp6oNm5lKj4iHg3fEd2cBa1 failed",
        "Zy9xWv8uTs7rQp6oNm5lKj4i",
        "sk-svcacct-",
        id="openai-service-account-key",
    ),
    pytest.param(
        "Incorrect API key provided: sk-proj-************************************************Ab12.",
        "****************Ab12",
        "sk-proj-",
        id="openai-masked-key",
    ),
    pytest.param(
        "x-api-key: sk-ant-api03-R2d2C3poBb8Yoda77LukeLeia00Han-Solo_Chewie-ABCDEF",
        "R2d2C3poBb8Yoda77",
        "sk-ant-api03-",
        id="anthropic-key",
    ),
    pytest.param(
        "https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
        "SyA1b2C3d4E5f6G7h8I9j0",
        "AIza",
        id="google-key",
    ),
    pytest.param(
        "SLACK_BOT_TOKEN=xoxb-1234567890-0987654321098-AbCdEfGhIjKlMnOpQrStUvWx",
        "AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-",
        id="slack-bot-token",
    ),
    pytest.param(
        "token xoxp-1234567890-1234567890-1234567890123-0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef",
        "xoxp-",
        id="slack-user-token",
    ),
    pytest.param("legacy xoxa-2-1234567890-abcdefABCDEF123456", "abcdefABCDEF123456", "xoxa-", id="slack-xoxa-token"),
    pytest.param(
        "SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef",
        "abcdef0123456789abcdef",
        "xapp-",
        id="slack-app-token",
    ),
    pytest.param(
        "refresh xoxe-1-My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "xoxe-",
        id="slack-refresh-token",
    ),
    pytest.param(
        "rotated xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "xoxe.xoxp-",
        id="slack-rotated-token",
    ),
    pytest.param(
        "POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed",
        "T00000000/B00000000/XXXXXXXX",
        "hooks.slack.com/services/",
        id="slack-webhook-url",
    ),
    pytest.param(
        "Authorization: Bearer abcDEF123ghiJKL456mnoPQR789",
        "abcDEF123ghiJKL456mnoPQR789",
        "Bearer",
        id="authorization-bearer",
    ),
    pytest.param(
        "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNzd29yZA==", "Basic", id="authorization-basic"
    ),
    pytest.param(
        "sent header bearer tok_live_98765432109876543210", "98765432109876543210", "bearer", id="lone-bearer"
    ),
    pytest.param(
        "Rate limit reached for gpt-4o in organization org-Xk2bQv7LmN4pR8sT1uW3yZ5a on tokens per min",
        "Xk2bQv7LmN4pR8sT1uW3yZ5a",
        "org-",
        id="openai-org-id",
    ),
    pytest.param(
        "Project `proj_Ab12Cd34Ef56Gh78Ij90Kl12` does not have access",
        "Ab12Cd34Ef56Gh78Ij90Kl12",
        "proj_",
        id="openai-project-id",
    ),
    pytest.param(
        "requests.post(url, json={'api_key': 'internal-7f3a9c2e1b'})",
        "internal-7f3a9c2e1b",
        "api_key",
        id="api-key-dict",
    ),
    pytest.param('{"apiKey": "c0ffee-cafe-babe-1234"}', "c0ffee-cafe-babe-1234", "apiKey", id="api-key-json"),
    pytest.param(
        "SLACK_SIGNING_SECRET=8f14e45fceea167a5a36dedd4bea2543",
        "8f14e45fceea167a5a36dedd4bea2543",
        "SLACK_SIGNING_SECRET",
        id="signing-secret-env",
    ),
    pytest.param(
        "GET /v1/stream?access_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "eyJzdWIiOiIxMjM0In0",
        "access_token",
        id="jwt-access-token",
    ),
    pytest.param(
        "api-key: 0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef",
        "api-key",
        id="azure-api-key-header",
    ),
]


@pytest.mark.parametrize(("text", "secret", "kind"), SECRETS)
def test_each_secret_form_is_redacted_and_its_kind_kept(text: str, secret: str, kind: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert kind in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "openai.RateLimitError: Error code: 429 - {'error': {'message': 'Rate limit reached', 'type': 'requests', "
        "'param': None, 'code': 'rate_limit_exceeded'}}",
        "slack_sdk.errors.SlackApiError: The server responded with: {'ok': False, 'error': 'token_revoked'}",
        '{"model": "gpt-4o-mini", "max_tokens": 512, "token_type": "bot", "temperature": 0.2}',
        "redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.",
        "We use scikit-learn (sk-learn) and an org-wide token budget; api_key=None was passed.",
        "",
    ],
)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert redact(text) == text


def test_several_secrets_in_one_traceback_are_all_redacted() -> None:
    text = (
        "headers={'Authorization': 'Bearer sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk', "
        "'OpenAI-Organization': 'org-Xk2bQv7LmN4pR8sT1uW3yZ5a'}\nslack token xoxb-1234567890-0987654321098-AbCdEfGh"
    )
    cleaned = redact(text)
    for secret in ("Ab3dEf6hIj9kLm2nOp5qRs8t", "Xk2bQv7LmN4pR8sT1uW3yZ5a", "AbCdEfGh"):
        assert secret not in cleaned
    assert cleaned.count(MARK) >= 2


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact("Authorization: Bearer sk-1234567890abcdefghijklmnopqrstuvwxyz api_key=abcdef123456")
    assert redact(once) == once


def test_never_raises_on_odd_input() -> None:
    assert redact(None) == "None"  # type: ignore[arg-type]
    assert redact("\x00\ud800 sk-" + "a" * 10_000) == "\x00\ud800 sk-" + MARK
