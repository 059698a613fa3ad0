"""Logging: JSON lines in production, readable text in a terminal; secrets redacted on every line.

Every line goes through `RedactingFilter`: the message, its traceback and stack, and uncaught
exceptions (in any thread), which `setup_logging` routes through the log instead of raw stderr.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import threading
import time
from types import TracebackType
from typing import Any

from bot.core.redact import FAILED, redact

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
    """Render the message once, redact it with any traceback or stack, and stamp the request id; never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            try:
                message = record.getMessage()
            except Exception:
                # A message that doesn't fit its arguments would make logging print both raw to stderr.
                message = f"{record.msg} (arguments that didn't fit: {record.args!r})"
            record.msg = redact(message)
            record.args = None
            if record.exc_info:
                # Also when another handler already rendered it: its cached text isn't redacted.
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = redact(record.exc_text)
            record.exc_info = None
            if record.stack_info:
                record.stack_info = redact(record.stack_info)
        except Exception:
            # Failing closed, as redact does: a line without its details beats one with a secret.
            record.msg, record.args = FAILED, None
            record.exc_info, record.exc_text, record.stack_info = None, None, None
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
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False)


def _log_uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    """Uncaught exceptions go through the log, redacted, instead of straight to stderr."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, error, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None or issubclass(args.exc_type, SystemExit):
        return
    thread = args.thread.name if args.thread is not None else "?"
    logging.getLogger("bot").critical(
        "uncaught exception in thread %s", thread, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )


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
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
