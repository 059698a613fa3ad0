"""The App Home tab: what the bot knows, the viewer's recent questions, the team's week, channel scopes, Reindex.

`home_view` is a pure function of what it is given; `RecentQuestions` keeps each user's last questions (with
where the answer was posted) in the store, for the Home tab's links.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.metrics import WindowStats
from bot.core.redact import redact
from bot.core.store import Store
from bot.knowledge.overview import KnowledgeOverview
from bot.knowledge.scopes import Scope
from bot.slack.blocks import Block, escape

HOME_REINDEX = "pmc_home_reindex"
RECENT_KEEP_S = 30 * 86400
RECENT_SHOWN = 5
QUESTION_CHARS = 150
MAX_FOLDERS = 20
MAX_SKIPPED = 5
MAX_CHANNELS = 15


@dataclass
class AskedQuestion:
    """A question a user asked, and where its answer went (no channel and ts for an ephemeral /pm answer)."""

    question: str
    at: float
    channel: str = ""
    ts: str = ""
    link: str | None = None


class RecentQuestions:
    """Each user's questions of the last 30 days, newest last, kept as store events under `asked:<user>`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user: str, question: str, channel: str = "", ts: str = "") -> None:
        if not user or not question.strip():
            return
        text = redact(question[: QUESTION_CHARS * 2]).strip()
        if len(text) > QUESTION_CHARS:
            text = text[: QUESTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
        record = {"question": text, "at": time.time(), "channel": channel, "ts": ts}
        self.store.add_event(f"asked:{user}", record["at"], json.dumps(record), keep_s=RECENT_KEEP_S)  # type: ignore[arg-type]

    def recent(self, user: str, count: int = RECENT_SHOWN) -> list[AskedQuestion]:
        asked = []
        for raw in self.store.events_since(f"asked:{user}", time.time() - RECENT_KEEP_S)[-count:]:
            try:
                data = json.loads(raw)
                asked.append(AskedQuestion(str(data["question"]), float(data["at"]), data["channel"], data["ts"]))
            except (ValueError, KeyError, TypeError):
                continue
        return list(reversed(asked))


@dataclass
class HomeFacts:
    """Everything the Home tab shows, gathered by the listener."""

    knowledge: KnowledgeOverview
    week: WindowStats
    recent: list[AskedQuestion] = field(default_factory=list)
    channels: list[tuple[str, Scope]] = field(default_factory=list)  # (channel ID, its scope)
    scopes_present: bool = False
    admin: bool = False
    note: str | None = None


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text, "emoji": True}}


def _when(at: float) -> str:
    stamp = int(at)
    fallback = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def knowledge_blocks(knowledge: KnowledgeOverview) -> list[Block]:
    folders = list(knowledge.folders.items())
    listed = "  ".join(f"`{escape(name)}` {count}" for name, count in folders[:MAX_FOLDERS])
    if len(folders) > MAX_FOLDERS:
        listed += f"  …and {len(folders) - MAX_FOLDERS} more"
    blocks = [
        _header("📚 What I know"),
        _section(
            f"*{knowledge.documents:,} documents* in *{knowledge.chunks:,} chunks* · index version "
            f"*{knowledge.version}*\n*Folders* (documents): {listed or '_nothing indexed yet_'}"
        ),
    ]
    last = knowledge.last_reindex
    if last is None:
        blocks.append(_context("No reindex recorded yet: run `/pm reindex` or wait for the nightly one."))
        return blocks
    skipped = last.get("skipped") or []
    text = (
        f"*Last reindex* {_when(float(last.get('at', 0)))}, {float(last.get('seconds', 0)):.1f} s: "
        f"{last.get('added', 0)} added, {last.get('updated', 0)} updated, {last.get('removed', 0)} removed, "
        f"{last.get('unchanged', 0)} unchanged, {len(skipped)} skipped"
    )
    lines = [
        f"• `{escape(str(item.get('path')))}`: {escape(str(item.get('reason')))}" for item in skipped[:MAX_SKIPPED]
    ]
    if len(skipped) > MAX_SKIPPED:
        lines.append(f"…and {len(skipped) - MAX_SKIPPED} more (see the log)")
    lines += [f"• :warning: {escape(str(warning))}" for warning in (last.get("warnings") or [])[:MAX_SKIPPED]]
    blocks.append(_section("\n".join([text, *lines])))
    return blocks


def recent_blocks(recent: list[AskedQuestion]) -> list[Block]:
    blocks = [_header("🕘 Your recent questions")]
    if not recent:
        return [*blocks, _context("Nothing yet. Try `/pm <question>` or mention me under a PRD.")]
    lines = []
    for asked in recent:
        question = escape(asked.question).replace("|", "/")
        shown = f"<{asked.link}|{question}>" if asked.link else f"{question} _(a /pm answer, only you saw it)_"
        lines.append(f"• {shown} · {_when(asked.at)}")
    return [*blocks, _section("\n".join(lines))]


def week_blocks(week: WindowStats) -> list[Block]:
    answered = None if week.decline_rate is None else 1 - week.decline_rate
    p95 = "–" if week.p95_ms is None else f"{week.p95_ms / 1000:.1f} s"
    fields = [
        ("Questions", f"{week.questions:,}"),
        ("Answered", _share(answered)),
        ("👎 share", f"{_share(week.override_rate)} of {week.votes} votes" if week.votes else "–"),
        ("Fallback share", _share(week.fallback_rate)),
        ("Cost", f"${week.cost_usd:,.2f}"),
        ("Latency p95", p95),
    ]
    return [
        _header("📈 The team's last 7 days"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{label}*\n{value}"} for label, value in fields]},
    ]


def scope_blocks(channels: list[tuple[str, Scope]], present: bool) -> list[Block]:
    blocks = [_header("🗂 What your channels search")]
    if not present:
        return [*blocks, _context("Every channel searches all of the knowledge (no `scopes.yaml`).")]
    if not channels:
        return [*blocks, _context("You're in no channel with me yet; DMs and the assistant pane use the default.")]
    lines = [f"• <#{channel}>: {scope.describe()}" for channel, scope in channels[:MAX_CHANNELS]]
    if len(channels) > MAX_CHANNELS:
        lines.append(f"…and {len(channels) - MAX_CHANNELS} more channels")
    return [*blocks, _section("\n".join(lines))]


def admin_blocks() -> list[Block]:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Reindex now", "emoji": True},
        "action_id": HOME_REINDEX,
        "value": "reindex",
        "style": "primary",
    }
    return [
        _header("🔧 Admin"),
        {"type": "actions", "block_id": "pmc_home_admin", "elements": [button]},
        _context("The same reindex as `/pm reindex`: one at a time, under the same lock, with the same report."),
    ]


def home_view(facts: HomeFacts) -> dict[str, Any]:
    """The Home tab as a `views.publish` view: knowledge, your questions, the team's week, scopes, admin."""
    blocks: list[Block] = []
    if facts.note:
        blocks.append(_section(facts.note))
    blocks += knowledge_blocks(facts.knowledge)
    blocks += recent_blocks(facts.recent)
    blocks += week_blocks(facts.week)
    blocks += scope_blocks(facts.channels, facts.scopes_present)
    if facts.admin:
        blocks += admin_blocks()
    return {"type": "home", "blocks": blocks[:100]}  # a Home view holds at most 100 blocks
