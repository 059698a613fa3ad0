"""A PRD's own outcomes and real open questions, read from its Markdown structure (template guidance left out)."""

from __future__ import annotations

import pytest

from bot.evalplans.prd.facts import parse_prd

TEMPLATE_PRD = """\
# Ratings skill

## Problem
> What is the problem and who is affected?

Veterans ask the chatbot "What is my rating?" and get no answer today. Prompts we must show up for:

- `Where can I see my disability rating?`

<!--
## Desired User Outcomes
- *Why would a user want to use this?*
- Do we keep the old flow?
-->

## Measuring Success

### Key Performance Indicators (KPIs)
> 💡 *Identify balancing metrics to ensure you're not bringing about undesired outcomes.*

* **Task completion:** Percentage of users that successfully view their ratings
* **Usage:** How many users - unique and returning - come to the chatbot for ratings?
* **Flow interruptions:** How many times is the ratings flow interrupted?

## Undesired Business Outcomes
- Channels are not connected

## Discovery
### Assumptions/Risks
> *Indicate how you'll validate/test against these risks.*

- **Value risks**:
  - Will Veterans use the ratings feature?
- **Organizational Viability Risks/Constraints**: Will there be a positive organizational impact?:
  - Yes, usability testing says so.

*Describe the launch plan here?*

Desired date: ?

```
# not a heading
Is this code a question?
```
"""


def test_outcomes_come_from_the_success_sections_and_skip_template_guidance() -> None:
    facts = parse_prd(TEMPLATE_PRD)
    texts = [outcome.text for outcome in facts.outcomes]
    assert texts == [
        "Task completion: Percentage of users that successfully view their ratings",
        "Usage: How many users - unique and returning - come to the chatbot for ratings?",
        "Flow interruptions: How many times is the ratings flow interrupted?",
    ]
    assert not any("balancing" in text or "Channels" in text for text in texts)


def test_template_prompts_comments_quotes_and_kpis_are_not_open_questions() -> None:
    facts = parse_prd(TEMPLATE_PRD)
    # Only the authors' own question: not the block-quoted or italic prompts, the question inside an
    # HTML comment, the quoted utterance, the example prompt in code, the KPIs asked as questions, the unfilled
    # field or the code block.
    assert facts.open_questions == ["Will Veterans use the ratings feature?"]


@pytest.mark.parametrize(
    "heading",
    [
        "## Success metrics",
        "## 2) Goals (What success looks like)",
        "## What to watch for",
        "## Erfolgsmessung",
        "### Realistische Zielwerte",
        "## 6. Succescriteria",
        "### Primaire Doelen",
        "## Bedrijfsresultaten & KPI's",
        "## Primäre Business-Impact-Metriken",
        "## What does success look like?",
        "### Wie messen wir den Erfolg?",
    ],
)
def test_success_sections_are_found_whatever_they_are_called(heading: str) -> None:
    text = (
        f"# Feature\n\n{heading}\n\n- Fewer fallbacks: under 5%\n- Satisfaction rates\n\n## Scope\n\n- Not an outcome\n"
    )
    facts = parse_prd(text)
    assert [outcome.text for outcome in facts.outcomes] == ["Fewer fallbacks: under 5%", "Satisfaction rates"]
    assert facts.outcomes[0].target == "under 5%"


def test_targets_and_baselines_are_read_as_written() -> None:
    text = """\
# Receipts

## Success Metrics

- **Data Entry Time**: Reduce from 3 minutes to <30 seconds per expense
- **Accuracy Rate**: 90% accurate OCR + LLM extraction
- Win rate >50% over 3 maanden (minimum 15 trades sample)

| Kennzahl | Ausgangswert | Zielwert |
|---|---|---|
| Öffnungsrate Mail 1 | 38 % | > 50 % |
| Tatsächliche Buchung | – | 0,5–2 % der Empfänger |

### Red Flags (Abort Criteria)
- Win rate below 35% after 20 trades
"""
    outcomes = {outcome.text: (outcome.baseline, outcome.target) for outcome in parse_prd(text).outcomes}
    assert outcomes == {
        "Data Entry Time: Reduce from 3 minutes to <30 seconds per expense": ("3 minutes", "<30 seconds per expense"),
        "Accuracy Rate: 90% accurate OCR + LLM extraction": (None, "90%"),
        "Win rate >50% over 3 maanden (minimum 15 trades sample)": (None, ">50%"),
        "Öffnungsrate Mail 1": ("38 %", "> 50 %"),
        "Tatsächliche Buchung": (None, "0,5–2 % der Empfänger"),
    }


def test_a_title_with_success_words_does_not_make_the_whole_prd_outcomes() -> None:
    text = "# KPI dashboard for support leads\n\nLeads see queue health.\n\n## Success metrics\n\n- Weekly leads: 40+\n"
    assert [outcome.text for outcome in parse_prd(text).outcomes] == ["Weekly leads: 40+"]


def test_a_goal_line_and_a_stated_change_in_the_body_are_outcomes() -> None:
    text = """\
# Support assistant

## Overview
Goal: Reduce time-to-first-response and deflect routine queries.

## Motivation
- Net result of this change: ~6× cost reduction per classified ticket.
- The team meets every Monday.
"""
    texts = [outcome.text for outcome in parse_prd(text).outcomes]
    assert texts == [
        "Goal: Reduce time-to-first-response and deflect routine queries.",
        "Net result of this change: ~6× cost reduction per classified ticket.",
    ]


def test_the_goal_a_document_ranks_first_is_an_outcome_whatever_its_verb() -> None:
    text = """\
# Visibility in AI search

## What changes
In GEO, our primary goal is to have our brand cited in the AI's synthesized answer. The goal is to ship soon.
Unser Hauptziel ist, in jeder Antwort genannt zu werden.

## What does the team ask?
- Which channel first?
"""
    texts = [outcome.text for outcome in parse_prd(text).outcomes]
    assert texts == [
        "In GEO, our primary goal is to have our brand cited in the AI's synthesized answer.",
        "Unser Hauptziel ist, in jeder Antwort genannt zu werden.",
    ]


def test_a_label_over_a_list_a_before_after_table_and_a_goal_line_over_bullets_state_outcomes() -> None:
    text = """\
# Plugin plan

## Phase 1

### Frontend team

- Build the viewer

**Erfolgskriterien Phase 1:**

- Document-Loading-Zeit reduziert um 50%
- Zero Memory Leaks im Document Viewer

Not a label: the list below is work.

- Refactor the loader

### Roles

- **Hauptaufgabe**: Performance
- **Erfolgsmetriken**: 60 FPS in allen UI-Operationen

## Expected Benefits

| Metric | Current | After Optimization | Improvement |
|---|---|---|---|
| Simple message latency | 2500-3500ms | 1800-2500ms | **-30%** |

## Ziele des Projekts – Welche Ziele verfolgt Ihr Projekt?
Problem: Haushalte sehen ihren Verbrauch nicht.
Ziel: Sofort umsetzbare Spartipps liefern. Dafür:
- Tipps bereitstellen
"""
    outcomes = {outcome.text: outcome for outcome in parse_prd(text).outcomes}
    assert list(outcomes) == [
        "Document-Loading-Zeit reduziert um 50%",
        "Zero Memory Leaks im Document Viewer",
        "Erfolgsmetriken: 60 FPS in allen UI-Operationen",
        "Simple message latency | -30%",
        "Ziel: Sofort umsetzbare Spartipps liefern. Dafür:",
        "Tipps bereitstellen",
    ]
    latency = outcomes["Simple message latency | -30%"]
    assert (latency.baseline, latency.target) == ("2500-3500ms", "1800-2500ms")


