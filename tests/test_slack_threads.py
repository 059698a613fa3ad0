from __future__ import annotations

import logging
import re
import time

import pytest
from slack_sdk import WebClient

from bot.core.store import RedisStore
from bot.slack.threads import (
    MAX_CONTEXT_CHARS,
    MAX_THREAD_FILES,
    MAX_TURN_CHARS,
    FileBudget,
    FileReader,
    SharedFile,
    ThreadContext,
    ThreadMemory,
    read_thread,
    slack_to_text,
)
from tests.conftest import REDIS_URL
from tests.slack_api import SlackAPI
from tests.test_loaders import docx_bomb, slow_pdf


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("<@UBOT> what should we measure?", "what should we measure?"),
        ("ask <@U123|maria> about <#C9|ai-features>", "ask @maria about #ai-features"),
        ("see <https://x.io/prd|the PRD> &amp; <https://x.io>", "see the PRD (https://x.io/prd) & https://x.io"),
        ("<!here> latency &lt; 2 s", "@here latency < 2 s"),
        # A label ends at the next "<" (Slack sends a typed "<" as "&lt;"): unclosed markup stays as written.
        ("<@U1|<@U2|bob>", "<@U1|@bob"),
        ("<@U1|<@U1|<@U1|x", "<@U1|<@U1|<@U1|x"),
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


def test_a_skipped_message_is_read_past_but_not_kept() -> None:
    thread = ThreadContext(team="T", channel="C", thread_ts="1.0")
    thread.add_turn("question", "answer", "1700000001.000001")
    thread.skip("1700000002.000002")
    assert thread.history == [("user", "question"), ("assistant", "answer")]
    assert thread.seen_ts == "1700000002.000002"


def test_a_forgotten_thread_is_gone_for_every_replica(redis_prefix: str) -> None:
    replicas = [RedisStore(REDIS_URL, redis_prefix) for _ in range(2)]
    first, second = (ThreadMemory(store, 60) for store in replicas)
    first.save(ThreadContext(team="T", channel="C", thread_ts="1.0", root="PRD"))
    first.save(ThreadContext(team="T", channel="C", thread_ts="2.0", root="another PRD"))
    second.forget("T", "C", "1.0")
    assert first.load("T", "C", "1.0") is None
    kept = first.load("T", "C", "2.0")
    assert kept is not None and kept.root == "another PRD"
    for store in replicas:
        store.client.close()


def shared_file(slack: SlackAPI, name: str, content: bytes, mimetype: str = "text/markdown") -> dict[str, object]:
    """A file entry as Slack sends it in a message, its content served by the fake file host."""
    return file_entry(slack.serve_file(name, content), name=name, mimetype=mimetype, size=len(content))


