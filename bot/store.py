"""Shared state: one small interface, backed by Redis or by this process.

Everything another replica would need (dedup, rate limits, thread and answer caches, feedback,
stats, locks) goes through a `Store`. Keys are namespaced under one prefix so `cache clear`
and tests can scope themselves.

`RedisStore` never lets a Redis outage stop an answer: a failed read is a miss, a failed write
is dropped, and both log one warning per outage. `set_if_absent` (dedup) falls back to this
process's memory while Redis is away, so a retried Slack delivery still isn't answered twice
by the same replica. Every call retries the connection, so caching resumes by itself when
Redis returns.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import filelock
import redis

from bot.errors import IndexBusy

log = logging.getLogger(__name__)


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
    """In-process state for a single process; locks are files so CLI runs don't interleave."""

    shared = False

    def __init__(self, lock_dir: Path, prefix: str = "pmc") -> None:
        self.prefix = prefix
        self._lock_dir = lock_dir
        self._values: dict[str, tuple[str, float | None]] = {}
        self._events: dict[str, list[tuple[float, str]]] = {}
        self._mutex = threading.Lock()

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _live(self, key: str) -> str | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    def get(self, key: str) -> str | None:
        with self._mutex:
            return self._live(self._key(key))

    def set(self, key: str, value: str, ttl_s: int | None = None) -> None:
        with self._mutex:
            self._values[self._key(key)] = (value, time.monotonic() + ttl_s if ttl_s else None)

    def set_if_absent(self, key: str, value: str, ttl_s: int) -> bool:
        with self._mutex:
            full = self._key(key)
            if self._live(full) is not None:
                return False
            self._values[full] = (value, time.monotonic() + ttl_s)
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
            expires = self._values[full][1] if current is not None else time.monotonic() + ttl_s
            self._values[full] = (str(count), expires)
            return count

    def add_event(self, key: str, when: float, value: str, keep_s: int) -> None:
        with self._mutex:
            events = self._events.setdefault(self._key(key), [])
            events.append((when, value))
            events.sort(key=lambda item: item[0])
            cutoff = when - keep_s
            while events and events[0][0] < cutoff:
                events.pop(0)

    def events_since(self, key: str, since: float) -> list[str]:
        with self._mutex:
            return [value for when, value in self._events.get(self._key(key), []) if when >= since]

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
    """State in Redis, shared by every replica; degrades to misses while Redis is down."""

    shared = True

    def __init__(self, url: str, prefix: str = "pmc") -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2, health_check_interval=15
        )
        self._fallback = MemoryStore(Path("."), prefix)
        self._down_since: float | None = None

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def _failed(self, operation: str, error: Exception) -> None:
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "redis unavailable (%s during %s): answering without cache and shared state",
                type(error).__name__,
                operation,
            )

    def _ok(self) -> None:
        if self._down_since is not None:
            log.warning("redis is back after %.0f s: caching and dedup resume", time.monotonic() - self._down_since)
            self._down_since = None

    @property
    def healthy(self) -> bool:
        return self._down_since is None

    def get(self, key: str) -> str | None:
        try:
            value = self.client.get(self._key(key))
        except redis.RedisError as error:
            self._failed("get", error)
            return None
        self._ok()
        return value  # type: ignore[return-value]

    def set(self, key: str, value: str, ttl_s: int | None = None) -> None:
        try:
            self.client.set(self._key(key), value, ex=ttl_s)
        except redis.RedisError as error:
            self._failed("set", error)
            return
        self._ok()

    def set_if_absent(self, key: str, value: str, ttl_s: int) -> bool:
        try:
            created = self.client.set(self._key(key), value, ex=ttl_s, nx=True)
        except redis.RedisError as error:
            self._failed("set_if_absent", error)
            return self._fallback.set_if_absent(key, value, ttl_s)
        self._ok()
        return bool(created)

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            self.client.delete(*(self._key(key) for key in keys))
        except redis.RedisError as error:
            self._failed("delete", error)

    def incr(self, key: str, ttl_s: int) -> int:
        full = self._key(key)
        try:
            pipe = self.client.pipeline()
            pipe.incr(full)
            pipe.expire(full, ttl_s, nx=True)
            count, _ = pipe.execute()
        except redis.RedisError as error:
            self._failed("incr", error)
            return self._fallback.incr(key, ttl_s)
        self._ok()
        return int(count)

    def add_event(self, key: str, when: float, value: str, keep_s: int) -> None:
        full = self._key(key)
        try:
            pipe = self.client.pipeline()
            pipe.zadd(full, {value: when})
            pipe.zremrangebyscore(full, "-inf", when - keep_s)
            pipe.expire(full, keep_s)
            pipe.execute()
        except redis.RedisError as error:
            self._failed("add_event", error)
            return
        self._ok()

    def events_since(self, key: str, since: float) -> list[str]:
        try:
            values = self.client.zrangebyscore(self._key(key), since, "+inf")
        except redis.RedisError as error:
            self._failed("events_since", error)
            return []
        self._ok()
        return [str(value) for value in values]

    def clear(self, pattern: str = "*") -> int:
        removed = 0
        try:
            batch: list[str] = []
            for key in self.client.scan_iter(match=self._key(pattern), count=500):
                batch.append(key)
                if len(batch) >= 500:
                    removed += int(self.client.delete(*batch))
                    batch = []
            if batch:
                removed += int(self.client.delete(*batch))
        except redis.RedisError as error:
            self._failed("clear", error)
        return removed

    def ping(self) -> bool:
        try:
            self.client.ping()
        except redis.RedisError as error:
            self._failed("ping", error)
            return False
        self._ok()
        return True

    @contextlib.contextmanager
    def lock(self, name: str, ttl_s: int, wait_s: float = 0) -> Iterator[None]:
        # The TTL is what frees the lock when a holder crashes.
        lock = self.client.lock(
            self._key(f"lock:{name}"), timeout=ttl_s, blocking=wait_s > 0, blocking_timeout=wait_s or None
        )
        try:
            acquired = lock.acquire()
        except redis.RedisError as error:
            self._failed("lock", error)
            raise IndexBusy(f"can't take the {name} lock: Redis is unavailable") from error
        if not acquired:
            raise IndexBusy(f"{name} is already running on another replica")
        try:
            yield
        finally:
            with contextlib.suppress(redis.RedisError):
                lock.release()


def open_store(redis_url: str | None, data_dir: Path, prefix: str = "pmc") -> Store:
    """The store the settings ask for: Redis when REDIS_URL is set, else this process."""
    if redis_url:
        return RedisStore(redis_url, prefix)
    return MemoryStore(data_dir / "locks", prefix)
