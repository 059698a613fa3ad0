"""Secret redaction for anything pasted: run it before logging, prompting an LLM, storing or replying.

`redact` keeps a short, non-secret prefix (`sk-proj-`, `xoxb-`, `ghp_`, `AKIA`, `SG.`) so a reader still
knows what kind of credential was there, and replaces the rest with `…[redacted]`. A value given to a
secret-sounding name (`api_key=…`, `"password": "…"`, `password: several words`) becomes `[redacted]`;
`max_tokens` and `token_type` are left alone.

The credential formats come from Yelp's detect-secrets plugins (GitHub, GitLab, AWS, Stripe, SendGrid,
PyPI, Azure storage, private keys, …) and its list of secret-sounding names, plus the shapes it lacks:
the LLM providers' and Slack's tokens, GitHub fine-grained and npm tokens, JWTs, passwords in URLs,
`Authorization` headers.

Every pattern runs in time linear in the text: a name or token is matched from its first character
only, repeats are possessive or bounded, and anything unbounded runs to a match, never back. On top of
that, only the first `MAX_CHARS` characters are scanned; the rest is cut off, not passed through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, cast

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.keyword import DENYLIST as SECRET_NAMES
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.telegram_token import TelegramBotTokenDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

MARK = "…[redacted]"
VALUE_MARK = "[redacted]"
# Scanning is linear, so this bounds the work per call (about 40 ms on prose, under 0.1 s on the worst
# inputs found): above the longest text any caller sends (a 40k-character PRD in an eval prompt, a
# 40k Slack message, an 8k error).
MAX_CHARS = 100_000
TRUNCATED = f"\n…[truncated: only the first {MAX_CHARS:,} characters were scanned for secrets]"
FAILED = "[redacted: the text could not be scanned for secrets]"

_Replacement = str | Callable[[re.Match[str]], str]

# detect-secrets plugins whose patterns are linear and match the credential itself. Left out, each
# covered by a rule below: JWT, npm and OpenAI (quadratic: 16 kB of `eyJ-eyJ-…`, `////…` or `sk-sk-…`
# take 0.2 to 2 s), keyword assignments (16 kB of `passwordpassword…` takes a minute; their list of
# names is used below), BasicAuth (misses `redis://:p@h` and passwords with `!$&…`), IBM, Cloudant and
# Softlayer assignments. Also left out: Artifactory (it takes upper-case words such as `APACHEKAFKA`
# for passwords) and high-entropy strings (they flag commit hashes and ids).
_DETECTORS: tuple[type[RegexBasedDetector], ...] = (
    AWSKeyDetector,
    AzureStorageKeyDetector,
    DiscordBotTokenDetector,
    GitHubTokenDetector,
    GitLabTokenDetector,
    MailchimpDetector,
    PypiTokenDetector,
    SendGridDetector,
    SlackDetector,
    SquareOAuthDetector,
    StripeDetector,
    TelegramBotTokenDetector,
    TwilioKeyDetector,
)

# The tag that names a credential's kind, never its secret part: `ghp_`, `sk_live_`, `SG.`, `glpat-`,
# `pypi-`, `sq0csp-`, `AccountKey=`, and AWS's `AKIA`/`ASIA`.
_KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,9}[_.=\-](?:live_|test_)?|A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])")
# Characters some detect-secrets patterns match around a credential (`(?:\s|=|:|"|^)AKC…`).
_AROUND = ' \t\r\n=:"'
_TOKEN_TAIL = r"(?:(?<=[A-Za-z0-9_\-])[A-Za-z0-9_\-]*+)?"


def _credential(match: re.Match[str]) -> str:
    found = match.group(0)
    start = len(found) - len(found.lstrip(_AROUND))
    end = len(found.rstrip(_AROUND))
    kind = _KIND.match(found, start, end)
    # A kind tag that would leave under 8 characters hidden isn't one: hide it all.
    keep = kind.end() if kind and end - kind.end() >= 8 else start
    return found[:keep] + MARK + found[end:]


def _secret_group(match: re.Match[str]) -> str:
    start, end = match.span(1)
    offset = match.start()
    found = match.group(0)
    return found[: start - offset] + VALUE_MARK + found[end - offset :]


def _detected() -> Iterator[tuple[re.Pattern[str], _Replacement]]:
    """The plugins' patterns, each extended over the rest of its token: Stripe's `{24}` must not
    leave the other 75 characters of today's `sk_live_` keys behind."""
    for detector in _DETECTORS:
        # A class attribute in every plugin; the base class declares an abstract property.
        for pattern in cast(Iterable[re.Pattern[str]], detector.denylist):
            # A verbose pattern could end in a comment; a line break ends it.
            end = "\n" if pattern.flags & re.VERBOSE else ""
            extended = re.compile(f"(?:{pattern.pattern}{end}){_TOKEN_TAIL}", pattern.flags)
            # AWS's second pattern captures a secret access key after an `aws…key` name.
            secret_group = detector is AWSKeyDetector and pattern.groups > 0
            yield extended, _secret_group if secret_group else _credential


