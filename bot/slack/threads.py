"""A Slack thread as context for an answer: the PRD (root message and shared files) and the turns so far.

A thread is read once with conversations.replies; afterwards its context lives in the store
(keyed by workspace, channel and thread ts, with THREAD_CACHE_TTL_S). Each mention adds its
question and the bot's answer, and a follow-up asks Slack only for the messages newer than the
last one read (`oldest`), so it never re-reads the whole history yet sees what people said since.
"""

from __future__ import annotations

import html
import logging
import re
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from slack_sdk import WebClient

from bot.answers.types import Conversation
from bot.core.redact import redact
from bot.core.store import Store
from bot.core.text import clip
from bot.knowledge.documents import ParseLimits, SkipFile
from bot.knowledge.loaders import LOADERS, load_text

log = logging.getLogger(__name__)

MAX_TURNS = 20
MAX_CONTEXT_CHARS = 40_000
# One message kept as a turn of the conversation; a longer one is cut (Slack allows 40,000 characters).
MAX_TURN_CHARS = 4_000
MAX_THREAD_MESSAGES = 1000
FILE_TIMEOUT_S = 10.0
# What one read of a thread's files may cost, whoever shared them: files downloaded, bytes, and seconds spent
# downloading and parsing. A thread keeps at most MAX_THREAD_FILES files and MAX_CONTEXT_CHARS of their text.
MAX_THREAD_FILES = 10
MAX_THREAD_FILE_BYTES = 50_000_000
THREAD_FILES_S = 20.0
_TRUNCATED = "\n…(truncated)"
# Message subtypes that carry something a person said; joins, topic changes and the like don't.
_SPOKEN_SUBTYPES = {None, "file_share", "thread_broadcast", "bot_message", "me_message"}
_TEXT_FILETYPES = {"text", "markdown", "md", "csv", "tsv", "json", "yaml", "yml", "xml", "post"}


class SharedFile(BaseModel):
    """A file shared in the thread, as text."""

    name: str
    text: str


class ThreadContext(BaseModel):
    """What a thread tells the bot: its root message, shared files, and the turns after the root."""

    # `files` keeps to its caps however it is set, so the store never holds more than a thread can use.
    model_config = ConfigDict(validate_assignment=True)

    team: str
    channel: str
    thread_ts: str
    root: str = ""
    files: list[SharedFile] = Field(default_factory=list)
    history: list[tuple[str, str]] = Field(default_factory=list)
    # The newest message already in this context; a follow-up reads only what came after it.
    seen_ts: str = ""

    @field_validator("files")
    @classmethod
    def _cap_files(cls, files: list[SharedFile]) -> list[SharedFile]:
        """The first MAX_THREAD_FILES files, cut to MAX_CONTEXT_CHARS of text together (the PRD stops there)."""
        kept: list[SharedFile] = []
        room = MAX_CONTEXT_CHARS
        for shared in files[:MAX_THREAD_FILES]:
            if room <= 0:
                break
            text = clip(shared.text, room, _TRUNCATED)
            kept.append(shared if text is shared.text else shared.model_copy(update={"text": text}))
            room -= len(text)
        return kept

    def file_budget(self) -> FileBudget:
        """What reading more files into this thread may cost now."""
        return FileBudget(
            files=MAX_THREAD_FILES - len(self.files),
            chars=MAX_CONTEXT_CHARS - sum(len(shared.text) for shared in self.files),
        )

    @property
    def scope(self) -> str:
        return f"{self.team}:{self.channel}:{self.thread_ts}"

    @property
    def prd(self) -> str:
        """The root message and the shared files, capped to MAX_CONTEXT_CHARS."""
        parts = [self.root.strip()] if self.root.strip() else []
        parts += [f"## {shared.name}\n\n{shared.text.strip()}" for shared in self.files if shared.text.strip()]
        text = "\n\n".join(parts)
        return text if len(text) <= MAX_CONTEXT_CHARS else text[:MAX_CONTEXT_CHARS] + "\n…(truncated)"

    @property
    def title(self) -> str:
        """A short name for what the thread is about: the PRD's first heading or line."""
        for line in self.prd.splitlines():
            line = line.strip().lstrip("#").strip().strip("*_").strip()
            if line:
                return line[:100]
        return ""

    def conversation(self) -> Conversation:
        return Conversation(scope=self.scope, context=self.prd, history=list(self.history))

    def add_turn(self, question: str, answer: str, ts: str) -> None:
        """The question asked in message `ts` and the bot's answer to it (each cut and redacted before it is kept)."""
        turns = [
            ("user", redact(clip(question, MAX_TURN_CHARS, _TRUNCATED))),
            ("assistant", redact(clip(answer, MAX_TURN_CHARS, _TRUNCATED))),
        ]
        self.history = [*self.history, *turns][-MAX_TURNS:]
        self.skip(ts)

    def skip(self, ts: str) -> None:
        """Count message `ts` as read without keeping it (a refused question stays out of the history)."""
        self.seen_ts = max(self.seen_ts, ts, key=ts_order)


