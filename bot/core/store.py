"""Shared state: one small interface, backed by Redis or by this process.

Everything another replica would need (dedup, rate limits, thread and answer caches, feedback,
stats, locks) goes through a `Store`. Keys are namespaced under one prefix so `cache clear`
and tests can scope themselves.

`RedisStore` never lets a Redis outage stop an answer: a failed read is a miss, a failed write
is dropped, and both log one warning per outage. `set_if_absent` (dedup) and `incr` (rate
limits) fall back to this process's memory while Redis is away, so a retried Slack delivery
still isn't answered twice by the same replica. Every command has a short timeout
(REDIS_TIMEOUT_S), and after a timeout or a refused connection a circuit breaker skips Redis for
BREAKER_COOLDOWN_S: a hung Redis costs one timeout per cooldown, not one per call (a mention
makes about eight, and the dedup runs inside Slack's 3 s ack). The first call after the cooldown
tries Redis again, so caching resumes by itself when Redis returns.

`MemoryStore` sweeps expired keys as it writes and keeps at most `MEMORY_MAX_KEYS` keys (and as
many event series), dropping the least recently written first, so a long-running process with
no Redis stays bounded.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol, TypeVar

import filelock
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.core.breaker import COOLDOWN_S, Breaker
from bot.exceptions import IndexBusy

log = logging.getLogger(__name__)

T = TypeVar("T")

REDIS_TIMEOUT_S = 0.5
# Far above what one process holds in a day (dedup, rate windows, answers, threads), and about 50 MB at worst.
MEMORY_MAX_KEYS = 100_000
SWEEP_EVERY_S = 5.0


class Store(Protocol):
    """Key-value state with TTLs, counters, time-ordered events and locks."""

    prefix: str

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str, ttl_s: int | None = None) -> None: ...
    def set_if_absent(self, key: str, value: str, ttl_s: int) -> bool: ...
    def delete(self, *keys: str) -> None: ...
    def incr(self, key: str, ttl_s: int) -> int: ...
    def add_event(self, key: str, when: float, value: str, keep_s: int) -> None: ...
    def events_since(self, key: str, since: float) -> list[str]: ...
    def clear(self, pattern: str = "*") -> int: ...
    def ping(self) -> bool: ...
    def lock(self, name: str, ttl_s: int, wait_s: float = 0) -> contextlib.AbstractContextManager[None]: ...

    @property
    def shared(self) -> bool:
        """True when other processes see the same state."""
        ...


class MemoryStore:
    """In-process state for a single process; locks are files so CLI runs don't interleave.

    `max_keys` bounds the values and the event series each; `clock` is the monotonic clock TTLs use.
    """

    shared = False

    def __init__(
        self,
        lock_dir: Path,
        prefix: str = "pmc",
        max_keys: int = MEMORY_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.max_keys = max_keys
        self._lock_dir = lock_dir
        self._clock = clock
        # Both in write order (a write moves its key to the end), so the first key is the one to evict.
        self._values: dict[str, tuple[str, float | None]] = {}
        self._events: dict[str, tuple[list[tuple[float, str]], float]] = {}
        self._swept = clock()
        self._mutex = threading.Lock()

    def size(self) -> int:
        """Keys held, expired or not (values and event series)."""
        return len(self._values) + len(self._events)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _live(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._clock():
            del self._values[key]
            return None
        return value

    def _put(self, key: str, value: str, expires: float | None) -> None:
        self._values.pop(key, None)
        self._values[key] = (value, expires)
        self._bound(self._values)

    def _bound(self, table: dict[str, T]) -> None:
        """Sweep expired keys every few seconds of writes; past the cap, drop the least recently written."""
        now = self._clock()
        if now - self._swept >= SWEEP_EVERY_S:
            self._swept = now
            for key in [k for k, (_, expires) in self._values.items() if expires is not None and expires <= now]:
                del self._values[key]
            for key in [k for k, (_, expires) in self._events.items() if expires <= now]:
                del self._events[key]
        while len(table) > self.max_keys:
            del table[next(iter(table))]

    def get(self, key: str) -> str | None:
        with self._mutex:
            return self._live(self._key(key))

    def set(self, key: str, value: str, ttl_s: int | None = None) -> None:
        with self._mutex:
            self._put(self._key(key), value, self._clock() + ttl_s if ttl_s else None)

    def set_if_absent(self, key: str, value: str, ttl_s: int) -> bool:
        with self._mutex:
            full = self._key(key)
            if self._live(full) is not None:
                return False
            self._put(full, value, self._clock() + ttl_s)
            return True

    def delete(self, *keys: str) -> None:
        with self._mutex:
            for key in keys:
                self._values.pop(self._key(key), None)
                self._events.pop(self._key(key), None)

    def incr(self, key: str, ttl_s: int) -> int:
        with self._mutex:
            full = self._key(key)
            current = self._live(full)
            count = int(current or 0) + 1
            expires = self._values[full][1] if current is not None else self._clock() + ttl_s
            self._put(full, str(count), expires)
            return count

    def add_event(self, key: str, when: float, value: str, keep_s: int) -> None:
        with self._mutex:
            full = self._key(key)
            events, _ = self._events.pop(full, ([], 0.0))
            events.append((when, value))
            events.sort(key=lambda item: item[0])
            cutoff = when - keep_s
            while events and events[0][0] < cutoff:
                events.pop(0)
            # Like the Redis sorted set's EXPIRE: a series nobody adds to for keep_s goes away.
            self._events[full] = (events, self._clock() + keep_s)
            self._bound(self._events)

    def events_since(self, key: str, since: float) -> list[str]:
        with self._mutex:
            events, _ = self._events.get(self._key(key), ([], 0.0))
            return [value for when, value in events if when >= since]

    def clear(self, pattern: str = "*") -> int:
        with self._mutex:
            full = self._key(pattern)
            doomed = [k for k in [*self._values, *self._events] if fnmatch.fnmatchcase(k, full)]
            for key in doomed:
                self._values.pop(key, None)
                self._events.pop(key, None)
            return len(doomed)

    def ping(self) -> bool:
        return True

    @contextlib.contextmanager
    def lock(self, name: str, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        # A file lock: the OS drops it when a crashed holder's process dies, so no TTL is needed.
        self._lock_dir.mkdir(parents=True, exist_ok=True)
        file_lock = filelock.FileLock(str(self._lock_dir / f"{name}.lock"))
        try:
            file_lock.acquire(timeout=wait_s if wait_s > 0 else 0)
        except filelock.Timeout as error:
            raise IndexBusy(f"{name} is already running in another process") from error
        try:
            yield
        finally:
            file_lock.release()


class RedisStore:
    """State in Redis, shared by every replica; degrades to misses while Redis is down or hung."""

    shared = True

    def __init__(
        self,
        url: str,
        prefix: str = "pmc",
        timeout_s: float = REDIS_TIMEOUT_S,
        cooldown_s: float = COOLDOWN_S,
    ) -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            health_check_interval=15,
            # One immediate retry on a dropped connection (Redis restarted under a pooled socket); none on a
            # timeout, where the breaker decides (redis-py would otherwise retry up to 10 times with backoff).
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
        self.breaker = Breaker(cooldown_s)
        self._fallback = MemoryStore(Path("."), prefix)
        self._down_since: float | None = None

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _failed(self, operation: str, error: redis.RedisError) -> None:
        if isinstance(error, redis.ConnectionError | redis.TimeoutError):
            self.breaker.failed()
        else:
            self.breaker.succeeded()  # Redis answered, with an error: no reason to skip it
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "redis unavailable (%s during %s): answering without cache and shared state",
                type(error).__name__,
                operation,
            )

    def _ok(self) -> None:
        self.breaker.succeeded()
        if self._down_since is not None:
            log.warning("redis is back after %.0f s: caching and dedup resume", time.monotonic() - self._down_since)
            self._down_since = None

    def _call(self, operation: str, command: Callable[[], T], fallback: Callable[[], T]) -> T:
        """Run one Redis command, or the fallback when it fails or while the breaker skips Redis."""
        if not self.breaker.allow():
            return fallback()
        try:
            result = command()
        except redis.RedisError as error:
            self._failed(operation, error)
            return fallback()
        self._ok()
        return result

    @property
    def healthy(self) -> bool:
        return self._down_since is None

    def get(self, key: str) -> str | None:
        return self._call("get", lambda: self.client.get(self._key(key)), lambda: None)  # type: ignore[return-value]

    def set(self, key: str, value: str, ttl_s: int | None = None) -> None:
        self._call("set", lambda: self.client.set(self._key(key), value, ex=ttl_s), lambda: None)

    def set_if_absent(self, key: str, value: str, ttl_s: int) -> bool:
        return self._call(
            "set_if_absent",
            lambda: bool(self.client.set(self._key(key), value, ex=ttl_s, nx=True)),
            lambda: self._fallback.set_if_absent(key, value, ttl_s),
        )

    def delete(self, *keys: str) -> None:
        if keys:
            self._call("delete", lambda: self.client.delete(*(self._key(key) for key in keys)), lambda: None)

    def incr(self, key: str, ttl_s: int) -> int:
        full = self._key(key)

        def command() -> int:
            pipe = self.client.pipeline()
            pipe.incr(full)
            pipe.expire(full, ttl_s, nx=True)
            count, _ = pipe.execute()
            return int(count)

        return self._call("incr", command, lambda: self._fallback.incr(key, ttl_s))

    def add_event(self, key: str, when: float, value: str, keep_s: int) -> None:
        full = self._key(key)

        def command() -> None:
            pipe = self.client.pipeline()
            pipe.zadd(full, {value: when})
            pipe.zremrangebyscore(full, "-inf", when - keep_s)
            pipe.expire(full, keep_s)
            pipe.execute()

        self._call("add_event", command, lambda: None)

    def events_since(self, key: str, since: float) -> list[str]:
        return self._call(
            "events_since",
            lambda: [str(value) for value in self.client.zrangebyscore(self._key(key), since, "+inf")],
            list,
        )

    def clear(self, pattern: str = "*") -> int:
        removed = 0

        def command() -> None:
            nonlocal removed
            batch: list[str] = []
            for key in self.client.scan_iter(match=self._key(pattern), count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += int(self.client.delete(*batch))
                    batch = []
            if batch:
                removed += int(self.client.delete(*batch))

        self._call("clear", command, lambda: None)
        return removed

    def ping(self) -> bool:
        return self._call("ping", lambda: bool(self.client.ping()), lambda: False)

    @contextlib.contextmanager
    def lock(self, name: str, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        # The TTL is what frees the lock when a holder crashes.
        lock = self.client.lock(
            self._key(f"lock:{name}"), timeout=ttl_s, blocking=wait_s > 0, blocking_timeout=wait_s or None
        )
        acquired = self._call("lock", lock.acquire, lambda: None)
        if acquired is None:
            raise IndexBusy(f"can't take the {name} lock: Redis is unavailable")
        if not acquired:
            raise IndexBusy(f"{name} is already running on another replica")
        try:
            yield
        finally:
            with contextlib.suppress(redis.RedisError):
                lock.release()


def open_store(
    redis_url: str | None,
    data_dir: Path,
    prefix: str = "pmc",
    *,
    timeout_s: float = REDIS_TIMEOUT_S,
    cooldown_s: float = COOLDOWN_S,
) -> Store:
    """The store the settings ask for: Redis when REDIS_URL is set, else this process."""
    if redis_url:
        return RedisStore(redis_url, prefix, timeout_s, cooldown_s)
    return MemoryStore(data_dir / "locks", prefix)
