"""The Slack surfaces: /pm, @mentions in PRD threads, and the assistant pane, on one Bolt `App`.

Handlers ack at once and hand the work to Bolt's listener executor (lazy listeners); the work
itself is `Copilot` (bot.copilot), which knows nothing about Slack, and the formatting is
`bot.slack.blocks`. Every signed delivery passes `DeliveryGuard` first: it drops bots, channel
chatter, malformed events, and any event id already seen by any replica (SET NX with a TTL in the
store); an edit or deletion only evicts the cached context of its thread. The work after the ack
checks who is asking (`bot.slack.access`) before it touches the knowledge. A failure inside a
handler becomes a short apology in Slack and the details go to the log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, App, Assistant, BoltContext, BoltRequest, BoltResponse, Respond, Say
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings
from bot.copilot import MAX_ERROR_CHARS, Copilot, Reply, Request, mentions_evals, parse_request
from bot.core.logs import request_id
from bot.core.redact import redact
from bot.exceptions import InputError, PMCopilotError
from bot.slack.access import Home, WorkspaceBoundary
from bot.slack.blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SHARE,
    SlackMessage,
    as_slack_messages,
    escape,
    footer_blocks,
    split_text,
)
from bot.slack.feedback import Vote, find_reply, keep_reply, record_vote
from bot.slack.threads import FileReader, SharedFile, ThreadContext, ThreadMemory, read_thread, slack_to_text
from bot.wiring import Deps

log = logging.getLogger(__name__)

COMMAND = "/pm"
# Slack redelivers an event for up to about an hour; a day covers that with room to spare.
DEDUP_TTL_S = 24 * 3600
WORKING_REACTION = "hourglass_flowing_sand"
# A response_url accepts five messages; longer ephemeral replies keep their first parts and the last (sources, buttons).
RESPONSE_URL_USES = 5
STREAM_PIECE_CHARS = 3500
# Message subtypes that are a person speaking; everything else (edits, deletions, joins) is ignored.
_SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast"}
_EDITS = {"message_changed", "message_deleted"}
# The longest text read at all (a pasted error of MAX_ERROR_CHARS plus Slack's markup); anything
# longer gets a usage reply before a single regex runs over it.
MAX_INPUT_CHARS = 12_000
# How much of the request the "working on it" ack echoes back.
ECHO_CHARS = 200
# What guests and other organisations may still ask for: these use only the asker's own text.
OPEN_VERBS = {"help", "error"}

APOLOGY = "Sorry, something went wrong on my side and I couldn't finish that. The details are in the log (ref `{ref}`)."
TOO_LONG = (
    "That message is {chars:,} characters, too long for me to read. Keep questions under {question:,} "
    "characters and pasted errors under {error:,}."
)
NOT_YOURS = "Only the person who asked can share this answer. Ask me yourself and share that one."
SLOW_DOWN = (
    "You're asking faster than I can keep up :sweat_smile: (at most {limit} requests a minute). "
    "Give it a moment and ask again."
)
USAGE = """*PM Copilot* answers from your team's PRDs and the AI-PM playbook, with sources.
• `/pm <question>` or `/pm ask <question>`: a cited answer
• `/pm eval <feature>`: draft eval criteria for an AI feature
• `/pm error <message>`: what an API error means, and what to do about it
• `/pm stats`: usage and answer quality
• `/pm reindex`: refresh the knowledge base (admins only)
• `/pm help`: this message
Mention me under a PRD posted in a channel to ask about it (say _draft evals_ to get eval criteria for it), \
or open PM Copilot in the assistant pane."""
MENTION_HELP = (
    "Ask me something about this thread or the playbook, e.g. _What should we measure before launch?_, "
    "or say _draft evals_ under a PRD to get eval criteria for it."
)
GREETING = "Hi! I answer from your team's PRDs and the AI-PM playbook, with sources. What are you working on?"
SUGGESTED_PROMPTS = [
    {"title": "Ask the playbook", "message": "What should we measure before launching an AI feature?"},
    {"title": "Draft eval criteria", "message": "Draft eval criteria for: an AI summary of support tickets"},
    {
        "title": "Explain an error",
        "message": "Explain this error: Error code: 429 - You exceeded your current quota (insufficient_quota)",
    },
]
_WORKING = {
    "ask": ":mag: Looking that up: _{argument}_",
    "eval": ":memo: Drafting eval criteria for _{argument}_…",
    "error": ":mag: Looking up that error…",
    "stats": ":bar_chart: Gathering the stats…",
    "reindex": ":arrows_counterclockwise: Reindexing the knowledge base; the summary will appear here.",
}


def _echo(argument: str) -> str:
    """The start of a request, escaped for the "working" ack; cut before redaction so the ack's work is bounded."""
    if len(argument) <= ECHO_CHARS:
        return escape(redact(argument))
    return escape(redact(argument[: ECHO_CHARS - 1])) + "…"


