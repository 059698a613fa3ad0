"""The Slack surfaces (/pm, buttons, @mentions, the assistant pane) on one Bolt `App`.

Handlers ack at once and hand the work to Bolt's listener executor (lazy listeners); each kind
lives in `bot.slack.listeners` and registers its own. Every signed delivery passes
`DeliveryGuard` (bot.slack.guard) first.
"""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings
from bot.copilot import Copilot
from bot.core import language
from bot.slack.guard import DeliveryGuard
from bot.slack.listeners import actions, assistant, commands, digests, home, mentions, saving
from bot.slack.surface import Surface
from bot.wiring import Deps


def slack_client(settings: Settings) -> WebClient:
    """The one Web API client: SLACK_API_URL as base URL, retrying rate limits and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_s,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


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
    surface = Surface(deps, copilot or Copilot(deps), client)
    language.warm()  # the /pm ack words "looking that up" in the question's language: no model load in an ack
    contexts = assistant.StoredThreadContexts(deps)
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
    assistant.register(app, surface, contexts)
    commands.register(app, surface)
    actions.register(app, surface)
    home.register(app, surface)
    saving.register(app, surface)  # these two before `mentions`, which answers every other mention
    digests.register(app, surface)
    mentions.register(app, surface)
    return app
