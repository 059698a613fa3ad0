"""Citation grounding: real sources kept and renumbered, fabricated ones dropped, on whole text or a stream."""

from __future__ import annotations

import pytest

from bot.answers.citations import CitationFilter, ground

CASES = [
    # (reply, sources, grounded text, cited source indices, dropped)
    ("Latency is 2 s [1].", 3, "Latency is 2 s [1].", [0], 0),
    ("First [3], then [1].", 3, "First [1], then [2].", [2, 0], 0),
    ("Made up [7].", 3, "Made up.", [], 1),
    ("Real [2] and fake [9] claims.", 3, "Real [1] and fake claims.", [1], 1),
    ("Both [1, 3] and [2 and 3].", 3, "Both [1][2] and [3][2].", [0, 2, 1], 0),
    ("Mixed [2, 8].", 3, "Mixed [1].", [1], 1),
    ("Spelled out [Source 2].", 3, "Spelled out [1].", [1], 0),
    ("A [link](https://x.io) and [note] stay.", 3, "A [link](https://x.io) and [note] stay.", [], 0),
    ("Zero [0] is not a source.", 3, "Zero is not a source.", [], 1),
    ("Unclosed [2 at the end", 3, "Unclosed [2 at the end", [], 0),
    ("Thread [thread] only.", 3, "Thread only.", [], 1),
    # Brackets by the hundred, and whitespace held back until it is known whether a citation follows.
    ("[" * 200 + " [9] [2]", 3, "[" * 200 + " [1]", [1], 1),
    ("Gap" + " " * 300 + "[7] end.", 3, "Gap end.", [], 1),
]


@pytest.mark.parametrize(("reply", "sources", "text", "cited", "dropped"), CASES)
def test_ground_whole_replies(reply: str, sources: int, text: str, cited: list[int], dropped: int) -> None:
    result = ground(reply, sources)
    assert (result.text, result.cited, result.dropped) == (text, cited, dropped)


@pytest.mark.parametrize(("reply", "sources", "text", "cited", "dropped"), CASES)
@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_streamed_pieces_add_up_to_the_same_text(
    reply: str, sources: int, text: str, cited: list[int], dropped: int, size: int
) -> None:
    citations = CitationFilter(sources)
    shown = [citations.feed(reply[i : i + size]) for i in range(0, len(reply), size)]
    shown.append(citations.flush())
    assert "".join(shown) == citations.text == text
    assert citations.cited == cited


def test_text_is_released_promptly_while_streaming() -> None:
    citations = CitationFilter(3)
    assert citations.feed("The target is") == "The target is"
    assert citations.feed(" 2 s [") == " 2 s"  # the space and bracket wait for what follows
    assert citations.feed("1]") == " [1]"


def test_thread_citations_count_when_there_is_a_thread() -> None:
    result = ground("From the PRD [thread].", 0, allow_thread=True)
    assert result.text == "From the PRD [thread]." and result.grounded and result.cited == []


def test_no_citation_is_not_grounded() -> None:
    assert not ground("No sources here.", 3).grounded