def ts_order(ts: str) -> tuple[int, int]:
    """A Slack ts ("1700000000.000100") as something that sorts in time order; junk sorts first."""
    seconds, _, fraction = ts.partition(".")
    return (int(seconds), int(fraction)) if seconds.isdigit() and fraction.isdigit() else (0, 0)


class ThreadMemory:
    """Thread contexts in the store, so every replica reuses a thread it (or another) already read."""

    def __init__(self, store: Store, ttl_s: int) -> None:
        self.store = store
        self.ttl_s = ttl_s

    @staticmethod
    def _key(team: str, channel: str, thread_ts: str) -> str:
        return f"thread:{team}:{channel}:{thread_ts}"

    def load(self, team: str, channel: str, thread_ts: str) -> ThreadContext | None:
        raw = self.store.get(self._key(team, channel, thread_ts))
        if raw is None:
            return None
        try:
            return ThreadContext.model_validate_json(raw)
        except ValidationError:
            log.warning("unreadable cached thread %s/%s; reading it again", channel, thread_ts)
            return None

    def save(self, thread: ThreadContext) -> None:
        self.store.set(self._key(thread.team, thread.channel, thread.thread_ts), thread.model_dump_json(), self.ttl_s)

    def forget(self, team: str, channel: str, thread_ts: str) -> None:
        """Drop a thread's cached context: a channel thread is read afresh next time, a pane chat restarts."""
        key = self._key(team, channel, thread_ts)
        self.store.delete(key, f"{key}:messages")  # the context, and the messages a digest read


# -- Reading a thread from Slack ---------------------------------------------------------------

# Slack escapes a literal "<" in message text as "&lt;", so a label ends at the next "<" too: a scan
# from each "<" then stops where the next starts, and "<@U1|<@U1|…" costs one pass, not quadratic time.
_USER = re.compile(r"<@([UW][A-Z0-9]++)(?:\|([^<>]+))?>")
_CHANNEL = re.compile(r"<#(C[A-Z0-9]++)(?:\|([^<>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^<>|]+)(?:\|([^<>]+))?>")
_SPECIAL = re.compile(r"<!(\w++)(?:\^[^<>|]*)?(?:\|([^<>]+))?>")


def slack_to_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack message markup as plain text: links, user and channel mentions; the bot's own mention dropped."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^<>]+)?>\s*", "", text)
    text = _USER.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = _SPECIAL.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    return html.unescape(text).strip()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect must not carry the bot token to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@dataclass
class FileBudget:
    """What reading a thread's files may still cost: files downloaded, bytes, characters of text kept, time."""

    files: int = MAX_THREAD_FILES
    bytes: int = MAX_THREAD_FILE_BYTES
    chars: int = MAX_CONTEXT_CHARS
    deadline: float = field(default_factory=lambda: time.monotonic() + THREAD_FILES_S)

    def spent(self) -> str | None:
        """Which part of the budget is used up, if any, in words for the log."""
        if self.files <= 0:
            return f"the thread already has its {MAX_THREAD_FILES} files (MAX_THREAD_FILES)"
        if self.chars <= 0:
            return f"the thread already holds {MAX_CONTEXT_CHARS:,} characters of files (MAX_CONTEXT_CHARS)"
        if self.bytes <= 0:
            return f"this read already downloaded {MAX_THREAD_FILE_BYTES / 1e6:g} MB (MAX_THREAD_FILE_BYTES)"
        if time.monotonic() >= self.deadline:
            return f"this read already spent {THREAD_FILES_S:g} s on files (THREAD_FILES_S)"
        return None


