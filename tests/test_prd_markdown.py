"""Reading a PRD's Markdown structure: headings and their paths, lists, block quotes, tables, emphasis."""

from __future__ import annotations

from bot.evalplans.prd.facts import parse_prd
from bot.evalplans.prd.markdown import bullets, outline, plain, read_blocks, tables

TEMPLATE = """# Invoice extraction — PRD

> **How to use this template:** delete the quoted guidance before review.

## Goals

*State the outcome, not the feature.*

- Cut manual keying by 80%
- Keep **every** total exact

### Stretch goals

1. Dutch invoices

## Success metrics

> Fill in the table below.
> - One row per metric

| Metric | Baseline | Target |
|---|---|---|
| Field accuracy | 91% | ≥ 97% |
| p95 latency | n/a | 1,5 s |

```
# not a heading, a comment in a code sample
```
"""


def test_blocks_know_their_heading_path_and_kind() -> None:
    blocks = read_blocks(TEMPLATE)
    found = {(block.kind, block.text): block.heading_path for block in blocks}
    title = "Invoice extraction — PRD"
    assert found[("heading", title)] == (title,)
    assert found[("list_item", "Cut manual keying by 80%")] == (title, "Goals")
    assert found[("list_item", "Dutch invoices")] == (title, "Goals", "Stretch goals")
    # A heading at the same level closes the one before it.
    assert found[("heading", "Success metrics")] == (title, "Success metrics")


def test_headings_have_levels_and_source_lines() -> None:
    headings = [block for block in read_blocks(TEMPLATE) if block.kind == "heading"]
    assert [(block.text, block.level) for block in headings] == [
        ("Invoice extraction — PRD", 1),
        ("Goals", 2),
        ("Stretch goals", 3),
        ("Success metrics", 2),
    ]
    lines = TEMPLATE.split("\n")
    assert all(lines[block.lines[0]].lstrip("# ") == block.text for block in headings)


def test_a_hash_in_a_code_block_is_no_heading() -> None:
    assert not any("comment" in block.text for block in read_blocks(TEMPLATE) if block.kind == "heading")


def test_block_quotes_are_marked_so_template_guidance_can_be_skipped() -> None:
    blocks = read_blocks(TEMPLATE)
    quoted = [block for block in blocks if block.quoted]
    assert [(block.kind, block.plain) for block in quoted] == [
        ("block_quote", "How to use this template: delete the quoted guidance before review."),
        ("block_quote", "Fill in the table below."),
        ("list_item", "One row per metric"),
    ]
    assert all(block.in_list for block in quoted if block.kind == "list_item")
    assert not any(block.quoted for block in blocks if block.text.startswith("Cut manual"))


def test_emphasis_only_lines_are_told_from_lines_with_some_emphasis() -> None:
    blocks = {block.text: block for block in read_blocks(TEMPLATE)}
    assert blocks["*State the outcome, not the feature.*"].emphasis_only
    assert not blocks["Keep **every** total exact"].emphasis_only
    assert not blocks["Cut manual keying by 80%"].emphasis_only
    lines = read_blocks("_Describe the users._\n\n**Owner:** Ana\n\n**Bold** *and italic*\n")
    assert [block.emphasis_only for block in lines] == [True, False, True]


def test_table_rows_carry_their_cells_and_which_is_the_header() -> None:
    rows = [block for block in read_blocks(TEMPLATE) if block.kind == "table_row"]
    assert [row.cells for row in rows] == [
        ("Metric", "Baseline", "Target"),
        ("Field accuracy", "91%", "≥ 97%"),
        ("p95 latency", "n/a", "1,5 s"),
    ]
    assert [row.header for row in rows] == [True, False, False]
    assert rows[1].heading_path[-1] == "Success metrics"


def test_setext_headings_and_closing_hashes() -> None:
    blocks = read_blocks("Ziele\n=====\n\n## Doelen ##\n\nText\n")
    assert [(block.kind, block.text, block.level) for block in blocks[:2]] == [
        ("heading", "Ziele", 1),
        ("heading", "Doelen", 2),
    ]
    assert blocks[2].heading_path == ("Ziele", "Doelen")


