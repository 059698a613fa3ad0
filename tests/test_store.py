from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import IndexBusy
from bot.store import MemoryStore, RedisStore, Store
from tests.conftest import REDIS_URL


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
