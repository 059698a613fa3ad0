"""The Slack app manifest: paste it at api.slack.com/apps → Create New App → From a manifest.

It asks only for the scopes the code uses:

    commands              /pm
    app_mentions:read     @mentions in channels
    chat:write            answers in threads, ephemeral "slow down" notes, streamed assistant answers
    reactions:write       the "working on it" reaction on a mention
    channels:history      reading a PRD thread in a public channel (conversations.replies), and its
                          edits and deletions (message.channels), which evict the cached thread
    groups:history        … and in a private channel (message.groups)
    im:history            messages in the assistant pane (message.im)
    im:write              opening a DM to send a /pm eval plan as a file
    files:read            reading PRD files shared in a thread
    files:write           uploading eval plans
    assistant:write       the assistant pane's status, title and suggested prompts
    users:read            who is asking (users.info): guests and other organisations get no knowledge;
                          the asker's locale, for the language of a short question
    channels:read         a channel's name for name-glob scopes (conversations.info), and the public
                          channels the viewer is in, for the Home tab (users.conversations)
    groups:read           … the same for private channels

The Home tab (app_home_opened → views.publish) and the digest's links (chat.getPermalink) need no scope of
their own.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.slack.listeners.commands import COMMAND

BOT_SCOPES = [
    "app_mentions:read",
    "assistant:write",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:write",
    "reactions:write",
    "users:read",
]
BOT_EVENTS = [
    "app_home_opened",
    "app_mention",
    "assistant_thread_started",
    "assistant_thread_context_changed",
    "message.channels",
    "message.groups",
    "message.im",
]
DESCRIPTION = "Cited answers from your PRDs and the AI-PM playbook, eval criteria drafts, and API errors explained."


def app_manifest(name: str = "PM Copilot", url: str | None = None) -> dict[str, Any]:
    """The manifest as a dict. With `url` (https://host), Slack posts to url/slack/events; without, Socket Mode."""
    events_url = f"{url.rstrip('/')}/slack/events" if url else None
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Ask the PM playbook, draft eval criteria, explain an API error",
        "usage_hint": "[question] | eval <feature> | error <message> | stats | scope | help",
        "should_escape": False,
    }
    subscriptions: dict[str, Any] = {"bot_events": BOT_EVENTS}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events_url:
        command["url"] = events_url
        subscriptions["request_url"] = events_url
        interactivity["request_url"] = events_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": DESCRIPTION, "background_color": "#1d3557"},
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "assistant_view": {
                "assistant_description": "Ask about AI product management, draft eval criteria, explain API errors.",
                "suggested_prompts": [],
            },
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": subscriptions,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": events_url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(name: str = "PM Copilot", url: str | None = None) -> str:
    return yaml.safe_dump(app_manifest(name, url), sort_keys=False, allow_unicode=True)
