"""Reading a PRD: headings, metadata, use cases and numbers as the PRD writes them, on any text."""

from __future__ import annotations

import pytest

from bot.evalplans.prd.facts import MAX_TEXT_CHARS, parse_prd
from bot.evalplans.prd.numbers import durations, money


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("## Goals", "Goals"),
        ("## Goals ##", "Goals"),
        ("### Ziele ###   ", "Ziele"),
        ("### C# #", "C#"),
        ("# a #b", "a #b"),
        ("# a # #", "a #"),
        ("#   ", ""),
        ("# a" + " " * 1_200 + "x", "a" + " " * 1_200 + "x"),
    ],
)
def test_headings_lose_their_closing_hashes(line: str, heading: str) -> None:
    assert parse_prd(f"{line}\nbody").sections[0].heading == heading


@pytest.mark.parametrize(
    ("line", "cases"),
    [
        ("- Agents: (1) triage, (2) drafting and (3) search.", ["triage", "drafting", "search"]),
        ("- Agenten: (1) Routing, (2) Entwürfe und (3) Suche", ["Routing", "Entwürfe", "Suche"]),
        ("- Agenten: (1) routering en (2) samenvatting", ["routering", "samenvatting"]),
        ("- (1) salt and pepper, and (2) golden tickets", ["salt and pepper", "golden tickets"]),
        ("- (1) golden (2) silver", ["golden", "silver"]),  # "en" ends a case only as a word of its own
        ("- (1) a" + " " * 2_000 + "x (2) b", ["a x", "b"]),
    ],
)
def test_use_cases_are_read_from_the_numbered_line(line: str, cases: list[str]) -> None:
    assert parse_prd(f"## Users\n{line}\n").use_cases == cases


def test_metadata_values_end_at_the_next_key_or_the_line() -> None:
    facts = parse_prd("**Owner:** Ana Lima   ;  **Design:** Bo   \nProduct: Ledger   \n\n## Goals\n- x")
    assert facts.meta == {"owner": "Ana Lima", "design": "Bo", "product": "Ledger"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("p95 under 1.2 s", [("p95", 1200.0)]),
        ("p50 12ms and p99 1,5 s", [("p50", 12.0), ("p99", 1500.0)]),
        ("p95 " + "1" * 5_000, []),  # a number with no unit is no target
    ],
)
def test_latency_targets(text: str, expected: list[tuple[str, float]]) -> None:
    assert [(item.percentile, item.ms) for item in durations(text, "de")] == expected


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("höchstens 0,02 € pro Dokument", 0.02, "EUR"),
        ("under $1,200 a month", 1200.0, "USD"),
        ("about 5 cents per call", 0.05, "USD"),
        ("1.1.1.1.1 or 3 €", 3.0, "EUR"),
    ],
)
def test_money(text: str, amount: float, currency: str) -> None:
    found = money(text, "de" if "€" in text else "en")
    assert found is not None and (found.amount, found.currency) == (amount, currency)


def test_an_amount_longer_than_any_price_is_no_amount() -> None:
    assert money("1" * 40 + " €") is None


def test_parse_prd_reads_at_most_max_text_chars() -> None:
    assert len(parse_prd("word " * MAX_TEXT_CHARS).text) == MAX_TEXT_CHARS
