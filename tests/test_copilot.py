from __future__ import annotations

import pytest

from bot.copilot import Request, mentions_evals, parse_request


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