def test_a_stage_column_next_to_a_target_column_is_the_starting_point() -> None:
    text = """\
# Schichtplan refactor

## Stufe 2

| Metrik | Nach Stufe 1 | Ziel |
|--------|-------------|------|
| Total Page-Load | ~8s | **< 6s** |
"""
    (outcome,) = parse_prd(text).outcomes
    assert (outcome.text, outcome.baseline, outcome.target) == ("Total Page-Load", "~8s", "< 6s")


def test_an_open_questions_table_is_read_by_its_question_column_and_answered_or_resolved_items_are_left_out() -> None:
    text = """\
# Register

The goal is steady.

## Open Questions

### Open (updated)

| # | Vraag | Status |
|---|---|---|
| 1 | KvK API-toegang | Kritieke afhankelijkheid |
| 2 | Places-budget volledige dataset | Beantwoord indicatief in §5 |

### Resolved 2026-07-30

- **OQ-1 — Risk Score derivation.** ✅ Resolved: discrete rule-hit scoring.

### Product

No open MVP-blocking product questions remain.

## Vision

Success means the system holds every suspect claim before payment. The team is small.
"""
    facts = parse_prd(text)
    assert facts.open_questions == ["KvK API-toegang"]
    assert [o.text for o in facts.outcomes] == ["Success means the system holds every suspect claim before payment."]


def test_open_question_sections_keep_statements_and_body_questions_stay() -> None:
    text = """\
# Klassifizierer

## Offene Punkte
- Modell-Wahl pro Sub-Agent: heute alle gemma4:26b.
- Ob es einen Combo-Klassifizierer braucht

## Design
- _Open question for this approach_:
    - Does Streaming List support inconsistent lists? Currently, with chunked lists, we get inconsistent lists.
- Pattern identification: "Wat werkte? Wat niet?"

###### How can this feature be enabled / disabled in a live cluster?
- [ ] Other
  - Will enabling the feature require downtime of the control plane?
"""
    assert parse_prd(text).open_questions == [
        "Modell-Wahl pro Sub-Agent: heute alle gemma4:26b.",
        "Ob es einen Combo-Klassifizierer braucht",
        "Does Streaming List support inconsistent lists? Currently, with chunked lists, we get inconsistent lists.",
    ]


def test_a_thread_without_markdown_still_asks_its_questions_line_by_line() -> None:
    thread = "Refund summaries for agents\nTarget: under 4 s\nWho signs off on the pilot?\nShould it handle Dutch?"
    assert parse_prd(thread).open_questions == ["Who signs off on the pilot?", "Should it handle Dutch?"]


@pytest.mark.parametrize(
    "text",
    [
        "# T\n\n## Success metrics\n\n" + "> " * 400 + "What?\n",
        "# T\n\n<!-- " + "- Is this a question?\n" * 2000,
        "# T\n\n## Goals\n\n" + "".join(f"{'  ' * depth}- level {depth}?\n" for depth in range(300)),
        "# T\n\n## KPIs\n\n|" + "a|" * 3000 + "\n|" + "-|" * 3000 + "\n|" + "1 %|" * 3000 + "\n",
        "# T\n\n" + "?" * 50_000,
        "# T\n\n## Success\n\n- " + "from 1 to " * 5000 + "\n",
    ],
    ids=["deep-quotes", "unclosed-comment", "deep-list", "wide-table", "question-marks", "from-to-run"],
)
def test_odd_markdown_is_read_without_inventing_outcomes_or_questions(text: str) -> None:
    facts = parse_prd(text)
    assert all(len(outcome.text) <= len(text) for outcome in facts.outcomes)
    assert not any("Is this a question?" in question for question in facts.open_questions)
    assert "What?" not in facts.open_questions


def test_a_bullet_with_sub_bullets_is_one_outcome_with_its_target_and_baseline() -> None:
    text = """\
# Data assistant

## Key Performance Indicators (KPIs)

- **Response Accuracy**
  - Target: 95% accuracy in data queries
  - Measurement: Manual review of 100 random queries per week
  - Baseline: 90% accuracy

## Success Criteria

- **System Stability**
  - No critical bugs for 30 days
  - 99.9% uptime

## Measurement Strategies

- **Automated Metrics**
  - Prometheus for system metrics
"""
    outcomes = [(outcome.text, outcome.baseline, outcome.target) for outcome in parse_prd(text).outcomes]
    assert outcomes == [
        ("Response Accuracy", "90% accuracy", "95% accuracy in data queries"),
        ("System Stability: No critical bugs for 30 days; 99.9% uptime", None, "99.9%"),
    ]


def test_a_bold_paragraph_over_field_bullets_is_one_outcome_over_criteria_only_a_group() -> None:
    text = """\
# Erfolgsmetriken

## Technische Performance-Metriken

**Verarbeitungs-Performance:**
- **Ziel:** Rechnungsverarbeitung innerhalb 30 Sekunden
- **Messung:** End-to-End-Verarbeitungszeit
- **Erfolgsschwelle:** 95% der Rechnungen innerhalb 30 Sekunden

**Kern-Feature-Nutzung:**
- **Budget-Tracking:** 95% der Projekte nutzen Budget-Tracking
- **Reporting-Nutzung:** 70% der Benutzer generieren Berichte
"""
    outcomes = [(outcome.text, outcome.target) for outcome in parse_prd(text).outcomes]
    assert outcomes == [
        (
            "Verarbeitungs-Performance: Erfolgsschwelle: 95% der Rechnungen innerhalb 30 Sekunden",
            "Rechnungsverarbeitung innerhalb 30 Sekunden",
        ),
        ("Budget-Tracking: 95% der Projekte nutzen Budget-Tracking", "95%"),
        ("Reporting-Nutzung: 70% der Benutzer generieren Berichte", "70%"),
    ]


def test_a_bullet_labelled_as_results_holds_outcomes_in_any_section() -> None:
    text = """\
# Kwaliteitstoetsing

## Bedrijfswaarde

- **Compliance**: Voldoen aan terminologiestandaarden
- **Meetbare Resultaten**:
  - 95% reductie in definitie-reviewcycli (van 5 naar 0.25 cycli)
  - 80% snellere onboarding van nieuwe termen (2 dagen naar 4 uur)
"""
    outcomes = [(outcome.text, outcome.baseline, outcome.target) for outcome in parse_prd(text).outcomes]
    assert outcomes == [
        ("95% reductie in definitie-reviewcycli (van 5 naar 0.25 cycli)", "5", "0.25 cycli"),
        ("80% snellere onboarding van nieuwe termen (2 dagen naar 4 uur)", "2 dagen", "4 uur"),
    ]


