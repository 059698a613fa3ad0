"""`@PM Copilot save this PRD` in a thread: its root message and files become a document of the knowledge."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.copilot import asks_to_save
from bot.knowledge.saved import SlackPRD
from bot.slack.blocks import as_slack_messages
from bot.slack.digests import Permalinks
from bot.slack.surface import MAX_INPUT_CHARS, Surface
from bot.slack.threads import MAX_CONTEXT_CHARS, FileBudget, clip, slack_to_text


def wants_save(event: dict[str, Any]) -> bool:
    """A mention inside a thread that asks to save its PRD (the head of the text only: cheap in the ack)."""
    text = str(event.get("text") or "")
    return bool(event.get("thread_ts")) and len(text) <= MAX_INPUT_CHARS and asks_to_save(text)


class Saving:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts, thread_ts, user = event["channel"], event["ts"], event["thread_ts"], event.get("user", "")

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        with self.surface.guard(body, "save PRD", post):
            screened = self.surface.screen(client, context, event)
            if isinstance(screened, str):
                client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=screened)
                return
            self.surface.react(client, "reactions_add", channel, ts)
            try:
                page = client.conversations_replies(channel=channel, ts=thread_ts, limit=1, inclusive=True)
                root = next(iter(page.get("messages") or []), None)
                if root is None or str(root.get("ts")) != thread_ts:
                    post("I couldn't read this thread's first message, so there is nothing to save.")
                    return
                prd = SlackPRD(
                    channel=channel,
                    thread_ts=thread_ts,
                    author=str(root.get("user") or ""),
                    text=slack_to_text(clip(str(root.get("text") or ""), MAX_CONTEXT_CHARS), context.bot_user_id),
                    saved_by=user,
                )
                if user == prd.author or self.surface.copilot.is_admin(user):  # only then is Slack asked for more
                    shared = self.surface.files.read_all(root.get("files") or [], FileBudget())
                    prd.files = [(file.name, file.text) for file in shared]
                    prd.permalink = Permalinks(client, channel)(thread_ts)
                    prd.channel_name = self.surface.channel_names.name(client, channel)
                reply = self.surface.copilot.save_prd(prd, user=user)
                self.surface.post(client, channel, thread_ts, as_slack_messages(reply))
            finally:
                self.surface.react(client, "reactions_remove", channel, ts)


def register(app: App, surface: Surface) -> None:
    """Registered before the general mention listener, which takes every other mention."""
    saving = Saving(surface)
    app.event("app_mention", matchers=[wants_save])(ack=surface.ack_event, lazy=[saving.on_mention])
