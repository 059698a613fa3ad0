"""PRDs saved from Slack: `save this PRD` writes the thread as one Markdown document under DATA_DIR and indexes it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.copilot import asks_to_save
from bot.knowledge.frontmatter import split_front_matter
from bot.knowledge.saved import saved_root
from tests.conftest import HashingEmbeddings, MakeSlackHarness, write
from tests.slack_api import SlackAPI
from tests.slack_harness import SlackHarness, mention, new_ts

SECRET = "sk-proj-" + "Q7w" * 14
ROOT_TEXT = (
    "*Voice refunds PRD*\nCallers can ask the voice bot for a refund; the zebra threshold for automatic voice "
    f"refunds is 30 euros. Staging key for the demo: {SECRET}"
)


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("save this PRD", True),
        ("please save the doc", True),
        ("speichere dieses PRD", True),
        ("PRD speichern bitte", True),
        ("sla deze PRD op", True),
        ("PRD opslaan", True),
        ("how do we save money on this PRD?", False),
    ],
)
def test_asks_to_save(text: str, wanted: bool) -> None:
    assert asks_to_save(text) is wanted


@pytest.fixture
def save_harness(
    make_slack_harness: MakeSlackHarness, tmp_path: Path, hashing_model: HashingEmbeddings, slack: SlackAPI
) -> SlackHarness:
    root = tmp_path / "kb"
    write(root, "playbook/metrics.md", "# Metrics\n\n## Launch\n\nMeasure accuracy, latency and cost before launch.")
    slack.add_channel("C0PRD", "voice-team")
    return make_slack_harness(root, hashing_model, min_evidence=0.0, pm_admins="UADMIN")


def thread_root(slack: SlackAPI, root_ts: str, text: str) -> dict[str, Any]:
    notes = slack.serve_file("voice-notes.md", b"# Rollout notes\n\nThe pilot covers the Berlin hotline first.")
    return {
        "ts": root_ts,
        "thread_ts": root_ts,
        "user": "UAUTHOR",
        "text": text,
        "files": [
            {
                "id": "F1",
                "name": "voice-notes.md",
                "mimetype": "text/markdown",
                "filetype": "markdown",
                "size": 60,
                "url_private_download": notes,
            }
        ],
    }


def saved_documents(harness: SlackHarness) -> list[Path]:
    return sorted((saved_root(harness.deps.settings.data_dir) / "slack").rglob("*.md"))


def test_a_saved_prd_is_answerable_next_and_saving_twice_leaves_one_document(
    save_harness: SlackHarness, slack: SlackAPI
) -> None:
    root_ts = new_ts()
    slack.script("conversations.replies", {"ok": True, "messages": [thread_root(slack, root_ts, ROOT_TEXT)]})
    save_harness.event(mention("save this PRD", thread_ts=root_ts, user="UAUTHOR"))
    [saved] = slack.wait_for("chat.postMessage", timeout=30)
    assert f"Saved this PRD as slack/C0PRD/{root_ts}.md and indexed it" in saved.params["text"]

    [document] = saved_documents(save_harness)
    text = document.read_text()
    front, body = split_front_matter(text)
    meta = yaml.safe_load(text.split("---")[1])
    permalink = SlackAPI.permalink("C0PRD", root_ts)
    assert front.url == permalink and front.title == "Voice refunds PRD"
    assert meta["channel"] == "C0PRD (#voice-team)" and meta["author"] == "UAUTHOR" and meta["saved_by"] == "UAUTHOR"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(meta["date"]))
    assert "zebra threshold" in body and "## voice-notes.md" in body and "Berlin hotline" in body
    assert SECRET not in text  # redacted before it is written

    # The next question finds it, and its source links to the thread.
    _, url = save_harness.command("What is the zebra threshold for automatic voice refunds?")
    [answer] = slack.wait_for("response_url", path=url, timeout=30)
    sources = "\n".join(e["text"] for b in answer.json("blocks") if b["type"] == "context" for e in b["elements"])
    assert f"<{permalink}|Voice refunds PRD" in sources and f"`slack/C0PRD/{root_ts}.md`" in sources

    # Saving again (after an edit) updates the same document.
    edited = ROOT_TEXT.replace("30 euros", "45 euros")
    slack.script("conversations.replies", {"ok": True, "messages": [thread_root(slack, root_ts, edited)]})
    save_harness.event(mention("save this PRD", thread_ts=root_ts, user="UADMIN"))
    second = slack.wait_for("chat.postMessage", count=2, timeout=30)[-1]
    assert "Updated this PRD" in second.params["text"]
    assert saved_documents(save_harness) == [document]
    assert "45 euros" in document.read_text() and "30 euros" not in document.read_text()
    snapshot = save_harness.deps.index.snapshot()
    chunks = [m for m in snapshot.metadatas if str(m["path"]).startswith("slack/")]
    assert {m["path"] for m in chunks} == {f"slack/C0PRD/{root_ts}.md"}
    assert any("45 euros" in text for text in snapshot.texts) and not any("30 euros" in t for t in snapshot.texts)

    # The nightly (full) reindex keeps it.
    report = save_harness.deps.index.reindex()
    assert report.removed == 0 and f"slack/C0PRD/{root_ts}.md" in save_harness.deps.index.relpaths()


def test_only_the_author_or_an_admin_may_save(save_harness: SlackHarness, slack: SlackAPI) -> None:
    root_ts = new_ts()
    slack.script("conversations.replies", {"ok": True, "messages": [thread_root(slack, root_ts, ROOT_TEXT)]})
    save_harness.event(mention("save this PRD", thread_ts=root_ts, user="USOMEONE"))
    [reply] = slack.wait_for("chat.postMessage", timeout=30)
    assert "Only the person who started this thread" in reply.params["text"]
    assert saved_documents(save_harness) == []
    assert slack.calls("file") == []  # nothing downloaded for someone who may not save