def test_a_primary_outcome_line_and_an_expected_impact_section_are_outcomes() -> None:
    text = """\
# Triage contract

## 1. Purpose

Primary outcome: eliminate approximately 50-70% of LLM classification calls.

## 3. Expected impact

Triage removes deterministic messages before LLM routing:

- Remaining LLM classifications: 36-60/day.

This reduces queue depth and total classification wall time.

## 4. Rule data model

Every rule has a priority.
"""
    outcomes = [(outcome.text, outcome.target) for outcome in parse_prd(text).outcomes]
    assert outcomes == [
        ("Primary outcome: eliminate approximately 50-70% of LLM classification calls.", "70%"),
        ("Remaining LLM classifications: 36-60/day.", "36-60"),
        ("This reduces queue depth and total classification wall time.", None),
    ]


def test_guardrail_metrics_are_not_outcomes() -> None:
    text = """\
# RAG-System

## Erfolgsmetriken

| Metrik | Target |
|---|---|
| Dokumenten-Upload-Erfolgsrate | > 95% |

### Guardrail Metriken

| Metrik | Schwellwert |
|---|---|
| API-Kosten pro Query | < €0.10 |
"""
    assert [outcome.text for outcome in parse_prd(text).outcomes] == ["Dokumenten-Upload-Erfolgsrate"]


def test_sub_bullets_under_an_undesired_outcomes_label_are_not_outcomes() -> None:
    text = "# X\n\n## Background\n\n- **Undesired outcomes**:\n  - More escalations than today\n"
    assert parse_prd(text).outcomes == []


PLAIN_TEMPLATE = """\
AI Product Requirements Document
Author: Dana
1. Problem Statement
Describe the core problem this AI feature solves.

Who faces the problem?
Why does it matter?
2. Goals
List clear, measurable goals:

Reduce manual effort by 30%
Improve response accuracy
3. Open Questions
Who owns the escalation rules?
"""


def test_a_plain_text_template_reads_its_numbered_titles_as_sections_and_its_instructions_as_guidance() -> None:
    facts = parse_prd(PLAIN_TEMPLATE)
    assert [(outcome.text, outcome.target) for outcome in facts.outcomes] == [
        ("Reduce manual effort by 30%", "by 30%"),
        ("Improve response accuracy", None),
    ]
    assert facts.open_questions == ["Who owns the escalation rules?"]


def test_a_section_that_opens_with_content_keeps_its_questions() -> None:
    text = "# Feature\n\n## Scope\n\nThe assistant drafts replies.\n\nShould it also send them?\n"
    assert parse_prd(text).open_questions == ["Should it also send them?"]
    guided = "# Feature\n\n## Scope\n\nBeschrijf de scope van deze release.\n\nWat valt erbuiten?\n"
    assert parse_prd(guided).open_questions == []


def test_a_kpi_under_its_own_heading_with_field_lines_is_one_outcome() -> None:
    text = """\
# Copilot

## Success Metrics

### Re-explanation time
**Target:** under 2 minutes
**Baseline:** 15 minutes

### Antwortzeiten

| KPI | Ist-Wert | Soll-Wert |
|---|---|---|
| Antwortzeit | 8 s | 2 s |
"""
    outcomes = [(outcome.text, outcome.baseline, outcome.target) for outcome in parse_prd(text).outcomes]
    assert outcomes == [("Re-explanation time", "15 minutes", "under 2 minutes"), ("Antwortzeit", "8 s", "2 s")]


def test_prompt_questions_listed_after_an_instruction_are_guidance_except_in_an_open_questions_section() -> None:
    text = """\
# Feature

## Scope

Describe the scope here:

- Who are the users?
- What is out of scope?

## Open questions

List the open questions:

- Who signs off?
"""
    assert parse_prd(text).open_questions == ["Who signs off?"]


def test_a_success_label_over_a_list_holds_outcomes_but_not_a_gate_a_roadmap_or_a_persona() -> None:
    text = """\
# Reply drafts

## Overview

The assistant drafts replies.

Success looks like:
- Agents accept 60% of drafts

The bot must:
- answer in Dutch

## Personas

**Ziele**:
- Schnelle Antworten auf Fragen

## Roadmap

### Phase 2

**Success Gate:**
- 10+ teams onboarded
"""
    assert [outcome.text for outcome in parse_prd(text).outcomes] == ["Agents accept 60% of drafts"]


def test_a_goal_line_at_the_end_of_a_plain_text_paragraph_is_an_outcome() -> None:
    facts = parse_prd(
        "# Invoice helper\n\n## Background\n"
        "Accountants retype every invoice by hand.\n"
        "Errors slip into the ledger each month.\n"
        "Goal: Build an invoice reader that lowers manual entry\n"
        "and catches duplicate invoices.\n\n"
        "## Scope\n- PDF invoices\n"
    )
    assert [outcome.text for outcome in facts.outcomes] == [
        "Goal: Build an invoice reader that lowers manual entry and catches duplicate invoices."
    ]


@pytest.mark.parametrize(
    ("sentence", "clause"),
    [
        (
            "Although our main goal is to cut onboarding time, the first release only covers payroll.",
            "Although our main goal is to cut onboarding time",
        ),
        ("Das eigentliche Ziel ist, die Rückfragen zu senken; zuerst kommt der Export.", "Das eigentliche Ziel ist"),
    ],
)
def test_a_clause_naming_the_goal_as_a_change_is_an_outcome(sentence: str, clause: str) -> None:
    facts = parse_prd(f"# Helper\n\n## Context\n\n{sentence}\n")
    texts = [outcome.text for outcome in facts.outcomes]
    assert len(texts) == 1
    assert texts[0].startswith(clause)


def test_a_goal_clause_without_a_change_is_no_outcome() -> None:
    facts = parse_prd("# Helper\n\n## Context\n\nThe goal is a shared vocabulary, so we start with a glossary.\n")
    assert facts.outcomes == []


def test_numbered_kpi_lines_outside_a_success_section_are_outcomes() -> None:
    facts = parse_prd(
        "# Webinar launch\n\n## Launch\n\n### Planning\n\n"
        "- Target date: June\n"
        "- Launch KPI 1: Registrations per week\n"
        "- Launch KPI 2: Share of attendees who stay to the end\n\n"
        "### Results\n\n- Launch KPI 1 actual: tbd\n"
    )
    assert [outcome.text for outcome in facts.outcomes] == [
        "Launch KPI 1: Registrations per week",
        "Launch KPI 2: Share of attendees who stay to the end",
    ]


