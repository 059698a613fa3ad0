"""`@PM Copilot summarize` (tl;dr, recap; German and Dutch too) in a thread: the thread's digest, in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.digest.intent import asks_for_digest
from bot.slack.digests import Permalinks, ThreadMessages, digest_messages
from bot.slack.surface import MAX_INPUT_CHARS, Surface


def wants_digest(event: dict[str, Any]) -> bool:
    """A mention inside a thread that asks for its digest (read from the head of the text only: cheap in the ack)."""
    text = str(event.get("text") or "")
    return bool(event.get("thread_ts")) and len(text) <= MAX_INPUT_CHARS and asks_for_digest(text)


class Digests:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.messages = ThreadMessages(surface.store, surface.settings.thread_cache_ttl_s)

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts, thread_ts = event["channel"], event["ts"], event["thread_ts"]
        team = context.team_id or body.get("team_id") or ""

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        with self.surface.guard(body, "digest", post):
            screened = self.surface.screen(client, context, event)
            if isinstance(screened, str):
                client.chat_postEphemeral(
                    channel=channel, user=event.get("user", ""), thread_ts=thread_ts, text=screened
                )
                return
            self.surface.react(client, "reactions_add", channel, ts)
            try:
                messages = self.messages.read(client, team, channel, thread_ts, context.bot_user_id)
                root = messages[0].text if messages and messages[0].ts == thread_ts else ""
                title = next((line.strip("*_# ") for line in root.splitlines() if line.strip()), "")[:100]
                digest = self.surface.copilot.digest(messages, scope=f"{team}:{channel}:{thread_ts}", title=title)
                self.surface.post(client, channel, thread_ts, digest_messages(digest, Permalinks(client, channel)))
            finally:
                self.surface.react(client, "reactions_remove", channel, ts)


def register(app: App, surface: Surface) -> None:
    """Registered before the general mention listener, which takes every other mention."""
    digests = Digests(surface)
    app.event("app_mention", matchers=[wants_digest])(ack=surface.ack_event, lazy=[digests.on_mention])
