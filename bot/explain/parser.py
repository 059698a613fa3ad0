"""Pull the evidence out of a pasted error: provider hints, codes, the HTTP status and the message.

People paste whatever their stack printed: an openai-python `Error code: 429 - {...}` (a Python
dict repr, not JSON), a legacy `openai.error.RateLimitError: ...` line, a raw JSON body, a Node or
Go SDK log line, a `SlackApiError`, Google status JSON, a LiteLLM wrapper around another
provider's body, a bare `429` or `not_in_channel`, usually inside a traceback. Rather than parse
each format, the parser looks for the few shapes they all share (`'key': 'value'` pairs, `status
code: 429`, `An API error occurred: x`) and returns what it found; `ErrorCatalog` decides what it
means. Pass text through `bot.core.redact.redact` first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Keys whose string value names the error, most specific first. The rank becomes `Code.rank`.
_KEY_RANK = {"code": 0, "error_code": 0, "errorcode": 0, "reason": 1, "error": 2, "type": 3, "status": 4}
_KEY_VALUE = re.compile(
    r"""(['"])(code|error_code|errorCode|reason|error|type|status)\1\s*:\s*"""
    r"""(?:(['"])([A-Za-z_][\w.:\-]{0,79})\3|(\d{3})\b)"""
)
# Values that appear under those keys without naming an error.
_NOT_CODES = frozenset({"error", "errors", "object", "none", "null", "true", "false", "list", "message"})

# Phrases that put an error code in plain text (rank 0: as explicit as a JSON field).
_CODE_PHRASES = (
    re.compile(r"An API error occurred: ([a-z_]+)"),  # @slack/web-api
    re.compile(r"failed with the error \W{0,2}([a-z_]+)"),  # Slack client, slash commands
    re.compile(r"\bStatusCode\.([A-Z_]+)"),  # gRPC
    re.compile(r"\b[45]\d\d ([A-Z][A-Z_]{3,}[A-Z])\b"),  # google-genai "429 RESOURCE_EXHAUSTED."
    # "Code: mismatched_organization": a word with an inner "_", checked ahead so the word is read once.
    re.compile(r"(?i)\bcode\s*+[=:]\s*+['\"]?([A-Za-z](?=[A-Za-z_]*_[A-Za-z_])[A-Za-z_]*+)\b"),
)

# Where an HTTP status is stated, most reliable first. Bare three-digit numbers elsewhere are
# ignored: tracebacks are full of them (line numbers, "dimension 384", "Limit 30000").
_STATUS_PHRASES = (
    re.compile(r"(?i)\berror code:?\s*(\d{3})\b"),
    re.compile(r"(?i)\bstatus(?:[ _]?code)?['\"]?\s*[:=]\s*['\"]?(\d{3})\b"),
    re.compile(r"(?i)\bHTTP(?:/\d(?:\.\d)?)?(?:\s+error)?[\s:]+(\d{3})\b"),
    re.compile(r"""['"]code['"]\s*:\s*['"]?(\d{3})\b"""),
    re.compile(
        r"(?i)\b(\d{3})\s+(?:Too Many Requests|Unauthorized|Forbidden|Not Found|Bad Request|Conflict|"
        r"Internal Server Error|Service Unavailable|Gateway Time-?out|Bad Gateway|Unprocessable Entity|"
        r"Request Entity Too Large|Payload Too Large|Request Timeout)\b"
    ),
    # `openai.NotFoundError: 404`. The dotted name before the keyword doesn't change the status, and
    # matching it (`\b[\w.]*Error`) restarts at every dot of "a.a.a…": quadratic time.
    re.compile(
        r"(?:Error|Exception|Exhausted|Exceeded|Unavailable|Denied|Found|Argument|Precondition)\s*+:\s*+(\d{3})\b"
    ),
    re.compile(r"(?i)\b(?:returned|received|got|responded with|with status|status)\s+(\d{3})\b"),
    re.compile(r"^\s*(\d{3})\b"),
)

_MESSAGE_PHRASES = (
    re.compile(r"""['"]message['"]\s*:\s*"((?:[^"\\]|\\.){1,1000})\""""),
    re.compile(r"""['"]message['"]\s*:\s*'((?:[^'\\]|\\.){1,1000})'"""),
    re.compile(r"(?i)\bmessage:\s*+(.{1,500})$", re.MULTILINE),
)

# What betrays the provider, with how much it counts. A LiteLLM line names both its own exception
# and the provider's ("AnthropicException"); an Azure error comes through the openai SDK. So the
# specific markers weigh more than the `openai` module name.
_PROVIDER_HINTS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    (
        "azure-openai",
        50,
        re.compile(
            r"(?i)azure|\.openai\.azure\.com|aka\.ms/oai|\bapi-version\b|cognitiveservices|"
            r"ResponsibleAIPolicyViolation|DeploymentNotFound|['\"]code['\"]\s*:\s*['\"]\d{3}['\"]"
        ),
    ),
    (
        "anthropic",
        40,
        re.compile(
            r"(?i)anthropic|\bclaude\b|\bclaude-[\w.\-]+|x-api-key|"
            r"""['"]type['"]\s*:\s*['"]error['"]\s*,\s*['"]error['"]\s*:"""
        ),
    ),
    (
        "gemini",
        40,
        re.compile(
            r"(?i)gemini|google\.genai|google\.generativeai|generativelanguage|google\.api_core|ai\.google\.dev|"
            r"vertex\s?ai|googleapis\.com|StatusCode\.[A-Z_]+|aiplatform"
        ),
    ),
    ("slack", 40, re.compile(r"(?i)slack|\bxox[a-z]-|\bxapp-|['\"]ok['\"]\s*:\s*(?:False|false)|\bbolt\b|x-slack-")),
    ("rag-stack", 40, re.compile(r"(?i)chroma|\bredis\b|langchain|OutputParserException")),
    ("openai", 10, re.compile(r"(?i)openai|\bsk-(?:proj-)?…|\borg-…|['\"]param['\"]\s*:")),
)

