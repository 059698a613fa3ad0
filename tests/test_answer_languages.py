"""Answers in the asker's language, end to end: the CLI over a real index, the Slack app over the loopback
Slack API (users.info gives the locale), and the answer cache, which keys on the language."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.answers.answer import answer_question
from bot.core.i18n import say
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, SHARE, to_mrkdwn
from bot.wiring import Deps
from tests.conftest import HashingEmbeddings, MakeDeps, MakeSlackHarness, run_cli, write
from tests.openai_server import (
    OpenAIServer,
    answer_json,
    claims_reply,
    prompt_sources,
    quotable,
    responding,
    unauthorized,
)
from tests.slack_api import SlackAPI, block_text, blocks_of
from tests.slack_harness import SlackHarness, mention, new_ts

PRDS = Path(__file__).resolve().parent.parent / "knowledge" / "prds"
GERMAN = "Welche Erfolgskennzahlen gelten für die Extraktion der Rechnungsdaten?"
DUTCH = "Welke succesmetrieken gelden voor de automatische ticketroutering?"
ENGLISH = "What should we measure before launching the summarizer?"

MakeHarness = Callable[..., SlackHarness]


@pytest.fixture
def tiny_folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(
        root,
        "playbook/metrics.md",
        "# Metrics\n\n## Launch metrics\n\nMeasure accuracy, latency and cost before launch.",
    )
    write(
        root,
        "prds/rechnung.md",
        "# Rechnungsdaten\n\n## Erfolgskennzahlen\n\nDie Extraktion der Rechnungsdaten soll 95 % erreichen.",
    )
    write(
        root,
        "prds/routering.md",
        "# Ticketroutering\n\n## Succesmetrieken\n\nDe automatische ticketroutering moet 90 % halen.",
    )
    return root


@pytest.fixture
def make_harness(
    make_slack_harness: MakeSlackHarness, tiny_folder: Path, hashing_model: HashingEmbeddings
) -> MakeHarness:
    def factory(**overrides: Any) -> SlackHarness:
        return make_slack_harness(tiny_folder, hashing_model, **{"min_evidence": 0.0, **overrides})

    return factory


def buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """Button label by action id."""
    return {
        element["action_id"]: element["text"]["text"]
        for block in blocks
        for element in block.get("elements", [])
        if element.get("type") == "button"
    }


def value(blocks: list[dict[str, Any]], action_id: str) -> str:
    """The reply id a button carries."""
    return next(
        element["value"]
        for block in blocks
        for element in block.get("elements", [])
        if element.get("action_id") == action_id
    )


def assert_speaks(blocks: list[dict[str, Any]], lang: str, *, answered: bool = True, shareable: bool = True) -> None:
    """The bot's own words in the reply (note or decline, Sources label, buttons) are in `lang`."""
    body = block_text(blocks)
    opening = say("answers.extractive_note", lang) if answered else say("answers.dont_know", lang)
    assert body.startswith(to_mrkdwn(opening)), body[:200]
    assert f"*{say('slack.sources', lang)}*" in body
    labels = buttons(blocks)
    assert labels[FEEDBACK_UP] == say("slack.helpful", lang) and labels[FEEDBACK_DOWN] == say("slack.not_helpful", lang)
    if shareable:
        assert labels[SHARE] == say("slack.share", lang)


# -- The CLI over a real index -------------------------------------------------------------------------------


