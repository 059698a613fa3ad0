from __future__ import annotations

import pytest

from bot.core.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_closed_lets_every_call_through(clock: Clock) -> None:
    breaker = Breaker(5, clock)
    assert [breaker.allow() for _ in range(3)] == [True, True, True]
    assert not breaker.is_open


@pytest.mark.parametrize(
    ("after_s", "allowed"), [(0.0, False), (4.9, False), (5.0, True), (60.0, True)], ids=["at-once", "4.9s", "5s", "1m"]
)
def test_a_failure_skips_the_dependency_for_the_cooldown(clock: Clock, after_s: float, allowed: bool) -> None:
    breaker = Breaker(5, clock)
    breaker.failed()
    clock.now += after_s
    assert breaker.allow() is allowed and breaker.is_open


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_after_the_cooldown_one_trial_goes_through_and_decides(clock: Clock, outcome: str) -> None:
    breaker = Breaker(5, clock)
    breaker.failed()
    clock.now += 5
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # a call racing it is still skipped
    getattr(breaker, outcome)()
    if outcome == "succeeded":
        assert not breaker.is_open and breaker.allow()
    else:
        assert breaker.is_open and not breaker.allow()
        clock.now += 5
        assert breaker.allow()
