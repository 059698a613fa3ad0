"""A loopback HTTP server that plays the Slack Web API for tests and benchmarks, and records every call.

It answers `POST /api/<method>` like Slack does (auth.test, chat.postMessage, conversations.replies,
users.info, conversations.info, users.conversations, chat.getPermalink, reactions, files upload v2,
assistant threads, chat streams, views…), takes `response_url`
posts at `/response/<id>`, file uploads at `/upload/<id>`, and serves shared files at
`/files/<name>`. Each test scripts the answers it needs with `script(method, ...)` and asserts
on `calls(...)`; `wait_for` waits for the work Bolt runs after the ack.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEAM"

Responder = Callable[["Call"], dict[str, Any]]
_ts = itertools.count(1)


def new_ts() -> str:
    """A message timestamp later than every one handed out before, by the fake or by a test (as in Slack)."""
    return f"{1_700_000_000 + next(_ts)}.000100"


@dataclass
class Call:
    """One request the app made: the API method (or response_url / upload / file), its parameters and headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    at: float = field(default_factory=time.monotonic)
    response: dict[str, Any] = field(default_factory=dict)

    def json(self, name: str) -> Any:
        """A parameter that WebClient may send either as JSON or as a JSON string in a form field."""
        value = self.params.get(name)
        return json.loads(value) if isinstance(value, str) else value


def blocks_of(call: Call) -> list[dict[str, Any]]:
    """The Block Kit blocks a call sent (none: an empty list)."""
    return call.json("blocks") or []


def block_text(blocks: list[dict[str, Any]]) -> str:
    """The text of the blocks' sections and their mrkdwn context elements, one per line."""
    parts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [element.get("text", "") for element in block.get("elements", []) if element.get("type") == "mrkdwn"]
    return "\n".join(parts)


