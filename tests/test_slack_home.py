"""The App Home tab through the real Bolt app: each block, the viewer's questions and channels, admin Reindex."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.knowledge.scopes import SCOPES_FILE
from bot.slack.home import HOME_REINDEX
from tests.conftest import HashingEmbeddings, MakeSlackHarness, write
from tests.slack_api import SlackAPI
from tests.slack_harness import SlackHarness, mention, new_ts

ADMIN = "UADMIN"


@pytest.fixture
def home_harness(
    make_slack_harness: MakeSlackHarness, tmp_path: Path, hashing_model: HashingEmbeddings, slack: SlackAPI
) -> SlackHarness:
    root = tmp_path / "kb"
    write(root, "playbook/metrics.md", "# Metrics\n\n## Launch\n\nMeasure accuracy, latency and cost before launch.")
    write(root, "prds/payments/refunds.md", "# Refunds PRD\n\n## Goals\n\nAgents approve refunds over 50 euros.")
    write(root, "prds/search/ranking.md", "# Ranking PRD\n\n## Goals\n\nRank help articles by click-through.")
    (root / "prds" / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    write(root, SCOPES_FILE, "default: [playbook]\nchannels:\n  'payments-*': [playbook, prds/payments]\n")
    slack.add_channel("C0PAY", "payments-eu", members=("UPM", ADMIN))
    slack.add_channel("C0GEN", "general", members=("UPM",))
    return make_slack_harness(root, hashing_model, min_evidence=0.0, pm_admins=ADMIN)


def open_home(harness: SlackHarness, slack: SlackAPI, user: str, count: int = 1) -> dict[str, Any]:
    harness.event({"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home", "event_ts": new_ts()})
    call = slack.wait_for("views.publish", count=count, timeout=30)[-1]
    assert call.params["user_id"] == user
    view: dict[str, Any] = call.json("view")
    return view


def text_of(view: dict[str, Any]) -> str:
    parts = []
    for block in view["blocks"]:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        parts += [field["text"] for field in block.get("fields", [])]
        parts += [
            element.get("text", "") for element in block.get("elements", []) if isinstance(element.get("text"), str)
        ]
    return "\n".join(parts)


def test_the_home_tab_shows_knowledge_questions_week_and_scopes(home_harness: SlackHarness, slack: SlackAPI) -> None:
    # One question in a thread (linked from Home) and one by /pm (ephemeral: listed without a link).
    root_ts = new_ts()
    home_harness.event(mention("What are the refund goals?", thread_ts=root_ts, channel="C0PAY"))
    slack.wait_for("reactions.remove", timeout=30)  # the mention is done: answered and recorded
    _, url = home_harness.command("How do we rank help articles?", channel="C0GEN")
    slack.wait_for("response_url", path=url, timeout=30)

    view = open_home(home_harness, slack, "UPM")
    assert view["type"] == "home"
    headers = [block["text"]["text"] for block in view["blocks"] if block["type"] == "header"]
    assert headers == [
        "📚 What I know",
        "🕘 Your recent questions",
        "📈 The team's last 7 days",
        "🗂 What your channels search",
    ]
    text = text_of(view)
    version = home_harness.deps.index.version(fresh=True)
    assert f"*3 documents* in *3 chunks* · index version *{version}*" in text
    assert "`playbook` 1  `prds` 2  `prds/payments` 1  `prds/search` 1" in text
    assert re.search(
        r"\*Last reindex\* <!date\^\d+\^.*>, \d+\.\d s: 3 added, 0 updated, 0 removed, 0 unchanged, 1 skipped", text
    )
    assert "`prds/broken.pdf`:" in text  # the skipped file, with its reason
    assert re.search(r"• <https://pm-team\.slack\.com/archives/C0PAY/p\d+\|What are the refund goals\?>", text)
    assert "How do we rank help articles? _(a /pm answer, only you saw it)_" in text
    assert text.index("How do we rank") < text.index("What are the refund goals")  # newest first
    assert (
        "*Questions*\n2" in text and "*Answered*\n100%" in text and "*Latency p95*" in text and "*Cost*\n$0.00" in text
    )
    assert "*👎 share*" in text and "*Fallback share*\n100%" in text  # no LLM: every answer is extractive
    assert "• <#C0PAY>: `playbook`, `prds/payments`" in text and "• <#C0GEN>: `playbook`" in text
    assert HOME_REINDEX not in json.dumps(view)  # not an admin


def test_only_admins_get_the_reindex_button_and_it_shares_the_reindex_lock_and_report(
    home_harness: SlackHarness, slack: SlackAPI
) -> None:
    view = open_home(home_harness, slack, ADMIN)
    [button] = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == HOME_REINDEX
    assert "🔧 Admin" in json.dumps(view, ensure_ascii=False)

    write(home_harness.deps.knowledge_dir, "prds/new.md", "# New PRD\n\n## Goals\n\nSomething new.")
    home_harness.click(HOME_REINDEX, "reindex", user=ADMIN)
    published = slack.wait_for("views.publish", count=3, timeout=60)
    assert "Reindexing the knowledge base" in text_of(published[1].json("view"))
    report = text_of(published[2].json("view"))
    assert "Reindexed the knowledge base: 1 added, 0 updated, 0 removed, 3 unchanged" in report
    assert "*4 documents*" in report

    # While another reindex holds the lock, the button says so instead of running a second one.
    with home_harness.deps.store.lock(f"reindex:{home_harness.deps.index.name}", ttl_s=60):
        home_harness.click(HOME_REINDEX, "reindex", user=ADMIN)
        busy = slack.wait_for("views.publish", count=5, timeout=60)[-1]
    assert "A reindex is already running" in text_of(busy.json("view"))


def test_a_forged_reindex_click_from_a_non_admin_changes_nothing(home_harness: SlackHarness, slack: SlackAPI) -> None:
    version = home_harness.deps.index.version(fresh=True)
    home_harness.click(HOME_REINDEX, "reindex", user="UPM")
    last = slack.wait_for("views.publish", count=2, timeout=30)[-1]
    assert "only PM Copilot admins can reindex" in text_of(last.json("view"))
    assert HOME_REINDEX not in json.dumps(last.json("view"))
    assert home_harness.deps.index.version(fresh=True) == version


def test_the_messages_tab_publishes_nothing(home_harness: SlackHarness, slack: SlackAPI) -> None:
    home_harness.event(
        {"type": "app_home_opened", "user": "UPM", "channel": "DUPM", "tab": "messages", "event_ts": new_ts()}
    )
    slack.settle()
    assert slack.calls("views.publish") == []


def test_a_guest_sees_no_knowledge_on_home(home_harness: SlackHarness, slack: SlackAPI) -> None:
    slack.add_user("UGUEST", is_restricted=True)
    view = open_home(home_harness, slack, "UGUEST")
    assert "documents" not in text_of(view) and len(view["blocks"]) == 1
