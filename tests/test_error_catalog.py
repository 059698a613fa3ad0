"""The error catalog: every file validates, pasted errors are identified, and nothing secret comes back."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.builtin import error_codes_dir
from bot.exceptions import KnowledgeError
from bot.explain.catalog import ErrorCatalog
from bot.explain.catalog_files import CatalogFile, validate_catalog_file
from tests.conftest import EXPLANATION_KEYS

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = error_codes_dir()
MESSAGES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "error_messages.yaml").read_text())

# What issue 5 asks the catalog to cover, per provider.
REQUIRED = {
    "openai": [
        "invalid_api_key",
        "invalid_organization",
        "mismatched_organization",
        "no_organization",
        "mismatched_project",
        "ip_not_authorized",
        "unsupported_country_region_territory",
        "model_not_found",
        "context_length_exceeded",
        "unsupported_parameter",
        "invalid_request_error",
        "conflict",
        "unprocessable_entity",
        "rate_limit_exceeded:requests",
        "rate_limit_exceeded:tokens",
        "insufficient_quota",
        "server_error",
        "overloaded",
        "slow_down",
        "api_connection_error",
        "api_timeout",
    ],
    "anthropic": [
        "invalid_request_error",
        "authentication_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "overloaded_error",
        "credit_balance_too_low",
    ],
    "azure-openai": [
        "DeploymentNotFound",
        "content_filter",
        "access_denied",
        "resource_not_found",
        "rate_limit_reached",
    ],
    "gemini": [
        "RESOURCE_EXHAUSTED",
        "INVALID_ARGUMENT",
        "API_KEY_INVALID",
        "FAILED_PRECONDITION",
        "PERMISSION_DENIED",
        "NOT_FOUND",
        "UNAVAILABLE",
        "INTERNAL",
        "DEADLINE_EXCEEDED",
    ],
    "slack": [
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "not_allowed_token_type",
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "ratelimited",
        "rate_limited",
        "dispatch_failed",
        "operation_timeout",
        "url_verification_failed",
        "invalid_signature",
    ],
    "rag-stack": [
        "embedding_dimension_mismatch",
        "redis_connection_error",
        "redis_unknown_command",
        "output_parser_exception",
    ],
}
OPENAI_EXCEPTION_NAMES = [
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "RateLimitError",
    "BadRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "UnprocessableEntityError",
    "ConflictError",
    "InternalServerError",
]
LEGACY_OPENAI_NAMES = [
    "openai.error.APIConnectionError",
    "openai.error.Timeout",
    "openai.error.AuthenticationError",
    "openai.error.RateLimitError",
    "openai.error.InvalidRequestError",
    "openai.error.PermissionError",
    "openai.error.APIError",
    "openai.error.ServiceUnavailableError",
    "openai.error.TryAgain",
]


@pytest.fixture(scope="module")
def catalog() -> ErrorCatalog:
    return ErrorCatalog.load(CATALOG_DIR)


@pytest.mark.parametrize("path", sorted(CATALOG_DIR.glob("*.yaml")), ids=lambda path: path.name)
def test_every_catalog_file_validates(path: Path) -> None:
    catalog_file = validate_catalog_file(path)
    assert catalog_file.provider == path.stem
    for entry in catalog_file.errors:
        assert entry.causes and entry.fixes and entry.pm_impact
        assert 1 <= entry.meaning.count(". ") + 1 <= 4, f"{entry.code}: meaning should be 1-3 sentences"


@pytest.mark.parametrize("provider", sorted(REQUIRED))
def test_catalog_covers_what_the_issue_lists(catalog: ErrorCatalog, provider: str) -> None:
    missing = [code for code in REQUIRED[provider] if catalog.get(provider, code) is None]
    assert not missing


@pytest.mark.parametrize(
    "name", OPENAI_EXCEPTION_NAMES + [f"openai.{name}" for name in OPENAI_EXCEPTION_NAMES] + LEGACY_OPENAI_NAMES
)
def test_openai_exception_names_alone_are_recognised(catalog: ErrorCatalog, name: str) -> None:
    explanation = catalog.explain(f"{name}: something went wrong")
    assert explanation.matched
    assert explanation.provider == "openai"


@pytest.mark.parametrize(
    "case", MESSAGES, ids=[f"{n:02d}-{case['provider']}-{case['code']}" for n, case in enumerate(MESSAGES)]
)
def test_pasted_errors_are_identified(catalog: ErrorCatalog, case: dict[str, Any]) -> None:
    explanation = catalog.explain(case["message"])
    assert explanation.matched
    assert (explanation.provider, explanation.code) == (case["provider"], case["code"])


def test_message_set_is_large_and_covers_every_provider() -> None:
    assert len(MESSAGES) >= 45
    assert {case["provider"] for case in MESSAGES} == set(REQUIRED)


def test_rate_limit_and_quota_get_opposite_advice(catalog: ErrorCatalog) -> None:
    rate_limit = catalog.explain(
        "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in "
        "organization org-abc on requests per min (RPM)', 'code': 'rate_limit_exceeded'}}"
    )
    quota = catalog.explain(
        "Error code: 429 - {'error': {'message': 'You exceeded your current quota', 'code': 'insufficient_quota'}}"
    )
    assert (rate_limit.retryable, quota.retryable) == (True, False)
    assert "backoff" in " ".join(rate_limit.fixes)
    assert "credit" in " ".join(quota.fixes)


def test_a_bare_status_matches_the_most_common_entry_and_lists_the_alternatives(catalog: ErrorCatalog) -> None:
    explanation = catalog.explain("429")
    assert (explanation.matched, explanation.provider, explanation.code) == (
        True,
        "openai",
        "rate_limit_exceeded:requests",
    )
    assert "insufficient_quota" in [match.code for match in explanation.closest]
    assert "Could also be" in explanation.as_markdown()


def test_a_status_alone_does_not_borrow_another_providers_entry(catalog: ErrorCatalog) -> None:
    explanation = catalog.explain("slack_sdk.errors.SlackApiError: The request to the Slack API failed. (status: 500)")
    assert not explanation.matched
    assert explanation.provider == "slack"
    assert explanation.http_status == 500


@pytest.mark.parametrize(
    "text",
    [
        "The quarterly roadmap review moved to Thursday.",
        "Segmentation fault (core dumped) in libfoo.so while rendering frame",
        "",
    ],
)
def test_unknown_text_is_unmatched_with_the_contract_keys(catalog: ErrorCatalog, text: str) -> None:
    explanation = catalog.explain(text)
    assert not explanation.matched
    assert set(explanation.model_dump()) == EXPLANATION_KEYS
    assert explanation.code is None and explanation.retryable is None


def test_unknown_error_lists_the_closest_entries(catalog: ErrorCatalog) -> None:
    explanation = catalog.explain("Vector store write failed: the embeddings have the wrong dimension for this index")
    assert not explanation.matched
    assert explanation.closest
    assert explanation.closest[0].code == "embedding_dimension_mismatch"
    assert "embedding" in explanation.meaning.lower()  # the JSON output names the closest entries too
    assert "Closest known errors" in explanation.as_markdown()


def test_the_json_contract_has_exactly_the_design_keys(catalog: ErrorCatalog) -> None:
    dumped = catalog.explain("not_in_channel").model_dump(mode="json")
    assert set(dumped) == EXPLANATION_KEYS
    assert dumped["docs"] and all(url.startswith("https://") for url in dumped["docs"])
    assert dumped["http_status"] is None


def test_markdown_has_the_sections_people_read(catalog: ErrorCatalog) -> None:
    text = catalog.explain("Error code: 429 - {'error': {'code': 'insufficient_quota'}}").as_markdown()
    for part in (
        "**Out of credit",
        "**What happened.**",
        "**What to do now**",
        "**What it means for the product.**",
        "Docs: https://",
    ):
        assert part in text


SECRET_PASTES = [
    "openai.AuthenticationError: Error code: 401 - {'error': {'message': 'Incorrect API key provided: "
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z. You can find your API key at "
    "https://platform.openai.com/account/api-keys.', 'code': 'invalid_api_key'}}",
    "anthropic.AuthenticationError: invalid x-api-key sk-ant-api03-R2d2C3poBb8Yoda77LukeLeia00Han",
    "client = genai.Client(api_key='AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q') -> 400 API key not valid",
    "slack_sdk.errors.SlackApiError: token=xoxb-1234567890-0987654321098-AbCdEfGhIjKlMnOp\n"
    "The server responded with: {'ok': False, 'error': 'invalid_auth'}",
    "requests: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ -> 401",
    "Rate limit reached for gpt-4o in organization org-Xk2bQv7LmN4pR8sT1uW3yZ5a on tokens per min (TPM)",
    "the flux capacitor failed; api_key=zz-9f8e7d6c5b4a3 OPENAI_API_KEY=sk-1234567890abcdefghijklmnopqrstuvwx",
]
SECRET_PARTS = [
    "Ab3dEf6hIj9kLm2nOp5q",
    "R2d2C3poBb8Yoda77",
    "SyA1b2C3d4E5f6G7h8",
    "AbCdEfGhIjKlMnOp",
    "eyJzdWIiOiIxMjM0In0",
    "Xk2bQv7LmN4pR8sT1uW3yZ5a",
    "9f8e7d6c5b4a3",
    "1234567890abcdefghij",
]


@pytest.mark.parametrize("text", SECRET_PASTES)
def test_secrets_never_appear_in_an_explanation(catalog: ErrorCatalog, text: str) -> None:
    explanation = catalog.explain(text)
    everything = "\n".join(
        [
            explanation.model_dump_json(),
            explanation.as_markdown(),
            explanation.redacted_input,
            *(match.model_dump_json() for match in explanation.closest),
        ]
    )
    leaked = [part for part in SECRET_PARTS if part in everything]
    assert not leaked
    assert "[redacted]" in explanation.redacted_input


def _write(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
    return path


def _entry(**overrides: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "code": "PAY-042",
        "http_status": 402,
        "aliases": ["PaymentsGatewayDeclined"],
        "patterns": ["(?i)card issuer declined"],
        "retryable": False,
        "title": "The payment provider declined",
        "meaning": "Our payments gateway refused the charge.",
        "causes": ["Expired card"],
        "fixes": ["Ask the customer to update the card"],
        "pm_impact": "Checkout fails for that customer.",
    }
    entry.update(overrides)
    return entry


def _admin_file(**overrides: object) -> dict[str, object]:
    return {
        "provider": "payments",
        "provider_name": "Payments gateway",
        "docs": "https://wiki.example.com/payments",
        "errors": [_entry(**overrides)],
    }


def test_an_admin_file_extends_the_catalog(tmp_path: Path) -> None:
    shutil.copytree(CATALOG_DIR, tmp_path, dirs_exist_ok=True)
    _write(tmp_path, "payments.yml", _admin_file())
    catalog = ErrorCatalog.load(tmp_path)
    explanation = catalog.explain("PaymentsGatewayDeclined: the card issuer declined the charge (HTTP 402)")
    assert (explanation.provider, explanation.code, explanation.docs) == (
        "payments",
        "PAY-042",
        ["https://wiki.example.com/payments"],
    )
    assert catalog.explain("429").provider == "openai"  # admins' files come after the bundled providers


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        (_admin_file(retryable="sometimes"), "errors[0].retryable (entry 'PAY-042')", "valid boolean"),
        (_admin_file(patterns=["(unclosed"]), "errors[0].patterns", "not a valid regular expression"),
        (_admin_file(causes=[]), "errors[0].causes", "at least 1 item"),
        (_admin_file(fix=["typo for fixes"]), "errors[0].fix", "Extra inputs"),
        (_admin_file(aliases=[429]), "errors[0].aliases[0]", "valid string"),
        (_admin_file(docs=["wiki/payments"]), "errors[0].docs[0]", "should match pattern"),
        (
            {
                "provider": "payments",
                "provider_name": "Payments",
                "docs": "https://x.example.com",
                "errors": [_entry(), _entry()],
            },
            "errors",
            "appears twice",
        ),
        (
            {"provider": "Payments Team", "provider_name": "P", "docs": "https://x.example.com", "errors": [_entry()]},
            "provider",
            "should match pattern",
        ),
        ("provider: payments\nerrors: [\n", "not valid YAML", "line"),
        ("- just\n- a list\n", "expected a mapping", ""),
    ],
)
def test_a_bad_admin_file_is_named_with_its_field(tmp_path: Path, data: object, field: str, problem: str) -> None:
    path = _write(tmp_path, "payments.yaml", data)
    with pytest.raises(KnowledgeError) as raised:
        ErrorCatalog.load(tmp_path)
    message = str(raised.value)
    assert str(path) in message and field in message and problem in message


def test_the_bot_skips_a_bad_file_with_a_warning_and_keeps_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    shutil.copytree(CATALOG_DIR, tmp_path, dirs_exist_ok=True)
    _write(tmp_path, "payments.yaml", _admin_file(retryable="sometimes"))
    with caplog.at_level(logging.WARNING, logger="bot.explain.catalog_files"):
        catalog = ErrorCatalog.load(tmp_path, strict=False)
    assert "payments.yaml" in caplog.text and "retryable" in caplog.text
    assert catalog.get("payments", "PAY-042") is None
    assert catalog.explain("not_in_channel").code == "not_in_channel"


def test_an_admin_file_may_not_redefine_a_bundled_code(tmp_path: Path) -> None:
    shutil.copytree(CATALOG_DIR, tmp_path, dirs_exist_ok=True)
    clash = {
        "provider": "slack",
        "provider_name": "Slack",
        "docs": "https://x.example.com",
        "errors": [_entry(code="not_in_channel")],
    }
    _write(tmp_path, "zz-slack-extra.yaml", clash)
    with pytest.raises(KnowledgeError, match=r"already defined in .*slack\.yaml"):
        ErrorCatalog.load(tmp_path)


def test_a_missing_folder_is_an_error_only_when_strict(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no error catalog"):
        ErrorCatalog.load(tmp_path / "nowhere")
    empty = ErrorCatalog.load(tmp_path / "nowhere", strict=False)
    assert len(empty) == 0
    assert not empty.explain("429").matched


def test_catalog_files_round_trip_through_the_schema() -> None:
    for path in sorted(CATALOG_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        assert CatalogFile.model_validate(data).model_dump(exclude_defaults=True).keys() <= data.keys()


def test_cli_explains_json_lines_and_survives_a_malformed_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setenv("KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    lines = [
        json.dumps({"message": "openai.APITimeoutError: Request timed out. key=sk-1234567890abcdefghijklmnopqrst"}),
        "this is not json",
        json.dumps({"text": "wrong key"}),
        json.dumps({"message": "The server responded with: {'ok': False, 'error': 'not_in_channel'}"}),
    ]
    result = CliRunner().invoke(cli, ["explain-error"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(row.get("code"), "error" in row) for row in rows] == [
        ("api_timeout", False),
        (None, True),
        (None, True),
        ("not_in_channel", False),
    ]
    assert all(set(row) == EXPLANATION_KEYS for row in (rows[0], rows[3]))
    assert "1234567890abcdefghij" not in result.output


def test_cli_prints_markdown_for_a_text_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    monkeypatch.setenv("KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    result = CliRunner().invoke(cli, ["explain-error", "529"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("**Claude is temporarily overloaded**")
    assert "**What to do now**" in result.output
