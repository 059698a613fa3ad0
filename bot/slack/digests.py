"""A thread's messages for its digest (read page by page, cached with the thread) and the digest as Slack blocks."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import TypeAdapter, ValidationError
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.core.redact import redact
from bot.core.store import Store
from bot.digest.types import SECTIONS, TITLES, Digest, DigestItem, ThreadMessage
from bot.slack.blocks import Block, SlackMessage, escape, pack_messages
from bot.slack.threads import MAX_THREAD_MESSAGES, MAX_TURN_CHARS, clip, slack_to_text, thread_messages, ts_order

log = logging.getLogger(__name__)

_SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}
_MESSAGES = TypeAdapter(list[ThreadMessage])


class ThreadMessages:
    """What people said in a thread, kept beside its context (`thread:…:messages`) and topped up with what's new.

    Editing or deleting a message in the thread evicts it with the context (`ThreadMemory.forget`).
    """

    def __init__(self, store: Store, ttl_s: int) -> None:
        self.store = store
        self.ttl_s = ttl_s

    @staticmethod
    def _key(team: str, channel: str, thread_ts: str) -> str:
        return f"thread:{team}:{channel}:{thread_ts}:messages"

    def read(
        self, client: WebClient, team: str, channel: str, thread_ts: str, bot_user_id: str | None
    ) -> list[ThreadMessage]:
        key = self._key(team, channel, thread_ts)
        messages: list[ThreadMessage] = []
        raw = self.store.get(key)
        if raw is not None:
            try:
                messages = _MESSAGES.validate_json(raw)
            except ValidationError:
                messages = []
        newest = messages[-1].ts if messages else None
        for message in thread_messages(client, channel, thread_ts, oldest=newest):
            ts = str(message.get("ts") or "")
            if newest is not None and ts_order(ts) <= ts_order(newest):
                continue  # Slack sends the root back on every page
            if message.get("subtype") not in _SPOKEN_SUBTYPES or message.get("bot_id") or not message.get("user"):
                continue  # bots (this one included) and channel events aren't the discussion
            raw_text = str(message.get("text") or "")
            if bot_user_id and f"<@{bot_user_id}" in raw_text[:MAX_TURN_CHARS]:
                continue  # a request to the bot, not part of the discussion
            text = redact(slack_to_text(clip(raw_text, MAX_TURN_CHARS)))
            if text:
                messages.append(ThreadMessage(user=str(message["user"]), ts=ts, text=text))
        messages = messages[:MAX_THREAD_MESSAGES]
        self.store.set(key, _MESSAGES.dump_json(messages).decode(), ttl_s=self.ttl_s)
        return messages


class Permalinks:
    """chat.getPermalink for each message a digest cites; a link Slack won't give is left out."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.links: dict[str, str | None] = {}

    def __call__(self, ts: str) -> str | None:
        if ts not in self.links:
            try:
                self.links[ts] = str(self.client.chat_getPermalink(channel=self.channel, message_ts=ts)["permalink"])
            except (SlackClientError, KeyError) as error:
                log.info("no permalink for %s/%s: %s", self.channel, ts, error)
                self.links[ts] = None
        return self.links[ts]


def _line(item: DigestItem, link: str | None, owner_first: bool) -> str:
    quote = escape(item.text).replace("|", "/")
    body = f"<{link}|{quote}>" if link else quote
    if owner_first:
        owner = f"<@{item.owner}>" if item.owner else "_no owner yet_"
        return f"• {owner}: {body} (from <@{item.user}>)"
    return f"• {body} — <@{item.user}>"


def digest_blocks(digest: Digest, permalink: Any) -> list[Block]:
    """The digest as blocks: a heading, then each section with its items, each linking to its message."""
    heading = f"*Digest of this thread* ({digest.messages} messages)"
    if digest.title:
        heading = f"*Digest: {escape(digest.title)}* ({digest.messages} messages)"
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": heading}}]
    for name in SECTIONS:
        items = digest.section(name)
        lines = [f"*{TITLES[name]}*"]
        lines += [_line(item, permalink(item.ts), name == "actions") for item in items] or ["_None found._"]
        text = "\n".join(lines)
        while len(text) > 2900:  # a section block holds 3,000 characters
            lines.pop()
            text = "\n".join([*lines, "…"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    if digest.notice:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"_{escape(digest.notice)}_"}]})
    return blocks


def digest_messages(digest: Digest, permalink: Any) -> list[SlackMessage]:
    counts = ", ".join(f"{len(digest.section(name))} {TITLES[name].lower()}" for name in SECTIONS)
    return pack_messages(digest_blocks(digest, permalink), f"Digest of this thread: {counts}")
