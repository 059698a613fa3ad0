"""The nightly reindex: an in-process scheduler that runs `KnowledgeIndex.reindex` at REINDEX_CRON.

Every replica runs one. Each firing of the cron expression (a *slot*) is claimed once in the shared
store with `set_if_absent("reindex:slot:<time>")`, so exactly one replica reindexes per slot; the
index's own lock then keeps it from interleaving with `/pm reindex` or `pm-copilot reindex`, which run
the same `KnowledgeIndex.reindex`. A replica that crashes mid-run leaves its lock to expire with the
lock's TTL, and the next slot runs as usual. With no REDIS_URL the claim and the lock are this
process's, which is right for the single process that setting allows.

The report (counts, duration, skipped files with reasons) goes to the log and, when
REINDEX_REPORT_CHANNEL is set, to that channel with chat.postMessage.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from croniter import croniter
from slack_sdk import WebClient

from bot.core.logs import request_id
from bot.exceptions import ConfigError, IndexBusy, PMCopilotError
from bot.knowledge.reindex import ReindexReport

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

SLOT_KEY = "reindex:slot:{slot}"
MAX_SKIPPED_LISTED = 15
# A missed slot is caught up at start only if the index is older than this past the slot; a replica
# restarting right after the nightly run shouldn't start a second one.
CATCH_UP_GRACE = timedelta(minutes=5)

Status = Literal["done", "taken", "busy", "failed"]


OFF = frozenset({"off", "none", "disabled"})


def scheduling_off(expression: str) -> bool:
    """REINDEX_CRON=off: no in-process scheduler (an external cron or CronJob runs `pm-copilot reindex`)."""
    return expression.strip().lower() in OFF


def check_cron(expression: str) -> str:
    """The expression if croniter accepts it (5 fields, or 6 with seconds last), else ConfigError."""
    if not croniter.is_valid(expression):
        raise ConfigError(f"REINDEX_CRON={expression!r} is not a valid cron expression (e.g. '0 2 * * *')")
    return expression


def next_slot(expression: str, after: datetime) -> datetime:
    """The first firing strictly after `after` (an aware datetime, in its own time zone)."""
    slot: datetime = croniter(check_cron(expression), after).get_next(datetime)
    return slot


def previous_slot(expression: str, before: datetime) -> datetime:
    """The last firing at or before `before`."""
    slot: datetime = croniter(check_cron(expression), before + timedelta(microseconds=1)).get_prev(datetime)
    return slot


def slot_id(slot: datetime) -> str:
    """The slot's name in the store: the same on every replica, whatever its time zone."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    """Local wall-clock time, aware: cron expressions read in the server's time zone (TZ; UTC in the image)."""
    return datetime.now().astimezone()


@dataclass
class SlotOutcome:
    """What one replica did with one slot."""

    slot: datetime
    status: Status
    report: ReindexReport | None = None
    error: str | None = None
    holder: str | None = None

    @property
    def ran(self) -> bool:
        return self.status in ("done", "failed")


def report_text(outcome: SlotOutcome) -> str:
    """The Slack message (mrkdwn) for a scheduled run; a pure function of the outcome."""
    when = slot_id(outcome.slot)
    if outcome.status == "busy":
        return f":hourglass: *Scheduled reindex ({when}) skipped:* {outcome.error}"
    if outcome.status == "failed" or outcome.report is None:
        return f":warning: *Scheduled reindex ({when}) failed:* {outcome.error}\nThe previous index keeps answering."
    report = outcome.report
    lines = [
        f":books: *Scheduled reindex ({when})*: {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged in {report.seconds:.1f} s "
        f"({report.embedded} chunks embedded; index version {report.version})."
    ]
    if report.skipped:
        lines.append(f"*{len(report.skipped)} skipped:*")
        lines += [f"• `{item.path}`: {item.reason}" for item in report.skipped[:MAX_SKIPPED_LISTED]]
        if len(report.skipped) > MAX_SKIPPED_LISTED:
            lines.append(f"…and {len(report.skipped) - MAX_SKIPPED_LISTED} more (see the bot's log).")
    return "\n".join(lines)


def replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class ReindexScheduler:
    """Runs the reindex at REINDEX_CRON in a daemon thread; one replica per slot."""

    def __init__(
        self,
        deps: Deps,
        *,
        slack: WebClient | None = None,
        clock: Callable[[], datetime] = now,
        replica: str | None = None,
    ) -> None:
        self.deps = deps
        self.off = scheduling_off(deps.settings.reindex_cron)
        self.cron = "" if self.off else check_cron(deps.settings.reindex_cron)
        self.channel = deps.settings.reindex_report_channel
        self.slack = slack
        self.clock = clock
        self.replica = replica or replica_name()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one slot ----------------------------------------------------------------------------
    def claim(self, slot: datetime) -> bool:
        """True for the one replica that gets this slot; the key outlives every replica's view of it."""
        period = next_slot(self.cron, slot) - slot
        ttl_s = int(min(max(2 * period.total_seconds(), 3600), 8 * 86400))
        return self.deps.store.set_if_absent(SLOT_KEY.format(slot=slot_id(slot)), self.replica, ttl_s)

    def run_slot(self, slot: datetime) -> SlotOutcome:
        """Claim the slot; if ours, reindex and report. Never raises."""
        token = request_id.set(f"reindex-{slot_id(slot)}")
        try:
            if not self.claim(slot):
                holder = self.deps.store.get(SLOT_KEY.format(slot=slot_id(slot)))
                log.info("scheduled reindex %s: taken by %s", slot_id(slot), holder or "another replica")
                return SlotOutcome(slot, "taken", holder=holder)
            outcome = self._reindex(slot)
            self._publish(outcome)
            return outcome
        finally:
            request_id.reset(token)

    def _reindex(self, slot: datetime) -> SlotOutcome:
        try:
            report = self.deps.index.reindex()
        except IndexBusy as error:
            # Someone (a manual reindex, or a holder whose lock hasn't expired yet) is at it already.
            log.warning("scheduled reindex %s skipped: %s", slot_id(slot), error)
            return SlotOutcome(slot, "busy", error=str(error), holder=self.replica)
        except PMCopilotError as error:
            log.error("scheduled reindex %s failed: %s", slot_id(slot), error)
            return SlotOutcome(slot, "failed", error=str(error), holder=self.replica)
        except Exception as error:
            log.exception("scheduled reindex %s failed", slot_id(slot))
            return SlotOutcome(slot, "failed", error=type(error).__name__, holder=self.replica)
        log.info(
            "scheduled reindex %s on %s: %s (version %d)", slot_id(slot), self.replica, report.summary(), report.version
        )
        return SlotOutcome(slot, "done", report=report, holder=self.replica)

    def _publish(self, outcome: SlotOutcome) -> None:
        if not self.channel:
            return
        client = self.slack or self._default_client()
        if client is None:
            log.warning("REINDEX_REPORT_CHANNEL is set but SLACK_BOT_TOKEN isn't: the report stays in the log")
            return
        try:
            client.chat_postMessage(channel=self.channel, text=report_text(outcome), unfurl_links=False)
        except Exception as error:  # a report that can't be posted must not take the scheduler down
            log.warning("couldn't post the reindex report to %s: %s", self.channel, error)

    def _default_client(self) -> WebClient | None:
        settings = self.deps.settings
        if not settings.slack_bot_token:
            return None
        self.slack = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
        return self.slack

    # -- the loop ----------------------------------------------------------------------------
    def missed_slot(self) -> datetime | None:
        """The latest slot, if the index is older than it (a replica was down at the time); else None."""
        latest = previous_slot(self.cron, self.clock())
        try:
            indexed_at = self.deps.index.indexed_at()
        except PMCopilotError as error:
            log.warning("can't tell when the index was last built: %s", error)
            return None
        if indexed_at is None:
            return None  # never indexed: serve's warm-up builds the first index
        if datetime.fromtimestamp(indexed_at, UTC) + CATCH_UP_GRACE < latest:
            return latest
        return None

    def start(self, catch_up: bool = True) -> None:
        """Start the daemon thread; with catch_up, first run a slot this deployment missed."""
        if self.off:
            log.info("REINDEX_CRON=off: no scheduled reindex in this process (run `pm-copilot reindex` from a cron)")
            return
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(catch_up,), name="pmc-reindex-scheduler", daemon=True)
        self._thread.start()
        log.info(
            "reindex scheduled at REINDEX_CRON=%r; next run %s", self.cron, slot_id(next_slot(self.cron, self.clock()))
        )

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self, catch_up: bool) -> None:
        if catch_up:
            missed = self.missed_slot()
            if missed is not None:
                log.info("the index predates the %s run: catching up", slot_id(missed))
                self.run_slot(missed)
        slot = next_slot(self.cron, self.clock())
        while not self._stop.is_set():
            wait_s = (slot - self.clock()).total_seconds()
            if wait_s > 0:
                # Short naps, so a changed clock (or a stop) is noticed within seconds.
                self._stop.wait(min(wait_s, 30.0))
                continue
            self.run_slot(slot)
            # A run longer than the period skips the slots it overlapped, rather than queueing them.
            slot = next_slot(self.cron, max(slot, self.clock()))