@pytest.mark.parametrize(
    "paragraph",
    [
        "**Example KPIs**  \nReadmissions per 100 stays, share of flagged cases reviewed (precision, recall), "
        "time to intervention.",
        "**Beispiel-KPIs:** Readmissions per 100 stays; share of flagged cases reviewed (precision, recall); "
        "time to intervention",
    ],
)
def test_a_bold_kpi_label_over_a_comma_list_gives_one_outcome_per_measure(paragraph: str) -> None:
    facts = parse_prd(f"# Risk score\n\n## Business value\n\n- Fewer readmissions\n\n{paragraph}\n")
    assert [outcome.text for outcome in facts.outcomes][-3:] == [
        "Readmissions per 100 stays",
        "share of flagged cases reviewed (precision, recall)",
        "time to intervention",
    ]


def test_a_bold_kpi_label_over_a_sentence_is_not_split() -> None:
    facts = parse_prd(
        "# Risk score\n\n## Notes\n\n**KPIs**  \nWe will pick the KPIs with the care teams, once the pilot data "
        "is in and the dashboard has been reviewed by the quality board.\n"
    )
    assert facts.outcomes == []


@pytest.mark.parametrize(
    "note",
    [
        "*To be completed after the first month of data.*",
        "**To be filled in once the pilot has ended.*",  # emphasis opened twice, closed once
        "_Nach dem Pilot auszufüllen._",
        "In te vullen na de eerste maand.",
    ],
)
def test_prompt_questions_after_a_note_on_when_to_fill_them_in_are_guidance(note: str) -> None:
    text = f"""\
# Feature

## Retrospective

{note}

1. What did the pilot users tell you?
2. Which of your assumptions held?

## Risks

Will the vendor keep the price?
"""
    assert parse_prd(text).open_questions == ["Will the vendor keep the price?"]


def test_a_question_bullet_answered_by_its_sub_bullets_is_not_an_open_question() -> None:
    text = """\
# Feature

## Findings

- Should we build on the vendor platform?
  - Faster first release, weaker version control.
- Which region hosts the data?
  - Is the EU region ready in time?
  - Does the US region meet the contract?

## Open questions

- Who pays for the pilot?
  - Finance has not said yet.
"""
    assert parse_prd(text).open_questions == [
        "Which region hosts the data?",
        "Is the EU region ready in time?",
        "Does the US region meet the contract?",
        "Who pays for the pilot?",
        "Finance has not said yet.",
    ]


@pytest.mark.parametrize(
    ("line", "target"),
    [
        ("- Fewer readmissions: > X% within 6 months", "> X%"),
        ("- Weniger Rückfragen um XX% im ersten Quartal", "um XX%"),
        ("- Cut handling time by ?% once live", "by ?%"),
    ],
)
def test_a_placeholder_target_is_kept_as_the_target_and_marked_as_a_placeholder(line: str, target: str) -> None:
    (outcome,) = parse_prd(f"# Feature\n\n## Success criteria\n\n{line}\n").outcomes
    assert (outcome.target, outcome.placeholder) == (target, True)


def test_a_target_with_a_number_is_no_placeholder() -> None:
    (outcome,) = parse_prd("# Feature\n\n## Success criteria\n\n- Stable ranking quality (AUC > 0.8)\n").outcomes
    assert (outcome.target, outcome.placeholder) == ("> 0.8", False)


def test_a_personas_success_criteria_are_outcomes_but_its_goals_are_not() -> None:
    text = """\
# Statement extraction

## 2. Target Users & Personas

### 2.1 Primary User: Operations Analyst

**Goals:**
- Approve customers faster

**Success Criteria:**
- Extracted data requires <5% manual correction

### 2.2 Secondary User: Risk/Credit Analyst

**Success Criteria:**
- Can query extracted data via API
"""
    assert [outcome.text for outcome in parse_prd(text).outcomes] == [
        "Extracted data requires <5% manual correction",
        "Can query extracted data via API",
    ]


def test_a_risks_section_holds_no_outcomes() -> None:
    text = "# Helper\n\n## Risks\n\n**Success criteria at risk:**\n- Adoption below 20%\n"
    assert parse_prd(text).outcomes == []


def test_a_paragraph_of_bold_labelled_lines_gives_one_outcome_per_line() -> None:
    text = (
        "# Referral launch\n\n## Success Threshold\n\n"
        "**Minimum Success:** 15% of new customers from referrals  \n"
        "**Target Success:** 20% of new customers from referrals  \n"
        "**Financial Impact:**\n"
        "- Blended CAC decreases from $150 to $127.50\n"
    )
    outcomes = {outcome.text: outcome for outcome in parse_prd(text).outcomes}
    assert outcomes["Minimum Success: 15% of new customers from referrals"].target == "15%"
    assert "Target Success: 20% of new customers from referrals" in outcomes
    assert outcomes["Blended CAC decreases from $150 to $127.50"].target == "$127.50"
    assert not any(text.startswith("Financial Impact") for text in outcomes)


def test_each_key_result_of_an_okr_written_line_by_line_is_one_outcome() -> None:
    text = (
        "# Berater\n\n##OKRS\n\n"
        "O1: Kund:innen erhalten schnell eine verständliche Empfehlung\n"
        "KR1: Reduzieren wir die Zeit bis zur Empfehlung auf unter 2 Minuten\n"
        "KR2:Erhöhen wir den Anteil der Nutzer, die den Flow abschließen, auf 70%\n"
    )
    outcomes = parse_prd(text).outcomes
    assert [(o.text, o.target) for o in outcomes] == [
        ("KR1: Reduzieren wir die Zeit bis zur Empfehlung auf unter 2 Minuten", "unter 2 Minuten"),
        ("KR2:Erhöhen wir den Anteil der Nutzer, die den Flow abschließen, auf 70%", "70%"),
    ]


def test_edge_cases_and_a_question_answered_by_the_list_below_it_are_not_open_questions() -> None:
    text = """\
# Search pipeline

## Problem Statement

Was ist das Hauptproblem, das wir lösen?

- Zeit sparen beim Vergleichen

### Edge Cases

- What happens when a PDF is encrypted?

## Notes

Should the index cover drafts too?
"""
    assert parse_prd(text).open_questions == ["Should the index cover drafts too?"]


def test_a_metrics_table_row_keeps_how_it_is_measured() -> None:
    text = (
        "# Support agent\n\n## Success Metrics\n\n"
        "| Metric | Current | Target | Measurement | Review |\n|---|---|---|---|---|\n"
        "| Deflection rate | 0% | 60% | (AI resolved / total) | Daily |\n"
    )
    [outcome] = parse_prd(text).outcomes
    assert (outcome.text, outcome.baseline, outcome.target) == (
        "Deflection rate | (AI resolved / total) | Daily",
        "0%",
        "60%",
    )


def test_a_metrics_table_row_keeps_what_its_number_counts_and_a_goal_column_first_names_the_outcome() -> None:
    text = (
        "# Roadmap\n\n## Erfolgskennzahlen\n\n"
        "| Kennzahl | Zielwert | Beschreibung |\n|---|---|---|\n"
        "| Nutzerakzeptanz | ≥ 75 % | der Befragten vertrauen dem System |\n\n"
        "## Primary Goals\n\n| Goal | Success Metric |\n|---|---|\n"
        "| **Achieve Product-Market Fit** | 60%+ weekly active usage within 30 days |\n"
    )
    first, second = parse_prd(text).outcomes
    assert (first.text, first.target) == ("Nutzerakzeptanz | der Befragten vertrauen dem System", "≥ 75 %")
    assert second.text == "Achieve Product-Market Fit | 60%+ weekly active usage within 30 days"
    assert second.target is not None and second.target.startswith("60%+")


