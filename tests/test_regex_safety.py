"""No text, however hostile, makes a pattern stall the process.

Python holds the GIL while a regular expression matches, so one pattern that backtracks
catastrophically stalls Slack acks, health checks and every other answer. Every module-level
`re.Pattern` in `bot` (also inside tuples and dicts) is collected here, so a new pattern is covered
without being listed, plus the error catalog's own patterns. Each runs on text built from its own
trigger characters: a prefix, a short unit repeated to the size under test, and a tail. The sizes
grow (500 characters, 4 kB, 20 kB) so that a cubic pattern fails at once instead of running for
hours. The budget is generous so that a busy CI machine can't fail it: a linear pattern takes about a
millisecond on 20 kB, where the patterns this file was written against took seconds to hours.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import bot
from bot.answers.answer import prompt_history
from bot.builtin import error_codes_dir
from bot.copilot import parse_request
from bot.evalplans.feature_types import infer_feature_type
from bot.evalplans.prd.facts import parse_prd
from bot.explain.catalog import ErrorCatalog
from bot.explain.parser import parse_error_text
from bot.slack.blocks import fallback_text, to_mrkdwn
from bot.slack.threads import slack_to_text

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 0.5
SIZES = (500, 4_000, 20_000)
# Characters that delimit or repeat in Markdown, Slack markup, error dumps and PRDs.
ALPHABET = " \t\n#*_-.a0<>|[]()`:/@=!'\",;~A1"


def _patterns_in(value: Any) -> Iterator[re.Pattern[str]]:
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _patterns_in(item)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from _patterns_in(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from _patterns_in(getattr(value, item.name))


def _bot_patterns() -> dict[str, re.Pattern[str]]:
    found: dict[str, re.Pattern[str]] = {}
    for module_info in pkgutil.walk_packages(bot.__path__, prefix="bot."):
        if module_info.name == "bot.__main__":
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            for index, pattern in enumerate(_patterns_in(value)):
                found.setdefault(f"{module_info.name.removeprefix('bot.')}.{name}[{index}]", pattern)
    catalog = ErrorCatalog.load(error_codes_dir())
    for item in catalog.items:
        for index, pattern in enumerate(item.patterns):
            found[f"error-codes/{item.provider}:{item.entry.code}[{index}]"] = pattern
    return found


PATTERNS = _bot_patterns()


def _trigger_alphabet(pattern: re.Pattern[str]) -> str:
    """The base alphabet plus every character the pattern's source names (its delimiters, its words)."""
    return "".join(sorted(set(ALPHABET) | {char for char in pattern.pattern if char.isprintable()}))


def _words(pattern: re.Pattern[str]) -> list[str]:
    """Literal words in the pattern's source, e.g. `explain`, `code`, `Error`: prefixes that get a match going."""
    return sorted({word for word in re.findall(r"[A-Za-z]{2,}", pattern.pattern)}) or ["a"]


