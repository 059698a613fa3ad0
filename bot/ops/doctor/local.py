"""Checks of what the bot keeps or reads itself: the settings, Chroma and the index, the knowledge folder, DATA_DIR."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.exceptions import IndexBusy, KnowledgeError, PMCopilotError
from bot.explain.catalog import ErrorCatalog
from bot.knowledge.index import VERSION_KEY, collection_name, open_chroma
from bot.knowledge.loaders import candidate_files
from bot.ops.doctor.report import Check, reason, safe_url
from bot.ops.scheduler import next_slot, now, previous_slot, scheduling_off
from bot.wiring import build_deps

# The nightly run gets this long to finish before a missing run counts as stale.
REINDEX_GRACE = timedelta(hours=1)

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def check_settings(settings: Settings) -> Check:
    """Shapes that parse but can't work: token prefixes, Slack IDs, the cron expression."""

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
    if settings.embedding_model != "local" and settings.min_evidence is None:
        return Check(
            "settings",
            "warn",
            f"EMBEDDING_MODEL={settings.embedding_model!r} but MIN_EVIDENCE is unset: the default decline threshold "
            "(0.30) was calibrated for the local model, and another model's similarities run on another scale",
            "run `pm-copilot eval answers --calibrate` (or `--calibrate --devset YOUR.jsonl`) and set MIN_EVIDENCE",
        )
    detail = "all settings parse"
    if off:
        detail += "; REINDEX_CRON=off: an external cron runs the reindex"
    elif upcoming is not None:
        detail += (
            f"; next nightly reindex {upcoming.isoformat(timespec='minutes')} (REINDEX_CRON={settings.reindex_cron!r})"
        )
    return Check("settings", "ok", detail)


def check_chroma(settings: Settings) -> tuple[Check, Any]:
    """The vector store answers; returns the client for the index check."""

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
                    f"no answer from the Chroma server at {where}: {reason(error)}",
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
                f"embedded Chroma under {settings.data_dir} won't open: {reason(error)}",
                "make DATA_DIR writable, or set CHROMA_URL",
            ),
            None,
        )
    return Check("chroma", "ok", f"embedded under {settings.data_dir / 'chroma'} (one process at a time)"), client


def check_index(settings: Settings, client: Any, clock: Callable[[], datetime] | None = None) -> Check:
    """An index is there for KNOWLEDGE_DIR, and no older than the last nightly slot."""

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
        return Check("index", "fail", f"can't read collection {name!r}: {reason(error)}", "see the chroma check")
    if chunks == 0:
        return Check("index", "fail", f"the index {name!r} is empty", fix_missing)
    stamp = metadata.get("pmc_indexed_at")
    indexed_at = datetime.fromtimestamp(float(stamp), UTC) if stamp else None
    detail = f"{chunks} chunks in {name!r}, version {metadata.get(VERSION_KEY, 0)}"
    if indexed_at is not None:
        detail += f", built {indexed_at.isoformat(timespec='minutes')}"
    detail += _pending_changes(settings)
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


def _pending_changes(settings: Settings) -> str:
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
        return Check("data dir", "fail", f"DATA_DIR {folder} isn't writable: {reason(error)}", "fix its permissions")
    return Check("data dir", "ok", f"{folder} is writable")
