"""Reading a PRD: headings, metadata, use cases and numbers as the PRD writes them, on any text."""

from __future__ import annotations

import pytest

from bot.evalplans.prd.facts import MAX_TEXT_CHARS, parse_prd


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


def test_parse_prd_reads_at_most_max_text_chars() -> None:
    assert len(parse_prd("word " * MAX_TEXT_CHARS).text) == MAX_TEXT_CHARS
