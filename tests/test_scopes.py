"""Channel scopes: `scopes.yaml` parsed and checked, and honoured by /pm, mentions and the answer cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.answers.cache import AnswerCache
from bot.core.store import open_store
from bot.knowledge.embeddings import EmbeddingModel
from bot.knowledge.scopes import EVERYTHING, SCOPES_FILE, ChannelScopes, check_scopes, load_scopes, parse_scopes
from tests.conftest import HashingEmbeddings, MakeSlackHarness, write
from tests.slack_api import Call, SlackAPI
from tests.slack_harness import mention

SCOPES = """\
default: [playbook, prds]
channels:
  C0PAY: [playbook, prds/payments]
  "payments-*": [prds/payments]
  "#search-team": [prds/search]
"""


def test_rules_match_by_id_then_name_glob_and_fall_back_to_the_default() -> None:
    rules = parse_scopes(SCOPES)
    assert rules.warnings == ()
    assert rules.scope_for("C0PAY", "payments-eu").folders == ("playbook", "prds/payments")  # the ID wins
    assert rules.scope_for("C0OTHER", "payments-eu").folders == ("prds/payments",)
    assert rules.scope_for("C0OTHER", "payments-eu").rule == "payments-*"
    assert rules.scope_for("C0SEARCH", "search-team").folders == ("prds/search",)
    assert rules.scope_for("C0RANDOM", "random").folders == ("playbook", "prds")
    assert rules.scope_for("D0DM", "payments-dm").folders == ("playbook", "prds")  # a DM is never matched by name
    assert rules.scope_for(None).folders == ("playbook", "prds")  # the assistant pane


def test_without_a_file_every_channel_searches_everything(tmp_path: Path) -> None:
    assert load_scopes(tmp_path).scope_for("C0PAY", "payments") == EVERYTHING
    assert EVERYTHING.covers("prds/anything.md")


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("channels:\n  'Payments Team': [prds]\n", "'Payments Team' is neither a channel ID"),
        ("channels:\n  'pay-[abc': [prds]\n", "'pay-[abc' is neither a channel ID"),
        ("channels:\n  C0PAY: prds: nested\n", "isn't valid YAML (line 2)"),
        ("channels:\n  C0PAY: {folder: prds}\n", "channel 'C0PAY' must be a list of folders"),
        ("default: [../secrets]\n", "'../secrets', which isn't a sub-folder path"),
        ("- just\n- a list\n", "must map `default` and `channels`"),
        ("default: [prds]\nchanels: {}\n", "unknown key 'chanels'"),
    ],
)
def test_a_bad_rule_is_one_clear_warning_never_a_crash(text: str, warning: str) -> None:
    rules = parse_scopes(text)
    assert len(rules.warnings) == 1
    assert warning in rules.warnings[0]


def test_folders_that_hold_no_document_are_reported() -> None:
    rules = parse_scopes(SCOPES)
    warnings = check_scopes(rules, ["playbook/metrics.md", "prds/payments/refunds.md"])
    assert warnings == [f"{SCOPES_FILE}: folder 'prds/search' holds no indexed document"]


def test_scopes_are_read_again_when_the_file_changes(tmp_path: Path) -> None:
    scopes = ChannelScopes(tmp_path)
    assert scopes.scope_for("C0PAY") == EVERYTHING
    (tmp_path / SCOPES_FILE).write_text(SCOPES)
    assert scopes.scope_for("C0PAY").folders == ("playbook", "prds/payments")


def test_the_answer_cache_keys_on_the_scope(tmp_path: Path) -> None:
    cache = AnswerCache(open_store(None, tmp_path), 60)

    def key(folders: tuple[str, ...] | None) -> str:
        return cache.key("q", index_version=1, prompt_version="p", model="m", k=5, threshold=0.3, folders=folders)

    keys = {key(None), key(()), key(("playbook",)), key(("playbook", "prds/payments"))}
    assert len(keys) == 4
    assert key(("prds/payments", "playbook")) == key(("playbook", "prds/payments"))  # the order of a rule's folders


# -- Through the index and the Slack app ---------------------------------------------------------


@pytest.fixture
def scoped_folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(
        root,
        "prds/payments/refunds.md",
        "# Refund assistant PRD\n\n## Goals\n\nThe refund assistant drafts refund decisions for card disputes; "
        "agents approve every refund over 50 euros.",
    )
    write(
        root,
        "prds/search/ranking.md",
        "# Search ranking PRD\n\n## Goals\n\nThe ranking model orders help-center articles by click-through; "
        "we retrain the ranking model weekly on fresh click logs.",
    )
    write(root, "playbook/launch.md", "# Launch checklist\n\n## Before launch\n\nMeasure accuracy and cost.")
    write(root, SCOPES_FILE, SCOPES)
    return root


def test_reindex_warns_once_per_bad_rule_and_unknown_folder(
    make_deps: Any, scoped_folder: Path, hashing_model: HashingEmbeddings
) -> None:
    (scoped_folder / SCOPES_FILE).write_text(SCOPES + "  'Bad Name': [prds]\n  C0GONE: [prds/legal]\n")
    deps = make_deps(scoped_folder, hashing_model)
    report = deps.index.reindex()
    assert report.added == 3 and report.skipped == []  # scopes.yaml is a setting, not a document
    assert report.warnings == [
        "scopes.yaml: 'Bad Name' is neither a channel ID (C0PAY) nor a channel-name glob (lowercase letters, "
        "digits, - and _, with * ? [..]); rule ignored",
        "scopes.yaml: folder 'prds/legal' holds no indexed document",
    ]
    assert report.as_dict()["warnings"] == report.warnings


def _cited_paths(call: Call) -> list[str]:
    text = "\n".join(
        element.get("text", "")
        for block in call.json("blocks") or []
        for element in block.get("elements", [])
        if element.get("type") == "mrkdwn"
    )
    return re.findall(r"`([^`]+\.md)`", text)


def test_pm_and_mentions_cite_only_the_channels_folders(
    make_slack_harness: MakeSlackHarness, slack: SlackAPI, scoped_folder: Path, hashing_model: HashingEmbeddings
) -> None:
    harness = make_slack_harness(scoped_folder, hashing_model, min_evidence=0.0)
    question = "What are the goals of the PRD?"
    _, pay_url = harness.command(question, channel="C0PAY")
    [answer] = slack.wait_for("response_url", path=pay_url)
    paths = _cited_paths(answer)
    assert paths and all(p.startswith(("playbook/", "prds/payments/")) for p in paths)
    assert "prds/payments/refunds.md" in paths

    # The same question in a channel named search-team (by glob, from conversations.info): another scope,
    # another cache entry, other sources.
    slack.add_channel("C0SRCH", "search-team")
    harness.event(mention(question, channel="C0SRCH"))
    [post] = slack.wait_for("chat.postMessage")
    assert _cited_paths(post) == ["prds/search/ranking.md"]
    assert [call.params["channel"] for call in slack.calls("conversations.info")] == ["C0SRCH"]


def test_pm_scope_shows_the_channels_scope(
    make_slack_harness: MakeSlackHarness, slack: SlackAPI, scoped_folder: Path, hashing_model: HashingEmbeddings
) -> None:
    harness = make_slack_harness(scoped_folder, hashing_model)
    response, url = harness.command("scope", channel="C0PAY")
    assert "Checking what this channel searches" in response.json()["text"]
    [reply] = slack.wait_for("response_url", path=url)
    [section] = [block["text"]["text"] for block in reply.json("blocks") if block["type"] == "section"]
    assert "`playbook`, `prds/payments` (the rule `C0PAY` in `scopes.yaml`)" in section


@pytest.mark.slow
def test_an_answer_only_outside_the_scope_is_declined_naming_other_folders(
    make_slack_harness: MakeSlackHarness, slack: SlackAPI, scoped_folder: Path, local_model: EmbeddingModel
) -> None:
    harness = make_slack_harness(scoped_folder, local_model, builtin_playbook=False)
    _, url = harness.command("How often do we retrain the ranking model?", channel="C0PAY")
    [reply] = slack.wait_for("response_url", path=url, timeout=60)
    text = "\n".join(block["text"]["text"] for block in reply.json("blocks") if block["type"] == "section")
    assert "I don't know from the knowledge this channel searches" in text
    assert "Other folders might know: `prds/search`" in text
    assert "retrain" not in text.lower().split("might know")[1]  # no content from outside the scope
    assert _cited_paths(reply) == []