class FileReader:
    """Downloads files shared in Slack (with the bot token) and turns the readable ones into text."""

    def __init__(self, token: str, api_url: str, max_bytes: int) -> None:
        self.token = token
        self.api_host = urlparse(api_url).hostname or "slack.com"
        self.max_bytes = max_bytes

    def _trusted(self, url: str) -> bool:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        if host == self.api_host:
            return parsed.scheme in ("http", "https")
        return parsed.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

    def read_all(self, files: Iterable[dict[str, Any]], budget: FileBudget) -> list[SharedFile]:
        """The readable ones among `files`, in order, as far as `budget` goes (see ThreadContext.file_budget)."""
        return [shared for file in files if (shared := self.read(file, budget)) is not None]

    def read(self, file: dict[str, Any], budget: FileBudget | None = None) -> SharedFile | None:
        """The file's text, or None for files that aren't documents, too large, unreadable or over the budget."""
        budget = budget or FileBudget()
        name = str(file.get("name") or file.get("title") or "shared file")
        suffix = Path(name).suffix.lower()
        loader = LOADERS.get(suffix)
        is_text = str(file.get("mimetype", "")).startswith("text/") or file.get("filetype") in _TEXT_FILETYPES
        if loader is None and (is_text or file.get("mode") == "snippet"):
            loader = load_text
        url = file.get("url_private_download") or file.get("url_private")
        if loader is None or not url or file.get("mode") in ("tombstone", "hidden_by_limit", "external"):
            return None
        if int(file.get("size") or 0) > self.max_bytes:
            log.info("skipping shared file %s: %s bytes is over the limit", name, file.get("size"))
            return None
        if not self._trusted(str(url)):
            log.warning("skipping shared file %s: its URL isn't on Slack's file host", name)
            return None
        spent = budget.spent()
        if spent:
            log.warning("skipping shared file %s: %s", name, spent)
            return None
        budget.files -= 1
        request = urllib.request.Request(str(url), headers={"Authorization": f"Bearer {self.token}"})
        try:
            timeout = max(0.1, min(FILE_TIMEOUT_S, budget.deadline - time.monotonic()))
            with _opener.open(request, timeout=timeout) as response:
                if "text/html" in response.headers.get("Content-Type", "") and suffix not in (".html", ".htm"):
                    raise SkipFile("got an HTML page instead of the file (is files:read granted?)")
                data = self._download(response, budget)
            limits = ParseLimits(seconds=max(0.0, budget.deadline - time.monotonic()), max_chars=budget.chars + 1)
            text, _title = loader(data, Path(name), limits)
        except (OSError, HTTPException, SkipFile, ValueError) as error:
            log.warning("couldn't read shared file %s: %s", name, error)
            return None
        text = redact(clip(text, budget.chars, _TRUNCATED))  # what the thread keeps in the store holds no secret
        budget.chars -= len(text)
        return SharedFile(name=name, text=text)

    def _download(self, response: Any, budget: FileBudget) -> bytes:
        """The body, read in pieces so that neither its size nor its pace can exceed the limits."""
        if budget.bytes < self.max_bytes:
            cap, limit = budget.bytes, f"the {budget.bytes / 1e6:.3g} MB left of MAX_THREAD_FILE_BYTES"
        else:
            cap, limit = self.max_bytes, f"the {self.max_bytes / 1e6:.3g} MB MAX_FILE_MB limit"
        if int(response.headers.get("Content-Length") or 0) > cap:
            raise SkipFile(f"over {limit}")
        data = bytearray()
        while chunk := response.read(1 << 16):
            data += chunk
            budget.bytes -= len(chunk)
            if len(data) > cap:
                raise SkipFile(f"over {limit}")
            if time.monotonic() > budget.deadline:
                raise SkipFile(f"this read's files took over the {THREAD_FILES_S:g} s THREAD_FILES_S budget")
        return bytes(data)


def _replies(client: WebClient, channel: str, thread_ts: str, oldest: str | None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    cursor = None
    while len(messages) < MAX_THREAD_MESSAGES:
        page = client.conversations_replies(
            channel=channel, ts=thread_ts, limit=200, cursor=cursor, oldest=oldest, inclusive=False if oldest else None
        )
        messages.extend(page.get("messages") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return messages


def read_thread(
    client: WebClient,
    files: FileReader,
    thread: ThreadContext,
    *,
    bot_user_id: str | None,
    skip_ts: str | None = None,
) -> ThreadContext:
    """Read the thread's messages into `thread`: all of them the first time, afterwards only the new ones.

    The root message and its files are the PRD; later messages become turns. On a follow-up the
    bot's own messages are skipped: its answers are already turns (`add_turn`).
    skip_ts: the message being answered right now (it is the question, not history).
    """
    first = not thread.seen_ts
    seen = thread.seen_ts
    shared: list[SharedFile] = []
    budget = thread.file_budget()
    for message in _replies(client, thread.channel, thread.thread_ts, oldest=thread.seen_ts or None):
        ts = str(message.get("ts") or "")
        if message.get("subtype") not in _SPOKEN_SUBTYPES or ts == skip_ts:
            continue
        if not first and (ts_order(ts) <= ts_order(thread.seen_ts) or message.get("user") == bot_user_id):
            continue  # Slack always sends the root back, and our own answers are already turns
        seen = max(seen, ts, key=ts_order)
        shared.extend(files.read_all(message.get("files") or [], budget))
        # Cut before any regex runs; redacted before it is kept in the store for THREAD_CACHE_TTL_S.
        limit = MAX_CONTEXT_CHARS if ts == thread.thread_ts else MAX_TURN_CHARS
        text = redact(slack_to_text(clip(str(message.get("text") or ""), limit, _TRUNCATED), bot_user_id))
        if ts == thread.thread_ts:
            thread.root = text
        elif text:
            thread.history.append(("assistant" if message.get("user") == bot_user_id else "user", text))
    thread.files = [*thread.files, *shared]
    thread.history = thread.history[-MAX_TURNS:]
    thread.seen_ts = seen
    return thread


def thread_messages(client: WebClient, channel: str, thread_ts: str, oldest: str | None = None) -> list[dict[str, Any]]:
    """The thread's messages (after `oldest`), page by page within Slack's limits, at most MAX_THREAD_MESSAGES."""
    return _replies(client, channel, thread_ts, oldest)
