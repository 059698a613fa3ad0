"""The real PM Copilot app served on a loopback port, and Slack's side of it: signed commands, events, clicks.

Requests are signed with slack_sdk's SignatureVerifier exactly as Slack signs them, and go
through waitress, the WSGI app and Bolt's signature check like production traffic.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier
from waitress import wasyncore

from bot.ops.server import WebApp, http_server
from bot.slack.app import build_app
from bot.wiring import Deps
from tests.slack_api import BOT_USER_ID, TEAM_ID, SlackAPI, new_ts

SIGNING_SECRET = "test-signing-secret"


def signed_headers(
    body: bytes, content_type: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body),
    }


def command_body(text: str, response_url: str, user: str = "UPM", channel: str = "C0PRD", team: str = TEAM_ID) -> bytes:
    return urlencode(
        {
            "token": "unused",
            "team_id": team,
            "team_domain": "pm-team",
            "channel_id": channel,
            "channel_name": "ai-features",
            "user_id": user,
            "user_name": "pm",
            "command": "/pm",
            "text": text,
            "api_app_id": "A0PMC",
            "response_url": response_url,
            "trigger_id": f"trigger-{uuid.uuid4().hex[:8]}",
        }
    ).encode()


def event_body(event: Any, event_id: str | None = None, extra: dict[str, Any] | None = None) -> bytes:
    """An Events API envelope around `event`; `extra` adds or replaces envelope fields (never the event)."""
    envelope = {
        "token": "unused",
        "team_id": TEAM_ID,
        "api_app_id": "A0PMC",
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }
    return json.dumps({**envelope, **(extra or {}), "event": event}).encode()


def mention(
    text: str, *, ts: str | None = None, thread_ts: str | None = None, user: str = "UPM", channel: str = "C0PRD"
) -> dict[str, Any]:
    """An app_mention event: `text` addressed to the bot, at top level or in `thread_ts`."""
    ts = ts or new_ts()
    event = {"type": "app_mention", "channel": channel, "ts": ts, "user": user, "event_ts": ts}
    event["text"] = f"<@{BOT_USER_ID}> {text}"
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


class SlackHarness:
    """Builds the app for `deps`, serves it with waitress on 127.0.0.1, and plays Slack's requests to it."""

    def __init__(self, api: SlackAPI, deps: Deps) -> None:
        self.api = api
        self.deps = deps
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="pmc-test-work")
        self.app = build_app(deps, executor=self.executor)
        self.server = http_server(WebApp(deps, self.app), "127.0.0.1", 0, threads=8)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"  # type: ignore[union-attr]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="pmc-test-http", daemon=True)
        self._thread.start()
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def _serve(self) -> None:
        # waitress's run() has no stop; loop in short turns so close() can end it cleanly.
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=self.server._map, use_poll=True, count=1)  # type: ignore[union-attr]

    def close(self) -> None:
        """Stop taking requests, then let the work already acked finish (it may still call the fake Slack)."""
        self.http.close()
        self._stopping.set()
        self._thread.join()
        self.server.task_dispatcher.shutdown()
        wasyncore.close_all(self.server._map)  # type: ignore[union-attr]
        self.executor.shutdown(wait=True, cancel_futures=True)

    def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None, **signing: Any
    ) -> httpx.Response:
        try:
            return self.http.post(
                "/slack/events",
                content=body,
                headers={**signed_headers(body, content_type, **signing), **(headers or {})},
            )
        finally:
            self.api.requested()  # the acked work starts now; settle() waits from here

    def command(
        self, text: str, user: str = "UPM", channel: str = "C0PRD", team: str = TEAM_ID
    ) -> tuple[httpx.Response, str]:
        """Send `/pm text` (from a user of `team`); returns the ack response and the response_url for the answer."""
        response_url = self.api.response_url()
        body = command_body(text, response_url, user, channel, team)
        return self.post(body, "application/x-www-form-urlencoded"), response_url

    def event(self, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> httpx.Response:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        return self.post(event_body(event, event_id), "application/json", headers)

    def click(
        self, action_id: str, value: str, user: str = "UPM", channel: str = "C0PRD", message_ts: str | None = None
    ) -> tuple[httpx.Response, str]:
        """Click a button; returns the ack response and the click's response_url."""
        response_url = self.api.response_url()
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "pm", "team_id": TEAM_ID},
            "api_app_id": "A0PMC",
            "team": {"id": TEAM_ID, "domain": "pm-team"},
            "channel": {"id": channel, "name": "ai-features"},
            "container": {
                "type": "message",
                "message_ts": message_ts or new_ts(),
                "channel_id": channel,
                "is_ephemeral": message_ts is None,
            },
            "trigger_id": f"trigger-{uuid.uuid4().hex[:8]}",
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "pmc_actions",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded"), response_url