def test_expected_improvements_a_baseline_and_target_table_and_a_second_target_column_are_outcomes() -> None:
    text = """\
# Shift plan refactor

## Executive Summary

**Erwartete Verbesserung nach vollständigem Refactor:**
- Response-Zeit pro Raum: 28s → < 3s

## 5. Messplan

| Metrik | Baseline | Ziel |
|---|---|---|
| Payload pro Raum | 3-60 KB | < 5 KB |

## Response Time KPIs

| Operation | Target (P95) | Target (P99) | Measurement Method |
|---|---|---|---|
| Message Send | < 1s | < 2s | UI interaction timing |

## Notes

| Component | Owner | Status |
|---|---|---|
| Payload | Backend | 90% done |
"""
    outcomes = parse_prd(text).outcomes
    assert [(o.text, o.baseline, o.target) for o in outcomes] == [
        ("Response-Zeit pro Raum: 28s → < 3s", "28s", "< 3s"),
        ("Payload pro Raum", "3-60 KB", "< 5 KB"),
        ("Message Send | UI interaction timing", None, "< 1s (P95), < 2s (P99)"),
    ]


def test_a_target_for_each_milestone_is_kept_with_its_milestone() -> None:
    text = """\
# Search bar

## Success metrics

| Metric | Current | Target V1 | Target V2 |
|---|---|---|---|
| Search response time | 5s | <100ms | <50ms |
| AI query response | N/A | N/A | <3s |

## KPIs

| KPI | Heute | Nach Phase 2 | Nach Phase 4 |
|---|---|---|---|
| Ø Tage bis Zahlung | ~28 | ~14 | ~5 |

## Ziele

| Metrik | 3 Monate | 6 Monate | 12 Monate |
|---|---|---|---|
| Registrierte Nutzer | 500 | 2.000 | 10.000 |

| Metric | v1.6 (Ziel) | v2.0 (Ziel) |
|---|---|---|
| recall@10 | 95% | 98% |
"""
    assert [(o.text, o.baseline, o.target) for o in parse_prd(text).outcomes] == [
        ("Search response time", "5s", "<100ms (V1), <50ms (V2)"),
        ("AI query response", None, "<3s (V2)"),
        ("Ø Tage bis Zahlung", "~28", "~14 (Nach Phase 2), ~5 (Nach Phase 4)"),
        ("Registrierte Nutzer", None, "500 (3 Monate), 2.000 (6 Monate), 10.000 (12 Monate)"),
        ("recall@10", None, "95% (v1.6), 98% (v2.0)"),
    ]


def test_prose_that_says_what_changes_for_the_user_is_an_outcome_beside_the_bullets() -> None:
    text = """\
# Search landing page

## Outcome Summary

Implement a landing page for search so that zero-result queries never end in a dead end.

- Reduced bounce rate on the search page
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "Implement a landing page for search so that zero-result queries never end in a dead end.",
        "Reduced bounce rate on the search page",
    ]


def test_a_row_keeps_its_minimum_and_improvement_and_an_outcome_metric_line_is_an_outcome() -> None:
    text = """\
# Migration

## Performance Comparison

| Metric | Current | Target | Improvement |
|---|---|---|---|
| Query embedding latency | 402ms | 36ms | 11x faster |

## Erfolgskriterien

| Kriterium | Minimum | Ziel | Messung |
|---|---|---|---|
| Erfolgsquote | 90% | 95% | API-Calls / erfolgreiche Antworten |

## Feed ranking

- Outcome metric: chat-to-save rate from feed.
"""
    assert [(o.text, o.baseline, o.target) for o in parse_prd(text).outcomes] == [
        ("Query embedding latency | 11x faster", "402ms", "36ms"),
        ("Erfolgsquote | 90% | API-Calls / erfolgreiche Antworten", None, "95%"),
        ("Outcome metric: chat-to-save rate from feed.", None, None),
    ]


def test_a_met_criterion_and_a_kpi_heading_with_its_definition_are_outcomes() -> None:
    text = """\
# Tracking hooks

## Erfolgsmetriken

### Phase 1

✅ **Tracking Interface funktioniert**:
- 11/11 Tests bestanden

## Quality Metrics

### 11. User Satisfaction (Thumbs Up Rate)

**Definition:** % of AI responses that receive a thumbs up
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "Tracking Interface funktioniert: 11/11 Tests bestanden",
        "11. User Satisfaction (Thumbs Up Rate)",
    ]


def test_decisions_still_to_confirm_are_open_questions() -> None:
    text = """\
# Social agent

## Produktentscheidungen, die vor Phase 7 bestätigt werden müssen

- erste produktive Social-Media-Plattform
- unterstützte Kontotypen und Regionen
"""
    assert parse_prd(text).open_questions == [
        "erste produktive Social-Media-Plattform",
        "unterstützte Kontotypen und Regionen",
    ]


def test_a_question_whose_decision_is_written_under_it_is_not_open() -> None:
    text = """\
# Email classifier

## Design Decision: Hierarchical vs Flat

**Question**: Should we use hierarchical categories or flat categories with tags?

- Hybrid: Primary category + secondary tags

✅ **DECISION**: Use the hybrid
---

## Open Questions for Decision

1. **Scope**: Start with spam detection only? Or the full system now?
   ✅ **DECISION**: Build the full system
2. **Feedback**: Should the system learn rules from user feedback?
"""
    assert parse_prd(text).open_questions == ["Feedback: Should the system learn rules from user feedback?"]


def test_a_bold_callout_in_a_success_section_is_an_outcome_but_a_quoted_prompt_is_not() -> None:
    text = (
        "# Support agent\n\n## Success Metrics\n\n### North Star\n"
        "> **Deflection Rate: 60% of tickets resolved without human agent**\n\n"
        "### KPIs\n> *Which metric shows the user is better off?*\n"
    )
    assert [o.text for o in parse_prd(text).outcomes] == [
        "Deflection Rate: 60% of tickets resolved without human agent"
    ]


