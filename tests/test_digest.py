"""Thread digests: the request in three languages, the offline digest on the dev set, the LLM digest's citations,
and a 60-message thread digested through the real Bolt app, every item linking to a real message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.core.llm import MALFORMED_NOTICE
from bot.digest.extractive import extractive_digest
from bot.digest.generated import generated_digest
from bot.digest.intent import asks_for_digest
from bot.digest.types import TITLES, ThreadMessage
from bot.quality.digests import load_threads, score_digests
from tests.conftest import HashingEmbeddings, MakeSlackHarness, write
from tests.openai_server import OpenAIServer, reply
from tests.slack_api import BOT_USER_ID, Call, SlackAPI
from tests.slack_harness import mention

THREADS = Path(__file__).parent / "devsets" / "threads"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("summarize this thread please", True),
        ("can you summarise?", True),
        ("tl;dr", True),
        ("TLDR pls", True),
        ("quick recap?", True),
        ("Fass den Thread bitte kurz zusammen", True),
        ("Zusammenfassung bitte", True),
        ("kun je dit samenvatten?", True),
        ("vat de discussie even samen", True),
        ("What should we measure before launch?", False),
        ("draft evals", False),
        ("x" * 300 + " summarize", False),  # only the head of a message is read
    ],
)
def test_asks_for_digest(text: str, wanted: bool) -> None:
    assert asks_for_digest(text) is wanted


def test_the_offline_digest_finds_80_percent_of_decisions_and_open_questions_on_both_halves() -> None:
    threads = load_threads(THREADS)
    assert len(threads) >= 10
    for half in (threads[:6], threads[6:]):
        score = score_digests(half, lambda thread: extractive_digest(thread.messages, thread.title))
        assert score.sections["decision"].recall is not None and score.sections["decision"].recall >= 0.8
        assert score.sections["question"].recall is not None and score.sections["question"].recall >= 0.8


def test_extractive_items_quote_their_sentence_author_and_owner() -> None:
    digest = extractive_digest(
        [
            ThreadMessage(
                user="UPM",
                ts="1.000100",
                text="PRD for the refund assistant.\nDecision: refunds over 50 EUR need a human.",
            ),
            ThreadMessage(user="UENG", ts="1.000200", text="Who owns the eval set for refunds?"),
            ThreadMessage(user="UPM", ts="1.000300", text="@UENG can you build the golden set by Friday?"),
            ThreadMessage(user="ULEGAL", ts="1.000400", text="My concern is that refund reasons may leak PII."),
        ]
    )
    assert [(i.text, i.user, i.ts) for i in digest.decisions] == [
        ("refunds over 50 EUR need a human.", "UPM", "1.000100")
    ]
    assert [i.ts for i in digest.questions] == ["1.000200"]
    assert [(i.ts, i.owner) for i in digest.actions] == [("1.000300", "UENG")]
    assert [i.ts for i in digest.risks] == ["1.000400"]


# -- The LLM digest ------------------------------------------------------------------------------


@pytest.fixture
def llm_deps(make_deps: Any, tmp_path: Path, hashing_model: HashingEmbeddings, openai_server: OpenAIServer) -> Any:
    write(tmp_path / "kb", "playbook/a.md", "# A\n\nText.")
    return make_deps(
        tmp_path / "kb",
        hashing_model,
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
        llm_max_retries=0,
    )


MESSAGES = [
    ThreadMessage(user="UPM", ts="1.000100", text="Pilot is Tier 1 English only."),
    ThreadMessage(user="UENG", ts="1.000200", text="Who owns the eval set?"),
    ThreadMessage(user="UPM", ts="1.000300", text="<@UENG> please build it by Friday."),
]


def test_the_llm_digest_keeps_only_points_that_cite_a_real_message(llm_deps: Any, openai_server: OpenAIServer) -> None:
    draft = {
        "decisions": [{"text": "Pilot: Tier 1 English.", "message": 1}, {"text": "Invented.", "message": 9}],
        "open_questions": [{"text": "Owner of the eval set.", "message": 2}],
        "action_items": [{"text": "Build the eval set by Friday.", "message": 3, "owner": "<@UENG>"}],
        "risks": [{"text": "Made up.", "message": 0}],
    }
    openai_server.script(reply(json.dumps(draft)))
    digest = generated_digest(llm_deps.llm, MESSAGES, "Pilot")
    assert digest.mode == "generated" and digest.cited_dropped == 2
    assert [(i.text, i.ts) for i in digest.decisions] == [("Pilot: Tier 1 English.", "1.000100")]
    assert [(i.ts, i.owner) for i in digest.actions] == [("1.000300", "UENG")]
    assert digest.risks == []
    [request] = openai_server.requests
    prompt = request["body"]["messages"][-1]["content"]
    assert "[1] UPM: Pilot is Tier 1 English only." in prompt and "[3] UPM:" in prompt


def test_an_llm_digest_that_cites_nothing_real_is_refused(llm_deps: Any, openai_server: OpenAIServer) -> None:
    openai_server.script(reply(json.dumps({"decisions": [{"text": "Invented.", "message": 42}]})))
    with pytest.raises(ValueError, match="no digest point cites"):
        generated_digest(llm_deps.llm, MESSAGES)


def test_the_copilot_falls_back_to_the_extractive_digest_when_the_llm_fails(
    llm_deps: Any, openai_server: OpenAIServer
) -> None:
    from bot.copilot import Copilot

    openai_server.script(reply("not json at all"))
    digest = Copilot(llm_deps).digest(MESSAGES, scope="T:C:1")
    assert digest.mode == "extractive" and digest.notice == MALFORMED_NOTICE
    assert [i.ts for i in digest.questions] == ["1.000200"]
    # Not cached: the next ask gets the written digest once the provider recovers.
    openai_server.script(reply(json.dumps({"open_questions": [{"text": "Who owns evals?", "message": 2}]})))
    assert Copilot(llm_deps).digest(MESSAGES, scope="T:C:1").mode == "generated"


# -- Through the Slack app ------------------------------------------------------------------------


def sixty_messages(thread_ts: str) -> list[dict[str, Any]]:
    """The dev set's threads 01-05 as one 60-message Slack thread (root first), with Slack's fields."""
    messages: list[dict[str, Any]] = []
    for thread in load_threads(THREADS)[:6]:
        for message in thread.messages:
            messages.append({"type": "message", "user": message.user, "text": message.text})
    messages = messages[:60]
    seconds = int(float(thread_ts))
    for number, message in enumerate(messages):
        message["ts"] = thread_ts if number == 0 else f"{seconds + number}.000100"
        message["thread_ts"] = thread_ts
    return messages


def paged_replies(messages: list[dict[str, Any]], page: int) -> Any:
    """conversations.replies as Slack pages it: `page` messages at a time with a cursor; `oldest` honoured."""

    def respond(call: Call) -> dict[str, Any]:
        oldest = call.params.get("oldest")
        chosen = [m for m in messages if oldest is None or float(m["ts"]) > float(oldest) or m is messages[0]]
        start = int(call.params.get("cursor") or 0)
        rest = chosen[start + page :]
        return {
            "ok": True,
            "messages": chosen[start : start + page],
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": str(start + page) if rest else ""},
        }

    return respond


def test_a_60_message_thread_digest_has_each_section_and_every_item_links_to_a_real_message(
    make_slack_harness: MakeSlackHarness, slack: SlackAPI, tmp_path: Path, hashing_model: HashingEmbeddings
) -> None:
    write(tmp_path / "kb", "playbook/a.md", "# A\n\nText.")
    harness = make_slack_harness(tmp_path / "kb", hashing_model)
    thread_ts = "1800000000.000100"
    messages = sixty_messages(thread_ts)
    assert len(messages) == 60
    slack.script("conversations.replies", paged_replies(messages, page=25))

    harness.event(mention("summarize", thread_ts=thread_ts, channel="C0PRD"))
    slack.wait_for("chat.postMessage", timeout=30)
    slack.settle()
    posts = slack.calls("chat.postMessage")  # a long digest goes out in as many messages as Slack's limits need

    assert len(slack.calls("conversations.replies")) == 3  # 60 messages, 25 a page
    assert all(int(call.params.get("limit", 0)) <= 200 for call in slack.calls("conversations.replies"))
    assert all(post.params["thread_ts"] == thread_ts for post in posts)
    sections = [b["text"]["text"] for post in posts for b in post.json("blocks") if b["type"] == "section"]
    assert "(60 messages)" in sections[0]
    for title, text in zip(TITLES.values(), sections[1:], strict=True):
        assert text.startswith(f"*{title}*")
        assert "_None found._" not in text
    links = re.findall(r"<(https://[^|>]+)\|", "\n".join(sections))
    real = {SlackAPI.permalink("C0PRD", m["ts"]) for m in messages}
    assert len(links) >= 12 and set(links) <= real
    asked = {call.params["message_ts"] for call in slack.calls("chat.getPermalink")}
    assert asked <= {m["ts"] for m in messages}
    authors = set(re.findall(r"<@(U[A-Z0-9]+)>", "\n".join(sections)))
    assert authors and authors <= {m["user"] for m in messages} and BOT_USER_ID not in authors

    # Asked again ("recap" in Dutch this time): the thread is topped up from where it was read, not re-read.
    slack.script("conversations.replies", paged_replies(messages, page=25))
    harness.event(mention("kun je een samenvatting geven?", thread_ts=thread_ts, channel="C0PRD"))
    slack.wait_for("chat.postMessage", count=len(posts) + 1, timeout=30)
    last = slack.calls("conversations.replies")[-1]
    assert last.params["oldest"] == messages[-1]["ts"]


def test_an_edited_message_is_read_afresh_by_the_next_digest(
    make_slack_harness: MakeSlackHarness, slack: SlackAPI, tmp_path: Path, hashing_model: HashingEmbeddings
) -> None:
    write(tmp_path / "kb", "playbook/a.md", "# A\n\nText.")
    harness = make_slack_harness(tmp_path / "kb", hashing_model)
    thread_ts = "1800000100.000100"
    messages = sixty_messages(thread_ts)[:12]
    slack.script("conversations.replies", paged_replies(messages, page=200))
    harness.event(mention("tl;dr", thread_ts=thread_ts, channel="C0PRD"))
    slack.wait_for("chat.postMessage", timeout=30)
    slack.settle()

    before = messages[5]
    after = {**before, "text": "Decision: the zebra pilot ships in June."}
    event = {"type": "message", "subtype": "message_changed", "channel": "C0PRD", "channel_type": "channel"}
    event |= {"hidden": True, "ts": "1800000200.000100", "event_ts": "1800000200.000100"}
    event |= {"previous_message": before, "message": after}
    assert harness.event(event).status_code == 200
    messages[5] = after
    slack.script("conversations.replies", paged_replies(messages, page=200))
    posted = len(slack.calls("chat.postMessage"))
    harness.event(mention("recap", thread_ts=thread_ts, channel="C0PRD"))
    slack.wait_for("chat.postMessage", count=posted + 1, timeout=30)
    slack.settle()
    assert "oldest" not in slack.calls("conversations.replies")[-1].params  # read from the start again
    text = json.dumps([call.json("blocks") for call in slack.calls("chat.postMessage")[posted:]])
    assert "the zebra pilot ships in June." in text
