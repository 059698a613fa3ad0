"""A circuit breaker: a dependency that just failed is skipped for a while instead of being waited on again.

    closed ──failure──▶ open (every call skipped) ──cooldown over──▶ one trial call ──ok──▶ closed
                              ▲                                                   │
                              └──────────────────────failure──────────────────────┘

Redis and Chroma each have one. While it is open, a caller takes its fallback at once (a cache
miss, an in-process dedup, "search is unavailable"), so a hung dependency costs one timeout per
cooldown instead of one per call. The trial is whichever call comes first after the cooldown;
the calls racing it keep being skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

COOLDOWN_S = 5.0


class Breaker:
    """Open after a failure, for `cooldown_s`; then one call at a time tries the dependency again."""

    def __init__(self, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._open_until: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """True while the dependency is being skipped or tried again (it failed last time)."""
        return self._open_until is not None

    def allow(self) -> bool:
        """Whether this call may go to the dependency (always while closed; one trial per cooldown when open)."""
        with self._lock:
            if self._open_until is None:
                return True
            now = self._clock()
            if now < self._open_until:
                return False
            # This call is the trial: the others keep skipping until it reports back.
            self._open_until = now + self.cooldown_s
            return True

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = None

    def failed(self) -> None:
        with self._lock:
            self._open_until = self._clock() + self.cooldown_s