def test_sections_keep_their_blocks_and_quoted_headings_start_none() -> None:
    facts = parse_prd(TEMPLATE + "\n> ## Not a section\n")
    assert [section.heading for section in facts.sections] == [
        "Invoice extraction — PRD",
        "Goals",
        "Stretch goals",
        "Success metrics",
    ]
    goals = facts.sections[1]
    assert goals.kind == "goals" and facts.sections[2].kind == "goals"  # a subsection takes its parent's kind
    unquoted = [block.plain for block in facts.sections[3].blocks if not block.quoted and block.kind != "table_row"]
    assert unquoted == []
    assert facts.goals == ["Cut manual keying by 80%", "Keep every total exact", "Dutch invoices"]


def test_the_title_and_metadata_come_from_the_text_before_the_first_section() -> None:
    facts = parse_prd("# PRD: Ticket routing\n\n- **Owner:** Bo\n\n## Users\n\n**Product:** not metadata\n")
    assert facts.title == "Ticket routing"
    assert facts.meta == {"owner": "Bo"}


def test_plain_text_from_a_word_document_gives_paragraphs_and_pipe_rows() -> None:
    docx = "Cut manual keying\nKeep totals exact\nMetric | Baseline | Target\nAccuracy | 91% | 97%\n"
    assert bullets(docx) == ["Cut manual keying", "Keep totals exact"]
    assert tables(docx) == [[["Metric", "Baseline", "Target"], ["Accuracy", "91%", "97%"]]]


def test_bullets_join_wrapped_lines() -> None:
    assert bullets("- first item\n  goes on\n* second\n3) third") == ["first item goes on", "second", "third"]


def test_plain_drops_emphasis_links_and_code_marks() -> None:
    assert plain("**Owner:**  see [the doc](https://x.test/a)  and `code`") == "Owner: see the doc and code"


def test_a_nested_list_item_knows_the_items_above_it() -> None:
    text = """\
## KPIs

- **Response Time**

  - Target: < 5 seconds
    - note: p95
- Flat item
"""
    items = {block.plain: block for block in read_blocks(text) if block.kind == "list_item"}
    label, target, note, flat = (
        items[key] for key in ("Response Time", "Target: < 5 seconds", "note: p95", "Flat item")
    )
    assert (label.nested, label.parents, label.parent_line) == (True, (), -1)
    assert (target.nested, target.parents, target.parent_line) == (True, ("**Response Time**",), label.lines[0])
    assert (note.parents, note.parent_line) == (("**Response Time**", "Target: < 5 seconds"), target.lines[0])
    assert (flat.nested, flat.parents) == (False, ())


def test_a_second_paragraph_of_an_item_is_not_nested_in_it() -> None:
    blocks = [block for block in read_blocks("- First line\n\n  Second paragraph\n") if block.kind == "list_item"]
    assert [(block.plain, block.parents, block.nested) for block in blocks] == [
        ("First line", (), False),
        ("Second paragraph", (), False),
    ]


def test_numbered_title_lines_of_a_plain_text_prd_become_headings() -> None:
    text = "Title\n1. Problem\nText one\n2. Goals\nGoal a\nGoal b\n3. Risks\nRisk a\n"
    expected = "Title\n\n## 1. Problem\n\nText one\n\n## 2. Goals\n\nGoal a\n\nGoal b\n\n## 3. Risks\n\nRisk a"
    assert outline(text) == expected
    # A numbered list (no text between its items), a Markdown document, or numbers out of order stay as they are.
    for same in (
        "Steps:\n1. Triage\n2. Draft\n3. Send\n",
        "# PRD\n\n1. Problem\nText\n2. Goals\nText\n3. Risks\nText\n",
        "1. Problem\nText\n3. Goals\nText\n2. Risks\nText\n",
    ):
        assert outline(same) == same
