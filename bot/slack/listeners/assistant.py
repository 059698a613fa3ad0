"""The assistant pane (and plain DMs): greeting, suggested prompts, and answers streamed as they are written."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, Assistant, BoltContext, Say
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_bolt.context.say_stream import SayStream
from slack_bolt.context.set_status import SetStatus
from slack_bolt.context.set_suggested_prompts import SetSuggestedPrompts
from slack_bolt.context.set_title import SetTitle
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.copilot import Reply
from bot.core.i18n import say as words  # `say` is Bolt's name for posting in the thread
from bot.core.language import detect, language
from bot.slack.blocks import SlackMessage, as_slack_messages, footer_blocks, split_text
from bot.slack.guard import ignorable
from bot.slack.surface import USAGE, Surface
from bot.slack.threads import ThreadContext
from bot.wiring import Deps

log = logging.getLogger(__name__)

STREAM_PIECE_CHARS = 3500
GREETING = words("slack.greeting", "en")
SUGGESTED_PROMPTS = [
    {"title": words("slack.prompt_playbook", "en"), "message": words("slack.prompt_playbook_question", "en")},
    # These two stay English in every language: their wording is what `parse_request` reads as a verb.
    {"title": "Draft eval criteria", "message": "Draft eval criteria for: an AI summary of support tickets"},
    {
        "title": "Explain an error",
        "message": "Explain this error: Error code: 429 - You exceeded your current quota (insufficient_quota)",
    },
]


class StoredThreadContexts(AssistantThreadContextStore):
    """The assistant pane's thread context (the channel the user is looking at), kept in the store."""

    def __init__(self, deps: Deps) -> None:
        self.store = deps.store
        self.ttl_s = deps.settings.thread_cache_ttl_s

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.store.set(f"assistant:{channel_id}:{thread_ts}", json.dumps(context), self.ttl_s)

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        raw = self.store.get(f"assistant:{channel_id}:{thread_ts}")
        return AssistantThreadContext(json.loads(raw)) if raw else None


