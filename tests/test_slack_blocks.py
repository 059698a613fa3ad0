from __future__ import annotations

import re

import pytest

from bot.copilot import Reply
from bot.core.reply import Source
from bot.slack.blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    MAX_BLOCKS,
    MESSAGE_CHARS,
    SECTION_CHARS,
    SHARE,
    Block,
    as_slack_blocks,
    as_slack_messages,
    split_text,
    to_mrkdwn,
)


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        ("**bold** and __also bold__", "*bold* and *also bold*"),
        ("*italic* and _italic_", "_italic_ and _italic_"),
        ("***both***", "*_both_*"),
        ("~~gone~~", "~gone~"),
        ("[the docs](https://x.io/a?b=1&c=2)", "<https://x.io/a?b=1&amp;c=2|the docs> (x.io)"),
        ("see <https://x.io>", "see <https://x.io>"),
        ("[relative](../prds/a.md)", "[relative](../prds/a.md)"),
        ("# Launch **plan**", "*Launch plan*"),
        ("### Risks", "*Risks*"),
        ("- one\n  * two\n+ three", "• one\n  • two\n• three"),
        ("1. first\n2) second", "1. first\n2. second"),
        ("> quoted **text**", "> quoted *text*"),
        ("cost < $1 & latency > 2 s", "cost &lt; $1 &amp; latency &gt; 2 s"),
        ("`a < b` stays **code**", "`a &lt; b` stays *code*"),
        ("```python\nx = '**no**' < 1\n```", "```\nx = '**no**' &lt; 1\n```"),
        ("```\nunclosed", "```\nunclosed\n```"),
        ("| metric | target |\n|---|---|\n| latency | < 2 s |", "```\nmetric   target\nlatency  &lt; 2 s\n```"),
        ("above\n\n---\n\nbelow", "above\n\n──────────\n\nbelow"),
        ("a snake_case_name stays", "a snake_case_name stays"),
        ("2 * 3 * 4", "2 * 3 * 4"),
        ("## Goals ##", "*Goals*"),
        ("use ``a ` b`` here", "use `a ` b` here"),
        ("**a **b** c", "**a *b* c"),
        ("*unclosed **marks ~~stay `here", "*unclosed **marks ~~stay `here"),
    ],
)
def test_markdown_becomes_slack_mrkdwn(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


@pytest.mark.parametrize(
    ("markdown", "mrkdwn"),
    [
        # A `|` in the target would start Slack's label: the trusted-looking URL after it is dropped.
        ("[docs](https://evil.example|https://docs.internal)", "<https://evil.example|docs> (evil.example)"),
        # A label posing as another address is replaced by the real one.
        ("[https://docs.internal](https://evil.example)", "<https://evil.example>"),
        ("[docs.internal/prd](https://evil.example/prd)", "<https://evil.example/prd>"),
        ("<https://evil.example|https://docs.internal>", "<https://evil.example>"),
        ("[x.io](https://x.io/prd)", "<https://x.io/prd|x.io>"),
        ("[https://x.io/a](https://x.io/b)", "<https://x.io/b|https://x.io/a>"),
        ("[https://x.io](https://x.io)", "<https://x.io>"),
        ("[write to us](mailto:pm@x.io)", "<mailto:pm@x.io|write to us> (pm@x.io)"),
        ("[a|b <c>](https://x.io/<p>)", "<https://x.io/%3Cp%3E|a/b &lt;c&gt;> (x.io)"),
        ("![chart](https://img.x.io/c.png)", "<https://img.x.io/c.png|chart> (img.x.io)"),
    ],
)
def test_links_show_where_they_really_go(markdown: str, mrkdwn: str) -> None:
    assert to_mrkdwn(markdown) == mrkdwn


def reply(markdown: str, sources: int = 2) -> Reply:
    return Reply(
        kind="answer",
        markdown=markdown,
        question="What is a fallback rate?",
        sources=[
            Source(path=f"playbook/p{n}.md", title=f"Page {n}", section=f"Section {n}", score=0.5, snippet="…")
            for n in range(1, sources + 1)
        ],
        notice="Generation is off: set OPENAI_API_KEY for written answers.",
    )


def sections(blocks: list[Block]) -> list[str]:
    return [block["text"]["text"] for block in blocks if block["type"] == "section"]


def test_an_answer_is_text_then_sources_then_buttons() -> None:
    blocks = as_slack_blocks(reply("The fallback rate is **the share** of answers served by the fallback [1]."), "r1")
    assert [block["type"] for block in blocks] == ["section", "context", "context", "actions"]
    assert sections(blocks) == ["The fallback rate is *the share* of answers served by the fallback [1]."]
    assert blocks[1]["elements"][0]["text"] == (
        "*Sources*\n[1] Page 1 — Section 1 · `playbook/p1.md`\n[2] Page 2 — Section 2 · `playbook/p2.md`"
    )
    assert blocks[2]["elements"][0]["text"] == "_Generation is off: set OPENAI_API_KEY for written answers._"
    assert [(b["action_id"], b["value"]) for b in blocks[3]["elements"]] == [(FEEDBACK_UP, "r1"), (FEEDBACK_DOWN, "r1")]


def test_ephemeral_answers_get_a_share_button_and_shared_ones_name_the_sharer() -> None:
    ephemeral = as_slack_blocks(reply("Answer."), "r1", shareable=True)
    assert [b["action_id"] for b in ephemeral[-1]["elements"]] == [FEEDBACK_UP, FEEDBACK_DOWN, SHARE]
    shared = as_slack_blocks(reply("Answer."), "r1", shared_by="U42")
    assert shared[0]["elements"][0]["text"] == "<@U42> shared this answer to: _What is a fallback rate?_"
    assert SHARE not in str(shared)


def test_an_answer_renders_its_markdown_as_mrkdwn() -> None:
    answer = Reply(kind="answer", question="q?", markdown="**A**", mode="extractive")
    assert as_slack_blocks(answer) == [{"type": "section", "text": {"type": "mrkdwn", "text": "*A*"}}]


def test_usage_replies_have_no_buttons() -> None:
    blocks = as_slack_blocks(Reply(kind="usage", markdown="Ask a question."), "r1")
    assert [block["type"] for block in blocks] == ["section"]


def long_markdown() -> str:
    paragraphs = []
    for n in range(60):
        paragraphs.append(f"## Part {n}\n\n" + " ".join(f"word{n}-{i}" for i in range(90)))
        if n % 10 == 0:
            paragraphs.append("```\n" + "\n".join(f"line {n}.{i} = {'x' * 70}" for i in range(60)) + "\n```")
    paragraphs.append("tail " + "y" * 5000)  # one "word" longer than any block
    return "\n\n".join(paragraphs)


def test_a_long_answer_is_split_within_slack_limits_and_nothing_is_lost() -> None:
    markdown = long_markdown()
    messages = as_slack_messages(reply(markdown, sources=3), "r9", shareable=True)
    assert len(messages) > 5
    for message in messages:
        assert len(message["blocks"]) <= MAX_BLOCKS
        texts = sections(message["blocks"])
        assert all(0 < len(text) <= SECTION_CHARS for text in texts)
        assert sum(map(len, texts)) <= MESSAGE_CHARS
        assert len(message["text"]) <= 4000
    # Code blocks cut across sections are closed and reopened, so each piece renders on its own.
    every_section = [text for message in messages for text in sections(message["blocks"])]
    assert all(text.count("```") % 2 == 0 for text in every_section)
    # Every word survives, in order, and the buttons come once, at the very end.
    words = re.findall(r"word\d+-\d+|line \d+\.\d+", "\n".join(every_section))
    assert words == re.findall(r"word\d+-\d+|line \d+\.\d+", markdown)
    assert "".join(every_section).count("y") >= 5000
    assert [b["type"] for b in messages[-1]["blocks"]][-1] == "actions"
    assert all(block["type"] != "actions" for message in messages[:-1] for block in message["blocks"])
    assert messages[0]["text"].startswith("Part 0 word0-0") and messages[1]["text"] == "(continued)"


def test_many_short_paragraphs_still_respect_the_block_count() -> None:
    markdown = "\n\n".join(["x" * 2990] * 3)
    assert split_text(markdown) == ["x" * 2990] * 3
    blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": "s"}]}] * 120
    from bot.slack.blocks import pack_messages

    assert [len(message["blocks"]) for message in pack_messages(blocks, "t")] == [50, 50, 20]


@pytest.mark.parametrize("limit", [50, 300, 3000])
def test_split_text_respects_any_limit(limit: int) -> None:
    text = to_mrkdwn(long_markdown())
    pieces = split_text(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert re.sub(r"\s|`", "", "".join(pieces)) == re.sub(r"\s|`", "", text)
