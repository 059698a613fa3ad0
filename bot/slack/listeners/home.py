"""The App Home tab (app_home_opened → views.publish), and its admin-only Reindex button."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.knowledge.scopes import Scope
from bot.slack.blocks import to_mrkdwn
from bot.slack.digests import Permalinks
from bot.slack.home import HOME_REINDEX, HomeFacts, home_view
from bot.slack.surface import Surface

log = logging.getLogger(__name__)

MAX_CHANNEL_PAGES = 3


class HomeTab:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def opened(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home":
            return  # the Messages tab
        user = str(event.get("user") or "")
        with self.surface.guard(body, "home", lambda text: self.publish(client, user, note=text, facts=False)):
            self.publish(client, user, context=context, teams=(body.get("team_id"),))

    def reindex(self, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        """The lazy half of the Reindex button: the same reindex and report as `/pm reindex`, then a fresh Home."""
        user = str((body.get("user") or {}).get("id") or "")
        with self.surface.guard(body, "home reindex", lambda text: self.publish(client, user, note=text, facts=False)):
            self.publish(client, user, note=":arrows_counterclockwise: Reindexing the knowledge base…", facts=False)
            reply = self.surface.copilot.reindex(user)  # refuses anyone but an admin, as /pm reindex does
            self.publish(client, user, note=to_mrkdwn(reply.markdown), context=context)

    def publish(
        self,
        client: WebClient,
        user: str,
        *,
        note: str | None = None,
        facts: bool = True,
        context: BoltContext | None = None,
        teams: tuple[object, ...] = (),
    ) -> None:
        if not facts:
            view = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": note or " "}}]}
            client.views_publish(user_id=user, view=view)
            return
        if context is not None:
            refusal = self.surface.refusal(client, context, user, "ask", teams)
            if refusal is not None:
                self.publish(client, user, note=refusal, facts=False)
                return
        copilot = self.surface.copilot
        recent = self.surface.recent.recent(user)
        for asked in recent:
            if asked.channel and asked.ts:
                asked.link = Permalinks(client, asked.channel)(asked.ts)
        rules = copilot.scopes.rules()
        facts_ = HomeFacts(
            knowledge=copilot.knowledge(),
            week=copilot.team_week(),
            recent=recent,
            channels=self._channel_scopes(client, user) if rules.present else [],
            scopes_present=rules.present,
            admin=copilot.is_admin(user),
            note=note,
        )
        client.views_publish(user_id=user, view=home_view(facts_))

    def _channel_scopes(self, client: WebClient, user: str) -> list[tuple[str, Scope]]:
        """The scope of each channel the viewer is in (users.conversations, a few pages at most)."""
        rules = self.surface.copilot.scopes.rules()
        found: list[tuple[str, Scope]] = []
        cursor = None
        try:
            for _ in range(MAX_CHANNEL_PAGES):
                page = client.users_conversations(
                    user=user, types="public_channel,private_channel", exclude_archived=True, limit=200, cursor=cursor
                )
                for channel in page.get("channels") or []:
                    found.append((str(channel["id"]), rules.scope_for(str(channel["id"]), channel.get("name"))))
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackClientError as error:
            log.info("users.conversations for %s failed: %s", user, error)
        return found


def register(app: App, surface: Surface) -> None:
    home = HomeTab(surface)
    app.event("app_home_opened")(ack=surface.ack_event, lazy=[home.opened])
    app.action(HOME_REINDEX)(ack=surface.ack_event, lazy=[home.reindex])
