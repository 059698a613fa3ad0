from __future__ import annotations

import pytest

from bot.slack_threads import FileReader, ThreadContext, slack_to_text
from tests.slack_api import SlackAPI


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<@UBOT> what should we measure?", "what should we measure?"),
        ("ask <@U123|maria> about <#C9|ai-features>", "ask @maria about #ai-features"),
        ("see <https://x.io/prd|the PRD> &amp; <https://x.io>", "see the PRD (https://x.io/prd) & https://x.io"),
        ("<!here> latency &lt; 2 s", "@here latency < 2 s"),
    ],
)
def test_slack_markup_becomes_plain_text(text: str, plain: str) -> None:
    assert slack_to_text(text, bot_user_id="UBOT") == plain


def file_entry(url: str, name: str = "prd.md", **extra: object) -> dict[str, object]:
    return {
        "id": "F1",
        "name": name,
        "mimetype": "text/markdown",
        "filetype": "markdown",
        "size": 40,
        "url_private_download": url,
        **extra,
    }


def test_a_shared_markdown_file_is_read_with_the_bot_token(slack: SlackAPI) -> None:
    url = slack.serve_file("prd.md", b"# Summarizer\n\nHandle time drops 20%.")
    shared = FileReader(slack.token, slack.api_url, 1_000_000).read(file_entry(url))
    assert shared is not None and (shared.name, shared.text) == ("prd.md", "# Summarizer\n\nHandle time drops 20%.")
    assert slack.calls("file")[0].headers["authorization"] == f"Bearer {slack.token}"


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"url_private_download": "https://evil.example/prd.md"}, "not Slack's file host"),
        ({"url_private_download": "http://files.slack.com/prd.md"}, "not https"),
        ({"name": "diagram.png", "mimetype": "image/png", "filetype": "png"}, "not a document"),
        ({"size": 5_000_000}, "over the size limit"),
        ({"mode": "tombstone"}, "deleted"),
    ],
)
def test_files_that_are_not_readable_documents_are_skipped(slack: SlackAPI, entry: dict[str, object], why: str) -> None:
    url = slack.serve_file("prd.md", b"# PRD")
    assert FileReader(slack.token, slack.api_url, 1_000_000).read({**file_entry(url), **entry}) is None, why
    assert slack.calls("file") == []  # nothing downloaded, and the token went nowhere


def test_a_sign_in_page_instead_of_the_file_is_not_taken_for_the_prd(slack: SlackAPI) -> None:
    url = slack.serve_file("prd.md", b"# PRD")
    assert FileReader("xoxb-wrong-token", slack.api_url, 1_000_000).read(file_entry(url)) is None


def test_thread_context_keeps_the_last_turns_and_names_the_prd() -> None:
    thread = ThreadContext(team="T", channel="C", thread_ts="1.0", root="*Ticket summarizer PRD*\nGoals: …")
    for n in range(15):
        thread.add_turn(f"question {n}", f"answer {n}", f"{1_700_000_000 + n}.{n:06d}")
    assert len(thread.history) == 20 and thread.history[-1] == ("assistant", "answer 14")
    assert thread.seen_ts == "1700000014.000014"
    thread.add_turn("late question", "late answer", "1700000009.000009")  # delivered out of order
    assert thread.seen_ts == "1700000014.000014"
    assert thread.title == "Ticket summarizer PRD"
    conversation = thread.conversation()
    assert (conversation.scope, conversation.context) == ("T:C:1.0", thread.prd)
