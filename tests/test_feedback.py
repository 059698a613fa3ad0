"""Kept replies and votes: what is stored for a month holds no secret, whoever pasted or quoted one."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from bot.copilot import Attachment, Reply
from bot.core.redact import MARK
from bot.core.reply import Source
from bot.core.store import RedisStore
from bot.slack.feedback import find_reply, keep_reply, record_vote
from tests.conftest import REDIS_URL

# Obviously fake, but shaped like the real thing so the redaction rules apply.
KEY = "sk-proj-" + "Fak3Secr3tN0tR3alZ9" * 3
TOKEN = "ghp_" + ("Fak3Secr3tN0tR3alZ9" * 2)[:36]
PASSWORD = "correct horse battery staple"
SECRETS = (KEY[8:20], TOKEN[4:16], "horse battery")


@pytest.fixture
def store(redis_prefix: str) -> Iterator[RedisStore]:
    yield RedisStore(REDIS_URL, redis_prefix)


def stored(prefix: str) -> str:
    """Everything under the test's prefix, as Redis holds it."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        values = []
        for key in sorted(client.scan_iter(match=f"{prefix}:*")):
            kind = client.type(key)
            assert kind in ("string", "zset"), f"{key} is a {kind}: read it here too"
            values.extend([client.get(key) or ""] if kind == "string" else client.zrange(key, 0, -1))
        return "\n".join(values)
    finally:
        client.close()


def reply_with_secrets() -> Reply:
    return Reply(
        kind="answer",
        markdown=f"Set the key in the env file:\n> OPENAI_API_KEY={KEY}",
        question=f"why does {TOKEN} fail with password: {PASSWORD}",
        sources=[
            Source(
                path="prds/billing.md",
                title="Billing",
                section="Setup",
                score=0.9,
                snippet=f"the staging key is {KEY}",
            )
        ],
        attachment=Attachment(filename="plan.md", title="Eval plan", content=f"GITHUB_TOKEN={TOKEN}"),
    )


def test_a_kept_reply_is_stored_redacted(store: RedisStore, redis_prefix: str) -> None:
    reply_id = keep_reply(store, reply_with_secrets(), "UPM")
    raw = stored(redis_prefix)
    for secret in SECRETS:
        assert secret not in raw
    kept = find_reply(store, reply_id)
    assert kept is not None
    assert kept.reply.question == f"why does ghp_{MARK} fail with password: [redacted]"
    assert kept.reply.sources[0].snippet == f"the staging key is sk-proj-{MARK}"
    assert kept.reply.sources[0].path == "prds/billing.md"
    assert kept.reply.attachment is not None and kept.reply.attachment.content == f"GITHUB_TOKEN=ghp_{MARK}"


@pytest.mark.parametrize("vote", ["up", "down"])
def test_vote_records_hold_no_secret(store: RedisStore, redis_prefix: str, vote: str) -> None:
    reply_id = keep_reply(store, reply_with_secrets(), "UPM")
    assert record_vote(store, reply_id, "UPM", vote)  # type: ignore[arg-type]
    raw = stored(redis_prefix)
    for secret in SECRETS:
        assert secret not in raw
    [event] = [json.loads(item) for item in store.events_since("feedback", 0)]
    assert event["question"].startswith(f"why does ghp_{MARK}")
    assert event["sources"] == ["prds/billing.md"]