def test_a_goal_the_team_wrote_on_a_template_goal_line_is_an_outcome_but_the_templates_hint_is_not() -> None:
    text = """\
# Recruitment assistant

## 1. Scope

🎯 **Doel:** HR-afdelingen en management overtuigen van de praktische waarde van AI.

## 2. Doelgroep

🎯 **Doel:** Schets wie de eindgebruikers, stakeholders en testers zijn.

🎯 **Doel van deze sectie:** Beschrijf waarom dit product wordt gebouwd.
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "Doel: HR-afdelingen en management overtuigen van de praktische waarde van AI."
    ]


def test_a_zielsetzung_section_states_the_goal() -> None:
    text = "# Plan\n\n## Zielsetzung\nReduzierung der API-Kosten bei gleicher Funktionalität.\n\n## Treiber\n- x\n"
    assert [o.text for o in parse_prd(text).outcomes] == ["Reduzierung der API-Kosten bei gleicher Funktionalität."]


def test_a_success_metric_label_over_current_and_target_bullets_is_one_outcome_in_any_section() -> None:
    text = (
        "# Landing page test\n\n## Phase 2\n\n**Success Metric:** CTA Click-Through Rate\n"
        "- Current: ~5.5%\n- Target: 6.3-6.9% (15-25% relative lift)\n"
    )
    [outcome] = parse_prd(text).outcomes
    assert outcome.text.startswith("Success Metric: CTA Click-Through Rate")
    assert (outcome.baseline, outcome.target) == ("~5.5%", "6.3-6.9% (15-25% relative lift)")


def test_open_questions_written_as_a_table_or_as_headings_are_asked_without_their_context() -> None:
    text = """\
# Router

## 8. Open Questions

| Question | Owner |
|---|---|
| Refund approval limit? | CFO |

### Q1: Should PM learn from user corrections?

**Question**: If a user corrects a label, should PM:
- A) Just fix it this time
- B) Store the correction

**Current Thinking**: Start with (A).

### Q2: What about conversational context?

**Question**: Should PM use conversation history?
"""
    assert parse_prd(text).open_questions == [
        "Refund approval limit?",
        "Should PM learn from user corrections?",
        "What about conversational context?",
        "Should PM use conversation history?",
    ]


def test_a_bullet_that_ends_in_a_question_asks_it_and_checks_under_a_mitigation_label_do_not() -> None:
    text = """\
# Floating chatbot

## Risks

- The chatbot reuses content that exists elsewhere. Will users find value in reaching it from other pages?

**Mitigation:**
- Check technical issues: Are CTAs broken? Page load too slow?
"""
    assert parse_prd(text).open_questions == ["Will users find value in reaching it from other pages?"]


def test_a_questionnaire_prompt_answered_below_is_not_open_but_a_question_in_a_running_item_is() -> None:
    text = """\
# Search tools

## Problem

* Which segments are most affected by the problem?

All users of the site, mobile users most.

## Options

1) Super search
-Could add recent searches
-How would that interact with the existing typeahead?
"""
    assert parse_prd(text).open_questions == ["How would that interact with the existing typeahead?"]


def test_a_discussion_under_outstanding_questions_gives_its_questions_not_all_of_it() -> None:
    text = """\
# Sensitive results

## Outstanding questions

One question is how to store the option. The current recommendation is a session cookie. Query params
are discussed above. To phrase it for reviewers: **What is your preference for storing the option and why?**.

There are three approaches. If you know of others, please raise them in review.
"""
    assert parse_prd(text).open_questions == [
        "To phrase it for reviewers: What is your preference for storing the option and why?",
        "There are three approaches. If you know of others, please raise them in review.",
    ]


def test_a_remark_after_the_question_or_a_quoted_name_before_it_still_asks() -> None:
    text = """\
# Plan

## Decisions

1. **Workshop:** Wann findet er statt? *(blockt W1)*
2. **Wer ist „Person A"?** Skill-Mapping?
3. Lernschleife: "Was lief gut? Was nicht?"
"""
    assert parse_prd(text).open_questions == [
        "Workshop: Wann findet er statt? (blockt W1)",
        'Wer ist „Person A"? Skill-Mapping?',
    ]


def test_a_goal_sentence_is_one_outcome_and_a_card_of_fields_states_the_success_metrics() -> None:
    text = """\
# Growth fabric

> **Owner:** Growth Engineering
> **Success metrics:** activation uplift, paid-conversion uplift, D30 retention delta

## Week 1

**Goal:** Ship schema, tracker, and first two running experiments live.

## KPI Dashboard Reference

| KPI | Formula | Target (30 days) |
|---|---|---|
| D7 activation | `d7_session / signup` | ≥ 25% |
"""
    outcomes = {outcome.text: outcome for outcome in parse_prd(text).outcomes}
    assert "Success metrics: activation uplift, paid-conversion uplift, D30 retention delta" in outcomes
    assert "Goal: Ship schema, tracker, and first two running experiments live." in outcomes
    assert outcomes["D7 activation | d7_session / signup"].target == "≥ 25%"


def test_answered_questions_are_not_open_but_pending_decisions_are() -> None:
    text = """\
# Agent

## Open Questions

| Question | Decision | Rationale |
|---|---|---|
| Multiple approvers for CRITICAL? | Yes, require 2 | Safety |
| Checkpoint storage backend? | | |

## Open Questions (Resolved)

- Default retention? 30 days.

## 9. Entscheidungsfenster (nächste 2-4 Wochen)

- Freigaberegeln finalisieren (Betragsgrenzen, 4-Augen-Prinzip).
"""
    assert parse_prd(text).open_questions == [
        "Checkpoint storage backend?",
        "Freigaberegeln finalisieren (Betragsgrenzen, 4-Augen-Prinzip).",
    ]


def test_a_list_item_that_starts_with_a_comparison_is_no_block_quote_and_a_goal_heading_wins() -> None:
    text = """\
# Roadmap 12 Monate

## 1. Ziel der Roadmap
Aufbau einer wiederverwendbaren Datenplattform.

## Q1

### Erfolgsmetriken
- >95 Prozent valide Datensätze im Zielmodell.
"""
    outcomes = {outcome.text: outcome for outcome in parse_prd(text).outcomes}
    assert "Aufbau einer wiederverwendbaren Datenplattform." in outcomes
    assert outcomes[">95 Prozent valide Datensätze im Zielmodell."].target == ">95"


def test_a_criterion_column_stays_with_its_goal_and_a_ticked_success_line_is_an_outcome() -> None:
    table = """\
# Lead platform

## Ziele

| Ziel | Messkriterium | Zielwert |
|------|--------------|----------|
| Schnellere Kampagnen | Zeit bis zum ersten Lead | < 20 Minuten |
| Automatisierung | Automatisch bearbeitete Anfragen | > 90 % |
"""
    assert [(o.text, o.target) for o in parse_prd(table).outcomes] == [
        ("Schnellere Kampagnen | Zeit bis zum ersten Lead", "< 20 Minuten"),
        ("Automatisierung | Automatisch bearbeitete Anfragen", "> 90 %"),
    ]
    card = (
        "# Incident module\n\n## Plan\n\nBuild the summaries.\n\n---\n\n"
        "**Status:** Ready  \n**Timeline:** 10 weeks  \n"
        "**Success Criteria:** ✅ Working module ready for the pilot demo \n"
    )
    outcome = "Success Criteria: ✅ Working module ready for the pilot demo"
    assert [o.text for o in parse_prd(card).outcomes] == [outcome]


def test_the_questions_a_score_on_a_scale_answers_are_a_rubric_not_open_questions() -> None:
    text = """\
