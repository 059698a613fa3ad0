"""The nightly reindex scheduler: one replica per slot, reports to the log and the channel, locks that expire."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.exceptions import ConfigError
from bot.ops.scheduler import ReindexScheduler, SlotOutcome, next_slot, previous_slot, report_text, slot_id
from bot.wiring import Deps
from tests.conftest import REDIS_URL, HashingEmbeddings
from tests.slack_api import SlackAPI

REPORT_CHANNEL = "C0PSREPORT"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A small knowledge folder with one file the reindex must skip (binary bytes behind a .md name)."""
    root = tmp_path / "knowledge"
    (root / "playbook").mkdir(parents=True)
    (root / "playbook" / "evals.md").write_text("# Evals\n\nMeasure groundedness before launch.\n")
    (root / "playbook" / "latency.md").write_text("# Latency\n\nKeep p95 under two seconds for chat.\n")
    (root / "prds").mkdir()
    (root / "prds" / "summarizer.md").write_text("# Summarizer PRD\n\n## Goal\n\nSummaries of support tickets.\n")
    (root / "prds" / "broken.md").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50)
    return root


Replica = Callable[..., Deps]


@pytest.fixture
def replica(make_deps: Any, folder: Path, redis_prefix: str, slack: SlackAPI) -> Replica:
    """A Deps as one replica builds it: shared Redis (one prefix), the same Chroma, the report channel set."""
    model = HashingEmbeddings()

    def build(**overrides: object) -> Deps:
        settings: dict[str, object] = {
            "redis_url": REDIS_URL,
            "cache_prefix": redis_prefix,
            "reindex_report_channel": REPORT_CHANNEL,
            "slack_bot_token": slack.token,
            "slack_api_url": slack.api_url,
        }
        settings.update(overrides)
        deps: Deps = make_deps(folder, model, **settings)
        return deps

    return build


SLOT = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


# -- slots ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cron", "after", "expected_next", "expected_previous"),
    [
        ("0 2 * * *", "2026-03-04T01:59:59+00:00", "2026-03-04T02:00:00Z", "2026-03-03T02:00:00Z"),
        ("0 2 * * *", "2026-03-04T02:00:00+00:00", "2026-03-05T02:00:00Z", "2026-03-04T02:00:00Z"),
        ("30 3 * * 1", "2026-03-04T12:00:00+00:00", "2026-03-09T03:30:00Z", "2026-03-02T03:30:00Z"),
        # The same wall-clock slot seen from another time zone has the same name in the store.
        ("0 2 * * *", "2026-03-04T09:00:00+05:00", "2026-03-04T21:00:00Z", "2026-03-03T21:00:00Z"),
        ("* * * * * */10", "2026-03-04T02:00:01+00:00", "2026-03-04T02:00:10Z", "2026-03-04T02:00:00Z"),
    ],
)
def test_slots(cron: str, after: str, expected_next: str, expected_previous: str) -> None:
    moment = datetime.fromisoformat(after)
    assert slot_id(next_slot(cron, moment)) == expected_next
    assert slot_id(previous_slot(cron, moment)) == expected_previous


@pytest.mark.parametrize("cron", ["", "every night", "61 * * * *", "0 2 * *"])
def test_an_invalid_cron_is_a_config_error(replica: Replica, cron: str) -> None:
    with pytest.raises(ConfigError, match="REINDEX_CRON"):
        ReindexScheduler(replica(reindex_cron=cron or " "))


@pytest.mark.parametrize("off", ["off", "OFF", " none ", "disabled"])
def test_reindex_cron_off_runs_no_scheduler(replica: Replica, slack: SlackAPI, off: str) -> None:
    """For teams whose external cron or Kubernetes CronJob runs `pm-copilot reindex` instead."""
    scheduler = ReindexScheduler(replica(reindex_cron=off))
    scheduler.start()
    assert scheduler._thread is None
    scheduler.stop()
    assert slack.calls("chat.postMessage") == []


# -- one replica per slot ---------------------------------------------------------------------