def test_a_bomb_shared_in_a_thread_is_skipped_and_the_rest_is_read(
    slack: SlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    files = [
        shared_file(slack, "bomb.docx", docx_bomb(30), "application/octet-stream"),
        shared_file(slack, "prd.md", b"# Summarizer\n\nHandle time drops 20%."),
    ]
    with caplog.at_level(logging.WARNING, "bot.slack.threads"):
        read = FileReader(slack.token, slack.api_url, 1_000_000).read_all(files, FileBudget())
    assert [shared.name for shared in read] == ["prd.md"]
    (warning,) = [r.getMessage() for r in caplog.records if "bomb.docx" in r.getMessage()]
    assert re.fullmatch(
        r"couldn't read shared file bomb\.docx: DOCX part word/document\.xml packs \d+:1, "
        r"over the 100:1 limit \(zip bomb\?\)",
        warning,
    )


def test_one_read_downloads_at_most_the_thread_file_limit(slack: SlackAPI) -> None:
    files = [shared_file(slack, f"note-{n}.md", b"# Note %d" % n) for n in range(MAX_THREAD_FILES + 2)]
    read = FileReader(slack.token, slack.api_url, 1_000_000).read_all(files, FileBudget())
    assert len(read) == len(slack.calls("file")) == MAX_THREAD_FILES


def test_one_read_downloads_at_most_the_thread_byte_budget(slack: SlackAPI, caplog: pytest.LogCaptureFixture) -> None:
    files = [shared_file(slack, f"part-{n}.md", b"a" * 400_000) for n in range(3)]
    reader = FileReader(slack.token, slack.api_url, 1_000_000)
    with caplog.at_level(logging.WARNING, "bot.slack.threads"):
        read = reader.read_all(files, FileBudget(bytes=1_000_000, chars=10**9))
    assert [shared.name for shared in read] == ["part-0.md", "part-1.md"]
    assert "part-2.md: over the 0.2 MB left of MAX_THREAD_FILE_BYTES" in caplog.text


def test_a_slow_parse_is_stopped_by_the_thread_time_budget(slack: SlackAPI, caplog: pytest.LogCaptureFixture) -> None:
    files = [shared_file(slack, "slow.pdf", slow_pdf(), "application/pdf")]
    with caplog.at_level(logging.WARNING, "bot.slack.threads"):
        read = FileReader(slack.token, slack.api_url, 1_000_000).read_all(
            files, FileBudget(deadline=time.monotonic() + 0.5)
        )
    assert read == []
    assert "slow.pdf: parsing took over the" in caplog.text


def test_a_thread_keeps_at_most_the_context_of_file_text(slack: SlackAPI) -> None:
    files = [shared_file(slack, "long.md", b"word " * 50_000), shared_file(slack, "more.md", b"# More")]
    thread = ThreadContext(team="T", channel="C", thread_ts="1.0")
    thread.files = FileReader(slack.token, slack.api_url, 1_000_000).read_all(files, thread.file_budget())
    assert [shared.name for shared in thread.files] == ["long.md"]
    assert len(thread.files[0].text) == MAX_CONTEXT_CHARS and thread.files[0].text.endswith("…(truncated)")
    assert len(slack.calls("file")) == 1  # the thread had no room left for more.md: not even downloaded


@pytest.mark.parametrize("how", ["built", "assigned", "loaded"])
def test_thread_context_caps_its_files_however_they_are_set(how: str) -> None:
    files = [SharedFile(name=f"f{n}.md", text="x" * 30_000) for n in range(MAX_THREAD_FILES + 2)]
    if how == "built":
        thread = ThreadContext(team="T", channel="C", thread_ts="1.0", files=files)
    elif how == "assigned":
        thread = ThreadContext(team="T", channel="C", thread_ts="1.0")
        thread.files = [*thread.files, *files]
    else:  # cached in full by an older version
        raw = {"team": "T", "channel": "C", "thread_ts": "1.0", "files": [f.model_dump() for f in files]}
        thread = ThreadContext.model_validate(raw)
    assert [len(shared.text) for shared in thread.files] == [30_000, 10_000]
    assert len(thread.model_dump_json()) < MAX_CONTEXT_CHARS + 1000


def test_read_thread_skips_bombs_and_stops_at_the_thread_file_limit(slack: SlackAPI) -> None:
    root_files = [
        shared_file(slack, "prd.md", b"# Summarizer PRD\n\nHandle time drops 20%."),
        shared_file(slack, "bomb.docx", docx_bomb(30), "application/octet-stream"),
    ]
    later = [shared_file(slack, f"extra-{n}.md", b"# Extra %d" % n) for n in range(MAX_THREAD_FILES)]
    slack.script(
        "conversations.replies",
        {
            "ok": True,
            "messages": [
                {"ts": "1.0", "user": "U1", "text": "PRD attached", "files": root_files},
                {"ts": "2.0", "user": "U2", "text": "and more", "files": later},
            ],
        },
    )
    thread = ThreadContext(team="T", channel="C", thread_ts="1.0")
    client = WebClient(token=slack.token, base_url=slack.api_url)
    read_thread(client, FileReader(slack.token, slack.api_url, 1_000_000), thread, bot_user_id="UBOT")
    assert len(slack.calls("file")) == MAX_THREAD_FILES  # the bomb counts: tried, then skipped
    assert [shared.name for shared in thread.files] == ["prd.md", *(f"extra-{n}.md" for n in range(8))]
    assert thread.prd.startswith("PRD attached\n\n## prd.md\n\n# Summarizer PRD")


def test_a_thread_keeps_no_secret_and_no_overlong_message(slack: SlackAPI, redis_prefix: str) -> None:
    key = "sk-proj-" + "Q7x2" * 10
    slack.script(
        "conversations.replies",
        {
            "ok": True,
            "messages": [
                {
                    "ts": "1.0",
                    "user": "U1",
                    "text": f"PRD: the key is {key}",
                    "files": [shared_file(slack, "prd.md", f"# PRD\n\nOPENAI_API_KEY={key}".encode())],
                },
                {"ts": "2.0", "user": "U2", "text": "x" * 30_000},
            ],
        },
    )
    thread = ThreadContext(team="T", channel="C", thread_ts="1.0")
    client = WebClient(token=slack.token, base_url=slack.api_url)
    read_thread(client, FileReader(slack.token, slack.api_url, 1_000_000), thread, bot_user_id="UBOT")
    thread.add_turn(f"why does {key} fail?", "Because …", "3.0")
    store = RedisStore(REDIS_URL, redis_prefix)
    ThreadMemory(store, 60).save(thread)
    stored = store.get("thread:T:C:1.0") or ""
    store.client.close()
    assert "sk-proj-" in stored and key not in stored  # the kind of key stays visible, its secret part doesn't
    assert len(thread.history[0][1]) <= MAX_TURN_CHARS
    assert thread.history[0][1].endswith("(truncated)")
