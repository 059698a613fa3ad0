from __future__ import annotations

from pathlib import Path

import pytest

from bot.copilot import MAX_ERROR_CHARS, Copilot, Request, mentions_evals, parse_request, validate
from bot.evalplans.inputs import MAX_PRD_CHARS
from bot.exceptions import InputError
from tests.conftest import HashingEmbeddings, MakeDeps, write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Request("help", "")),
        ("   ", Request("help", "")),
        ("help", Request("help", "")),
        ("What is a fallback rate?", Request("ask", "What is a fallback rate?")),
        ("ask   What is a fallback rate? ", Request("ask", "What is a fallback rate?")),
        ("ASK: what is drift", Request("ask", "what is drift")),
        ("ask", Request("ask", "")),
        ("eval an AI ticket summarizer", Request("eval", "an AI ticket summarizer")),
        ("error 429 insufficient_quota", Request("error", "429 insufficient_quota")),
        ("stats", Request("stats", "")),
        ("reindex", Request("reindex", "")),
        ("help me pick a launch metric", Request("ask", "help me pick a launch metric")),
        ("stats on churn for AI features?", Request("ask", "stats on churn for AI features?")),
        (
            "Draft eval criteria for: an AI summary of support tickets",
            Request("eval", "an AI summary of support tickets"),
        ),
        ("draft evals for the routing model", Request("eval", "the routing model")),
        ("Explain this error: Error code: 429", Request("error", "Error code: 429")),
        ("explain the error message: not_in_channel", Request("error", "not_in_channel")),
        ("evaluation metrics for search?", Request("ask", "evaluation metrics for search?")),
        # Only the head is matched, but the argument is kept whole, for `Copilot.check` to refuse if too long.
        ("Explain this error:\n\n\n" + "x" * 9_000, Request("error", "x" * 9_000)),
        ("explain " + "\n" * 5_000 + "#", Request("ask", "explain " + "\n" * 5_000 + "#")),
    ],
)
def test_parse_request(text: str, expected: Request) -> None:
    assert parse_request(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can you draft evals?", True),
        ("what's the eval plan", True),
        ("Evaluation criteria please", True),
        ("what should we measure?", False),
        ("medieval", False),
    ],
)
def test_mentions_evals(text: str, expected: bool) -> None:
    assert mentions_evals(text) is expected


@pytest.mark.parametrize(
    ("request_", "prd", "cleaned"),
    [
        (Request("ask", "  why   so\n slow? "), None, "why so slow?"),
        (Request("ask", "why?" + " " * 7_000), None, "why?"),  # padding is forgiven up to 4x the limit
        (Request("eval", "  Ticket routing "), None, "Ticket routing"),
        (Request("eval", ""), "# Refund assistant PRD", ""),  # the PRD names the feature
        (Request("error", "429 insufficient_quota"), None, "429 insufficient_quota"),
        (Request("stats", ""), None, ""),
    ],
)
def test_validate_cleans_what_it_accepts(request_: Request, prd: str | None, cleaned: str) -> None:
    assert validate(request_, 2000, prd) == Request(request_.verb, cleaned)


@pytest.mark.parametrize(
    ("request_", "prd", "message"),
    [
        (Request("ask", "   "), None, "Ask a question"),
        (Request("ask", "x" * 2001), None, "2,001 characters; keep it under 2,000"),
        (Request("ask", " " * 8_001), None, "8,001 characters; keep it under 2,000"),  # refused before it is read
        (Request("eval", "  "), "  ", "Describe the feature"),
        (Request("eval", "x" * 2001), None, "keep it under 2,000"),
        (Request("eval", "Search"), "y" * (MAX_PRD_CHARS + 1), "the limit is"),
        (Request("error", " \n"), None, "Paste the error message"),
        (Request("error", "x" * (MAX_ERROR_CHARS + 1)), None, f"at most {MAX_ERROR_CHARS:,} characters"),
    ],
)
def test_validate_refuses_with_a_usage_hint(request_: Request, prd: str | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        validate(request_, 2000, prd)


@pytest.fixture
def copilot(tmp_path: Path, make_deps: MakeDeps) -> Copilot:
    folder = tmp_path / "knowledge"
    write(folder, "playbook/latency.md", "# Latency\n\nKeep p95 latency under two seconds for chat features.\n")
    return Copilot(make_deps(folder, HashingEmbeddings(), max_question_chars=100))


def test_every_entry_point_applies_the_same_rules(copilot: Copilot) -> None:
    too_long = "x" * 101
    with pytest.raises(InputError, match="keep it under 100"):
        copilot.ask(too_long)
    with pytest.raises(InputError, match="keep it under 100"):
        copilot.plan_evals(too_long)
    with pytest.raises(InputError, match="Paste the error message"):
        copilot.explain("  ")
    usage = copilot.run(Request("ask", too_long), user="U1")
    assert usage.kind == "usage" and "keep it under 100" in usage.markdown
    assert copilot.check(Request("ask", too_long)) == usage
    assert copilot.check(Request("ask", "What p95 latency?")) is None


def test_ask_returns_the_reply_every_surface_renders(copilot: Copilot) -> None:
    copilot.update_index()
    reply = copilot.ask("  What   p95 latency should chat features keep? ")
    assert reply.kind == "answer" and reply.question == "What p95 latency should chat features keep?"
    assert set(reply.as_json()) == {"question", "answered", "answer", "mode", "sources", "latency_ms", "lang"}
    assert reply.lang == "en"
    assert reply.as_json()["answer"] == reply.markdown