def run_together(schedulers: list[ReindexScheduler], slot: datetime) -> list[SlotOutcome]:
    """Both replicas fire the same slot at the same instant."""
    barrier = threading.Barrier(len(schedulers))
    outcomes: list[SlotOutcome] = []

    def fire(scheduler: ReindexScheduler) -> None:
        barrier.wait()
        outcomes.append(scheduler.run_slot(slot))

    threads = [threading.Thread(target=fire, args=(scheduler,)) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_two_replicas_firing_the_same_slot_reindex_once(replica: Replica, slack: SlackAPI) -> None:
    first, second = replica(), replica()
    schedulers = [ReindexScheduler(first, replica="replica-a"), ReindexScheduler(second, replica="replica-b")]
    version = first.index.version(fresh=True)

    outcomes = run_together(schedulers, SLOT)

    assert sorted(outcome.status for outcome in outcomes) == ["done", "taken"]
    done = next(outcome for outcome in outcomes if outcome.status == "done")
    taken = next(outcome for outcome in outcomes if outcome.status == "taken")
    assert taken.holder == done.holder  # the loser names the winner
    assert first.index.version(fresh=True) == second.index.version(fresh=True) == version + 1
    assert done.report is not None and done.report.added == 3
    posted = slack.calls("chat.postMessage")
    assert len(posted) == 1 and posted[0].params["channel"] == REPORT_CHANNEL

    # The next night is a new slot; again exactly one of them runs it.
    outcomes = run_together(schedulers, SLOT + timedelta(days=1))
    assert sorted(outcome.status for outcome in outcomes) == ["done", "taken"]
    assert first.index.version(fresh=True) == version + 2


def test_schedulers_on_two_replicas_run_each_slot_once(replica: Replica, slack: SlackAPI) -> None:
    """The real loop, every 2 seconds: each slot is reported once, and every run bumps the version once."""
    first, second = replica(reindex_cron="* * * * * */2"), replica(reindex_cron="* * * * * */2")
    start_version = first.index.version(fresh=True)
    schedulers = [ReindexScheduler(first, replica="replica-a"), ReindexScheduler(second, replica="replica-b")]
    for scheduler in schedulers:
        scheduler.start(catch_up=False)
    try:
        slack.wait_for("chat.postMessage", count=3, timeout=30)
    finally:
        for scheduler in schedulers:
            scheduler.stop()
    slack.settle(quiet_s=0.5)
    reports = [call.params["text"] for call in slack.calls("chat.postMessage")]
    slots = [text.split("(")[1].split(")")[0] for text in reports]
    assert len(slots) == len(set(slots)), reports
    assert first.index.version(fresh=True) == start_version + len(slots)


# -- the report -------------------------------------------------------------------------------


def test_report_goes_to_the_log_and_the_channel(
    replica: Replica, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    outcome = ReindexScheduler(replica(), replica="replica-a").run_slot(SLOT)

    assert outcome.status == "done" and outcome.report is not None
    assert [item.path for item in outcome.report.skipped] == ["prds/broken.md"]
    (call,) = slack.calls("chat.postMessage")
    text = call.params["text"]
    assert call.headers["authorization"] == f"Bearer {slack.token}"
    assert "3 added, 0 updated, 0 removed, 0 unchanged" in text
    assert "1 skipped" in text and "`prds/broken.md`" in text
    assert outcome.report.skipped[0].reason in text
    logged = [record for record in caplog.records if record.name == "bot.ops.scheduler"]
    assert any("3 added" in record.getMessage() and "replica-a" in record.getMessage() for record in logged)
    assert any("prds/broken.md" in record.getMessage() for record in caplog.records if record.levelname == "WARNING")


def test_report_text_lists_at_most_fifteen_skipped_files() -> None:
    from bot.knowledge.documents import SkippedFile
    from bot.knowledge.reindex import ReindexReport

    report = ReindexReport(added=1, skipped=[SkippedFile(f"prds/{n}.pdf", "corrupt PDF") for n in range(20)])
    text = report_text(SlotOutcome(SLOT, "done", report=report))
    assert text.count("corrupt PDF") == 15 and "5 more" in text


def test_no_channel_means_no_post(replica: Replica, slack: SlackAPI) -> None:
    outcome = ReindexScheduler(replica(reindex_report_channel=None)).run_slot(SLOT)
    assert outcome.status == "done"
    assert slack.calls("chat.postMessage") == []


def test_a_report_slack_refuses_is_logged_not_raised(
    replica: Replica, slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    slack.script("chat.postMessage", {"ok": False, "error": "channel_not_found"})
    outcome = ReindexScheduler(replica()).run_slot(SLOT)
    assert outcome.status == "done"
    assert any("channel_not_found" in record.getMessage() for record in caplog.records)


def test_a_failed_reindex_is_reported(replica: Replica, slack: SlackAPI, folder: Path) -> None:
    deps = replica()
    shutil.rmtree(folder)  # the volume went away
    outcome = ReindexScheduler(deps).run_slot(SLOT)
    assert outcome.status == "failed" and "knowledge folder not found" in (outcome.error or "")
    (call,) = slack.calls("chat.postMessage")
    assert "failed" in call.params["text"] and "previous index keeps answering" in call.params["text"]


# -- locks ------------------------------------------------------------------------------------

HOLD_LOCK = """
import sys, time
from bot.core.store import RedisStore
store = RedisStore(sys.argv[1], sys.argv[2])
held = store.lock(sys.argv[3], ttl_s=int(sys.argv[4]))  # keep a reference: a collected lock releases itself
held.__enter__()
print("held", flush=True)
time.sleep(120)
"""


def test_a_crashed_holders_lock_expires(replica: Replica, slack: SlackAPI, redis_prefix: str) -> None:
    """A replica killed mid-reindex leaves its lock behind; the slot after the TTL runs normally."""
    deps = replica()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, REDIS_URL, redis_prefix, f"reindex:{deps.index.name}", "5"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        holder.kill()  # SIGKILL: no finally, no release
        holder.wait(10)
        scheduler = ReindexScheduler(deps)

        busy = scheduler.run_slot(SLOT)
        assert busy.status == "busy" and "already running" in (busy.error or "")
        assert "skipped" in slack.calls("chat.postMessage")[-1].params["text"]

        time.sleep(5.2)  # the dead holder's TTL
        done = scheduler.run_slot(SLOT + timedelta(days=1))
        assert done.status == "done" and done.report is not None and done.report.added == 3
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()


def test_a_manual_reindex_and_a_scheduled_one_share_the_lock(replica: Replica) -> None:
    """`/pm reindex` and `pm-copilot reindex` call the same KnowledgeIndex.reindex, under the same lock."""
    deps = replica()
    with deps.store.lock(f"reindex:{deps.index.name}", ttl_s=60):
        outcome = ReindexScheduler(deps).run_slot(SLOT)
    assert outcome.status == "busy"
    assert ReindexScheduler(deps).run_slot(SLOT + timedelta(days=1)).status == "done"


# -- catching up a missed night -------------------------------------------------------------


def test_a_missed_slot_is_caught_up_at_start(replica: Replica, slack: SlackAPI) -> None:
    deps = replica()
    deps.index.reindex()
    version = deps.index.version(fresh=True)
    two_days_later = datetime.now(UTC) + timedelta(days=2)

    on_time = ReindexScheduler(deps)
    assert on_time.missed_slot() is None  # indexed just now: nothing missed

    late = ReindexScheduler(deps, clock=lambda: two_days_later)
    missed = late.missed_slot()
    assert missed is not None and missed == previous_slot("0 2 * * *", two_days_later)
    late.start(catch_up=True)
    try:
        slack.wait_for("chat.postMessage", count=1, timeout=30)
    finally:
        late.stop()
    assert deps.index.version(fresh=True) == version + 1
    assert slot_id(missed) in slack.calls("chat.postMessage")[0].params["text"]


def test_a_never_indexed_deployment_leaves_the_first_index_to_warm_up(replica: Replica) -> None:
    assert ReindexScheduler(replica()).missed_slot() is None


# -- serve runs it ----------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_runs_the_scheduler(tmp_path: Path, slack: SlackAPI, folder: Path) -> None:
    """`pm-copilot serve` starts the scheduler: with a cron every 3 s, reports reach the channel."""
    from tests.benchmarks.bench_load import serving

    env = {"REINDEX_CRON": "* * * * * */3", "REINDEX_REPORT_CHANNEL": REPORT_CHANNEL}
    with serving(slack, folder, tmp_path / "data", tmp_path / "serve.log", **env):
        reports = slack.wait_for("chat.postMessage", count=1, timeout=60)
    assert reports[0].params["channel"] == REPORT_CHANNEL
    assert "Scheduled reindex" in reports[0].params["text"]