def slack_client(settings: Settings) -> WebClient:
    """The one Web API client: SLACK_API_URL as base URL, retrying rate limits and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_s,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


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


def _ignorable(event: dict[str, Any]) -> bool:
    """Bots (ourselves included), edits, deletions and other non-speech message events."""
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return True
    return event.get("type") in ("message", "app_mention") and event.get("subtype") not in _SPOKEN_SUBTYPES


_STRING_FIELDS = ("type", "subtype", "text", "user", "channel", "channel_type", "ts", "thread_ts", "event_ts")


def _malformed(event: object) -> bool:
    """An event no listener could read: not an object, or a field Slack always sends as a string that isn't one."""
    if not isinstance(event, dict):
        return True
    return any(key in event and not isinstance(event[key], str) for key in _STRING_FIELDS)


def _stale_threads(event: dict[str, Any]) -> set[str]:
    """The threads whose cached context an edit or deletion makes stale: none for bots or unchanged text."""
    messages = [m for m in (event.get("previous_message"), event.get("message")) if isinstance(m, dict)]
    # Our own streamed and updated answers, and the assistant pane's root, change all the time.
    if any(m.get("bot_id") or m.get("subtype") in ("bot_message", "assistant_app_thread") for m in messages):
        return set()
    if len(messages) == 2 and all(messages[0].get(key) == messages[1].get(key) for key in ("text", "files")):
        return set()  # an unfurl or a link preview, not an edit
    threads = {str(m.get("thread_ts") or m.get("ts") or "") for m in messages}
    if event.get("subtype") == "message_deleted":
        threads.add(str(event.get("deleted_ts") or ""))
    return threads - {""}


def _has_assistant_thread(event: dict[str, Any]) -> bool:
    thread = event.get("assistant_thread")
    return isinstance(thread, dict) and bool(thread.get("channel_id")) and bool(thread.get("thread_ts"))


class DeliveryGuard(Middleware):
    """Runs before every listener: tags the log with the request id, drops noise and redeliveries.

    Edits and deletions stop here too, after evicting the cached context of their thread (one
    store delete), so the next question reads the thread afresh rather than the old words. This
    can't wait for a listener: Bolt's Assistant middleware swallows edits in the pane's threads.
    """

    def __init__(self, deps: Deps) -> None:
        self.store = deps.store
        self.threads = ThreadMemory(deps.store, deps.settings.thread_cache_ttl_s)

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        request_id.set(str(body.get("event_id") or body.get("trigger_id") or "-"))
        if body.get("type") != "event_callback":
            return next()
        event = body.get("event") or {}
        if _malformed(event):
            log.warning("ignoring a malformed event (a field of the wrong type)")
            return req.context.ack()
        if event.get("type") == "message" and event.get("subtype") in _EDITS:
            team = req.context.team_id or str(body.get("team_id") or "")
            for thread_ts in _stale_threads(event):
                self.threads.forget(team, str(event.get("channel") or ""), thread_ts)
            return req.context.ack()
        if _ignorable(event) or (event.get("type") == "message" and event.get("channel_type") != "im"):
            # Channel messages arrive only for the edits above; mentions come as app_mention.
            return req.context.ack()
        if str(event.get("type", "")).startswith("assistant_thread_") and not _has_assistant_thread(event):
            # Bolt's Assistant middleware would fail with a 500 (and Slack would retry); nothing here to act on.
            log.warning("ignoring a %s event without its assistant_thread", event.get("type"))
            return req.context.ack()
        event_id = body.get("event_id")
        if event_id and not self.store.set_if_absent(f"slack:event:{event_id}", "1", DEDUP_TTL_S):
            retry = (req.headers.get("x-slack-retry-num") or ["?"])[0]
            log.info(
                "skipping a redelivered event (retry %s, reason %s)",
                retry,
                (req.headers.get("x-slack-retry-reason") or ["-"])[0],
            )
            return req.context.ack()
        return next()


