"""The shared text helpers: cuts that stay within their limit, one-line text, sentences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import ELLIPSIS, clip, sentences, shorten, squash

texts = st.text(alphabet=st.sampled_from("ab ,;:\n\t.!?Xé"), max_size=80)
limits = st.integers(min_value=0, max_value=90)
markers = st.sampled_from([ELLIPSIS, " …", "\n…(truncated)"])


@given(texts, limits, markers)
def test_clip_stays_within_the_limit_and_keeps_the_start(text: str, limit: int, marker: str) -> None:
    cut = clip(text, limit, marker)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
    else:
        kept = cut.removesuffix(marker) if limit > len(marker) else cut
        assert text.startswith(kept)


@given(texts, limits, markers)
def test_shorten_stays_within_the_limit_and_keeps_whole_words(text: str, limit: int, marker: str) -> None:
    cut = shorten(text, limit, marker)
    assert len(cut) <= limit
    if len(text) <= limit:
        assert cut == text
        return
    kept = cut.removesuffix(marker) if cut.endswith(marker) else ""
    assert text.startswith(kept)
    # The cut falls between words: what follows the kept text in the input starts with a space or a dropped mark.
    if kept:
        assert text[len(kept)].isspace() or text[len(kept)] in ",;:"


@given(texts)
def test_squash_is_one_line_with_the_same_words(text: str) -> None:
    flat = squash(text)
    assert flat.split() == text.split()
    assert "  " not in flat and "\n" not in flat and flat == flat.strip()


@given(st.text(max_size=200))
def test_sentences_keep_every_word_in_order(text: str) -> None:
    assert " ".join(sentences(text)).split() == text.split()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It works. Another one! Is it? Yes.", ["It works.", "Another one!", "Is it?", "Yes."]),
        # an abbreviation's period ends no sentence
        (
            "Ein Griff inkl. Einbau kostet ca. 80-120€. Danach nichts.",
            ["Ein Griff inkl. Einbau kostet ca. 80-120€.", "Danach nichts."],
        ),
        (
            "Ein LLM liest Werte (z. B. Nettoeinkommen). Mehr nicht.",
            ["Ein LLM liest Werte (z. B. Nettoeinkommen).", "Mehr nicht."],
        ),
        (
            "Daten max. 30 Tage. Blank chat vs. Wizard. See e.g. Foo.",
            ["Daten max. 30 Tage.", "Blank chat vs. Wizard.", "See e.g. Foo."],
        ),
        # a capital still starts one after an ordinary word
        ("We chose option B. Next we ship.", ["We chose option B.", "Next we ship."]),
    ],
)
def test_sentences_end_at_a_sentence_not_at_an_abbreviation(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("a long message", 10, "a long…"),
        ("The answer, briefly: yes it is", 22, "The answer, briefly…"),
        ("short", 5, "short"),
        ("sk-0123456789abcdefghijklmnop and more", 20, ELLIPSIS),  # a long first word goes whole
        ("abc", 0, ""),
    ],
)
def test_shorten_examples(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


def test_shorten_with_a_spaced_marker() -> None:
    assert shorten("why does the key fail here", 20, " …") == "why does the key …"


def test_clip_cuts_mid_word_with_its_marker() -> None:
    assert clip("a long message", 10) == "a long me…"
    assert clip("x" * 50, 20, "\n…(truncated)") == "x" * 7 + "\n…(truncated)"
    assert clip("abcdef", 1) == "a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? four", ["One.", "Two!", "Three? four"]),
        ("Version 1.5 ships. 2 weeks later", ["Version 1.5 ships.", "2 weeks later"]),
        ("- item one\n- item two", ["- item one", "- item two"]),
        ("Die Rate sinkt. Über 95 % bleiben.", ["Die Rate sinkt.", "Über 95 % bleiben."]),
        ("e.g. this stays whole", ["e.g. this stays whole"]),
        ("   \n\n ", []),
    ],
)
def test_sentences_examples(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentences_over_long_whitespace_runs() -> None:
    # Runs of whitespace after a mark, never followed by a capital: each run is scanned once.
    assert sentences(("." + " " * 1000 + "a") * 200)[0].startswith(".")
