"""What was answered, and what people thought of it: replies kept for Share and 👍/👎, and the votes.

Each reply shown with buttons is kept under `reply:<id>` so a click (possibly on another
replica, hours later) can repost it or attach the vote to its question and sources. A vote is
kept per user and reply under `feedback:<reply id>:<user>` (the latest one wins), and each new
or changed vote is appended to the "feedback" event stream that the stats report reads for
the human override rate:

    {"ts", "user", "vote": "up"|"down", "question", "sources": [paths], "answer_id"}
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from bot.copilot import Reply
from bot.core.redact import redact
from bot.core.store import Store

log = logging.getLogger(__name__)

Vote = Literal["up", "down"]
FEEDBACK_EVENTS = "feedback"
KEEP_S = 31 * 86400


class KeptReply(BaseModel):
    """A reply as shown, with who asked and where, so it can be shared or rated later."""

    reply_id: str
    user: str
    reply: Reply
    created: float


def _redacted(value: Any) -> Any:
    """Every string in a JSON-like value redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    return value


def keep_reply(store: Store, reply: Reply, user: str) -> str:
    """Store a reply for later Share and feedback clicks, secrets redacted; returns its id.

    Kept for a month and reposted on Share: the question, the answer, its sources' snippets and any
    attachment can all carry a pasted credential or one quoted from a document.
    """
    reply_id = uuid.uuid4().hex[:16]
    safe = Reply.model_validate(_redacted(reply.model_dump()))
    kept = KeptReply(reply_id=reply_id, user=user, reply=safe, created=time.time())
    store.set(f"reply:{reply_id}", kept.model_dump_json(), ttl_s=KEEP_S)
    return reply_id


def find_reply(store: Store, reply_id: str) -> KeptReply | None:
    """The kept reply, or None once it has expired (or Redis lost it)."""
    raw = store.get(f"reply:{reply_id}")
    if raw is None:
        return None
    try:
        return KeptReply.model_validate_json(raw)
    except ValidationError:
        log.warning("unreadable kept reply %s; treating it as expired", reply_id)
        return None


def record_vote(store: Store, reply_id: str, user: str, vote: Vote) -> bool:
    """Record a 👍/👎; returns False when it repeats this user's current vote (a double click)."""
    key = f"feedback:{reply_id}:{user}"
    previous = store.get(key)
    if previous is not None and json.loads(previous).get("vote") == vote:
        return False
    kept = find_reply(store, reply_id)
    now = time.time()
    event = {
        "ts": now,
        "user": user,
        "vote": vote,
        # Replies kept before keep_reply redacted them are still around for up to KEEP_S.
        "question": redact(kept.reply.question) if kept else "",
        "sources": [source.path for source in kept.reply.sources] if kept else [],
        "answer_id": reply_id,
    }
    detail = {
        **event,
        "kind": kept.reply.kind if kept else None,
        "mode": kept.reply.mode if kept else None,
        "answered": kept.reply.answered if kept else None,
        "changed_from": json.loads(previous)["vote"] if previous else None,
    }
    store.set(key, json.dumps(detail), ttl_s=KEEP_S)
    store.add_event(FEEDBACK_EVENTS, now, json.dumps(event), keep_s=KEEP_S)
    return True