# Experiment backlog

### Scoring

**Reach (1-5):** How many users will see this change?

**Effort (1–10):** How hard is this to build? (Higher = harder)

- **Value (0-10):** Would users pay for it?

### Ideas

Should we test the pricing page first?
"""
    assert parse_prd(text).open_questions == ["Should we test the pricing page first?"]


def test_goals_numbered_on_from_the_list_above_are_outcomes_but_unchecked_ones_are_not() -> None:
    # "6." cannot start a list inside a paragraph, so these lines stay in the label's paragraph.
    text = """\
# Question router

## Goals

**Primary Goals:**
1. ✅ Detect questions in monitored channels

**Secondary Goals:**
2. ✅ Learn expertise over time (who answers what topics)
3. ❌ Integrate with the ticketing tool
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "✅ Detect questions in monitored channels",
        "Learn expertise over time (who answers what topics)",
    ]


def test_points_to_talk_about_ask_without_a_question_mark_and_a_reports_contents_do_not_ask() -> None:
    text = """\
# Load balancing

## Design

Things to talk about in impl details:

- What do we move out of the request path and where
- How do we want to change our health check strategy
  - Check one random replica, then upvote it in redis.
- Jittered TTLs per pod

## Digest

Wöchentlicher Bericht der Cortex-Aktivität:
- Was hat der Cortex diese Woche entdeckt?
- Welche Empfehlungen wurden befolgt?
"""
    assert parse_prd(text).open_questions == [
        "What do we move out of the request path and where",
        "How do we want to change our health check strategy",
    ]


def test_a_goal_word_right_before_a_measure_and_its_threshold_is_an_outcome_inside_any_bullet() -> None:
    text = """\
# Bildzuordnung

## Verifikation

- **KI-Qualität:** 300 gelabelte Bilder als Goldset. Precision je Schwelle aus dem Report, Ziel Precision ≥ 98 % bei \
AUTO_MATCHED.
- **Backend:** Unit-Tests für das Scoring, Ziel ist der Stil der bestehenden Tests.
"""
    outcomes = parse_prd(text).outcomes
    assert [o.text for o in outcomes] == ["Ziel Precision ≥ 98 % bei AUTO_MATCHED"]
    assert outcomes[0].target == "≥ 98 %"


def test_a_quoted_utterance_that_asks_and_runs_on_is_someone_elses_words() -> None:
    text = """\
# Interview agent

## Verduidelijking

- **Clarificatie-voorbeelden**:
  - Prioriteiten: "Wat is belangrijker: [X] of [Y]? Ik hoorde beide."
  - Should the agent ask for clarification more than once?
"""
    assert parse_prd(text).open_questions == ["Should the agent ask for clarification more than once?"]


def test_a_numbered_question_heading_asks_its_topic_when_nothing_under_it_asks() -> None:
    text = """\
# Release notes drafter

## Open Questions (Workshop Topics)

### Q4: Model selection

**Question:** Should major version bumps trigger more thorough analysis?

### Q5: Changesets package integration depth

**Options:** read the files directly, or use the release plan.

**Recommendation:** use the release plan.
"""
    questions = parse_prd(text).open_questions
    assert "Changesets package integration depth" in questions
    assert "Should major version bumps trigger more thorough analysis?" in questions
    assert "Model selection" not in questions  # its question is asked under it


def test_the_options_and_recommendation_under_an_asked_question_are_its_context_not_questions() -> None:
    text = """\
# Release notes drafter

## Open Questions

### Q5: Changesets package integration depth

| Option | Integration |
|--------|-------------|
| A | Read the changeset files directly |
| B | Use the release plan |

**Recommendation:** Option B - the release plan gives structured data

### Q7: Error handling

What if the API fails during the version step?
- A) Fail the version command (blocks release)
- B) Fall back to the raw changelog (release proceeds)

### Pricing

- The price per seat is not decided yet.
"""
    assert parse_prd(text).open_questions == [
        "Changesets package integration depth",
        "What if the API fails during the version step?",
        "The price per seat is not decided yet.",
    ]


def test_a_specs_clarification_markers_are_its_open_questions_and_the_templates_placeholder_is_not() -> None:
    text = """\
# Feature Specification: Marketing copilot

## Execution Flow (main)

3. For each unclear aspect:
   → Mark with [NEEDS CLARIFICATION: specific question]

### Edge Cases
- Ambiguous queries: the copilot asks a clarifying question. [NEEDS CLARIFICATION: which contexts trigger a fallback?]

### Functional Requirements
- **FR-006**: The copilot SHOULD respond quickly.
  - Acceptance: latency target to be defined. [NEEDS CLARIFICATION: target latency SLA]

### Requirement Completeness
- [x] No [NEEDS CLARIFICATION] markers remain
"""
    assert parse_prd(text).open_questions == [
        "NEEDS CLARIFICATION: which contexts trigger a fallback?",
        "NEEDS CLARIFICATION: target latency SLA",
    ]


def test_a_deferred_item_and_the_lead_in_of_the_open_questions_are_not_questions() -> None:
    text = """\
# Search quality

## Offene Fragen / Zukünftige Erweiterungen

Die Fragen zu Lizenz und Hosting sind entschieden. Offen bleibt:

1. **Ablage:** Bleibt das Repository auch bei 20 MB die richtige Ablage?
2. **Zurückgestellt:** Ein Feedback-Kanal in der Demo („war das hilfreich?") wäre eine billige Quelle.
"""
    assert parse_prd(text).open_questions == ["Ablage: Bleibt das Repository auch bei 20 MB die richtige Ablage?"]


def test_a_sentence_that_opens_with_the_goal_is_the_goal_whole_and_the_introductions_goal_whatever_its_verb() -> None:
    text = """\
# Zoekmachine

Dit document beschrijft de zoekmachine. Het doel is om relevante zoekresultaten aan te bieden, met filtering.

## Context

The goal is to improve engagement, trust, and understanding by replacing the generic assistant.

## Scope

The goal is to build the page in two sprints.
"""
    outcomes = [outcome.text for outcome in parse_prd(text).outcomes]
    assert outcomes == [
        "Het doel is om relevante zoekresultaten aan te bieden, met filtering",
        "The goal is to improve engagement, trust, and understanding by replacing the generic assistant",
    ]


def test_a_bold_goal_line_with_figures_is_an_outcome_not_a_hint() -> None:
    text = "# Reactivation playbook\n\n**Goal: Increase Active Rate from 17% to 25%+ (Target: +53,000 Active Users)**\n"
    (outcome,) = parse_prd(text).outcomes
    assert (outcome.baseline, outcome.target) == ("17%", "25%+")


def test_a_goal_statement_before_its_lists_own_lead_in_is_the_outcome() -> None:
    text = """\
# Car classifier

## 2. Business Goal
Complete a working MVP that demonstrates car detection and manufacturer classification through a web interface.

The project should help the team prove capability in:
- Computer vision pipelines.
- Model training and evaluation.

## 3. Success Criteria
Accuracy is reported per class.

The dashboard shows:
- Accuracy per class
"""
    outcomes = [outcome.text for outcome in parse_prd(text).outcomes]
    assert outcomes[0] == (
        "Complete a working MVP that demonstrates car detection and manufacturer classification through a web "
        "interface."
    )