@pytest.mark.slow
def test_ask_json_answers_and_declines_in_the_questions_language(tmp_path: Path) -> None:
    folder = tmp_path / "team"
    for name in (
        "de-rechnungsdaten-extraktion.md",
        "nl-automatische-ticketroutering.md",
        "ticket-thread-summarizer.md",
    ):
        (folder / "prds").mkdir(parents=True, exist_ok=True)
        shutil.copy(PRDS / name, folder / "prds" / name)
    asked = [
        (GERMAN, "de", True),
        (DUTCH, "nl", True),
        ("What are the risks of the ticket thread summarizer?", "en", True),
        ("Wer hat 1998 die Fußball-Weltmeisterschaft gewonnen?", "de", False),
        ("Wie heeft in 1998 het WK voetbal gewonnen?", "nl", False),
    ]
    result = run_cli(
        "ask",
        "--knowledge",
        str(folder),
        stdin="\n".join(question for question, _, _ in asked) + "\n",
        env={"DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    for (question, lang, answered), line in zip(asked, lines, strict=True):
        assert line["question"] == question and line["lang"] == lang and line["answered"] is answered, line
        if answered:
            assert line["answer"].startswith(say("answers.extractive_note", lang)), line["answer"][:120]
            assert line["mode"] == "extractive" and line["sources"]
        else:
            assert line["answer"].startswith(say("answers.dont_know", lang)), line["answer"][:120]
    # Quotes stay in their document's language: the German answer quotes the German PRD.
    assert lines[0]["sources"][0]["path"] == "prds/de-rechnungsdaten-extraktion.md"

    single = run_cli(
        "ask", "--json", "--knowledge", str(folder), "Wat is het doel?", env={"DATA_DIR": str(tmp_path / "data")}
    )
    assert single.returncode == 0, single.stderr
    assert json.loads(single.stdout)["lang"] == "nl"


# -- The answer cache -------------------------------------------------------------------------------------


def test_the_cache_never_serves_a_german_answer_to_an_english_asker(
    make_deps: MakeDeps, tiny_folder: Path, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(tiny_folder, hashing_model, min_evidence=0.0)
    deps.index.reindex()
    german = answer_question(deps, "KPI Rechnungsdaten?", lang="de")
    english = answer_question(deps, "KPI Rechnungsdaten?", lang="en")
    assert german.lang == "de" and german.markdown.startswith(say("answers.extractive_note", "de"))
    assert (
        not english.cached
        and english.lang == "en"
        and english.markdown.startswith(say("answers.extractive_note", "en"))
    )
    again = answer_question(deps, "KPI Rechnungsdaten?", lang="de")
    assert again.cached and again.markdown == german.markdown
    assert answer_question(deps, GERMAN).lang == "de"  # no language given: detected from the question


# -- Generated answers -----------------------------------------------------------------------------------


@pytest.fixture
def generating(
    make_deps: MakeDeps, tiny_folder: Path, hashing_model: HashingEmbeddings, openai_server: OpenAIServer
) -> Deps:
    deps = make_deps(
        tiny_folder,
        hashing_model,
        min_evidence=0.0,
        openai_api_key="sk-test-loopback-0000000000000000",
        openai_base_url=openai_server.base_url,
        llm_max_retries=0,
    )
    deps.index.reindex()
    return deps


def test_the_prompt_asks_for_the_questions_language_and_claims_come_back_in_it(
    generating: Deps, openai_server: OpenAIServer
) -> None:
    openai_server.script(
        responding(
            lambda payload: answer_json(
                ("Die Quelle nennt dies.", 1, quotable(prompt_sources(payload)[1])),
                missing_fact="das Startdatum",
            )
        )
    )
    answer = answer_question(generating, GERMAN)
    prompt = openai_server.requests[-1]["body"]["messages"][-1]["content"]
    assert "Write the claims and the missing fact in German" in prompt
    assert answer.lang == "de" and answer.answered
    assert answer.markdown.startswith("Die Quelle nennt dies [1].")
    assert answer.markdown.endswith(say("answers.partial_missing", "de", missing="das Startdatum"))


def test_a_generated_decline_in_dutch_is_a_decline_in_dutch(generating: Deps, openai_server: OpenAIServer) -> None:
    openai_server.script(claims_reply(status="missing", missing_fact="de streefwaarde"))
    answer = answer_question(generating, DUTCH)
    assert not answer.answered and answer.lang == "nl" and answer.mode == "generated"
    assert answer.markdown.startswith(say("answers.generated_missing", "nl", missing="de streefwaarde"))


def test_a_failed_llm_falls_back_with_note_and_notice_in_german(generating: Deps, openai_server: OpenAIServer) -> None:
    openai_server.script(unauthorized())
    answer = answer_question(generating, GERMAN)
    assert answer.markdown.startswith(say("answers.fallback_note", "de"))
    assert answer.notice == say("llm.key", "de")


# -- Slack ---------------------------------------------------------------------------------------------------


def test_pm_in_german_acks_answers_and_labels_in_german(make_harness: MakeHarness, slack: SlackAPI) -> None:
    harness = make_harness()
    response, response_url = harness.command(GERMAN)
    assert response.json()["text"] == say("slack.working_ask", "de", argument=GERMAN)
    [answer] = slack.wait_for("response_url", path=response_url)
    assert_speaks(blocks_of(answer), "de")
    [lookup] = slack.calls("users.info")
    assert lookup.params["include_locale"] in (True, "true", "1")


def test_pm_in_dutch_declines_in_dutch(make_harness: MakeHarness, slack: SlackAPI) -> None:
    harness = make_harness(min_evidence=1.0)
    _, response_url = harness.command(DUTCH)
    [answer] = slack.wait_for("response_url", path=response_url)
    body = block_text(blocks_of(answer))
    assert body.startswith(say("answers.dont_know", "nl")) and f"*{say('slack.sources', 'nl')}*" in body


def test_an_english_question_stays_english_whatever_the_locale(make_harness: MakeHarness, slack: SlackAPI) -> None:
    slack.add_user("UPM", locale="de-DE")
    harness = make_harness()
    _, response_url = harness.command(ENGLISH)
    [answer] = slack.wait_for("response_url", path=response_url)
    assert_speaks(blocks_of(answer), "en")


def test_a_german_question_with_an_english_locale_is_answered_in_german(
    make_harness: MakeHarness, slack: SlackAPI
) -> None:
    slack.add_user("UPM", locale="en-US")
    harness = make_harness()
    _, response_url = harness.command(GERMAN)
    [answer] = slack.wait_for("response_url", path=response_url)
    assert_speaks(blocks_of(answer), "de")


def test_a_short_question_takes_the_askers_locale(make_harness: MakeHarness, slack: SlackAPI) -> None:
    slack.add_user("UNL", locale="nl-NL")
    harness = make_harness()
    _, response_url = harness.command("KPI?", user="UNL")
    [answer] = slack.wait_for("response_url", path=response_url)
    assert_speaks(blocks_of(answer), "nl")


def test_a_dutch_mention_is_answered_and_thanked_in_dutch(make_harness: MakeHarness, slack: SlackAPI) -> None:
    harness = make_harness()
    harness.event(mention(DUTCH))
    [posted] = slack.wait_for("chat.postMessage")
    blocks = blocks_of(posted)
    assert_speaks(blocks, "nl", shareable=False)
    _, click_url = harness.click(FEEDBACK_DOWN, value(blocks, FEEDBACK_DOWN))
    [thanks] = slack.wait_for("response_url", path=click_url)
    assert thanks.params["text"] == say("slack.thanks_down", "nl")


def test_sharing_a_german_answer_credits_the_sharer_in_german(make_harness: MakeHarness, slack: SlackAPI) -> None:
    harness = make_harness()
    _, response_url = harness.command(GERMAN)
    [answer] = slack.wait_for("response_url", path=response_url)
    _, click_url = harness.click(SHARE, value(blocks_of(answer), SHARE))
    shared, _ = slack.wait_for("response_url", count=2, path=click_url)
    assert block_text(blocks_of(shared)).startswith("<@UPM> hat diese Antwort geteilt zu: ")


def test_the_assistant_pane_streams_a_short_question_in_the_askers_locale(
    make_harness: MakeHarness, slack: SlackAPI
) -> None:
    slack.add_user("UNL", locale="nl-NL")
    harness = make_harness()
    thread_ts = new_ts()
    started = {"user_id": "UNL", "channel_id": "D0PANE", "thread_ts": thread_ts, "context": {}}
    harness.event({"type": "assistant_thread_started", "assistant_thread": started, "event_ts": new_ts()})
    slack.wait_for("assistant.threads.setSuggestedPrompts")
    ts = new_ts()
    event = {"type": "message", "channel": "D0PANE", "channel_type": "im", "user": "UNL", "text": "KPI?"}
    harness.event({**event, "ts": ts, "thread_ts": thread_ts, "event_ts": ts})
    [stop] = slack.wait_for("chat.stopStream")
    [status] = slack.calls("assistant.threads.setStatus")
    assert status.params["status"] == say("slack.status", "nl")
    streamed = "".join(
        chunk.get("text", "")
        for call in slack.calls()
        if call.method.endswith("Stream")
        for chunk in call.json("chunks") or []
        if chunk.get("type") == "markdown_text"
    )
    assert say("answers.extractive_note", "nl") in streamed
    footer = stop.json("blocks")
    assert f"*{say('slack.sources', 'nl')}*" in block_text(footer)
    assert buttons(footer)[FEEDBACK_UP] == say("slack.helpful", "nl")


def test_the_assistant_pane_greets_in_the_users_slack_language(make_harness: MakeHarness, slack: SlackAPI) -> None:
    slack.add_user("UDE", locale="de-DE")
    harness = make_harness()
    started = {"user_id": "UDE", "channel_id": "D0PANE", "thread_ts": new_ts(), "context": {}}
    harness.event({"type": "assistant_thread_started", "assistant_thread": started, "event_ts": new_ts()})
    [prompts] = slack.wait_for("assistant.threads.setSuggestedPrompts")
    [greeting] = slack.wait_for("chat.postMessage")
    assert greeting.params["text"] == say("slack.greeting", "de")
    assert prompts.params["title"] == say("slack.prompts_title", "de")
    first = prompts.json("prompts")[0]
    assert (first["title"], first["message"]) == (
        say("slack.prompt_playbook", "de"),
        say("slack.prompt_playbook_question", "de"),
    )
