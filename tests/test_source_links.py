"""Sources you can click: front matter `url:`, else KNOWLEDGE_BASE_URL plus the path; `ask --json` and Slack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.answers.answer import answer_question
from bot.copilot import Reply
from bot.knowledge.frontmatter import split_front_matter
from bot.slack.blocks import sources_block
from tests.conftest import HashingEmbeddings, run_cli, write

LINKED = """---
title: Refund assistant
url: https://wiki.example.com/prds/refunds
owner: dana
---
# Refund assistant PRD draft

## Goals

The refund assistant drafts refund decisions; agents approve refunds over 50 euros.
"""


@pytest.mark.parametrize(
    ("text", "title", "url", "body_starts"),
    [
        (LINKED, "Refund assistant", "https://wiki.example.com/prds/refunds", "# Refund assistant PRD draft"),
        ("---\nurl: javascript:alert(1)\n---\n# T\n", None, None, "# T"),  # only http(s) links
        ("---\n- a\n- list\n---\n# T\n", None, None, "---"),  # not a mapping: the text stays whole
        ("---\nurl: [unclosed\n---\n# T\n", None, None, "---"),  # not YAML: the text stays whole
        ("# No front matter\n\n---\n\nA rule.", None, None, "# No front matter"),
        ("---\n" + "x: y\n" * 3000 + "---\n# T\n", None, None, "---"),  # a head too long to be front matter
    ],
)
def test_front_matter(text: str, title: str | None, url: str | None, body_starts: str) -> None:
    front, body = split_front_matter(text)
    assert (front.title, front.url) == (title, url)
    assert body.startswith(body_starts)


@pytest.fixture
def linked_folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "prds/refunds.md", LINKED)
    write(root, "prds/search ranking.md", "# Search ranking PRD\n\n## Goals\n\nRank refunds help articles first.")
    return root


def test_sources_link_to_front_matter_url_else_the_base_url(
    make_deps: Any, linked_folder: Path, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(
        linked_folder, hashing_model, min_evidence=0.0, knowledge_base_url="https://git.example.com/pm/kb/blob/main/"
    )
    deps.index.reindex()
    answer = answer_question(deps, "What are the goals for refunds?")
    urls = {source.path: source.url for source in answer.sources}
    assert urls == {
        "prds/refunds.md": "https://wiki.example.com/prds/refunds",
        "prds/search ranking.md": "https://git.example.com/pm/kb/blob/main/prds/search%20ranking.md",
    }
    assert {s.title for s in answer.sources} >= {"Refund assistant"}  # the front matter's title
    assert "owner: dana" not in answer.markdown  # front matter isn't body text
    cached = answer_question(deps, "What are the goals for refunds?")
    assert cached.cached and {s.path: s.url for s in cached.sources} == urls


def test_ask_json_sources_carry_url_only_when_there_is_one(linked_folder: Path, tmp_path: Path) -> None:
    env = {"KNOWLEDGE_DIR": str(linked_folder), "DATA_DIR": str(tmp_path / "data"), "MIN_EVIDENCE": "0"}
    result = run_cli("ask", "What are the goals for refunds?", "--json", env=env)
    assert result.returncode == 0, result.stderr
    sources = json.loads(result.stdout)["sources"]
    by_path = {source["path"]: source for source in sources}
    assert by_path["prds/refunds.md"]["url"] == "https://wiki.example.com/prds/refunds"
    assert set(by_path["prds/search ranking.md"]) == {"path", "title", "section", "score", "snippet"}


def test_the_sources_block_links_each_title_to_its_url() -> None:
    reply = Reply(
        kind="answer",
        markdown="Agents approve refunds over 50 euros [1].",
        sources=[
            {
                "path": "prds/refunds.md",
                "title": "Refunds",
                "section": "Goals",
                "score": 1,
                "snippet": "",
                "url": "https://wiki.example.com/r?a=1&b=2",
            },
            {"path": "playbook/trust.md", "title": "Trust", "section": "", "score": 1, "snippet": ""},
        ],
    )
    block = sources_block(reply)
    assert block is not None
    text = block["elements"][0]["text"]
    assert "[1] <https://wiki.example.com/r?a=1&amp;b=2|Refunds — Goals> · `prds/refunds.md`" in text
    assert "[2] Trust · `playbook/trust.md`" in text