# PEM and PuTTY private keys: the header stays, everything up to the END line (or the end) goes.
_KEY_HEADERS = (
    *(pattern.pattern for pattern in PrivateKeyDetector.denylist),
    "BEGIN ENCRYPTED PRIVATE KEY",
    "PuTTY-User-Key-File-3",
)
_PRIVATE_KEY = re.compile(f"((?:{'|'.join(_KEY_HEADERS)})-*+)((?s:.*?))(?=-----END|\\Z)")


def _private_key(match: re.Match[str]) -> str:
    return match.group(1) + (f"\n{MARK}\n" if "\n" in match.group(2) else MARK)


def _starting(prefix: str) -> str:
    """`prefix` at the start of a word. The literal comes first so that `re` can skip ahead to it; a
    leading `\\b` would make it try every position (50 times slower on prose)."""
    literal = re.escape(prefix)
    return rf"{literal}(?<=\b{literal})"


# Own token rules, in order: Anthropic before OpenAI (both start with "sk-"). Each repeat is
# possessive with no upper bound, so an attempt either matches to the end of the token or fails
# within a few characters.
_TOKENS: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    (re.compile(rf"({_starting('sk-ant-')}(?:[a-z]{{1,12}}\d\d-)?)[A-Za-z0-9_\-*]{{8,}}+"), r"\1" + MARK),
    # OpenAI user, project, service-account and admin keys; also the masked form OpenAI echoes back.
    (
        re.compile(rf"({_starting('sk-')}(?:proj-|svcacct-|admin-|None-)?)[A-Za-z0-9_\-*]{{16,}}+"),
        r"\1" + MARK,
    ),
    (re.compile(rf"({_starting('AIza')})[0-9A-Za-z_\-]{{20,}}+"), r"\1" + MARK),
    # Slack: bot, user, app-level, refresh and rotated tokens (xoxe.xoxp-…), and webhook URLs.
    (re.compile(rf"({_starting('xox')}(?:e\.xox)?[abposrecd]-)[A-Za-z0-9\-]{{6,}}+"), r"\1" + MARK),
    (re.compile(rf"({_starting('xapp-')})[A-Za-z0-9\-]{{6,}}+"), r"\1" + MARK),
    (re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)[A-Za-z0-9/_\-]++"), r"\1" + MARK),
    # Hugging Face, Groq, Perplexity, xAI, Replicate, npm, and OpenAI organization and project ids.
    *(
        (re.compile(rf"({_starting(prefix)})[A-Za-z0-9]{{16,}}+"), r"\1" + MARK)
        for prefix in ("hf_", "gsk_", "pplx-", "xai-", "r8_", "npm_", "org-", "proj_")
    ),
    # GitHub fine-grained tokens (detect-secrets knows only the classic ghp_/gho_/… ones).
    (re.compile(rf"({_starting('github_pat_')})[A-Za-z0-9_]{{22,}}+"), r"\1" + MARK),
    # JSON web tokens (Azure AD and most OAuth access tokens), from the token's first character only.
    (
        re.compile(
            r"(eyJ)(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+\.[A-Za-z0-9_\-]{8,}+"
            r"(?:\.[A-Za-z0-9_\-]++)*+"
        ),
        r"\1" + MARK,
    ),
)

