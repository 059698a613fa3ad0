"""The buttons under an answer: share it in the channel, and 👍/👎 feedback."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.core.i18n import say
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, SHARE, as_slack_messages
from bot.slack.feedback import Vote, find_reply, record_vote
from bot.slack.surface import Surface

log = logging.getLogger(__name__)

NOT_YOURS = "Only the person who asked can share this answer. Ask me yourself and share that one."


class Actions:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def share(
        self, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        """Repost an ephemeral reply visibly in its channel, then remove the ephemeral copy."""
        clicker = body.get("user") or {}
        user = clicker.get("id", "")
        tell = lambda text: respond(text=text, response_type="ephemeral", replace_original=False)  # noqa: E731
        with self.surface.guard(body, "share", tell):
            kept = find_reply(self.surface.store, str(action.get("value", "")))
            if kept is None:
                tell("That answer has expired, so I can't share it. Ask again and share the new one.")
                return
            if kept.user != user:
                log.warning("%s tried to share reply %s, which %s asked for", user, kept.reply_id, kept.user)
                tell(NOT_YOURS)
                return
            verb = "error" if kept.reply.kind == "error" else "share"
            refusal = self.surface.refusal(client, context, user, verb, (clicker.get("team_id"),))
            if refusal is not None:
                tell(refusal)
                return
            for message in as_slack_messages(kept.reply, kept.reply_id, shared_by=user):
                respond(
                    text=message["text"],
                    blocks=message["blocks"],
                    response_type="in_channel",
                    replace_original=False,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            respond(delete_original=True)

    def vote(self, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        user = (body.get("user") or {}).get("id", "")
        tell = lambda text: respond(text=text, response_type="ephemeral", replace_original=False)  # noqa: E731
        with self.surface.guard(body, "feedback", tell):
            vote: Vote = "up" if action.get("action_id") == FEEDBACK_UP else "down"
            reply_id = str(action.get("value", ""))
            if record_vote(self.surface.store, reply_id, user, vote):
                kept = find_reply(self.surface.store, reply_id)  # thanks in the language of the answer rated
                tell(say(f"slack.thanks_{vote}", kept.reply.lang if kept else None))


def register(app: App, surface: Surface) -> None:
    actions = Actions(surface)
    app.action(SHARE)(ack=surface.ack_event, lazy=[actions.share])
    app.action(FEEDBACK_UP)(ack=surface.ack_event, lazy=[actions.vote])
    app.action(FEEDBACK_DOWN)(ack=surface.ack_event, lazy=[actions.vote])
