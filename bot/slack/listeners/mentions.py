"""@mentions in channel threads (PRDs): the thread is read once, cached, and topped up after that."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.copilot import Reply, Request, mentions_evals
from bot.slack.blocks import as_slack_messages
from bot.slack.surface import Surface
from bot.slack.threads import SharedFile, ThreadContext, read_thread

log = logging.getLogger(__name__)

MENTION_HELP = (
    "Ask me something about this thread or the playbook, e.g. _What should we measure before launch?_, "
    "or say _draft evals_ under a PRD to get eval criteria for it, _summarize_ for a digest of the thread, "
    "or _save this PRD_ to add it to the knowledge."
)


class Mentions:
    def __init__(self, surface: Surface) -> None:
        self.surface = surface

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts, user = event["channel"], event["ts"], event.get("user", "")
        thread_ts = event.get("thread_ts") or ts
        team = context.team_id or body.get("team_id") or ""

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        def whisper(text: str) -> None:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)

        with self.surface.guard(body, "mention", post):
            screened = self.surface.screen(client, context, event)
            if isinstance(screened, str):
                whisper(screened)
                return
            question, request = screened
            self.surface.react(client, "reactions_add", channel, ts)
            try:
                thread, unread = self._thread_of(client, event, team, thread_ts, context.bot_user_id)
                if request.verb == "ask" and thread.prd and mentions_evals(question):
                    request = Request("eval", thread.title or question)
                if request.verb == "help":
                    reply = Reply(kind="help", markdown=MENTION_HELP)
                else:
                    scope = self.surface.scope_of(client, channel)
                    hint = self.surface.hint(client, user, request)
                    reply = self.surface.copilot.run(
                        request, user=user, conversation=thread.conversation(), scope=scope, hint=hint
                    )
                if unread:
                    reply = reply.model_copy(update={"markdown": f"{reply.markdown}\n\n_{unread}_"})
                posted = self.surface.post(
                    client, channel, thread_ts, as_slack_messages(reply, self.surface.keep(reply, user))
                )
                if reply.kind == "answer":
                    self.surface.recent.add(user, question, channel, posted or thread_ts)
                if reply.attachment is not None:
                    self.surface.upload_to_thread(client, channel, thread_ts, reply)
                if not unread:  # a thread we couldn't read is read again next time
                    if reply.kind == "usage":
                        thread.skip(ts)  # a refused question (e.g. too long) must not weigh on every later one
                    else:
                        thread.add_turn(question, reply.markdown, ts)
                    self.surface.threads.save(thread)
            finally:
                self.surface.react(client, "reactions_remove", channel, ts)

    def _thread_of(
        self, client: WebClient, event: dict[str, Any], team: str, thread_ts: str, bot_user_id: str | None
    ) -> tuple[ThreadContext, str | None]:
        """The thread's context: read once, then cached and topped up with the messages posted since.

        Files on this message are added either way. When Slack won't let us read the thread, the
        answer goes on with what we have; the second value then says so, for the reply.
        """
        channel, ts = event["channel"], event["ts"]
        cached = self.surface.threads.load(team, channel, thread_ts)
        if cached is not None and not cached.seen_ts:
            cached = None  # cached by an older version, which didn't note where it stopped reading: read it afresh
        thread = cached or ThreadContext(team=team, channel=channel, thread_ts=thread_ts)
        unread = None
        if cached is not None or event.get("thread_ts"):
            try:
                read_thread(client, self.surface.files, thread, bot_user_id=bot_user_id, skip_ts=ts)
            except SlackApiError as error:
                code = error.response.get("error", "an error")
                log.warning("couldn't read thread %s/%s: %s", channel, thread_ts, code)
                if cached is None:
                    unread = f"I couldn't read this thread (Slack said `{code}`), so this answer doesn't draw on it."
        new_files: list[SharedFile] = self.surface.files.read_all(event.get("files") or [], thread.file_budget())
        thread.files = [*thread.files, *new_files]
        return thread, unread


def register(app: App, surface: Surface) -> None:
    mentions = Mentions(surface)
    app.event("app_mention")(ack=surface.ack_event, lazy=[mentions.on_mention])
