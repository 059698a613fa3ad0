"""What every Slack listener shares: the failure guard, rate limit, screening, and posting to Slack.

`Surface` holds the dependencies built once in `build_app`; the listeners (bot.slack.listeners)
take it and only decide what to say where. A failure inside a guarded block becomes a short
apology in Slack and the details go to the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.copilot import MAX_ERROR_CHARS, Copilot, Reply, Request, parse_request
from bot.core.logs import request_id
from bot.core.redact import redact
from bot.exceptions import InputError, PMCopilotError
from bot.knowledge.scopes import Scope
from bot.slack.access import Home, WorkspaceBoundary
from bot.slack.blocks import SlackMessage
from bot.slack.channels import ChannelNames
from bot.slack.feedback import keep_reply
from bot.slack.home import RecentQuestions
from bot.slack.threads import FileReader, ThreadMemory, slack_to_text
from bot.wiring import Deps

log = logging.getLogger(__name__)

WORKING_REACTION = "hourglass_flowing_sand"
# The longest text read at all (a pasted error of MAX_ERROR_CHARS plus Slack's markup); anything
# longer gets a usage reply before a single regex runs over it.
MAX_INPUT_CHARS = 12_000
# What guests and other organisations may still ask for: these use only the asker's own text.
OPEN_VERBS = {"help", "error"}

APOLOGY = "Sorry, something went wrong on my side and I couldn't finish that. The details are in the log (ref `{ref}`)."
TOO_LONG = (
    "That message is {chars:,} characters, too long for me to read. Keep questions under {question:,} "
    "characters and pasted errors under {error:,}."
)
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
• `/pm scope`: which knowledge folders this channel searches
• `/pm help`: this message
Mention me under a PRD posted in a channel to ask about it (say _draft evals_ to get eval criteria for it, \
_summarize_ for a digest of the thread, _save this PRD_ to add it to the knowledge), \
or open PM Copilot in the assistant pane. My Home tab shows what I know."""


class Surface:
    """The dependencies and plumbing the listeners share. Each ack answers Slack within milliseconds."""

    def __init__(self, deps: Deps, copilot: Copilot, client: WebClient) -> None:
        self.deps = deps
        self.settings = deps.settings
        self.store = deps.store
        self.copilot = copilot
        self.threads = ThreadMemory(deps.store, deps.settings.thread_cache_ttl_s)
        self.boundary = WorkspaceBoundary(deps.store, deps.settings)
        self.channel_names = ChannelNames(deps.store)
        self.recent = RecentQuestions(deps.store)
        self.files = FileReader(
            client.token or "", deps.settings.slack_api_url, int(deps.settings.max_file_mb * 1_000_000)
        )

    @contextmanager
    def guard(self, body: dict[str, Any], what: str, notify: Callable[[str], object]) -> Iterator[None]:
        """Tag the log with the request id; turn any failure into a short, safe message for the user."""
        request_id.set(str(body.get("event_id") or body.get("trigger_id") or "-"))
        try:
            yield
        except InputError as error:
            self.tell(notify, str(error))
        except PMCopilotError as error:
            log.warning("%s failed: %s", what, error)
            self.tell(notify, f"Sorry, I couldn't finish that: {redact(str(error))}")
        except Exception:
            log.exception("%s failed", what)
            self.tell(notify, APOLOGY.format(ref=request_id.get()))

    @staticmethod
    def tell(notify: Callable[[str], object], text: str) -> None:
        try:
            notify(text)
        except Exception:
            log.exception("couldn't tell the user about a failure either")

    def limited(self, user: str) -> bool:
        """Count this request against the user's per-minute budget (shared by all replicas)."""
        limit = self.settings.rate_limit_per_minute
        if limit <= 0 or not user:
            return False
        window = int(time.time() // 60)
        return self.store.incr(f"rate:{user}:{window}", ttl_s=120) > limit

    def too_long(self, text: str) -> Reply | None:
        """The usage reply for text too long to read at all: checked before any parsing or redaction."""
        if len(text) <= MAX_INPUT_CHARS:
            return None
        limits = {"question": self.settings.max_question_chars, "error": MAX_ERROR_CHARS}
        return Reply(kind="usage", markdown=TOO_LONG.format(chars=len(text), **limits))

    def screen(self, client: WebClient, context: BoltContext, message: dict[str, Any]) -> tuple[str, Request] | str:
        """A message's text and request, or what to tell its author instead: slow down, too long, or not for you."""
        user = str(message.get("user") or "")
        if self.limited(user):
            return SLOW_DOWN.format(limit=self.settings.rate_limit_per_minute)
        raw = str(message.get("text") or "")
        too_long = self.too_long(raw)
        if too_long is not None:
            return too_long.markdown
        text = slack_to_text(raw, context.bot_user_id)
        request = parse_request(text)
        teams = (message.get("user_team"), message.get("source_team"), message.get("team"))
        refusal = self.refusal(client, context, user, request.verb, teams)
        return refusal if refusal is not None else (text, request)

    def refusal(
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

    def immediate(self, request: Request, user: str) -> Reply | None:
        """The reply that needs no work (help, usage, refusal), or None when the request must run."""
        if request.verb == "help":
            return Reply(kind="help", markdown=USAGE)
        usage = self.copilot.check(request)
        if usage is not None:
            return usage.model_copy(update={"markdown": f"{usage.markdown}\n\n{USAGE}"})
        if request.verb == "reindex" and not self.copilot.is_admin(user):
            return self.copilot.reindex(user)
        return None

    def hint(self, client: WebClient, user: str, request: Request) -> str | None:
        """The asker's Slack locale (`de-DE`) for a question, the hint for its language. May call users.info."""
        return self.boundary.locale(client, user) if request.verb == "ask" else None

    def scope_of(self, client: WebClient, channel: str | None, name: str | None = None) -> Scope:
        """The channel's knowledge scope; its name is looked up only when a rule matches by name. Never in an ack."""
        rules = self.copilot.scopes.rules()
        if name is None and channel and rules.needs_names and channel not in rules.by_id:
            name = self.channel_names.name(client, channel)
        return rules.scope_for(channel, name)

    def keep(self, reply: Reply, user: str, shareable: bool = False) -> str | None:
        if reply.wants_feedback or (shareable and reply.kind == "stats"):
            return keep_reply(self.store, reply, user)
        return None

    @staticmethod
    def react(client: WebClient, method: str, channel: str, ts: str) -> None:
        # The reaction is only a "working on it" signal; never fail an answer over it.
        try:
            getattr(client, method)(channel=channel, timestamp=ts, name=WORKING_REACTION)
        except SlackClientError as error:
            log.info("%s failed: %s", method, error)

    @staticmethod
    def post(client: WebClient, channel: str, thread_ts: str, messages: list[SlackMessage]) -> str | None:
        """Post the messages in the thread; returns the ts of the first."""
        first = None
        for message in messages:
            posted = client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message["text"],
                blocks=message["blocks"],
                unfurl_links=False,
                unfurl_media=False,
            )
            first = first or str(posted.get("ts") or "") or None
        return first

    @staticmethod
    def upload_to_thread(client: WebClient, channel: str, thread_ts: str, reply: Reply) -> None:
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

    @staticmethod
    def quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        # Titles, statuses and clean-up are extras; an API refusal must not cost the user the answer.
        try:
            call(*args, **kwargs)
        except SlackClientError as error:
            log.info("an optional Slack call failed: %s", error)

    @staticmethod
    def ack_event(ack: Ack) -> None:
        """Events and clicks need only an empty 200; the lazy function does the rest."""
        ack()
