"""Every log line is redacted: messages, their arguments, tracebacks, stacks and uncaught exceptions."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from bot.core import logs
from bot.core.logs import request_id, setup_logging
from bot.core.redact import MARK

# Obviously fake, but shaped like the real thing so the redaction rules apply.
KEY = "sk-proj-" + "Fak3Secr3tN0tR3alZ9" * 3
KEY_BODY = KEY[len("sk-proj-") :]
BEARER = "F4keBearerT0kenValue0123"
PASSWORD = "correct horse battery staple"

Configure = Callable[[str], Callable[[], str]]

log = logging.getLogger("bot.test_logs")


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Configure]:
    """Set up logging as the CLI does; returns a function that reads what was written to stderr."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in logs._QUIET}
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)

    def start(fmt: str) -> Callable[[], str]:
        setup_logging("INFO", fmt)
        capsys.readouterr()
        return lambda: capsys.readouterr().err

    yield start
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in quiet.items():
        logging.getLogger(name).setLevel(was)


def entries(output: str) -> list[dict[str, str]]:
    """The JSON lines, each parsed: the format is one object per line, tracebacks included."""
    return [json.loads(line) for line in output.splitlines()]


def assert_clean(output: str) -> None:
    for secret in (KEY_BODY[:12], BEARER, "horse battery"):
        assert secret not in output


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_messages_and_their_arguments_are_redacted(configure: Configure, fmt: str) -> None:
    read = configure(fmt)
    token = request_id.set("Ev0123")
    try:
        log.info("calling the LLM with key %s", KEY)
        log.warning("retrying with headers %s", {"Authorization": f"Bearer {BEARER}"})
        log.error(f"login failed, password: {PASSWORD}")
    finally:
        request_id.reset(token)
    output = read()
    assert_clean(output)
    assert f"sk-proj-{MARK}" in output
    if fmt == "json":
        lines = entries(output)
        assert [entry["level"] for entry in lines] == ["info", "warning", "error"]
        assert {entry["request_id"] for entry in lines} == {"Ev0123"}
    else:
        assert "[Ev0123]" in output


def _fail(key: str) -> None:
    try:
        {}[key]
    except KeyError as error:
        raise RuntimeError(f"upstream rejected {key}") from error


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_exception_tracebacks_are_redacted(configure: Configure, fmt: str) -> None:
    read = configure(fmt)
    try:
        _fail(KEY)
    except RuntimeError:
        log.exception("call failed for %s", f"Authorization: Bearer {BEARER}")
    output = read()
    assert_clean(output)
    assert f"RuntimeError: upstream rejected sk-proj-{MARK}" in output
    assert "KeyError" in output  # the cause's traceback is kept, redacted too
    if fmt == "json":
        (entry,) = entries(output)
        assert entry["error"].startswith("Traceback")
        assert MARK in entry["error"]


def test_a_traceback_another_handler_rendered_first_is_still_redacted(configure: Configure) -> None:
    read = configure("json")
    # A handler nearer the logger formats first and caches the raw traceback on the record.
    child = logging.getLogger("bot.test_logs.child")
    earlier = logging.StreamHandler(io.StringIO())
    child.addHandler(earlier)
    try:
        try:
            _fail(KEY)
        except RuntimeError:
            child.exception("call failed")
    finally:
        child.removeHandler(earlier)
    output = read()
    assert_clean(output)
    assert MARK in entries(output)[0]["error"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_stack_is_redacted(configure: Configure, fmt: str) -> None:
    read = configure(fmt)
    log.warning("where was this called from?", stack_info=True)  # password: correct horse battery staple
    output = read()
    assert_clean(output)
    assert "Stack (most recent call last)" in output
    if fmt == "json":
        assert "password: [redacted]" in entries(output)[0]["stack"]


def test_a_message_that_does_not_fit_its_arguments_neither_raises_nor_leaks(configure: Configure) -> None:
    read = configure("json")
    log.info("two placeholders %s %s", f"password: {PASSWORD}")
    (entry,) = entries(read())
    assert "horse battery" not in entry["message"]
    assert "didn't fit" in entry["message"]


def test_uncaught_exceptions_go_through_the_log_redacted(configure: Configure) -> None:
    read = configure("json")
    try:
        _fail(KEY)
    except RuntimeError as error:
        sys.excepthook(type(error), error, error.__traceback__)
    worker = threading.Thread(target=_fail, args=(KEY,), name="worker")
    worker.start()
    worker.join()
    output = read()
    assert_clean(output)
    assert [entry["message"] for entry in entries(output)] == [
        "uncaught exception",
        "uncaught exception in thread worker",
    ]
