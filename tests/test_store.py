from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.breaker import Breaker
from bot.core.store import MemoryStore, RedisStore, Store
from bot.exceptions import IndexBusy
from tests.conftest import REDIS_URL
from tests.local_servers import SilentServer


class Clock:
    """A monotonic clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path, redis_prefix: str) -> Iterator[Store]:
    if request.param == "memory":
        yield MemoryStore(tmp_path / "locks", redis_prefix)
    else:
        yield RedisStore(REDIS_URL, redis_prefix)


def test_get_set_and_ttl(store: Store) -> None:
    store.set("a", "1")
    store.set("b", "2", ttl_s=1)
    assert (store.get("a"), store.get("b"), store.get("missing")) == ("1", "2", None)
    time.sleep(1.2)
    assert store.get("b") is None


def test_set_if_absent_is_first_writer_wins(store: Store) -> None:
    assert store.set_if_absent("event:Ev1", "x", ttl_s=60)
    assert not store.set_if_absent("event:Ev1", "y", ttl_s=60)
    assert store.get("event:Ev1") == "x"


def test_incr_counts_within_a_window(store: Store) -> None:
    assert [store.incr("rate:U1", ttl_s=60) for _ in range(3)] == [1, 2, 3]


def test_events_are_time_ordered_and_pruned(store: Store) -> None:
    now = time.time()
    store.add_event("answers", now - 100, "old", keep_s=50)
    store.add_event("answers", now - 10, "recent", keep_s=50)
    store.add_event("answers", now, "new", keep_s=50)
    assert store.events_since("answers", now - 60) == ["recent", "new"]
    assert store.events_since("answers", 0) == ["recent", "new"]


def test_clear_removes_only_matching_keys(store: Store) -> None:
    store.set("answer:1", "a")
    store.set("answer:2", "b")
    store.set("thread:1", "c")
    assert store.clear("answer:*") == 2
    assert (store.get("answer:1"), store.get("thread:1")) == (None, "c")


def test_lock_excludes_a_second_holder(store: Store) -> None:
    with store.lock("job", ttl_s=30), pytest.raises(IndexBusy), store.lock("job", ttl_s=30):
        pass
    with store.lock("job", ttl_s=30):
        pass


def test_redis_outage_degrades_to_misses(redis_prefix: str, caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore("redis://127.0.0.1:1/0", redis_prefix)  # nothing listens on port 1
    store.set("k", "v")
    assert store.get("k") is None
    assert store.set_if_absent("event:E", "1", ttl_s=60)  # falls back to this process...
    assert not store.set_if_absent("event:E", "1", ttl_s=60)  # ...so a retry is still caught
    assert not store.ping()
    assert sum("redis unavailable" in record.getMessage() for record in caplog.records) == 1


# -- the in-process store stays bounded ----------------------------------------------------------


def test_memory_store_sweeps_expired_keys_as_it_writes(tmp_path: Path) -> None:
    clock = Clock()
    store = MemoryStore(tmp_path / "locks", clock=clock)
    for n in range(20_000):
        store.set(f"answer:{n}", "x", ttl_s=1)
    store.add_event("latency", time.time(), "120", keep_s=1)
    assert store.size() == 20_001
    clock.now += 60  # every TTL has passed; nobody reads those keys again
    store.set("thread:1", "fresh", ttl_s=3600)
    assert store.size() == 1 and store.get("thread:1") == "fresh"


@pytest.mark.parametrize("write", ["set", "set_if_absent", "incr", "add_event"])
def test_memory_store_keeps_at_most_max_keys_dropping_the_least_recently_written(tmp_path: Path, write: str) -> None:
    store = MemoryStore(tmp_path / "locks", max_keys=100)
    writes = {
        "set": lambda key: store.set(key, "v", ttl_s=3600),
        "set_if_absent": lambda key: store.set_if_absent(key, "v", ttl_s=3600),
        "incr": lambda key: store.incr(key, ttl_s=3600),
        "add_event": lambda key: store.add_event(key, time.time(), "v", keep_s=3600),
    }
    for n in range(150):
        writes[write](f"k{n}")
    assert store.size() == 100
    present = [n for n in range(150) if store.get(f"k{n}") or store.events_since(f"k{n}", 0)]
    assert present == list(range(50, 150))


def test_memory_store_rewriting_a_key_keeps_it(tmp_path: Path) -> None:
    store = MemoryStore(tmp_path / "locks", max_keys=3)
    for key in ("a", "b", "c"):
        store.set(key, "1")
    store.set("a", "2")  # now the most recently written
    store.set("d", "1")
    assert [store.get(key) for key in "abcd"] == ["2", None, "1", "1"]


# -- a hung Redis is waited on once, then skipped ------------------------------------------------


@pytest.mark.timeout(60)
def test_a_hung_redis_costs_one_timeout_then_is_skipped(redis_prefix: str) -> None:
    with SilentServer() as server:
        store = RedisStore(server.url("redis"), redis_prefix, timeout_s=0.3, cooldown_s=600)
        assert store.get("answer:1") is None  # the one call that waits for the timeout
        sent, connections = server.received, server.connections
        assert sent > 0 and store.breaker.is_open

        # What a mention does next (caches, rate limit, thread memory, stats) and the ack's dedup: none of it
        # goes to Redis while the breaker is open, and each falls back as when Redis is down.
        store.set("answer:1", "a", ttl_s=60)
        assert store.get("answer:1") is None
        assert [store.incr("rate:U1", ttl_s=60) for _ in range(2)] == [1, 2]
        store.add_event("latency", time.time(), "1", keep_s=60)
        assert store.events_since("latency", 0) == []
        assert store.set_if_absent("slack:event:Ev1", "1", ttl_s=60)
        assert not store.set_if_absent("slack:event:Ev1", "1", ttl_s=60)  # a redelivery is still caught
        assert not store.ping()
        with pytest.raises(IndexBusy, match="Redis is unavailable"), store.lock("reindex", ttl_s=30):
            pass
        assert (server.received, server.connections) == (sent, connections)


def test_redis_is_tried_again_after_the_cooldown_and_caching_resumes(redis_prefix: str) -> None:
    clock = Clock()
    store = RedisStore(REDIS_URL, redis_prefix)
    store.breaker = Breaker(5, clock)
    store.breaker.failed()  # as after a timeout
    store.set("answer:1", "a")
    assert store.get("answer:1") is None  # skipped: Redis isn't asked
    clock.now += 5
    store.set("answer:1", "a")  # the trial: Redis answers, and the breaker closes
    assert not store.breaker.is_open and store.get("answer:1") == "a"
