"""Token budgets, offline: the shipped cl100k encoding, history trimmed oldest first."""

from __future__ import annotations

import pytest

from bot.core.tokens import count_tokens, trim_history, truncate


def test_counts_use_the_shipped_encoding_without_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent")
    assert count_tokens("hello world") == 2  # cl100k_base: "hello", " world"
    assert count_tokens("Dunkelverarbeitungsquote") > 3


def test_history_keeps_the_newest_turns_that_fit() -> None:
    history = [("user", "one " * 50), ("assistant", "two " * 50), ("user", "three " * 10), ("assistant", "four")]
    kept = trim_history(history, budget=30)
    assert kept == history[2:]
    assert sum(count_tokens(text) + 4 for _, text in kept) <= 30
    assert trim_history(history, budget=10_000) == history
    assert trim_history(history, budget=0) == []


def test_a_newest_turn_over_budget_leaves_nothing_rather_than_an_older_one() -> None:
    assert trim_history([("user", "short"), ("assistant", "long " * 100)], budget=20) == []


def test_truncate_keeps_the_start_within_budget() -> None:
    text = "Summary first. " + "filler " * 500
    cut = truncate(text, 20)
    assert cut.startswith("Summary first.") and cut.endswith("…") and count_tokens(cut) <= 22
    assert truncate("short", 20) == "short"