# A password in a URL: `postgres://user:pw@host`, `redis://:pw@host`. The password's repeat is
# bounded (it backtracks to the last `@`) and starts only after `://`.
_URL_PASSWORD = re.compile(r"(://[^\s:/?#@\[\]]{0,256}+:)([^\s/?#\[\]]{1,256})(?=@)")

# `Authorization: Bearer x`, `Proxy-Authorization: Basic x`, and a lone `Bearer x`.
_AUTH_HEADER = re.compile(
    r"(?i)(\bauthorization\b['\"]?[ \t]*+[:=][ \t]*+['\"]?)(?:(bearer|basic|token|digest)[ \t]++)?([^\s'\",;}]++)"
)
_BEARER = re.compile(r"(?i)\b(bearer\s++)([A-Za-z0-9._~+/=\-]{8,}+)")

# Secret-sounding names, from detect-secrets (`api_?key`, `password`, `secret`, …) with `-` allowed
# where it allows `_` (`x-api-key`), plus Azure's `Ocp-Apim-Subscription-Key`. Any name containing one
# counts (`AWS_SECRET_ACCESS_KEY`, `db_password_prod`); `token` and Azure's SAS `sig` only end a name,
# so `max_tokens` and `token_type` are left alone.
_OPTIONAL_DASH = r"[_\-]?"
_WORDS = [word.replace("_?", _OPTIONAL_DASH) for word in (*SECRET_NAMES, "subscription_?key", "passphrase")]
_PASSWORD_WORDS = [word for word in _WORDS if re.search(r"pass|pwd|contrase", word)]
_OTHER_WORDS = [word for word in _WORDS if word not in _PASSWORD_WORDS]
_NAME_END = ["token", "sig"]


def _assignment_pattern(words: list[str], ends: list[str], bare_value: str) -> re.Pattern[str]:
    """`name = value`, `"name": "value"`, `name: value`, `name => value` where `name` holds one of `words`.

    The name is matched from its first character (a lookbehind), with at most 60 characters before
    the word and 60 after, so each name costs a bounded number of steps.
    """
    name_word = "|".join([f"(?:{'|'.join(words)})[\\w.\\-]{{0,60}}+", *ends])
    lead = (
        # The lookahead skips, in one pass, every word not followed by `:` or `=`: most of them.
        r"(?<![\w.\-])(?=[\w.\-]{1,200}+['\"`\]]{0,2}[ \t]{0,16}+[:=])"
        rf"[\w.\-]{{0,60}}?(?:{name_word})(?![\w.\-])"
        r"['\"`\]]{0,2}[ \t]{0,16}+(?::=|=>|=|:)[ \t]{0,16}+['\"`]?"
    )
    quoted = r"(?<=\")[^\"\n]++|(?<=')[^'\n]++|(?<=`)[^`\n]++"
    return re.compile(f"(?i)({lead})({quoted}|{bare_value})")


def _hints(words: list[str]) -> tuple[str, ...]:
    """Lower-case text every match contains (each word's last literal part), to skip a rule cheaply."""
    return tuple(sorted({word.split(_OPTIONAL_DASH)[-1] for word in words}))