def test_proof_of_concept_criteria_in_bold_bullets_and_a_goal_that_opens_its_paragraph_are_outcomes() -> None:
    text = """\
# Kontierung

## 1. Zielsetzung

Der Workflow kombiniert mehrere Mechanismen:

* regelbasierte Kontierung
* LLM-Vorschläge als Fallback

Ziel ist ein **reproduzierbarer, auditierbarer Prozess**, bei dem keine Buchung unbegründet getroffen wird.

## 2. Regeln

* Semantik erfolgt über:

  * Embedding-Vergleich
  * festes Similarity-Threshold

## 5. Proof-of-Concept Kriterien

* **Automatisierungsquote**
* **Genauigkeit ≥ 97 %**
"""
    outcomes = {outcome.text: outcome.target for outcome in parse_prd(text).outcomes}
    assert outcomes["Genauigkeit ≥ 97 %"] == "≥ 97 %"
    assert "Automatisierungsquote" in outcomes
    goal = "Ziel ist ein reproduzierbarer, auditierbarer Prozess, bei dem keine Buchung unbegründet getroffen wird."
    assert goal in outcomes
    assert "Embedding-Vergleich" not in outcomes  # "erfolgt" is no success


def test_an_italic_or_bold_hint_paragraph_stays_template_guidance() -> None:
    text = "# PRD\n\n## Success metrics\n\n*Describe how you will measure success.*\n\n**List the KPIs here.**\n"
    assert parse_prd(text).outcomes == []


def test_a_metric_card_is_one_outcome_named_by_its_bold_title_or_heading_with_its_baseline_and_target() -> None:
    text = """\
# Success Metrics: Ticket triage

## North Star Metric

**Average Time to First Meaningful Response**

**Rationale**: It reflects what the customer feels.

**Current Baseline**: 2.5 hours
**Target**: 1.0 hour (60% reduction)

## Primary Metrics

### 1. Triage Decision Time

**Definition**: Time from notification to decision

**Current Baseline**: 5-8 minutes per ticket
**Target**: Under 2 minutes per ticket

### 3. Critical Issue Detection Time (Risk Mitigation)

**Current Baseline**: 45 minutes
**Target**: 95% flagged within 5 minutes
"""
    outcomes = {o.text: (o.baseline, o.target) for o in parse_prd(text).outcomes}
    assert outcomes["Average Time to First Meaningful Response"] == ("2.5 hours", "1.0 hour (60% reduction)")
    assert outcomes["1. Triage Decision Time"] == ("5-8 minutes per ticket", "Under 2 minutes per ticket")
    assert outcomes["3. Critical Issue Detection Time (Risk Mitigation)"] == (
        "45 minutes",
        "95% flagged within 5 minutes",
    )
    assert not any(t.startswith(("Rationale", "Current Baseline", "Target")) for t in outcomes)


def test_a_hypothesis_statement_secondary_metrics_and_a_notes_column_are_carried_and_guardrails_are_not() -> None:
    text = """\
# Launch lint

## Hypothesis

- statement: If the linter stays narrow, then builders will finish the two-call workflow.

## Measures

- primary metric: full session completion rate
- secondary metrics:
  - install to first paid call
  - repeat usage in the first launch cycle
- guardrail metrics:
  - p95 latency

## Benefits Hypothesis

**Wir glauben dass** OCR bisher unsichtbare PDF-Inhalte durchsuchbar macht.

**Folgende messbare Outcomes liefert:**
- 100% der PDFs sind indexierbar

## Success Metrics

| Metric | Target | Notes |
|---|---|---|
| Report rate | < 1% of comments | Industry standard: 0.5-2% |

## 5. Analysis Plan

**Primary Metric (Time to Order):**
- **Test:** Two-sample t-test
"""
    outcomes = {o.text: o.target for o in parse_prd(text).outcomes}
    assert "statement: If the linter stays narrow, then builders will finish the two-call workflow." in outcomes
    assert "Wir glauben dass OCR bisher unsichtbare PDF-Inhalte durchsuchbar macht." in outcomes
    assert "install to first paid call" in outcomes
    assert "repeat usage in the first launch cycle" in outcomes
    assert outcomes["Report rate | Industry standard: 0.5-2%"] == "< 1% of comments"
    assert not any("latency" in text or "t-test" in text for text in outcomes)


def test_settled_points_and_a_quoted_job_to_be_done_are_no_open_questions() -> None:
    text = """\
# Workspace

## 2.2 Job-to-be-done

`Welches Folgegeschäft ist bei welchem Kunden realistisch, und warum?`

## Offene Entscheidungen

1. ✅ **Scope-Hierarchie**: Account Growth zuerst — **bestätigt 30.05.**
2. **Canvas-Form**: Mermaid reicht vorerst — **entschieden 30.05.**
3. **Personenbezug**: Ist das jetzt build-blockierend?
"""
    questions = parse_prd(text).open_questions
    assert questions == ["Personenbezug: Ist das jetzt build-blockierend?"]


def test_a_phase_goal_quoted_in_bold_is_an_outcome_and_a_quoted_hint_is_not() -> None:
    text = """\
# Zahlungsabgleich

### Phase 1: Quick Wins
> **Ziel:** Jede Rechnung hat einen Bezahl-Link. Zahlungserinnerungen laufen automatisch.

### Phase 2
> **Goal:** Describe what this phase should achieve.

### Phase 3
> **Goal:** What should change for the customer?
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "Ziel: Jede Rechnung hat einen Bezahl-Link. Zahlungserinnerungen laufen automatisch."
    ]


def test_a_goal_row_in_a_table_of_fields_is_an_outcome() -> None:
    text = """\
# Gift mode

## Overview

| Section | Summary |
|---|---|
| Context | Growth has slowed. |
| MVP Goal | Increase revenue with AI gift recommendations for existing users. |

## Model

| Human Educator | Assistant |
|---|---|
| Defines goals | Generates drafts |
"""
    assert [o.text for o in parse_prd(text).outcomes] == [
        "MVP Goal: Increase revenue with AI gift recommendations for existing users."
    ]


def test_the_measures_a_line_names_as_its_kpis_are_outcomes() -> None:
    text = """\
# Modeltraining

### Aanleiding

Kern-KPI's: **doorlooptijd feedback → actief model < 1 week** en **≤ 1 menselijke handeling per modelversie**.

### Eisen

- NFR-A8: KPI's: doorlooptijd feedback → actief model < 1 week; 0 verloren jobs na crash; geen downtime
"""
    assert [(o.text, o.target) for o in parse_prd(text).outcomes] == [
        ("doorlooptijd feedback → actief model < 1 week", "< 1 week"),
        ("≤ 1 menselijke handeling per modelversie", "≤ 1"),
        ("0 verloren jobs na crash", None),
    ]
