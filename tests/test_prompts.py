"""Prompt templates: files in bot/data/prompts/, named variables, a missing one raises, versions follow the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core import prompts
from bot.exceptions import MissingVariables, PromptError


def test_the_answer_prompts_exist_and_render() -> None:
    for name in ("system", "answer", "follow-up"):
        assert prompts.load(name).text.strip()
    text = prompts.load("answer").render(
        sources="[1] Metrics (playbook/ai-metrics.md)\nTrack p95.",
        question="p95?",
        language="German",
    )
    assert "[1] Metrics" in text and "Question: p95?" in text and "{{" not in text
    assert "in German" in text


def test_a_missing_variable_raises_naming_it() -> None:
    with pytest.raises(MissingVariables, match="context") as raised:
        prompts.load("follow-up").render(sources="", question="q", language="English")
    assert raised.value.missing == {"context"}


def test_values_are_inserted_verbatim(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text('Say {{ word }} in JSON: {"a": 1} and {{word}} again; $5 is fine.')
    template = prompts.load("t", tmp_path)
    assert template.variables == {"word"}
    assert template.render(word="{{x}}") == 'Say {{x}} in JSON: {"a": 1} and {{x}} again; $5 is fine.\n'


def test_the_version_changes_with_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Hello {{name}}")
    (tmp_path / "b.md").write_text("Hello {{name}}!")
    first, second = prompts.load("a", tmp_path), prompts.load("b", tmp_path)
    assert len(first.version) == 12 and first.version != second.version
    assert prompts.combined_version(first, second) != prompts.combined_version(second, first)


@pytest.mark.parametrize("name", ["nope", "../etc/passwd", "a b"])
def test_unknown_or_odd_names_raise(name: str) -> None:
    with pytest.raises(PromptError):
        prompts.load(name)
