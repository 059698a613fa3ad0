"""Secret redaction for anything pasted: run it before logging, prompting an LLM or replying.

`redact` keeps a short, non-secret prefix (`sk-proj-`, `xoxb-`, `AIza`, `org-`) so a reader still
knows what kind of credential was there, and replaces the rest with `…[redacted]`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MARK = "…[redacted]"

_Replacement = str | Callable[[re.Match[str]], str]

# Order matters: specific key formats first, so that the generic rules below see their markers
# and leave them alone.
_RULES: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    # Anthropic before OpenAI: both start with "sk-".
    (re.compile(r"\b(sk-ant-(?:[a-z]+\d\d-)?)[A-Za-z0-9_\-*]{8,}"), r"\1" + MARK),
    # OpenAI user, project, service-account and admin keys; also the masked form OpenAI echoes back.
    (re.compile(r"\b(sk-(?:proj-|svcacct-|admin-|None-)?)[A-Za-z0-9_\-*]{16,}"), r"\1" + MARK),
    (re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"), "AIza" + MARK),
    # Slack: bot, user, app-level, refresh and rotated tokens (xoxe.xoxp-…), and webhook URLs.
    (re.compile(r"\b((?:xoxe\.)?xox[abposrecd]-)[A-Za-z0-9\-]{6,}"), r"\1" + MARK),
    (re.compile(r"\b(xapp-)[A-Za-z0-9\-]{6,}"), r"\1" + MARK),
    (re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_\-]+"), r"\1" + MARK),
    (re.compile(r"\b(AKIA)[0-9A-Z]{16}\b"), r"\1" + MARK),
    (re.compile(r"\b(hf_)[A-Za-z0-9]{20,}"), r"\1" + MARK),
    # JSON web tokens (Azure AD and most OAuth access tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), "eyJ" + MARK),
    (re.compile(r"\b(org-)[A-Za-z0-9]{12,}"), r"\1" + MARK),
    (re.compile(r"\b(proj_)[A-Za-z0-9]{12,}"), r"\1" + MARK),
)

# `Authorization: Bearer x`, `Authorization: Basic x`, and a lone `Bearer x`.
_AUTH_HEADER = re.compile(r"(?i)(\bauthorization\b['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic|token)\s+)?([^\s'\",;}]+)")
_BEARER = re.compile(r"(?i)\b(bearer\s+)([A-Za-z0-9._~+/=\-]{8,})")

# `api_key=…`, `"api_key": "…"`, `x-api-key: …`, `SLACK_SIGNING_SECRET=…`, `?token=…`. The key must
# end in the secret word, so `max_tokens` and `token_type` are left alone.
_ASSIGNMENT = re.compile(
    r"(?i)(\b[\w-]*(?:api[_-]?key|secret|password|passwd|token)['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&}]{4,})"
)


def _assignment(match: re.Match[str]) -> str:
    key, value = match.group(1), match.group(2)
    if MARK in value or value.lower() in {"none", "null", "true", "false", "undefined"}:
        return match.group(0)
    return key + "[redacted]"


def _auth_header(match: re.Match[str]) -> str:
    prefix, scheme, value = match.group(1), match.group(2), match.group(3)
    if MARK in value:
        return match.group(0)
    return f"{prefix}{scheme + ' ' if scheme else ''}[redacted]"


def _bearer(match: re.Match[str]) -> str:
    return match.group(0) if MARK in match.group(2) else match.group(1) + "[redacted]"


def redact(text: str) -> str:
    """Return `text` with API keys, tokens, org and project ids replaced by markers; never raises."""
    try:
        if not isinstance(text, str):
            text = str(text)
        for pattern, replacement in _RULES:
            text = pattern.sub(replacement, text)
        text = _AUTH_HEADER.sub(_auth_header, text)
        text = _BEARER.sub(_bearer, text)
        return _ASSIGNMENT.sub(_assignment, text)
    except Exception:
        # Failing closed: a reply without the text beats a reply with a secret in it.
        return "[redacted: the text could not be scanned for secrets]"
