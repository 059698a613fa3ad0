from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.knowledge.sandbox import Sandbox

# The functions the children run: module-level, so that they pickle by name.


def add(a: int, b: int) -> int:
    return a + b


def fail(message: str) -> None:
    raise ValueError(message)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def spin() -> None:
    while True:
        pass


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes << 20))


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def pid() -> int:
    return os.getpid()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(["bot.knowledge.loaders"], processes=1)
    yield box
    box.close()


def test_a_call_returns_its_value_from_a_child_process(sandbox: Sandbox) -> None:
    assert sandbox.run(add, 2, 3, seconds=30, memory_bytes=64 << 20) == 5
    assert sandbox.run(pid, seconds=30, memory_bytes=64 << 20) != os.getpid()


@pytest.mark.parametrize(
    ("function", "args", "error", "match"),
    [
        (fail, ("bad input",), ValueError, "bad input"),
        (sleep, (60,), TimeoutError, "took over 0.5 s"),
        (spin, (), TimeoutError, "took over 0.5 s"),
        (allocate, (512,), MemoryError, None),
        (die, (), ChildProcessError, "SIGKILL"),
    ],
)
def test_failures_come_back_as_exceptions_and_the_sandbox_keeps_working(
    sandbox: Sandbox, function: Callable[..., Any], args: tuple[Any, ...], error: type[Exception], match: str | None
) -> None:
    with pytest.raises(error, match=match):
        sandbox.run(function, *args, seconds=0.5 if error is TimeoutError else 30, memory_bytes=64 << 20)
    assert sandbox.run(add, 1, 1, seconds=30, memory_bytes=64 << 20) == 2


def test_memory_under_the_limit_is_allowed(sandbox: Sandbox) -> None:
    assert sandbox.run(allocate, 32, seconds=30, memory_bytes=128 << 20) == 32 << 20


def test_each_call_gets_a_fresh_child(sandbox: Sandbox) -> None:
    assert sandbox.run(pid, seconds=30, memory_bytes=64 << 20) != sandbox.run(pid, seconds=30, memory_bytes=64 << 20)


def test_a_dead_zygote_is_replaced(sandbox: Sandbox) -> None:
    sandbox.run(add, 1, 1, seconds=30, memory_bytes=64 << 20)
    zygote = sandbox._idle.get()
    assert zygote is not None
    zygote.process.kill()
    zygote.process.wait()
    sandbox._idle.put(zygote)
    assert sandbox.run(add, 1, 2, seconds=30, memory_bytes=64 << 20) == 3


def test_calls_wait_for_a_free_process_within_their_time(sandbox: Sandbox) -> None:
    sandbox._idle.get()  # the only process is busy
    with pytest.raises(TimeoutError, match="no parser process was free"):
        sandbox.run(add, 1, 1, seconds=0.2, memory_bytes=64 << 20)
    sandbox._idle.put(None)