class SlackSurface:
    """The listeners. Each ack function answers Slack within milliseconds; the lazy ones do the work."""

    def __init__(self, deps: Deps, copilot: Copilot, client: WebClient) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.store = deps.store
        self.copilot = copilot
        self.threads = ThreadMemory(deps.store, deps.settings.thread_cache_ttl_s)
        self.contexts = StoredThreadContexts(deps)
        self.boundary = WorkspaceBoundary(deps.store, deps.settings)
        self.files = FileReader(
            client.token or "", deps.settings.slack_api_url, int(deps.settings.max_file_mb * 1_000_000)
        )

    # -- plumbing --------------------------------------------------------------------------
    @contextmanager
    def _guard(self, body: dict[str, Any], what: str, notify: Callable[[str], object]) -> Iterator[None]:
        """Tag the log with the request id; turn any failure into a short, safe message for the user."""
        request_id.set(str(body.get("event_id") or body.get("trigger_id") or "-"))
        try:
            yield
        except InputError as error:
            self._tell(notify, str(error))
        except PMCopilotError as error:
            log.warning("%s failed: %s", what, error)
            self._tell(notify, f"Sorry, I couldn't finish that: {redact(str(error))}")
        except Exception:
            log.exception("%s failed", what)
            self._tell(notify, APOLOGY.format(ref=request_id.get()))

    @staticmethod
    def _tell(notify: Callable[[str], object], text: str) -> None:
        try:
            notify(text)
        except Exception:
            log.exception("couldn't tell the user about a failure either")

    def _limited(self, user: str) -> bool:
        """Count this request against the user's per-minute budget (shared by all replicas)."""
        limit = self.settings.rate_limit_per_minute
        if limit <= 0 or not user:
            return False
        window = int(time.time() // 60)
        return self.store.incr(f"rate:{user}:{window}", ttl_s=120) > limit

    def _too_long(self, text: str) -> Reply | None:
        """The usage reply for text too long to read at all: checked before any parsing or redaction."""
        if len(text) <= MAX_INPUT_CHARS:
            return None
        limits = {"question": self.settings.max_question_chars, "error": MAX_ERROR_CHARS}
        return Reply(kind="usage", markdown=TOO_LONG.format(chars=len(text), **limits))

    def _screen(self, client: WebClient, context: BoltContext, message: dict[str, Any]) -> tuple[str, Request] | str:
        """A message's text and request, or what to tell its author instead: slow down, too long, or not for you."""
        user = str(message.get("user") or "")
        if self._limited(user):
            return SLOW_DOWN.format(limit=self.settings.rate_limit_per_minute)
        raw = str(message.get("text") or "")
        too_long = self._too_long(raw)
        if too_long is not None:
            return too_long.markdown
        text = slack_to_text(raw, context.bot_user_id)
        request = parse_request(text)
        teams = (message.get("user_team"), message.get("source_team"), message.get("team"))
        refusal = self._refusal(client, context, user, request.verb, teams)
        return refusal if refusal is not None else (text, request)

    def _refusal(
        self, client: WebClient, context: BoltContext, user: str, verb: str, teams: tuple[object, ...]
    ) -> str | None:
        """Why `user` may not have `verb` answered from the knowledge, or None. May call users.info: never in an ack.

        teams: the team or enterprise ids the payload gives for the user.
        """
        if verb in OPEN_VERBS:
            return None
        result = context.authorize_result
        home = Home(result.team_id, result.enterprise_id) if result else Home(context.team_id, context.enterprise_id)
        return self.boundary.refusal(client, home, user, teams)

    def _immediate(self, request: Request, user: str) -> Reply | None:
        """The reply that needs no work (help, usage, refusal), or None when the request must run."""
        if request.verb == "help":
            return Reply(kind="help", markdown=USAGE)
        usage = self.copilot.check(request)
        if usage is not None:
            return usage.model_copy(update={"markdown": f"{usage.markdown}\n\n{USAGE}"})
        if request.verb == "reindex" and not self.copilot.is_admin(user):
            return self.copilot.reindex(user)
        return None

    def _keep(self, reply: Reply, user: str, shareable: bool = False) -> str | None:
        if reply.wants_feedback or (shareable and reply.kind == "stats"):
            return keep_reply(self.store, reply, user)
        return None

    # -- /pm -------------------------------------------------------------------------------
    def ack_command(self, ack: Ack, command: dict[str, Any]) -> None:
        """Only cheap, bounded work here: a length check, parsing, and at most ECHO_CHARS redacted for the echo."""
        text = str(command.get("text") or "")
        try:
            immediate = self._too_long(text)
            if immediate is None:
                request = parse_request(text)
                immediate = self._immediate(request, command.get("user_id", ""))
        except Exception:
            log.exception("/pm ack failed")
            ack(response_type="ephemeral", text=APOLOGY.format(ref=request_id.get()))
            return
        if immediate is not None:
            ack(response_type="ephemeral", text=immediate.markdown)
            return
        ack(response_type="ephemeral", text=_WORKING[request.verb].format(argument=_echo(request.argument)))

    def run_command(
        self, body: dict[str, Any], command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        user = command.get("user_id", "")
        text = str(command.get("text") or "")
        if self._too_long(text) is not None:
            return  # the ack said it all
        request = parse_request(text)
        if self._immediate(request, user) is not None:
            return  # the ack said it all
        tell = lambda text: respond(text=text, response_type="ephemeral", replace_original=True)  # noqa: E731
        with self._guard(body, "/pm", tell):
            if self._limited(user):
                tell(SLOW_DOWN.format(limit=self.settings.rate_limit_per_minute))
                return
            refusal = self._refusal(
                client, context, user, request.verb, (command.get("team_id"), command.get("enterprise_id"))
            )
            if refusal is not None:
                tell(refusal)
                return
            reply = self.copilot.run(request, user=user)
            if reply.attachment is not None:
                reply = reply.model_copy(
                    update={"markdown": f"{reply.markdown}\n\n_The full plan is on its way to your DMs as a file._"}
                )
            self._respond(respond, reply, user)
            if reply.attachment is not None:
                self._upload_to_dm(client, user, reply)

    def _respond(self, respond: Respond, reply: Reply, user: str) -> None:
        reply_id = self._keep(reply, user, shareable=True)
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

    # -- buttons ---------------------------------------------------------------------------
    @staticmethod
    def ack_event(ack: Ack) -> None:
        """Events and clicks need only an empty 200; the lazy function does the rest."""
        ack()

    def share(
        self, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
    ) -> None:
        """Repost an ephemeral reply visibly in its channel, then remove the ephemeral copy."""
        clicker = body.get("user") or {}
        user = clicker.get("id", "")
        tell = lambda text: respond(text=text, response_type="ephemeral", replace_original=False)  # noqa: E731
        with self._guard(body, "share", tell):
            kept = find_reply(self.store, str(action.get("value", "")))
            if kept is None:
                tell("That answer has expired, so I can't share it. Ask again and share the new one.")
                return
            if kept.user != user:
                log.warning("%s tried to share reply %s, which %s asked for", user, kept.reply_id, kept.user)
                tell(NOT_YOURS)
                return
            verb = "error" if kept.reply.kind == "error" else "share"
            refusal = self._refusal(client, context, user, verb, (clicker.get("team_id"),))
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
        with self._guard(body, "feedback", tell):
            vote: Vote = "up" if action.get("action_id") == FEEDBACK_UP else "down"
            if record_vote(self.store, str(action.get("value", "")), user, vote):
                tell(
                    "Thanks, noted :+1:"
                    if vote == "up"
                    else "Thanks, noted. The team reviews 👎 answers to improve them."
                )

    # -- @mentions ---------------------------------------------------------------------------
    def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        channel, ts, user = event["channel"], event["ts"], event.get("user", "")
        thread_ts = event.get("thread_ts") or ts
        team = context.team_id or body.get("team_id") or ""

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        def whisper(text: str) -> None:
            client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)

        with self._guard(body, "mention", post):
            screened = self._screen(client, context, event)
            if isinstance(screened, str):
                whisper(screened)
                return
            question, request = screened
            self._react(client, "reactions_add", channel, ts)
            try:
                thread, unread = self._thread_of(client, event, team, thread_ts, context.bot_user_id)
                if request.verb == "ask" and thread.prd and mentions_evals(question):
                    request = Request("eval", thread.title or question)
                if request.verb == "help":
                    reply = Reply(kind="help", markdown=MENTION_HELP)
                else:
                    reply = self.copilot.run(request, user=user, conversation=thread.conversation())
                if unread:
                    reply = reply.model_copy(update={"markdown": f"{reply.markdown}\n\n_{unread}_"})
                self._post(client, channel, thread_ts, as_slack_messages(reply, self._keep(reply, user)))
                if reply.attachment is not None:
                    self._upload_to_thread(client, channel, thread_ts, reply)
                if not unread:  # a thread we couldn't read is read again next time
                    if reply.kind == "usage":
                        thread.skip(ts)  # a refused question (e.g. too long) must not weigh on every later one
                    else:
                        thread.add_turn(question, reply.markdown, ts)
                    self.threads.save(thread)
            finally:
                self._react(client, "reactions_remove", channel, ts)

    def _thread_of(
        self, client: WebClient, event: dict[str, Any], team: str, thread_ts: str, bot_user_id: str | None
    ) -> tuple[ThreadContext, str | None]:
        """The thread's context: read once, then cached and topped up with the messages posted since.

        Files on this message are added either way. When Slack won't let us read the thread, the
        answer goes on with what we have; the second value then says so, for the reply.
        """
        channel, ts = event["channel"], event["ts"]
        cached = self.threads.load(team, channel, thread_ts)
        if cached is not None and not cached.seen_ts:
            cached = None  # cached by an older version, which didn't note where it stopped reading: read it afresh
        thread = cached or ThreadContext(team=team, channel=channel, thread_ts=thread_ts)
        unread = None
        if cached is not None or event.get("thread_ts"):
            try:
                read_thread(client, self.files, thread, bot_user_id=bot_user_id, skip_ts=ts)
            except SlackApiError as error:
                code = error.response.get("error", "an error")
                log.warning("couldn't read thread %s/%s: %s", channel, thread_ts, code)
                if cached is None:
                    unread = f"I couldn't read this thread (Slack said `{code}`), so this answer doesn't draw on it."
        new_files: list[SharedFile] = self.files.read_all(event.get("files") or [], thread.file_budget())
        thread.files = [*thread.files, *new_files]
        return thread, unread

    @staticmethod
    def _react(client: WebClient, method: str, channel: str, ts: str) -> None:
        # The reaction is only a "working on it" signal; never fail an answer over it.
        try:
            getattr(client, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackClientError as error:
            log.info("%s failed: %s", method, error)

    @staticmethod
    def _post(client: WebClient, channel: str, thread_ts: str, messages: list[SlackMessage]) -> None:
        for message in messages:
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )

    @staticmethod
    def _upload_to_thread(client: WebClient, channel: str, thread_ts: str, reply: Reply) -> None:
        attachment = reply.attachment
        assert attachment is not None
        try:
            client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=attachment.content,
                filename=attachment.filename,
                title=attachment.title,
            )
        except SlackClientError:
            log.exception("couldn't upload the eval plan file")
            client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text="I couldn't attach the full plan as a file; the summary above has the gist.",
            )

    # -- the assistant pane ----------------------------------------------------------------
    def thread_started(
        self, body: dict[str, Any], event: dict[str, Any], say: Say, set_suggested_prompts: Callable[..., Any]
    ) -> None:
        with self._guard(body, "assistant thread", lambda text: say(text)):
            thread = event.get("assistant_thread") or {}
            viewing = thread.get("context") or {}
            if viewing:
                self.contexts.save(channel_id=thread["channel_id"], thread_ts=thread["thread_ts"], context=viewing)
            say(GREETING)
            set_suggested_prompts(prompts=SUGGESTED_PROMPTS, title="Try one of these:")

    def on_direct_message(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        say_stream: Callable[..., Any] | None = None,
    ) -> None:
        """A DM outside an assistant thread (e.g. the Messages tab): answered in a thread under it."""
        if event.get("channel_type") != "im" or _ignorable(event):
            return
        self.on_user_message(body, event, client, context, say_stream=say_stream)

    def on_user_message(
        self,
        body: dict[str, Any],
        payload: dict[str, Any],
        client: WebClient,
        context: BoltContext,
        set_status: Callable[..., Any] | None = None,
        set_title: Callable[..., Any] | None = None,
        say_stream: Callable[..., Any] | None = None,
    ) -> None:
        channel, user = payload["channel"], payload.get("user", "")
        thread_ts = payload.get("thread_ts") or payload["ts"]
        team = context.team_id or body.get("team_id") or ""

        def post(text: str) -> None:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)

        with self._guard(body, "assistant message", post):
            screened = self._screen(client, context, payload)
            if isinstance(screened, str):
                post(screened)
                return
            text, request = screened
            thread = self.threads.load(team, channel, thread_ts) or ThreadContext(
                team=team, channel=channel, thread_ts=thread_ts
            )
            new_files = self.files.read_all(payload.get("files") or [], thread.file_budget())
            thread.files = [*thread.files, *new_files]
            if not thread.history and set_title is not None:
                self._quietly(set_title, text[:80] or "PM Copilot")
            if set_status is not None:
                self._quietly(
                    set_status,
                    status="is looking through the playbook…",
                    loading_messages=["Reading the playbook…", "Checking the PRDs…", "Gathering sources…"],
                )
            immediate = self._immediate(request, user)
            if immediate is not None:
                reply = Reply(kind="help", markdown=USAGE.replace("/pm ", "")) if request.verb == "help" else immediate
                self._post(client, channel, thread_ts, as_slack_messages(reply))
            elif request.verb == "ask" and say_stream is not None:
                reply = self._stream_answer(client, channel, thread_ts, request.argument, thread, user, say_stream)
            else:
                reply = self.copilot.run(request, user=user, conversation=thread.conversation())
                self._post(client, channel, thread_ts, as_slack_messages(reply, self._keep(reply, user)))
                if reply.attachment is not None:
                    self._upload_to_thread(client, channel, thread_ts, reply)
            if immediate is None:  # usage text and refusals stay out: a huge message must not weigh on every later one
                thread.add_turn(text, reply.markdown, str(payload.get("ts") or ""))
            self.threads.save(thread)

    @staticmethod
    def _quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        # Titles, statuses and clean-up are extras; an API refusal must not cost the user the answer.
        try:
            call(*args, **kwargs)
        except SlackClientError as error:
            log.info("an optional Slack call failed: %s", error)

    def _stream_answer(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str,
        question: str,
        thread: ThreadContext,
        user: str,
        say_stream: Callable[..., Any],
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

        reply = self.copilot.ask(question, conversation=thread.conversation(), on_token=on_token)
        reply_id = self._keep(reply, user)
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
            self._quietly(stream.stop)  # it may already be closed or expired; chat.update works either way
            first, *rest = messages
            try:
                client.chat_update(channel=channel, ts=stream.ts, text=first["text"], blocks=first["blocks"])
                messages = rest
            except SlackClientError as error:
                log.warning("couldn't replace the streamed message (%s); deleting it and posting the answer", error)
                self._quietly(client.chat_delete, channel=channel, ts=stream.ts)
        self._post(client, channel, thread_ts, messages)


def build_app(
    deps: Deps,
    *,
    client: WebClient | None = None,
    copilot: Copilot | None = None,
    executor: Executor | None = None,
) -> App:
    """The Bolt App with every PM Copilot listener, its Web API client pointed at SLACK_API_URL.

    executor: where the work after each ack runs (default: SLACK_WORKERS threads); pass one to
    be able to drain it on shutdown.
    """
    settings = deps.settings
    settings.require("slack_bot_token")
    client = client or slack_client(settings)
    surface = SlackSurface(deps, copilot or Copilot.build(deps), client)
    contexts = surface.contexts
    app = App(
        name="pm-copilot",
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        listener_executor=executor or ThreadPoolExecutor(settings.slack_workers, thread_name_prefix="pmc-slack"),
        assistant_thread_context_store=contexts,
        # Ack functions run on the request thread and answer Slack at once; only the lazy
        # functions go to the executor. (Without this, Bolt queues the ack itself behind the
        # work in the executor and polls for it every 10 ms.)
        process_before_response=True,
        # Runs right after the signature check, before Bolt's own middleware reads the event.
        before_authorize=DeliveryGuard(deps),
    )

    assistant = Assistant(thread_context_store=contexts)
    assistant.thread_started(lazy=[surface.thread_started])(surface.ack_event)
    assistant.user_message(lazy=[surface.on_user_message])(surface.ack_event)
    app.assistant(assistant)

    app.command(COMMAND)(ack=surface.ack_command, lazy=[surface.run_command])
    app.action(SHARE)(ack=surface.ack_event, lazy=[surface.share])
    app.action(FEEDBACK_UP)(ack=surface.ack_event, lazy=[surface.vote])
    app.action(FEEDBACK_DOWN)(ack=surface.ack_event, lazy=[surface.vote])
    app.event("app_mention")(ack=surface.ack_event, lazy=[surface.on_mention])
    app.event("message")(ack=surface.ack_event, lazy=[surface.on_direct_message])
    return app