class AssistantPane:
    def __init__(self, surface: Surface, contexts: StoredThreadContexts) -> None:
        self.surface = surface
        self.contexts = contexts

    def thread_started(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        say: Say,
        set_suggested_prompts: SetSuggestedPrompts,
        client: WebClient,
    ) -> None:
        with self.surface.guard(body, "assistant thread", lambda text: say(text)):
            thread = event.get("assistant_thread") or {}
            viewing = thread.get("context") or {}
            if viewing:
                self.contexts.save(channel_id=thread["channel_id"], thread_ts=thread["thread_ts"], context=viewing)
            # The greeting in the user's Slack language (users.info, cached for their first question too).
            lang = language(self.surface.boundary.locale(client, str(thread.get("user_id") or "")))
            ask = {
                "title": words("slack.prompt_playbook", lang),
                "message": words("slack.prompt_playbook_question", lang),
            }
            say(words("slack.greeting", lang))
            set_suggested_prompts(prompts=[ask, *SUGGESTED_PROMPTS[1:]], title=words("slack.prompts_title", lang))

    def on_direct_message(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        say_stream: SayStream | None = None,
    ) -> None:
        """A DM outside an assistant thread (e.g. the Messages tab): answered in a thread under it."""
        if event.get("channel_type") != "im" or ignorable(event):
            return
        self.on_user_message(body, event, client, context, say_stream=say_stream)

    def on_user_message(
        self,
        body: dict[str, Any],
        payload: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        set_status: SetStatus | None = None,
        set_title: SetTitle | None = None,
        say_stream: SayStream | None = None,
    ) -> None:
        channel, user = payload["channel"], payload.get("user", "")
        thread_ts = payload.get("thread_ts") or payload["ts"]
        team = context.team_id or body.get("team_id") or ""

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        with self.surface.guard(body, "assistant message", post):
            screened = self.surface.screen(client, context, payload)
            if isinstance(screened, str):
                post(screened)
                return
            text, request = screened
            thread = self.surface.threads.load(team, channel, thread_ts) or ThreadContext(
                team=team, channel=channel, thread_ts=thread_ts
            )
            new_files = self.surface.files.read_all(payload.get("files") or [], thread.file_budget())
            thread.files = [*thread.files, *new_files]
            if not thread.history and set_title is not None:
                self.surface.quietly(set_title, text[:80] or "PM Copilot")
            hint = self.surface.hint(client, user, request)
            if set_status is not None:
                lang = detect(request.argument, hint)
                self.surface.quietly(
                    set_status,
                    status=words("slack.status", lang),
                    loading_messages=[words(f"slack.loading_{what}", lang) for what in ("playbook", "prds", "sources")],
                )
            immediate = self.surface.immediate(request, user)
            if immediate is not None:
                reply = Reply(kind="help", markdown=USAGE.replace("/pm ", "")) if request.verb == "help" else immediate
                self.surface.post(client, channel, thread_ts, as_slack_messages(reply))
            elif request.verb == "ask" and say_stream is not None:
                reply = self._stream_answer(
                    client, channel, thread_ts, request.argument, thread, user, say_stream, hint
                )
            else:
                reply = self.surface.copilot.run(
                    request,
                    user=user,
                    conversation=thread.conversation(),
                    scope=self.surface.copilot.scope_of(None),
                    hint=hint,
                )
                self.surface.post(client, channel, thread_ts, as_slack_messages(reply, self.surface.keep(reply, user)))
                if reply.attachment is not None:
                    self.surface.upload_to_thread(client, channel, thread_ts, reply)
            if reply.kind == "answer":
                self.surface.recent.add(user, text, channel, thread_ts)
            if immediate is None:  # usage text and refusals stay out: a huge message must not weigh on every later one
                thread.add_turn(text, reply.markdown, str(payload.get("ts") or ""))
            self.surface.threads.save(thread)

    def _stream_answer(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        question: str,
        thread: ThreadContext,
        user: str,
        say_stream: SayStream,
        hint: str | None = None,
    ) -> Reply:
        """Stream the answer as it is written (chat.startStream/appendStream/stopStream), sources at the end.

        What stays on screen is always the answer kept in the thread's history: when the stream
        breaks, or generation broke off midway and a quoted answer replaced the text streamed so
        far, the streamed message is replaced by the kept answer.
        """
        stream = say_stream()
        shown: list[str] = []
        broken = False

        def on_token(token: str) -> None:
            nonlocal broken
            if broken or not token:
                return
            try:
                stream.append(markdown_text=token)
                shown.append(token)
            except SlackClientError as error:
                log.warning("streaming stopped: %s", error)
                broken = True

        reply = self.surface.copilot.ask(
            question,
            conversation=thread.conversation(),
            on_token=on_token,
            scope=self.surface.copilot.scope_of(None),
            hint=hint,
        )
        reply_id = self.surface.keep(reply, user)
        if not broken:
            try:
                if not shown:
                    for piece in split_text(reply.markdown, STREAM_PIECE_CHARS):
                        stream.append(markdown_text=piece)
                        shown.append(piece)
                if "".join(shown).split() == reply.markdown.split():  # whitespace the filter held back aside
                    stream.stop(blocks=footer_blocks(reply, reply_id))
                    return reply
                log.warning("the streamed text isn't the answer kept (generation broke off); replacing it")
            except SlackClientError as error:
                log.warning("streaming the answer failed (%s); replacing it", error)
        self._replace_stream(client, channel, thread_ts, stream, as_slack_messages(reply, reply_id))
        return reply

    def _replace_stream(
        self, client: WebClient, channel: str, thread_ts: str, stream: Any, messages: list[SlackMessage]
    ) -> None:
        """Put the kept answer in place of a broken or outdated stream (chat.update), or post it if that fails."""
        if stream.ts:
            self.surface.quietly(stream.stop)  # it may already be closed or expired; chat.update works either way
            first, *rest = messages
            try:
                client.chat_update(channel=channel, ts=stream.ts, text=first["text"], blocks=first["blocks"])
                messages = rest
            except SlackClientError as error:
                log.warning("couldn't replace the streamed message (%s); deleting it and posting the answer", error)
                self.surface.quietly(client.chat_delete, channel=channel, ts=stream.ts)
        self.surface.post(client, channel, thread_ts, messages)


def register(app: App, surface: Surface, contexts: StoredThreadContexts) -> None:
    pane = AssistantPane(surface, contexts)
    assistant = Assistant(thread_context_store=contexts)
    assistant.thread_started(lazy=[pane.thread_started])(surface.ack_event)
    assistant.user_message(lazy=[pane.on_user_message])(surface.ack_event)
    app.assistant(assistant)
    app.event("message")(ack=surface.ack_event, lazy=[pane.on_direct_message])