# A password may be several words: the rest of the line is the password.
_PASSWORD = _assignment_pattern(_PASSWORD_WORDS, [], r"[^\s\"'`][^\n]*+")
# Any other secret is one run of characters (`api_key=None was passed` keeps "was passed"), and not a
# structure or a reference (`secretRef: {name: x}`, `api_key: ${OPENAI_API_KEY}`).
_ASSIGNMENT = _assignment_pattern(_OTHER_WORDS, _NAME_END, r"[^\s\"'`,;&})\]{\[(<$][^\s\"'`,;&})]*+")
_PLACEHOLDERS = {"none", "null", "nil", "true", "false", "undefined", VALUE_MARK}


def _assignment(match: re.Match[str]) -> str:
    lead, value = match.group(1), match.group(2).rstrip()
    trailing = match.group(2)[len(value) :]
    if len(value) < 4 or value.lower() in _PLACEHOLDERS or MARK in value:
        # A credential a specific rule already marked keeps its kind (`api_key=sk-proj-…[redacted]`).
        return match.group(0)
    return lead + VALUE_MARK + trailing


def _password(match: re.Match[str]) -> str:
    lead, value = match.group(1), match.group(2).rstrip()
    trailing = match.group(2)[len(value) :]
    if len(value) < 4 or value.lower() in _PLACEHOLDERS:
        return match.group(0)
    # Credentials already marked by a specific rule keep their kind; the words around them go.
    words: list[str] = []
    for word in value.split():
        if MARK in word:
            words.append(word)
        elif not words or words[-1] != VALUE_MARK:
            words.append(VALUE_MARK)
    return lead + " ".join(words) + trailing


def _auth_header(match: re.Match[str]) -> str:
    prefix, scheme, value = match.group(1), match.group(2), match.group(3)
    if MARK in value or value == VALUE_MARK:
        return match.group(0)
    return f"{prefix}{scheme + ' ' if scheme else ''}{VALUE_MARK}"


def _bearer(match: re.Match[str]) -> str:
    return match.group(0) if MARK in match.group(2) else match.group(1) + VALUE_MARK


class _Rule(NamedTuple):
    pattern: re.Pattern[str]
    replacement: _Replacement
    # The rule runs only if the case-folded text contains one of these (no hints: always).
    hints: tuple[str, ...] = ()


# In order: specific formats first, so that the generic rules after them see their marks and leave
# them alone.
_RULES: tuple[_Rule, ...] = (
    _Rule(_PRIVATE_KEY, _private_key, ("private key", "putty-user-key-file")),
    *(_Rule(pattern, replacement) for pattern, replacement in _TOKENS),
    *(_Rule(pattern, replacement) for pattern, replacement in _detected()),
    _Rule(_URL_PASSWORD, r"\1" + VALUE_MARK),
    _Rule(_AUTH_HEADER, _auth_header, ("authorization",)),
    _Rule(_BEARER, _bearer, ("bearer",)),
    _Rule(_PASSWORD, _password, _hints(_PASSWORD_WORDS)),
    _Rule(_ASSIGNMENT, _assignment, _hints(_OTHER_WORDS + _NAME_END)),
)


def _capped(text: str) -> tuple[str, bool]:
    """The first MAX_CHARS characters, cut at a space or line break near the end so that no
    credential is cut short of the length its rule needs; and whether anything was cut."""
    if len(text) <= MAX_CHARS:
        return text, False
    head = text[:MAX_CHARS]
    cut = max(head.rfind(" ", MAX_CHARS - 1024), head.rfind("\n", MAX_CHARS - 1024))
    return (head[:cut] if cut > 0 else head), True


def redact(text: str) -> str:
    """Return `text` with credentials replaced by markers; never raises.

    Text beyond MAX_CHARS is dropped (with a note saying so), not passed through unscanned.
    """
    try:
        if not isinstance(text, str):
            text = str(text)
        text, cut = _capped(text)
        folded = text.casefold()
        for rule in _RULES:
            if not rule.hints or any(hint in folded for hint in rule.hints):
                text = rule.pattern.sub(rule.replacement, text)
        return text + TRUNCATED if cut else text
    except Exception:
        # Failing closed: a reply without the text beats a reply with a secret in it.
        return FAILED
