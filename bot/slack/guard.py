"""`DeliveryGuard`: the middleware every signed Slack delivery passes before any listener.

It drops bots, channel chatter, malformed events, and any event id already seen by any replica
(SET NX with a TTL in the store); an edit or deletion only evicts the cached context of its thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.core.logs import request_id
from bot.slack.threads import ThreadMemory
from bot.wiring import Deps

log = logging.getLogger(__name__)

# Slack redelivers an event for up to about an hour; a day covers that with room to spare.
DEDUP_TTL_S = 24 * 3600
# Message subtypes that are a person speaking; everything else (edits, deletions, joins) is ignored.
_SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast"}
_EDITS = {"message_changed", "message_deleted"}


def ignorable(event: dict[str, Any]) -> bool:
    """Bots (ourselves included), edits, deletions and other non-speech message events."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return True
    return event.get("type") in ("message", "app_mention") and event.get("subtype") not in _SPOKEN_SUBTYPES


_STRING_FIELDS = ("type", "subtype", "text", "user", "channel", "channel_type", "ts", "thread_ts", "event_ts")


def _malformed(event: object) -> bool:
    """An event no listener could read: not an object, or a field Slack always sends as a string that isn't one."""
    if not isinstance(event, dict):
        return True
    return any(key in event and not isinstance(event[key], str) for key in _STRING_FIELDS)


def _stale_threads(event: dict[str, Any]) -> set[str]:
    """The threads whose cached context an edit or deletion makes stale: none for bots or unchanged text."""
    messages = [m for m in (event.get("previous_message"), event.get("message")) if isinstance(m, dict)]
    # Our own streamed and updated answers, and the assistant pane's root, change all the time.
    if any(m.get("bot_id") or m.get("subtype") in ("bot_message", "assistant_app_thread") for m in messages):
        return set()
    if len(messages) == 2 and all(messages[0].get(key) == messages[1].get(key) for key in ("text", "files")):
        return set()  # an unfurl or a link preview, not an edit
    threads = {str(m.get("thread_ts") or m.get("ts") or "") for m in messages}
    if event.get("subtype") == "message_deleted":
        threads.add(str(event.get("deleted_ts") or ""))
    return threads - {""}


def _has_assistant_thread(event: dict[str, Any]) -> bool:
    thread = event.get("assistant_thread")
    return isinstance(thread, dict) and bool(thread.get("channel_id")) and bool(thread.get("thread_ts"))


class DeliveryGuard(Middleware):
    """Runs before every listener: tags the log with the request id, drops noise and redeliveries.

    Edits and deletions stop here too, after evicting the cached context of their thread (one
    store delete), so the next question reads the thread afresh rather than the old words. This
    can't wait for a listener: Bolt's Assistant middleware swallows edits in the pane's threads.
    """

    def __init__(self, deps: Deps) -> None:
        self.store = deps.store
        self.threads = ThreadMemory(deps.store, deps.settings.thread_cache_ttl_s)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        request_id.set(str(body.get("event_id") or body.get("trigger_id") or "-"))
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        if _malformed(event):
            log.warning("ignoring a malformed event (a field of the wrong type)")
            return req.context.ack()
        if event.get("type") == "message" and event.get("subtype") in _EDITS:
            team = req.context.team_id or str(body.get("team_id") or "")
            for thread_ts in _stale_threads(event):
                self.threads.forget(team, str(event.get("channel") or ""), thread_ts)
            return req.context.ack()
        if ignorable(event) or (event.get("type") == "message" and event.get("channel_type") != "im"):
            # Channel messages arrive only for the edits above; mentions come as app_mention.
            return req.context.ack()
        if str(event.get("type", "")).startswith("assistant_thread_") and not _has_assistant_thread(event):
            # Bolt's Assistant middleware would fail with a 500 (and Slack would retry); nothing here to act on.
            log.warning("ignoring a %s event without its assistant_thread", event.get("type"))
            return req.context.ack()
        event_id = body.get("event_id")
        if event_id and not self.store.set_if_absent(f"slack:event:{event_id}", "1", DEDUP_TTL_S):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info(
                "skipping a redelivered event (retry %s, reason %s)",
                retry,
                (req.headers.get("x-slack-retry-reason") or ["-"])[0],
            )
            return req.context.ack()
        return next()
