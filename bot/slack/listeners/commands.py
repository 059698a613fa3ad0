"""/pm: the ack answers at once (help, usage, refusals, or "working on it"); the lazy run does the work."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.copilot import Reply, parse_request
from bot.core.i18n import say
from bot.core.language import detect
from bot.core.logs import request_id
from bot.core.redact import redact
from bot.core.text import clip
from bot.slack.blocks import as_slack_messages, escape
from bot.slack.surface import APOLOGY, SLOW_DOWN, Surface

log = logging.getLogger(__name__)

COMMAND = "/pm"
# A response_url accepts five messages; longer ephemeral replies keep their first parts and the last (sources, buttons).
RESPONSE_URL_USES = 5
# How much of the request the "working on it" ack echoes back.
ECHO_CHARS = 200
_WORKING = {
    "eval": ":memo: Drafting eval criteria for _{argument}_…",
    "error": ":mag: Looking up that error…",
    "stats": ":bar_chart: Gathering the stats…",
    "reindex": ":arrows_counterclockwise: Reindexing the knowledge base; the summary will appear here.",
    "scope": ":mag: Checking what this channel searches…",
}


def _echo(argument: str) -> str:
    """The start of a request, escaped for the "working" ack; cut before redaction so the ack's work is bounded."""
    return escape(redact(clip(argument, ECHO_CHARS)))


def _working(verb: str, argument: str) -> str:
    """The "working on it" ack; a question's in its own language (no users.info in an ack, so no locale hint)."""
    if verb == "ask":
        return say("slack.working_ask", detect(clip(argument, ECHO_CHARS)), argument=_echo(argument))
    return _WORKING[verb].format(argument=_echo(argument))


class Commands:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def ack_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """Only cheap, bounded work here: a length check, parsing, and at most ECHO_CHARS redacted for the echo."""
        text = str(command.get("text") or "")
        try:
            immediate = self.surface.too_long(text)
            if immediate is None:
                request = parse_request(text)
                immediate = self.surface.immediate(request, command.get("user_id", ""))
        except Exception:
            log.exception("/pm ack failed")
            ack(response_type="ephemeral", text=APOLOGY.format(ref=request_id.get()))
            return
        if immediate is not None:
            ack(response_type="ephemeral", text=immediate.markdown)
            return
        ack(response_type="ephemeral", text=_working(request.verb, request.argument))

    def run_command(
        self, body: dict[str, Any], command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        user = command.get("user_id", "")
        text = str(command.get("text") or "")
        if self.surface.too_long(text) is not None:
            return  # the ack said it all
        request = parse_request(text)
        if self.surface.immediate(request, user) is not None:
            return  # the ack said it all
        tell = lambda text: respond(text=text, response_type="ephemeral", replace_original=True)  # noqa: E731
        with self.surface.guard(body, "/pm", tell):
            if self.surface.limited(user):
                tell(SLOW_DOWN.format(limit=self.surface.settings.rate_limit_per_minute))
                return
            refusal = self.surface.refusal(
                client, context, user, request.verb, (command.get("team_id"), command.get("enterprise_id"))
            )
            if refusal is not None:
                tell(refusal)
                return
            scope = self.surface.scope_of(client, command.get("channel_id"), command.get("channel_name"))
            hint = self.surface.hint(client, user, request)
            reply = self.surface.copilot.run(request, user=user, scope=scope, hint=hint)
            if reply.attachment is not None:
                reply = reply.model_copy(
                    update={"markdown": f"{reply.markdown}\n\n_The full plan is on its way to your DMs as a file._"}
                )
            if reply.kind == "answer":  # recorded before the reply goes out, so Home lists it once the user sees it
                self.surface.recent.add(user, request.argument)  # ephemeral: nothing to link to
            self._respond(respond, reply, user)
            if reply.attachment is not None:
                self._upload_to_dm(client, user, reply)

    def _respond(self, respond: Respond, reply: Reply, user: str) -> None:
        reply_id = self.surface.keep(reply, user, shareable=True)
        messages = as_slack_messages(reply, reply_id, shareable=reply_id is not None)
        if len(messages) > RESPONSE_URL_USES:
            log.warning("ephemeral reply of %d messages cut to %d", len(messages), RESPONSE_URL_USES)
            last = messages[-1]
            messages = [*messages[: RESPONSE_URL_USES - 1], last]
        for number, message in enumerate(messages):
            sent = respond(
                text=message["text"],
                blocks=message["blocks"],
                response_type="ephemeral",
                replace_original=number == 0,
                unfurl_links=False,
                unfurl_media=False,
            )
            if sent.status_code != 200:
                log.warning("response_url refused part %d of a reply: %s %s", number + 1, sent.status_code, sent.body)

    def _upload_to_dm(self, client: WebClient, user: str, reply: Reply) -> None:
        attachment = reply.attachment
        assert attachment is not None
        try:
            channel = client.conversations_open(users=user)["channel"]["id"]
            client.files_upload_v2(
                channel=channel,
                content=attachment.content,
                filename=attachment.filename,
                title=attachment.title,
                initial_comment=f"Here's the full plan: *{attachment.title}*",
            )
        except SlackClientError:
            log.exception("couldn't send the eval plan file to %s", user)


def register(app: App, surface: Surface) -> None:
    commands = Commands(surface)
    app.command(COMMAND)(ack=commands.ack_command, lazy=[commands.run_command])
