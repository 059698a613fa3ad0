"""Logging: JSON lines in production, readable text in a terminal; secrets redacted on every line."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

from bot.redact import redact

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_QUIET = (
    "httpx",
    "httpcore",
    "chromadb",
    "sentence_transformers",
    "urllib3",
    "openai",
    "transformers",
    "huggingface_hub",
    "slack_bolt.App",
    "slack_sdk",
)


class RedactingFilter(logging.Filter):
    """Render the message once, redact it, and stamp the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Configure the root logger once; `fmt` is json, text, or auto (text on a terminal)."""
    handler = logging.StreamHandler(sys.stderr)
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler.setFormatter(
        JsonFormatter()
        if use_json
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s", "%H:%M:%S")
    )
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