MAX_CHARS = 8_000


@dataclass(frozen=True)
class Code:
    """A code-like value found in a structured place; lower `rank` is more explicit."""

    value: str
    rank: int


@dataclass(frozen=True)
class ParsedError:
    """What a pasted error says about itself, before the catalog interprets it."""

    text: str
    codes: tuple[Code, ...] = ()
    http_status: int | None = None
    message: str | None = None
    provider_hints: dict[str, int] = field(default_factory=dict)

    @property
    def code(self) -> str | None:
        """The most explicit code found, if any."""
        return self.codes[0].value if self.codes else None

    @property
    def provider_hint(self) -> str | None:
        """The provider the text points at most strongly, if any."""
        return max(self.provider_hints, key=self.provider_hints.__getitem__) if self.provider_hints else None


def _valid_status(value: str) -> int | None:
    status = int(value)
    return status if 400 <= status <= 599 else None


def _clip(text: str) -> str:
    # The exception line is usually at the end of a traceback; keep the head too for Node and Go.
    return text if len(text) <= MAX_CHARS else text[:2_000] + "\n…\n" + text[-(MAX_CHARS - 2_000) :]


def parse_error_text(text: str) -> ParsedError:
    """Extract the codes, HTTP status, message and provider hints from pasted text."""
    text = _clip(text.strip())
    found: dict[str, int] = {}
    status: int | None = None

    def add(value: str, rank: int) -> None:
        if value.lower() not in _NOT_CODES and rank < found.get(value, 99):
            found[value] = rank

    if re.fullmatch(r"\d{3}", text):
        status = _valid_status(text)
    elif re.fullmatch(r"[A-Za-z_][\w.:\-]*", text):
        add(text, 0)  # a bare code, pasted on its own

    for match in _KEY_VALUE.finditer(text):
        key = match.group(2).lower()
        if match.group(4):
            value = match.group(4)
            if value.isdigit():
                status = status or _valid_status(value)
            else:
                add(value, _KEY_RANK[key])
        elif match.group(5) and key in {"code", "status", "error_code", "errorcode"}:
            status = status or _valid_status(match.group(5))

    for phrase in _CODE_PHRASES:
        for match in phrase.finditer(text):
            add(match.group(1), 0)

    if status is None:
        for phrase in _STATUS_PHRASES:
            for match in phrase.finditer(text):
                status = _valid_status(match.group(1))
                if status:
                    break
            if status:
                break

    message = None
    for phrase in _MESSAGE_PHRASES:
        found_message = phrase.search(text)
        if found_message:
            message = found_message.group(1).strip()
            break

    hints = {provider: weight for provider, weight, pattern in _PROVIDER_HINTS if pattern.search(text)}
    codes = tuple(Code(value, rank) for value, rank in sorted(found.items(), key=lambda item: item[1]))
    return ParsedError(text=text, codes=codes, http_status=status, message=message, provider_hints=hints)