class SlackAPI:
    """The fake Slack: start it, point `WebClient(base_url=api.api_url)` at it, assert on `calls()`."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._scripts: dict[str, list[dict[str, Any] | Responder]] = {}
        self._files: dict[str, tuple[bytes, str]] = {}
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._requested = 0.0
        self._ids = itertools.count(1)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

            def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                headers = {key.lower(): value for key, value in self.headers.items()}
                if parsed.path.startswith("/files/"):
                    name = parsed.path.removeprefix("/files/")
                    api._record(Call("file", {"name": name}, headers, parsed.path))
                    if name not in api._files:
                        self._reply(404, b"not found", "text/plain")
                    elif headers.get("authorization") != f"Bearer {api.token}":
                        self._reply(200, b"<html>sign in</html>", "text/html")  # what Slack does without a token
                    else:
                        content, content_type = api._files[name]
                        self._reply(200, content, content_type)
                    return
                params = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                self._api(parsed.path, params, headers)

            def do_POST(self) -> None:
                parsed = urlparse(self.path)
                headers = {key.lower(): value for key, value in self.headers.items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if parsed.path.startswith("/upload/"):
                    api._record(Call("upload", {"bytes": raw}, headers, parsed.path))
                    self._reply(200, f"OK - {len(raw)}".encode(), "text/plain")
                    return
                if headers.get("content-type", "").startswith("application/json"):
                    params = json.loads(raw or b"{}")
                else:
                    params = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
                params.update({key: values[0] for key, values in parse_qs(parsed.query).items()})
                if parsed.path.startswith("/response/"):
                    api._record(Call("response_url", params, headers, parsed.path))
                    self._reply(200, b"ok", "text/plain")
                    return
                self._api(parsed.path, params, headers)

            def _api(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> None:
                if not path.startswith("/api/"):
                    self._reply(404, b"not found", "text/plain")
                    return
                call = Call(path.removeprefix("/api/"), params, headers, path)
                api._record(call)
                response = api._respond(call)
                call.response = {key: value for key, value in response.items() if not key.startswith("_")}
                status = int(response.pop("_status", 200))
                extra = response.pop("_headers", {})
                body = json.dumps(response).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.api_url = f"{self.url}/api/"
        self.token = "xoxb-test-token"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- scripting ---------------------------------------------------------------------------
    def script(self, method: str, *responses: dict[str, Any] | Responder) -> None:
        """Queue answers for `method`, used in order; the last one repeats. A callable gets the Call."""
        with self._lock:
            self._scripts[method] = list(responses)

    def serve_file(self, name: str, content: bytes, content_type: str = "text/plain") -> str:
        """Serve a file the way files.slack.com does (only with the bot token); returns its URL."""
        self._files[name] = (content, content_type)
        return f"{self.url}/files/{name}"

    def add_user(self, user: str, **fields: Any) -> None:
        """What users.info says about `user` beyond a full member of TEAM_ID (e.g. `is_restricted=True`)."""
        self._users[user] = fields

    def add_channel(self, channel: str, name: str, members: tuple[str, ...] = ()) -> None:
        """A channel conversations.info names, and users.conversations lists for its `members`."""
        self._channels[channel] = {"id": channel, "name": name, "members": members}

    @staticmethod
    def permalink(channel: str, ts: str) -> str:
        """The link chat.getPermalink gives for message `ts` of `channel`."""
        return f"https://pm-team.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def response_url(self) -> str:
        return f"{self.url}/response/{next(self._ids)}"

    def next_ts(self) -> str:
        return new_ts()

    # -- recording ---------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def posts_to(self, response_url: str) -> list[Call]:
        """What the app posted to one response_url."""
        return [call for call in self.calls("response_url") if call.path == urlparse(response_url).path]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0, path: str | None = None) -> list[Call]:
        """Block until `method` (at `path`, if given) has been called `count` times; fail after `timeout`."""
        deadline = time.monotonic() + timeout
        path = urlparse(path).path if path else None
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == method and (path is None or c.path == path)]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({call.method for call in self._calls})
                    raise AssertionError(f"{method} called {len(found)} times, wanted {count}; seen: {seen}")
                self._lock.wait(remaining)

    def requested(self) -> None:
        """Note that Slack just sent the app a request: `settle` waits at least `quiet_s` from now."""
        with self._lock:
            self._requested = time.monotonic()

    def settle(self, quiet_s: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until `quiet_s` has passed with no call since the last request sent to the app (via `requested`)
        or the last call it made, whichever is later: the app's background work is done, or never began."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                last = max(self._calls[-1].at if self._calls else 0.0, self._requested)
            quiet = time.monotonic() - last
            if quiet >= quiet_s:
                return
            if time.monotonic() >= deadline:
                raise AssertionError(f"the app kept calling Slack for {timeout} s; no quiet {quiet_s} s")
            time.sleep(min(quiet_s - quiet, quiet_s / 3))

    def _respond(self, call: Call) -> dict[str, Any]:
        with self._lock:
            queue = self._scripts.get(call.method)
            scripted = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else None
        if scripted is not None:
            return dict(scripted(call) if callable(scripted) else scripted)
        return self._default(call)

    def _default(self, call: Call) -> dict[str, Any]:
        params = call.params
        if call.method == "auth.test":
            return {
                "ok": True,
                "url": "https://pm-team.slack.com/",
                "team": "PM Team",
                "user": "pm-copilot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if call.method in ("chat.postMessage", "chat.startStream"):
            ts = self.next_ts()
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"ts": ts, "text": params.get("text", ""), "user": BOT_USER_ID, "bot_id": BOT_ID},
            }
        if call.method in ("chat.update", "chat.appendStream", "chat.stopStream"):
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if call.method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if call.method == "users.info":
            user = str(params.get("user", ""))
            fields = {"is_restricted": False, "is_ultra_restricted": False, **self._users.get(user, {})}
            return {"ok": True, "user": {"id": user, "team_id": TEAM_ID, "is_bot": False, **fields}}
        if call.method == "conversations.info":
            channel = str(params.get("channel", ""))
            if channel not in self._channels:
                return {"ok": False, "error": "channel_not_found"}
            found = self._channels[channel]
            return {"ok": True, "channel": {"id": channel, "name": found["name"], "is_channel": True}}
        if call.method == "users.conversations":
            user = str(params.get("user", ""))
            members = [found for found in self._channels.values() if user in found["members"]]
            channels = [{"id": found["id"], "name": found["name"]} for found in members]
            return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}
        if call.method == "chat.getPermalink":
            channel, ts = str(params.get("channel", "")), str(params.get("message_ts", ""))
            return {"ok": True, "channel": channel, "permalink": self.permalink(channel, ts)}
        if call.method == "conversations.replies":
            return {"ok": True, "messages": [], "has_more": False}
        if call.method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users', 'USER')}"}}
        if call.method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):06d}"
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if call.method == "files.completeUploadExternal":
            files = call.json("files") or []
            return {"ok": True, "files": [{"id": item["id"], "title": item.get("title", "")} for item in files]}
        if call.method.startswith("views."):
            return {"ok": True, "view": {"id": f"V{next(self._ids)}"}}
        return {"ok": True}
