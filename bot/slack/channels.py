"""Channel names for scope rules by name glob: conversations.info, cached in the store for an hour."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.core.store import Store

log = logging.getLogger(__name__)

NAME_TTL_S = 3600


class ChannelNames:
    """A channel's name by ID; None when Slack won't say (the channel then gets the default scope)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def name(self, client: WebClient, channel: str) -> str | None:
        if not channel or channel.startswith("D"):
            return None  # a DM has no name, and gets the default scope
        key = f"channel-name:{channel}"
        cached = self.store.get(key)
        if cached is not None:
            return cached or None
        try:
            info = client.conversations_info(channel=channel)
            name = str((info.get("channel") or {}).get("name") or "")
        except SlackClientError as error:
            log.info("conversations.info for %s failed: %s", channel, error)
            return None  # not cached: the next question tries again
        self.store.set(key, name, ttl_s=NAME_TTL_S)
        return name or None
