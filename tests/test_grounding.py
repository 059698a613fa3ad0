"""PRD numbers as the PRD writes them: an LLM's "PRD" number is checked against every spelling of the PRD's."""

from __future__ import annotations

import pytest

from bot.evalplans.grounding import numbers_in, unknown_numbers

PRD = "Volume: 2,4 miljoen tickets per maand; 620,000 summaries; p95 under 1.50 s; cost < $0.004."


@pytest.mark.parametrize(
    ("claim", "unknown"),
    [
        ("2.4 million tickets a month", []),
        ("620000 summaries, 620.000 in German notation", []),
        ("p95 <= 1.5 s", []),
        ("< $0.004 per summary", []),
        ("p95 <= 1.2 s", ["1.2"]),
        ("3 million tickets", ["3"]),
    ],
)
def test_a_number_counts_as_the_prds_only_in_a_spelling_the_prd_has(claim: str, unknown: list[str]) -> None:
    assert unknown_numbers(claim, numbers_in(PRD)) == unknown


def test_a_list_without_spaces_and_a_long_run_of_separators_keep_their_numbers() -> None:
    assert {"1", "2", "3"} <= numbers_in("classes 1,2,3")
    assert "7" in numbers_in("1," * 50_000 + "7")
