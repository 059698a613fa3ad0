"""What a doctor check finds, and how a list of findings reads on a terminal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from bot.core.redact import redact

Status = Literal["ok", "off", "warn", "fail"]

CHECK_TIMEOUT_S = 10.0

_MARKS: dict[Status, str] = {"ok": "✓", "off": "–", "warn": "!", "fail": "✗"}


@dataclass
class Check:
    """The outcome of one check: what was found and, when it isn't ok, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def safe_url(url: str) -> str:
    """The URL without its password or token, fit for a report."""
    parts = urlsplit(url if "://" in url else f"//{url}")
    if parts.password or parts.username:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        user = f"{parts.username}:***@" if parts.password else "***@"
        parts = parts._replace(netloc=user + host)
    return urlunsplit(parts).removeprefix("//")


def reason(error: BaseException) -> str:
    text = redact(str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


def settings_failure(message: str) -> list[Check]:
    """What doctor says when the environment doesn't even parse."""
    return [Check("settings", "fail", redact(message), "fix the variable named above (README, Configuration)")]


def render(checks: list[Check]) -> str:
    """A report for a terminal: one line per check, the fix under anything not ok."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{_MARKS[check.status]} {check.name:<{width}}  {check.detail}")
        if check.fix and check.status in ("warn", "fail"):
            lines.append(f"  {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == "fail" for check in checks)
    warned = sum(check.status == "warn" for check in checks)
    if failed:
        lines.append(f"\n{failed} problem(s) to fix" + (f", {warned} warning(s)" if warned else "") + ".")
    else:
        lines.append("\nAll good" + (f" ({warned} warning(s))" if warned else "") + ".")
    return "\n".join(lines)


def healthy(checks: list[Check]) -> bool:
    return not any(check.status == "fail" for check in checks)