def _hostile(prefix: str, unit: str, tail: str, size: int, repeat_prefix: bool) -> str:
    unit = (prefix + unit) if repeat_prefix else unit
    return prefix + unit * (size // len(unit)) + tail


def _seconds(call: Callable[[], object]) -> float:
    """CPU seconds `call` takes in this thread, the best of three if the first is over the budget.

    CPU time of the thread, not wall time, and a retry: other processes on a busy machine can
    slow one run down, but not every run, and a pathological pattern is slow every time.
    """
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        call()
        best = min(best, time.thread_time() - started)
        if best < BUDGET_S:
            break
    return best


def _slowest(pattern: re.Pattern[str], text: str) -> float:
    """The slowest of search, match and a full finditer (what sub, split and findall do) on `text`."""
    calls: tuple[Callable[[], object], ...] = (
        lambda: pattern.search(text),
        lambda: pattern.match(text),
        lambda: list(pattern.finditer(text)),
    )
    return max(_seconds(call) for call in calls)


def assert_fast(pattern: re.Pattern[str], prefix: str, unit: str, tail: str, repeat_prefix: bool = False) -> None:
    for size in SIZES:
        text = _hostile(prefix, unit, tail, size, repeat_prefix)
        seconds = _slowest(pattern, text)
        assert seconds < BUDGET_S, f"{pattern.pattern!r} took {seconds:.2f} s on {text[:60]!r}… ({len(text):,} chars)"


def test_the_collection_finds_the_patterns_that_read_user_text() -> None:
    names = {name.rsplit("[", 1)[0] for name in PATTERNS}
    for expected in (
        "evalplans.prd.facts._META",
        "evalplans.prd.words.SECTION_KINDS",
        "explain.parser._STATUS_PHRASES",
        "copilot.requests._NATURAL_ERROR",
        "slack.blocks._CODE_SPAN",
        "slack.threads._LINK",
        "evalplans.feature_types._CUES",
        "evalplans.metrics._ROW_METRIC",
    ):
        assert expected in names
    assert any(name.startswith("core.redact.") for name in names)
    assert any(name.startswith("error-codes/") for name in names)


# The shapes of the reported inputs and their kin, run against every pattern besides the random ones:
# (prefix, repeated unit, tail, whether the prefix repeats with the unit).
KNOWN_SHAPES = [
    ("# a", " ", "x", False),  # the heading rule: 1,200 spaces took 5 s
    ("(1) a", " ", "x (2) b", False),  # the use-cases rule: 2,000 spaces took 8.6 s
    ("**a:** a", " ", "x", False),
    ("", " ", "x", False),
    ("", "a-", "", False),  # redaction: 8 kB took 4 s
    ("", "a.", " 404", False),  # `\b[\w.]*Error`
    ("eyJ", "aaaaaaaa.", "", False),
    ("", "1", "x", False),
    ("", "1.", "x", False),
    ("a", "_", "0", False),
    ("code=a", "_", "0", False),
    ("explain ", "\n", "#", False),
    ("a", "`", "a", False),
    ("", "[a](", "", False),
    ("<http://a", "<http://a", "", False),
    ("<@U1|", "<@U1|", "", False),
    ("**a", " ", "", True),
    ("***a", " ", "", True),
    ("~~a", " ", "", True),
]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_every_pattern_is_fast_on_hostile_text(name: str) -> None:
    pattern = PATTERNS[name]
    alphabet = _trigger_alphabet(pattern)
    piece = st.text(alphabet=alphabet, min_size=0, max_size=12)

    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        prefix=piece | st.sampled_from(_words(pattern)).map(lambda word: word + " "),
        unit=st.text(alphabet=alphabet, min_size=1, max_size=4),
        tail=piece,
        repeat_prefix=st.booleans(),
    )
    def hostile(prefix: str, unit: str, tail: str, repeat_prefix: bool) -> None:
        assert_fast(pattern, prefix, unit, tail, repeat_prefix)

    for prefix, unit, tail, repeat_prefix in KNOWN_SHAPES:
        hostile = example(prefix=prefix, unit=unit, tail=tail, repeat_prefix=repeat_prefix)(hostile)
    hostile()


# -- the reported inputs, through the functions that take user text ---------------------------


def _error_catalog() -> ErrorCatalog:
    return ErrorCatalog.load(error_codes_dir())


REPORTED: dict[str, Callable[[], object]] = {
    "a PRD heading with 1,200 spaces": lambda: parse_prd("# a" + " " * 1_200 + "x"),
    "a PRD heading with 20,000 spaces": lambda: parse_prd("# a" + " " * 20_000 + "x"),
    "use cases with 2,000 spaces": lambda: parse_prd("## Users\n(1) a" + " " * 2_000 + "x (2) b"),
    "use cases with 20,000 spaces": lambda: parse_prd("## Users\n(1) a" + " " * 20_000 + "x (2) b"),
    "PRD metadata with a long value": lambda: parse_prd("**Owner:** a" + " " * 20_000 + "x"),
    "PRD numbers that never end": lambda: parse_prd("p95 " + "1" * 20_000 + " cost " + "1." * 10_000),
    "16 kB of a-a-a- as an error": lambda: _error_catalog().explain("a-" * 8_000),
    "dotted names before Error": lambda: parse_error_text("0." * 4_000 + "Error: 404"),
    "a code of underscores": lambda: parse_error_text("code=a" + "_" * 7_990 + "0"),
    "explain + 20,000 newlines": lambda: parse_request("explain " + "\n" * 20_000 + "#"),
    "a feature described by one long word": lambda: infer_feature_type("a" + "_" * 20_000),
    "Slack markup that never closes": lambda: slack_to_text("<@U1|" * 4_000, "UBOT"),
    "links that never close": lambda: slack_to_text("<http://a|" * 4_000),
    "a reply heading with 20,000 spaces": lambda: to_mrkdwn("# a" + " " * 20_000 + "x"),
    "a run of backticks": lambda: to_mrkdwn("a" + "`" * 5_000 + "a"),
    "emphasis that never closes": lambda: to_mrkdwn("**a " * 5_000 + "*a " * 5_000 + "~~a " * 5_000),
    "Markdown links that never close": lambda: to_mrkdwn("[a](" * 5_000) + fallback_text("[a](" * 5_000),
    "a thread turn of 1 MB": lambda: prompt_history([("user", "a-a " * 250_000), ("user", "hi")], 1_500),
}


@pytest.mark.parametrize("case", sorted(REPORTED))
def test_reported_inputs_are_handled_within_the_budget(case: str) -> None:
    seconds = _seconds(REPORTED[case])
    assert seconds < BUDGET_S, f"{case}: {seconds:.2f} s"
