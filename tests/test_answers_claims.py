"""Generated answers prove their citations: each claim's quote must be in the source it names.

The matching rules run directly on strings; the answers run end to end (real retrieval over the bundled
knowledge, the real ChatOpenAI client, the loopback OpenAI endpoint replying with scripted JSON, real Redis).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.answers.answer import answer_question
from bot.answers.claims import (
    ANSWER_FORMAT,
    Claim,
    ClaimChecker,
    ClaimStream,
    normalise,
    parse_reply,
    quote_found,
    shows_quote,
)
from bot.answers.types import Conversation
from bot.core.llm import MALFORMED_NOTICE
from bot.wiring import Deps
from tests.openai_server import OpenAIServer, answer_json, prompt_sources, reply, responding, tokens
from tests.test_answers_generated import SUMMARIZER, generating, numbered_paths, sent_user_message

# Words of the summarizer PRD the retriever lists for SUMMARIZER (non-functional requirements, success metrics).
LATENCY = "p50 <= 2 s and p95 <= 4 s from panel open to full summary for threads of up to 30 messages"
COST = "| Cost per summary | n/a | < $0.004 |"
HANDLE_TIME = "Cut the median handle time of transferred tickets by 20%, from 11.5 minutes to 9.2 minutes."

Claims = list[tuple[str, int | str, str]]


def source_with(texts: dict[int | str, str], fragment: str) -> int:
    """The number of the listed source holding `fragment`."""
    return next(number for number, text in texts.items() if isinstance(number, int) and fragment in text)


def scripted(write: Callable[[dict[int | str, str]], Claims], **kwargs: Any) -> Callable[[dict[str, Any]], str]:
    """A loopback reply written from the sources the prompt listed: `write` gets {number: text}."""

    def respond(payload: dict[str, Any]) -> str:
        return answer_json(*write(prompt_sources(payload)), **kwargs)

    return respond


# -- the matching rules ----------------------------------------------------------------------------------


SOURCE = (
    "- **Latency:** p50 <= 2 s and p95 <= 4 s from panel open to full summary;\n"
    "  threads above 30 messages must complete within 8 s.\n"
    "| Cost per summary | n/a | < $0.004 |\n"
    'The panel shows "Summary unavailable" — and never blocks the ticket view.'
)


@pytest.mark.parametrize(
    "quote",
    [
        "p95 <= 4 s from panel open to full summary",
        "P95 <=   4 S FROM PANEL\nOPEN to full summary",  # case and whitespace
        "Latency: p50 <= 2 s and p95 <= 4 s",  # Markdown markers in the source
        "Cost per summary n/a < $0.004",  # a table row
        "The panel shows “Summary unavailable” – and never blocks",  # typographic quotes and dashes
        "p95 <= 4 s from panle open to ful summary",  # two typos in 41 characters
        "full summary; threads above 30 messages must complete",  # across a line break
    ],
)
def test_a_quote_really_in_the_source_is_found(quote: str) -> None:
    assert quote_found(quote, SOURCE), normalise(quote)


@pytest.mark.parametrize(
    "quote",
    [
        "p95 <= 5 s from panel open to full summary",  # one changed number is never a typo
        "p95 <= 4 s from panel open to full summary for every region worldwide",  # made-up tail
        "the vendor guarantees 99.99% uptime",
        "p95 4 s",  # too short to prove anything
        "",
    ],
)
def test_a_quote_not_in_the_source_is_not_found(quote: str) -> None:
    assert not quote_found(quote, SOURCE)


def test_a_claim_must_quote_the_source_it_names_and_state_only_its_numbers() -> None:
    checker = ClaimChecker(
        ["Latency: p95 <= 4 s for the summary panel.", "Cost: under $0.004 per summary."], "Bar: 97%"
    )
    assert checker.check(Claim("The p95 target is 4 s.", 1, "p95 <= 4 s for the summary panel"))
    assert not checker.check(Claim("The p95 target is 4 s.", 2, "p95 <= 4 s for the summary panel"))  # wrong source
    assert not checker.check(Claim("The p95 target is 3 s.", 1, "p95 <= 4 s for the summary panel"))  # claim's number
    assert not checker.check(Claim("The p95 target is 4 s.", 7, "p95 <= 4 s for the summary panel"))  # no source 7
    assert checker.check(Claim("The bar is 97%.", "thread", "Bar: 97%"))
    listed = ClaimChecker(["Scope:\n6. Supported ticket languages at launch: English, German, Dutch."])
    assert listed.check(
        Claim("Item 6 lists English, German and Dutch [1].", 1, "6. Supported ticket languages at launch")
    )
    assert not ClaimChecker(["Bar: 97% accuracy"]).check(Claim("The bar is 97%.", "thread", "Bar: 97% accuracy"))


def test_a_quote_is_shown_beside_a_claim_that_states_a_figure_without_citation_marks() -> None:
    assert (
        shows_quote(Claim("The p95 target is 4 s.", 1, " “p95 <= 4 s [3] per release” "), 160)
        == "p95 <= 4 s per release"
    )
    assert shows_quote(Claim("Latency is tracked per release.", 1, "tracked per release"), 160) is None
    assert shows_quote(Claim("The target is p95 <= 4 s.", 1, "p95 <= 4 s"), 160) is None  # the claim says it already


def test_the_reply_parses_leniently_but_must_be_the_json_object() -> None:
    parsed = parse_reply(
        '```json\n{"answer_status": "answered", "missing_fact": null, "claims": ['
        '{"text": "A.", "source": "[2]", "quote": "q"}, {"text": "B.", "source": "Thread", "quote": "q"},'
        ' {"text": "C."}, "D"]}\n```'
    )
    assert parsed.status == "answered" and parsed.missing_fact is None
    assert parsed.claims == [Claim("A.", 2, "q"), Claim("B.", "thread", "q"), None, None]
    for text in ("The target is 4 s [1].", "[1, 2]", '{"answer": "4 s"}', '{"answer_status": "maybe", "claims": []}'):
        with pytest.raises(ValueError):
            parse_reply(text)
    schema = ANSWER_FORMAT["json_schema"]
    assert schema["strict"] and set(schema["schema"]["required"]) == {"answer_status", "missing_fact", "claims"}


def test_the_stream_yields_each_claim_once_it_is_complete() -> None:
    text = answer_json(("First {braced} claim.", 1, "a quote with } in it"), ("Second.", 2, "another quote"))
    stream = ClaimStream()
    counts = []
    for piece in tokens(text):
        stream.feed(piece)
        counts.append(len(stream.claims))
    assert stream.status == "answered"
    assert stream.claims == parse_reply(text).claims
    assert counts[-1] == 2 and 1 in counts  # the first claim was complete before the second arrived


# -- answers ------------------------------------------------------------------------------------------------


def test_claims_with_real_quotes_are_kept_with_their_citations(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    claims = lambda texts: [  # noqa: E731
        ("The p95 target is 4 s for threads of up to 30 messages.", source_with(texts, LATENCY), LATENCY),
        ("Each summary should cost less than $0.004.", source_with(texts, COST), COST),
    ]
    openai_server.script(responding(scripted(claims)))
    answer = answer_question(deps, SUMMARIZER)
    listed = numbered_paths(sent_user_message(openai_server))
    assert answer.answered and answer.mode == "generated" and not answer.unverified
    assert answer.markdown == (
        f"The p95 target is 4 s for threads of up to 30 messages [1] (“{LATENCY}”). "
        "Each summary should cost less than $0.004 [2] (“Cost per summary | n/a | < $0.004”)."
    )
    assert [source.path for source in answer.sources] == ["prds/ticket-thread-summarizer.md"] * 2
    assert set(listed.values()) >= {"prds/ticket-thread-summarizer.md"}
    assert openai_server.requests[0]["body"]["response_format"] == ANSWER_FORMAT


def test_a_fabricated_quote_is_dropped_and_only_the_real_claim_survives(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    claims = lambda texts: [  # noqa: E731
        ("The vendor guarantees 99.99% uptime.", 1, "the vendor guarantees 99.99% uptime in every region"),
        ("Each summary should cost less than $0.004.", source_with(texts, COST), "Cost per summary | n/a | < $0.004"),
    ]
    openai_server.script(responding(scripted(claims)))
    with caplog.at_level(logging.INFO, logger="bot.answers.generated"):
        answer = answer_question(deps, SUMMARIZER)
    assert answer.answered
    assert answer.markdown == "Each summary should cost less than $0.004 [1] (“Cost per summary | n/a | < $0.004”)."
    assert "99.99" not in answer.markdown and len(answer.sources) == 1
    assert '"citations_dropped": 1' in deps.store.events_since("answers", 0)[-1]
    assert "dropped 1 claim(s)" in caplog.text


def test_a_quote_with_small_typos_and_spacing_differences_is_kept(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    sloppy = "p50 <=  2 s and p95 <= 4 s from panle open to full sumary for threads of up to 30 messages"
    claims = lambda texts: [("Threads of up to 30 messages get a p95 of 4 s.", source_with(texts, LATENCY), sloppy)]  # noqa: E731
    openai_server.script(responding(scripted(claims)))
    answer = answer_question(deps, SUMMARIZER)
    assert answer.answered and answer.markdown.startswith("Threads of up to 30 messages get a p95 of 4 s [1] (")


def test_a_quote_attributed_to_the_wrong_source_is_dropped(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)

    def claims(texts: dict[int | str, str]) -> Claims:
        right, wrong = source_with(texts, HANDLE_TIME), source_with(texts, LATENCY)
        return [
            ("Handle time should fall to 9.2 minutes.", wrong, HANDLE_TIME),  # the quote is real, the number isn't
            ("The p95 target is 4 s.", wrong, LATENCY),
            ("Handle time should fall by 20%.", right, HANDLE_TIME),
        ]

    openai_server.script(responding(scripted(claims)))
    answer = answer_question(deps, SUMMARIZER)
    assert answer.markdown.startswith("The p95 target is 4 s [1] (") and "fall to 9.2" not in answer.markdown
    assert "Handle time should fall by 20% [2] (“Cut the median handle time" in answer.markdown
    assert [source.section for source in answer.sources] == ["Requirements > Non-functional requirements", "Goals"]
    assert '"citations_dropped": 1' in deps.store.events_since("answers", 0)[-1]


def test_when_every_claim_is_fabricated_the_answer_is_declined_with_the_closest_sources(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(
        reply(
            answer_json(
                ("The p95 target is 1.5 s.", 1, "the p95 target is 1.5 s for all threads"),
                ("Legal signed off in May.", 2, "legal signed off on the summarizer in May"),
                ("It is cheap.", 9, "it is cheap"),
            )
        )
    )
    tokens_seen: list[str] = []
    answer = answer_question(deps, SUMMARIZER, on_token=tokens_seen.append)
    assert not answer.answered and answer.mode == "generated"
    assert answer.markdown.startswith("I don't know: nothing I could quote from the sources answers that")
    assert "The closest sources are: Ticket Thread Summarizer" in answer.markdown
    assert len(answer.sources) == 3 and "1.5 s" not in answer.markdown
    assert "".join(tokens_seen) == answer.markdown
    assert '"citations_dropped": 3' in deps.store.events_since("answers", 0)[-1]


def test_the_model_naming_a_missing_fact_declines_and_names_it(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.script(reply(answer_json(status="missing", missing_fact="The summarizer's launch date.")))
    answer = answer_question(deps, "When does the ticket thread summarizer launch?")
    assert not answer.answered and answer.mode == "generated"
    assert answer.markdown.startswith("I don't know: the sources don't say the summarizer's launch date. The closest")
    assert len(answer.sources) == 3


def test_a_partial_answer_names_what_the_sources_leave_out(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    claims = lambda texts: [("The p95 target is 4 s.", source_with(texts, LATENCY), LATENCY)]  # noqa: E731
    openai_server.script(responding(scripted(claims, missing_fact="who owns the latency budget")))
    answer = answer_question(deps, SUMMARIZER)
    assert answer.answered
    assert answer.markdown.endswith("\n\n_The sources don't say who owns the latency budget._")


def test_streaming_shows_each_proven_claim_and_adds_up_to_the_answer(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    claims = lambda texts: [  # noqa: E731
        ("Threads of up to 30 messages get a p95 of 4 s.", source_with(texts, LATENCY), LATENCY),
        ("Vendors promise 1 s.", source_with(texts, LATENCY), "vendors promise a p95 of 1 s"),
        ("Each summary should cost less than $0.004.", source_with(texts, COST), COST),
        ("Handle time should fall by 20%.", source_with(texts, HANDLE_TIME), HANDLE_TIME),
    ]
    openai_server.script(responding(scripted(claims)))
    shown: list[str] = []
    answer = answer_question(deps, SUMMARIZER, on_token=shown.append)
    assert openai_server.requests[0]["body"]["stream"] is True
    assert len(shown) == 3  # one piece per proven claim, as each was complete
    assert "".join(shown) == answer.markdown and "[3]" in answer.markdown and "Vendors" not in answer.markdown
    hit: list[str] = []
    again = answer_question(deps, SUMMARIZER, on_token=hit.append)
    assert again.cached and hit == [answer.markdown]


def test_a_thread_claim_is_checked_against_the_thread(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    prd = "PRD: Refund copilot. Launch bar: refund accuracy 97% on the golden set. Owner: Priya."
    conversation = Conversation(scope="T1:C9:1700000000.000400", context=prd)
    openai_server.script(
        reply(
            answer_json(
                (
                    "The launch bar is 97% refund accuracy.",
                    "thread",
                    "Launch bar: refund accuracy 97% on the golden set",
                ),
                ("Legal owns it.", "thread", "Owner: the legal team"),
            )
        )
    )
    answer = answer_question(deps, "What is the refund copilot's launch bar?", conversation=conversation)
    assert answer.answered and answer.sources == []
    assert answer.markdown == (
        "The launch bar is 97% refund accuracy [thread] (“Launch bar: refund accuracy 97% on the golden set”)."
    )


def test_a_reply_that_is_not_json_falls_back_to_quoting_with_the_malformed_notice(
    bundled_deps: Deps, openai_server: OpenAIServer, redis_prefix: str
) -> None:
    deps = generating(bundled_deps, openai_server, redis_prefix)
    openai_server.default = reply("The target is 4 s at p95 [1].")
    shown: list[str] = []
    answer = answer_question(deps, SUMMARIZER, on_token=shown.append)
    assert answer.answered and answer.mode == "extractive" and answer.notice == MALFORMED_NOTICE
    assert shown == []  # prose isn't shown: only proven claims are
    assert openai_server.calls == 1  # not retried: the reply was well-formed, just not what was asked
    assert not answer_question(deps, SUMMARIZER).cached  # a fallback isn't cached
