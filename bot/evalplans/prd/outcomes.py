"""What a PRD says success is, and the questions its authors really ask, read from its Markdown structure.

Outcomes are the items of the sections that state success, whatever the PRD calls them ("Success
metrics", "Measuring Success", "KPIs", "Goals", "Outcome Summary", "What to watch for", "Erfolgsmessung",
"Zielwerte", "Succescriteria", "Primaire Doelen", "Expected impact" …), plus an explicit "Goal:" or
"Primary outcome:" line and sentences that state a change with a number ("cuts per-token cost by ~84%").
A list item is a section of its own when its label is one ("- **Meetbare Resultaten**:" over sub-bullets).
Under a success heading, a bullet with sub-bullets is one outcome: `Target:` and `Baseline:` sub-bullets
give its target and baseline, other sub-bullets its detail. Abort criteria, guardrails, undesired outcomes
and non-goals are not outcomes.

Template guidance is never content: block-quoted prompts, lines in emphasis only, `🎯 Doel` / `📘
Toelichting` / `💡` hint lines, HTML comments (the parser keeps them out of the blocks), question-shaped
headings of a questionnaire and unfilled fields (`Desired date: ?`). A real open question is a line of the
body that asks, or any item under an "Open questions" / "Offene Punkte" / "Open vragen" heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from bot.evalplans.prd.markdown import BOLD, BULLET, LEADING_LABEL, QUESTION_HEADING, Block, is_instruction, plain

# Heading words of the sections that state success (EN / DE / NL), and of those that look like them
# but hold something else: abort criteria, undesired outcomes, non-goals, launch checklists.
_SUCCESS_HEADING = re.compile(
    r"success|measurable|messbar\w*|meetba\w*|\bkpis?\b|kpi's|metrics|\bgoals?\b|objectives?|outcomes?|what to watch|"
    r"erfolg(?!t|en\b|te)|zielwert|kennzahl|\bziele?\b|zielsetzung|doelstelling|messung|succes|doelen|resultaten|"
    r"meetlat|metriek|metrik|north[- ]star|"
    # a section named only "Measures" (not "Security measures")
    r"^\W*+(?:[\d.]++\s*+)?(?:measures|messgrößen|maatstaven)\W*+$|"
    # what a proof of concept or a pilot must show ("Proof-of-Concept Kriterien", "Pilot success criteria")
    r"(?:proof[- ]of[- ]concept|\bpoc|pilot)\W{0,3}(?:kriterien|criteria)\b|"
    r"expected (?:impact|results?|benefits?|effects?|improvements?)|"
    r"erwartete[nr]? (?:wirkung|ergebniss?e?|nutzen|effekte?|verbesserung\w*)|"
    r"verwachte? (?:impact|resultaten|effecten|opbrengst|verbetering\w*)",
    re.I,
)
# A bullet that heads sub-bullets of outcomes says results or success, not just "metrics" ("Automated Metrics"
# over the tools that collect them).
_SUCCESS_LABEL = re.compile(
    r"success|erfolg(?!t|en\b|te)|succes|results?\b|resultat\w*|ergebniss\w*|outcomes?|\bgoals?\b|objectives?|"
    r"\bziele?\b|doelen|\bkpis?\b|kpi's|measurable|messbar\w*|meetba\w*|expected improvements?|"
    r"erwartete verbesserung\w*|verwachte verbetering\w*|"
    # "secondary metrics:" over the measures ("guardrail metrics:" stays out: it is in _NOT_SUCCESS_HEADING)
    r"\b(?:primary|secondary|north[- ]star|key|success)\s++(?:metrics?|kpis?|measures?)\b",
    re.I,
)
_NOT_SUCCESS_HEADING = re.compile(
    r"non-?goals?|nicht-?ziele|niet-?doelen|undesired|unerwünscht|ongewenst|abort|red flags?|pivot|kill|"
    r"abbruch|afbreek|stop.?criteria|out of scope|monitoring metrics|(?<!kpi )dashboard|guardrail|"
    # a risks section, not a role named for risk ("Secondary User: Risk/Credit Analyst")
    r"\brisks\b|^\W*+(?:[\d.]++\s*+)?risk\b|\brisk (?:assessment|mitigation|register|analysis|management)|risiko|"
    r"risiken|risico|"
    r"\bgates?\b|roadmap|persona|"  # a persona's goals are the user's, not the product's outcomes
    # how the experiment's numbers are tested ("5.1 Statistical Tests": "**Primary Metric:**" over the tests)
    r"statistical (?:tests?|analysis)|statistische (?:tests?|analyse)|\banalysis plan\b",
    re.I,
)
_SUCCESS_START = re.compile(
    r"^\W*+(?:\d{1,2}(?:\.\d{1,2})*+\.?\s++)?(?:goals?|ziele?|zielsetzung|doel(?:en|stelling)?|objectives?|"
    r"success (?:metrics|criteria)|erfolgskriterien|succescriteria)\b(?!.*\b(?:non|nicht|niet)\b)",
    re.I,
)
# A persona's goals are what the user wants; a "Success Criteria" list under a persona still states success.
_PERSONA = re.compile(r"persona", re.I)
# A word for success: it keeps a persona's "Success Criteria", and a heading that asks what success is ("What does
# success look like?", "Wie messen wir den Erfolg?") heads the answer.
_STATED_SUCCESS = re.compile(r"success|erfolg|succes", re.I)
# "**Minimum Success:** 15% of new customers": a line that opens with a bold label.
_BOLD_LABEL_LINE = re.compile(r"^\s*+\*\*[^*\n]{1,60}?:?\*\*\s*+:?")
_TEMPLATE_MARK = re.compile(r"^\s*+(?:🎯|📘|💡|ℹ️|✏️|👉)")
# "🎯 **Doel:** HR-afdelingen overtuigen …": a goal the team wrote on the template's goal line (not an instruction
# such as "🎯 Doel: Schets wie de gebruikers zijn" or "Doel van deze sectie: …").
_GOAL_MARK = re.compile(r"^\s*+🎯\s*+")
_UNFILLED = re.compile(r":\s*+(?:\?|tbd|tbc|n/?a|xx+|_{2,}|\.{3}|…|<[^<>]{0,40}>|\[[^\[\]]{0,40}\])\s*+$", re.I)
_LINK_ONLY = re.compile(r"^\s*+\[[^\[\]]{0,200}\]\([^()\s]{0,500}\)\s*+$")
# "Goal: …", "Primary outcome: …", "Hauptziel: …": a label of at most three words ending in a goal word.
_GOAL_LINE = re.compile(
    r"^(?:[A-Za-zÄÖÜäöüß-]++\s++){0,2}(?:goals?|objectives?|outcomes?|aims?|(?:haupt)?ziele?|doel(?:stelling)?|"
    r"success (?:metrics?|criteria|measures?)|erfolgskriterien|succescriteria|erfolgsmetrik(?:en)?|"
    r"succesmetriek(?:en)?|erfolgskennzahl(?:en)?|"
    # "Outcome metric: chat-to-save rate", "North-star metric: …", "**Success:** output is accurate enough …"
    r"(?:outcome|north[- ]star|primary) (?:metrics?|measures?|kpis?)|success|erfolg|succes)\s*+:\s*+"
    # a tick before the statement ("Success Criteria: ✅ Fully functional AI module …")
    r"(?:[\u2705\u2714\u2611]\ufe0f?\s*+)?(?=\w)",
    re.I,
)
# "Post-launch KPI 2: Percent of emails opened", "Success metric 1: …": a label of at most three words ending in a
# KPI or success-metric word and its number names one measure.
_KPI_LINE = re.compile(
    r"^(?:[A-Za-zÄÖÜäöüß-]++\s++){0,2}(?:kpi|success (?:metric|measure|criterion)|erfolgskriterium|"
    r"succescriterium)\s*+#?\d{1,2}\s*+:\s*+(?=\w)",
    re.I,
)
# "KR2: Erhöhen wir den Anteil …", "Key result 1: …": one key result of an OKR per line; the objective above it
# only groups them.
_KEY_RESULT = re.compile(
    r"^\s*+(?:kr|key results?|schlüsselergebnis(?:se)?|kernresultaat)\s*+#?\d{1,2}\s*+[:.)]\s*+(?=\w)", re.I
)
# "While the ultimate goal is to reduce call volumes, …", "Unser Ziel ist, … zu senken": a clause that names the
# goal, read up to its first clause break; an outcome when it states a change.
_GOAL_CLAUSE = re.compile(
    r"\b(?:haupt|ober|hoofd)?(?:goal|aim|objective|ziel|doel(?:stelling)?)\s++"
    r"(?:is|was|will be|ist|war|besteht darin|is om|was om)\b",
    re.I,
)
# "Ziel Precision ≥ 98 % bei AUTO_MATCHED", "target recall >= 0.9": a goal word right before a measure and its
# threshold, inside a sentence about something else (a verification plan's quality bullet).
_GOAL_THRESHOLD = re.compile(
    r"\b(?:goal|target|ziel(?:wert)?|doel|streefwaarde)(?::\s*+|\s++)[^\W\d][^,;.≥≤<>=]{0,60}?(?:≥|>=|≤|<=|>|<)\s*+\d",
    re.I,
)
# "Our primary goal is …", "Hauptziel ist …", "Het hoofddoel is …": the document's own first goal.
_PRIMARY_GOAL = re.compile(
    r"\b(?:primary|main|overall|ultimate|north[- ]star|core)\s++(?:goal|aim|objective)\b|\b(?:haupt|ober)ziel\b|"
    r"\b(?:hoofd|primair|belangrijkste)\s*+doel\b",
    re.I,
)
# "Success means the system …", "Erfolg bedeutet …", "Succes betekent …": a sentence that defines success.
_SUCCESS_MEANS = re.compile(
    r"^(?:for (?:us|this \w+), )?(?:success|erfolg|succes)\s++(?:means|is defined as|looks like|bedeutet|heißt|"
    r"ist erreicht|betekent|is bereikt)\b(?!\s*+:)",  # not a label over a list ("Success looks like:")
    re.I,
)
# The labels of a list of measures ("**KPIs:** a, b, c"), as opposed to a goal written as a sentence.
_MEASURES_LABEL = re.compile(
    r"\bkpis?\b|kpi's|metric|measure|kennzahl|metrik|metriek|indicator|indikator|success criteria|"
    r"erfolgskriterien|succescriteria",
    re.I,
)
_JOINER = re.compile(r"^(?:and|or|und|oder|en|of)\s++", re.I)
_MIN_ENUMERATED = 2
_MAX_ENUMERATED_WORDS = 8
# "The goal is to …", "Het doel is om …", "Ziel ist es, …": a goal that does something.
_GOAL_TO_DO = re.compile(r"\s{0,3}+(?:to|om|es)\b|\s{0,3}+,", re.I)
_CLAUSE_BREAK = re.compile(r"[,;:(—–]|\s-\s")
# The sub-bullets of an outcome that give its numbers: "Target: 95%", "Baseline: 90%", "Measurement: …".
_FIELD = re.compile(
    r"^(?P<label>target|goal|ziel(?:wert)?|doel|streefwaarde|baseline|current|today|ausgangswert|nulmeting|"
    r"huidig\w*|measure(?:ment|d by)?|messung|meting|source|quelle|bron|owner|eigenaar|verantwortlich|definition|"
    r"definitie|"
    # "**Current Baseline**: 2.5 hours", and why the measure was chosen ("**Rationale**: …")
    r"(?:current|aktuelle[rs]?|huidige)\s++(?:baseline|ausgangswert|nulmeting)|rationale|begründung|onderbouwing)"
    r"\s*+:\s*+(?P<value>\S.*)$",
    re.I,
)
# The cases a spec says it must handle ("Edge Cases: - What happens when the PDF is encrypted?"): scenarios for
# the eval set, not questions the authors leave open.
_CASES_HEADING = re.compile(
    r"edge.?cases?|corner.?cases?|randf[aä]lle|grenzf[aä]lle|sonderf[aä]lle|randgevallen|grensgevallen", re.I
)
_CHECKS_LABEL = re.compile(
    r"mitigation|gegenmaßnahme|maßnahmen|mitigatie|maatregelen|checks?\b|checklist|troubleshoot\w*|prüf\w*|controle\w*",
    re.I,
)
# A question already answered: under a "(Resolved)" heading, or with its decision filled in its table row.
_RESOLVED = re.compile(
    r"resolved|answered|closed|decided|beantwortet|geklärt|entschieden|opgelost|beantwoord|besloten", re.I
)
# "✅ **Tracking Interface funktioniert**:" over its evidence: a success criterion marked as met.
_CHECK_MARK = r"^\s*+(?:✅|☑|✔)"
_CHECKED = re.compile(_CHECK_MARK)
# An open point that ends with its decision ("… reicht vorerst — **entschieden 30.05.**", "— decided 2025-03-01").
_DECIDED_END = re.compile(
    r"(?:[—–,;(]|\s-)\s*+(?:bestätigt|entschieden|geklärt|erledigt|decided|confirmed|resolved|besloten|bevestigd|"
    r"beslist|opgelost)(?:\s++(?:&|und|and|en)\s++\w++)?(?:\s++(?:am|on|op))?\s*+"
    r"(?:\d{1,4}[./-]\d{1,2}(?:[./-]\d{0,4})?)?[\s.)*]*+$",
    re.I,
)
# A line under an open question that records its decision ("✅ **DECISION**: Build the full system").
_DECISION_LINE = re.compile(
    _CHECK_MARK + r"|^\W*+(?:decision|decided|resolution|answer|entscheidung|beschluss|antwort|besluit|beslissing|"
    r"antwoord)\b\W*+:",
    re.I,
)
_QUESTION_COLUMN = re.compile(r"^\W*+(?:questions?|fragen?|vragen?|vraagstuk|topic|thema|onderwerp|item)\W*+$", re.I)
_ROW_NUMBER = re.compile(r"^\W*+(?:(?:no|nr)\.?\s*+)?[A-Z]{0,3}-?\d{1,3}\W*+$", re.I)
# An open-questions section that says there are none: "No open MVP-blocking questions remain", "Keine offenen Fragen".
_NONE_OPEN = re.compile(
    r"^\W*+(?:none|n/a|no (?:open|remaining|outstanding|further)\b|there are no\b|keine\b|geen\b)[^?]*+$", re.I
)
_DECIDED_COLUMN = re.compile(r"decision|decided|answer|resolution|entscheidung|antwort|besluit|antwoord", re.I)
_MAX_POINT_SENTENCES = 3  # an open point longer than this is a discussion: its questions are listed, not all of it
# "[NEEDS CLARIFICATION: target latency SLA]": a spec's marker for what its authors could not decide yet. The
# template's own placeholder ("[NEEDS CLARIFICATION: specific question]") is not one.
_CLARIFICATION = re.compile(r"\[NEEDS CLARIFICATION:\s*+([^\[\]\n]{3,300}+)\]", re.I)
_CLARIFICATION_PLACEHOLDER = re.compile(r"^specific question\b", re.I)
# "**Zurückgestellt:** Generationsmetriken …" under the open questions: deferred, decided for now.
_DEFERRED = re.compile(
    r"^(?:zurückgestellt|verschoben|deferred|postponed|parked|uitgesteld|geparkeerd|out of scope|buiten scope)\b"
    r"[^:\n]{0,30}:",
    re.I,
)
_QUESTION_LABEL = re.compile(r"^(?:question|frage|vraag)\s*+:\s*+", re.I)
_QUESTION_NUMBER = re.compile(r"^\s*+(?:q|f|v)?\d{1,2}[.:)]\s*+", re.I)
# "### Q5: Changesets package integration depth": a numbered question heading that names its topic.
_NUMBERED_QUESTION = re.compile(r"^\s*+(?:q|f|v)\d{1,2}[.:)]\s*+\S", re.I)
# A question inside quotation marks ('ask the chatbot "What is my rating?"') is someone's words, not the authors';
# a quoted name before the question mark ('Wer ist „Person A"?') is not.
_QUOTE_MARKS = re.compile(r"[\"“„«](?:[^\"“”„«»\n?]{0,300}+\?)++[^\"“”„«»\n?]{0,200}+[\"“”»]")
# A line that is all code ("`What CRM should I use for my startup?`"): an example input, not the authors' question.
_CODE_ONLY = re.compile(r"^\s*+`[^`\n]++`\s*+$")
# "**Impact (1-10):** How much will this move the needle?": the question a score on a scale answers, a rubric.
_SCALE_LABEL = re.compile(r"^\s*+\*\*[^*\n]{0,40}?\(\s*+\d{1,3}\s*+[-–]\s*+\d{1,3}\s*+\)[^*\n]{0,10}?\*\*")
_TRAILING_NOTE = re.compile(r"(?<![*_])[*_]*+\([^()\n]{0,80}+\)[*_]*+$")
_BOLD = re.compile(r"^\s*+(?:\*\*[^*\n]{1,200}\*\*|__[^_\n]{1,200}__)\s*+$")  # "**Genauigkeit ≥ 97 %**"
_LABEL_ONLY = re.compile(r"^[^:]{1,60}:$")
_LEADING_COLON = re.compile(r"^[^:.]{1,40}:")  # "Metric: …", "Problem: …": a labelled line
# An item not (yet) done: "☐ …", "[ ] …", "❌ …" (a non-goal in a goals list).
_UNCHECKED = re.compile(r"^\s*+(?:☐|⬜|❌|✗|\[ \])")
# A label over points still to talk through ("Things to talk about in impl details:", "Zu besprechen:",
# "Te bespreken:"): an item there that starts with a question word asks, even without a question mark.
_DISCUSS_LABEL = re.compile(
    r"\b(?:to (?:talk about|discuss|figure out|clarify)|discussion points|zu (?:besprechen|klären|diskutieren)|"
    r"te (?:bespreken|bepalen|verduidelijken))\b",
    re.I,
)
# A label over what a report shows ("Wöchentlicher Bericht der Cortex-Aktivität:" over "- Welche Empfehlungen wurden
# befolgt?"): the questions below are the ones the report answers.
_REPORT_LABEL = re.compile(
    r"\b(?:reports?|digest|dashboard|summary|overview|bericht\w*|übersicht|zusammenfassung|rapport\w*|overzicht|"
    r"samenvatting|weekoverzicht)\b",
    re.I,
)
_QUESTION_WORD = re.compile(
    r"^(?:what|how|which|who|where|when|why|should|wie|was|welche\w*|wer|wo|wann|warum|soll\w*|hoe|wat|welke|waar|"
    r"wanneer|waarom|moet\w*)\b",
    re.I,
)

# A sentence that states a change with a number: "cuts per-token cost by ~84%", "~6× cost reduction".
_CHANGE_VERB = re.compile(
    r"\b(?:reduc\w*|cut(?:s|ting)?|lower\w*|decreas\w*|increas\w*|improv\w*|rais\w*|boost\w*|halv\w*|doubl\w*|"
    r"senk\w*|steiger\w*|reduzier\w*|erhöh\w*|verbesser\w*|verminder\w*|verhoog\w*|verbeter\w*|verlaag\w*)\b",
    re.I,
)
# "Implement a landing page so that no query ends in a dead end": prose in a success section that states what
# changes for the user, not an introduction to the bullets below it.
_PURPOSE = re.compile(r"\b(?:so that|in order to|damit|sodass|zodat|opdat)\b", re.I)
# "Ziel ist ein reproduzierbarer Prozess …", "The goal is a …": a paragraph of a goals section that opens with the
# goal states it, even where the section's bullets list other things.
_OPENS_WITH_GOAL = re.compile(
    r"^(?:(?:the|our|unser|das|het|ons)\s++)?(?:goal|aim|objective|ziel|doel)\s++(?:is|ist|was|war)\s++"
    r"(?:to|om|es|a|an|ein\w{0,2}|een|die|der|das|het|de)\b",
    re.I,
)
# The statement a hypothesis section makes: "We believe that …", "Wir glauben, dass …", "statement: If … then …".
_HYPOTHESIS = re.compile(
    r"^(?:(?:hypothesis|hypothese|statement)\s*+:\s*+)?(?:we believe|wir glauben|wij geloven|we geloven|"
    r"if\b[^\n]{1,300}?\bthen\b|wenn\b[^\n]{1,300}?\bdann\b)",
    re.I,
)
_HYPOTHESIS_HEADING = re.compile(r"\bhypothes[ie]s\b|\bhypothese\b", re.I)
_CHANGE_NUMBER = re.compile(r"\d(?:[.,]\d++)?\s*+(?:%|×|x\b)|\bby\s++~?\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s++(?=[A-ZÄÖÜ\"'(])")

_UNIT = (
    r"%|×|x\b|ms\b|s\b|sec(?:onds?)?\b|seconden\b|sekunden\b|min(?:utes?)?\b|minuten\b|hours?\b|uur\b|stunden\b|"
    r"days?\b|dagen\b|tage\b|weeks?\b|months?\b|maanden\b|monate\b"
)
_AMOUNT = r"[-+~]?\$?(?<![\dA-Za-z])\d++(?:[.,]\d++)?(?:\s*+[-–]\s*+\d++(?:[.,]\d++)?)?(?:\s*+(?:" + _UNIT + r"))?\+?"
_COMPARATOR = (
    r"(?<![A-Za-z])(?:[<>≤≥]=?\s*+|\b(?:under|below|over|above|at least|at most|less than|more than|within|by|"
    r"unter|über|mindestens|höchstens|onder|boven|minimaal|maximaal|binnen|minimum|maximum)\s++)"
)
_TARGET = re.compile(_COMPARATOR + "?" + _AMOUNT, re.I)
_COMPARED = re.compile(_COMPARATOR + _AMOUNT + r"|(?<![\d.,A-Za-z])\d++(?:[.,]\d++)?\s*+(?:%|×)\+?", re.I)
# "from 3 minutes to <30 seconds", "van 5 naar 0.25 cycli", "(2 dagen naar 4 uur)": a baseline never crosses a
# bracket, and a target runs to the first clause break that isn't a decimal point.
_FROM_TO = re.compile(
    r"(?:\b(?:from|von|van)\s++|\(\s*+(?:(?:from|von|van)\s++)?)(?P<baseline>[^,;:()]{1,40}?)\s++(?:to|auf|naar)\s++"
    r"(?P<target>(?:[^,;.()]|[.,](?=\d)){1,40})|"
    # "28s → < 3s": a value, an arrow, the target
    r"(?P<before>~?\d[^,;:()→]{0,30}?)\s*+(?:→|->|=>)\s*+(?P<after>(?:[^,;.()]|[.,](?=\d)){1,40})",
    re.I,
)
# A target whose number is still to be set: "> X%", "by XX%", "?%". Kept as the target, marked as a placeholder.
_PLACEHOLDER = re.compile(
    r"(?:[<>≤≥]=?\s*+|\b(?:by|under|below|over|above|at least|at most|less than|more than|um|unter|über|mindestens|"
    r"met|onder|boven|minimaal|maximaal)\s++)?(?<![\w.,])(?:x{1,3}|n|\?{1,3})\s*+%",
    re.I,
)
_ZERO = re.compile(r"(?:zero|null|nul)\b", re.I)  # "Zero data loss": a target of 0
_TARGET_COLUMN = re.compile(r"target|ziel|doel|goal|streef|threshold|schwelle|drempel|soll\b|desired|gewenst", re.I)
# The value after a change ("Current | After Optimization | Improvement", "Vorher | Nachher"): the target, unless the
# table has a target column too, when it is the starting point ("Nach Stufe 1 | Ziel").
_AFTER_COLUMN = re.compile(r"^\W*+(?:after|nach(?:her)?|na|expected|erwartet|verwacht|projected|prognos\w*)\b", re.I)
_MEASURE_COLUMN = re.compile(
    r"measure|messung|meting|method|methode|how\b|wie\b|hoe\b|review|frequen|cadence|häufigkeit|definition|definitie|"
    r"formula|formel|timeline|deadline|by when|zeitraum|zeitplan|termijn|wanneer|"
    # what the number counts ("Nutzerakzeptanz | ≥ 75 % | der Befragten vertrauen dem System")
    r"descri\w*|beschreibung|omschrijving|beschrijving|metric|metrik|metriek|kennzahl|indicator|indikator|"
    # the criterion it is measured by ("Ziel | Messkriterium | Zielwert")
    r"kriteri\w*|criteri\w*|"
    # the bounds and the change around the target ("Minimum | Ziel", "Current | Target | Improvement")
    r"minimum|mindest\w*|maximum|improvement|verbesserung|verbetering|delta|change|änderung|verandering|"
    # what the row's number is compared with ("Notes: Industry standard 0.5-2%")
    r"\bnotes?\b|anmerkung\w*|bemerkung\w*|opmerking\w*|toelichting|rationale|begründung",
    re.I,
)
# A column named for a point in time its row's target is due by: "3 Monate", "Month 6", "Q2", "Year 1", "V2", "MVP".
_HORIZON_COLUMN = re.compile(
    r"^\W*+(?:\d{1,3} ?(?:months?|monate?n?|maanden|maand|weeks?|wochen|weken|days?|tage?n?|dagen|years?|jahre?n?|"
    r"jaar|quarters?)\b|"
    r"(?:month|monat|maand|week|woche|day|tag|dag|year|jahr|jaar|quarter|q|v|phase|fase|stufe) ?\d{1,2}\b|mvp\b)",
    re.I,
)
_TARGET_WORD = re.compile(r"\(?\b(?:target|ziel(?:wert)?|doel|goal|streefwaarde)\b\)?", re.I)
_BASELINE_COLUMN = re.compile(
    r"baseline|ausgang|uitgang|current|today|heute|huidig|nulmeting|\bist\b|before|vorher|aktuell|actueel", re.I
)


@dataclass(frozen=True)
class Outcome:
    """One outcome the PRD states, with the baseline and target it gives."""

    text: str
    baseline: str | None = None
    target: str | None = None
    section: str = ""

    @property
    def placeholder(self) -> bool:
        """The target holds no number yet, only a placeholder ("> X%")."""
        return bool(self.target) and is_placeholder(self.target or "")


def is_placeholder(target: str) -> bool:
    """A target written as a placeholder for a number still to be set ("> X%", "XX%"), with no number in it."""
    return not re.search(r"\d", target) and bool(_PLACEHOLDER.search(target))


def _filled_goal(block: Block) -> str | None:
    """The goal a team wrote on a template's "🎯 Goal:" line, as "Goal: …"; None for the template's own hint."""
    if not _GOAL_MARK.match(block.text) or block.quoted:
        return None
    line = _GOAL_MARK.sub("", block.plain)
    label = _GOAL_LINE.match(line)
    if not label or is_instruction(line[label.end() :]) or is_instruction(line):
        return None
    return line


def _callout(block: Block) -> bool:
    """A block-quoted bold statement with a number ("> **Deflection Rate: 60% of tickets …**"), or a bold goal line
    with one ("**Goal: Increase Active Rate from 17% to 25%+**"): content, not a hint."""
    return (
        (block.quoted or (block.emphasis_only and bool(_GOAL_LINE.match(block.plain))))
        and block.text.lstrip().startswith("**")
        and bool(re.search(r"\d", block.text))
        and not block.plain.rstrip(" *_").endswith("?")
    )


# The header of a table of fields and their values ("Section | Summary", "Aspect | Details", "Feld | Wert").
_FIELDS_HEADER = re.compile(
    r"^\W*+(?:sections?|aspects?|fields?|items?|keys?|attributes?|topics?|properties|bereich|feld|aspekt|eigenschaft|"
    r"onderdeel|veld|thema|kenmerk)\b|\b(?:summary|details?|descriptions?|values?|content|notes?|beschreibung|wert|"
    r"inhalt|angaben|zusammenfassung|omschrijving|beschrijving|waarde|inhoud|toelichting|samenvatting)\W*+$",
    re.I,
)


# "Kern-KPI's: **…** en **…**", "KPIs: … ; …": the measures a sentence names as its KPIs.
_KPI_LABEL = re.compile(r"(?:^|(?<=[\s:.(]))(?:kern-?|key |haupt-?)?(?:kpi'?s?|kennzahlen)\s*+:\s*+", re.I)
_BOLD_SPAN = re.compile(r"\*\*([^*\n]{1,200})\*\*")


def _named_kpis(block: Block) -> list[str]:
    """The measures a line names after a KPI label, each with a number: its bold spans, else its parts between
    semicolons ("Kern-KPI's: **doorlooptijd < 1 week** en **≤ 1 handeling per modelversie**")."""
    found: list[str] = []
    for line in block.text.splitlines():
        label = _KPI_LABEL.search(line)
        if label is None:
            continue
        rest = line[label.end() :]
        spans = _BOLD_SPAN.findall(rest)
        items = spans if spans else rest.split(";")
        found += [item for part in items if re.search(r"\d", item := plain(part).strip(" .;"))]
    return found


def _goal_row(block: Block, header: Block | None) -> str | None:
    """A row of a table of fields that names the goal ("| MVP Goal | Increase revenue by enabling AI gift ideas |"
    under "| Section | Summary |"), as "MVP Goal: …"; None for any other row, or a goal left unfilled."""
    if block.kind != "table_row" or block.header or len(block.cells) != 2:
        return None
    if header is not None and not any(_FIELDS_HEADER.search(plain(name)) for name in header.cells):
        return None
    name, value = (plain(cell).strip() for cell in block.cells)
    line = f"{name}: {value}"
    label = _GOAL_LINE.match(line)
    if label is None or label.end() <= len(name) or not value or is_instruction(value) or _UNFILLED.search(value):
        return None
    return line


def _quoted_goal(block: Block) -> bool:
    """A block-quoted bold goal label over a filled statement ("> **Ziel:** Jede Rechnung hat einen Bezahl-Link"):
    the phase's goal, not a hint ("> **Goal:** Describe the goal …", "> **Goal:** What should change?")."""
    label = _GOAL_LINE.match(block.plain) if block.quoted and block.text.lstrip("> ").startswith("**") else None
    if label is None:
        return False
    rest = block.plain[label.end() :]
    return not is_instruction(rest) and not rest.rstrip(" *_").endswith("?") and not _UNFILLED.search(rest)


def _metadata(block: Block) -> bool:
    """A block-quoted card of filled fields ("> **Owner:** Growth Engineering" / "> **Success metrics:** …")."""
    lines = [line for line in block.text.splitlines() if line.strip()]
    return (
        block.quoted
        and len(lines) >= _MIN_ENUMERATED
        and all(_BOLD_LABEL_LINE.match(line) and not _LABEL_ONLY.match(plain(line)) for line in lines)
        and not _UNFILLED.search(block.plain)
    )


def is_template(block: Block) -> bool:
    """Template guidance left in the PRD: block-quoted, all emphasis, a hint marker, or an unfilled field."""
    text = block.plain
    if _filled_goal(block) or _callout(block) or _metadata(block) or _quoted_goal(block):
        return False
    return (
        block.quoted
        or block.guidance
        # a bold label over sub-bullets is a heading, and a bullet all in bold a point made, not a hint
        or (block.emphasis_only and not block.nested and not (block.kind == "list_item" and _BOLD.match(block.text)))
        or bool(_TEMPLATE_MARK.match(block.text))
        or bool(_UNFILLED.search(text))
        or not text
    )


_TRAILING_BRACKET = re.compile(r"\([^()\n]{1,60}\)\s*+$")


def _success_depth(path: tuple[str, ...], title: str | None = None) -> int | None:
    """The depth of the innermost success heading above a block, unless a heading below it says otherwise.

    The document's title doesn't count: a PRD called "KPI dashboard" is not all outcomes.
    """
    found = None
    for depth, heading in enumerate(path):
        if depth == 0 and heading == title:
            continue
        text = plain(heading)
        if _SUCCESS_START.match(text):
            found = depth  # "1. Ziel der Roadmap": a goals section, whatever else its title names
        elif _NOT_SUCCESS_HEADING.search(_TRAILING_BRACKET.sub("", text) if found is not None else text):
            # inside a success section, a measure's heading may say in brackets what it guards against
            # ("3. Critical Issue Detection Time (Risk Mitigation)")
            found = None
        elif text.rstrip(" *_").endswith("?"):
            found = depth if _STATED_SUCCESS.search(text) else None
        elif _SUCCESS_HEADING.search(text):
            found = depth
    return found


def _target(text: str) -> tuple[str | None, str | None]:
    """(baseline, target) as written: "from 3 minutes to <30 seconds", "Helpful rate: 70%+", "<5% …"."""
    span = _FROM_TO.search(text)
    if span and span.group("target") is not None and re.search(r"\d", span.group("target")):
        return span.group("baseline").strip(), span.group("target").strip()
    if span and span.group("after") is not None and re.search(r"\d", span.group("after")):
        return span.group("before").strip(), span.group("after").strip()
    placeholder = _PLACEHOLDER.search(text)
    if placeholder:
        return None, placeholder.group(0).strip()  # "> X% binnen 6 maanden": the target, not the time frame
    label, colon, value = text.partition(":")
    if colon and len(label) <= 80:
        found = _TARGET.match(value.strip())  # "Helpful rate: 70%+", not the "4" of a "GPT-4o" further on
        if found:
            return None, found.group(0).strip()
    found = _COMPARED.search(text)
    if found:
        return None, found.group(0).strip()
    return None, "0" if _ZERO.match(text) else None


def table_value(cell: str) -> str | None:
    """A table cell as a baseline or target: None when it is empty, a dash, "n/a", "tbd" or "?"."""
    value = cell.strip()
    return value if value.strip("–—- ") and value.lower() not in ("n/a", "tbd", "?") else None


def _row_outcome(row: Block, header: Block | None, section: str) -> Outcome | None:
    cells = list(row.cells)
    if not cells or not cells[0]:
        return None
    names = header.cells if header else ()
    # The first column names the outcome, whatever its header says ("Goal | Success Metric").
    target = next((i for i, name in enumerate(names) if i and _TARGET_COLUMN.search(name)), None)
    baseline = next((i for i, name in enumerate(names) if i and _BASELINE_COLUMN.search(name)), None)
    after = next((i for i, name in enumerate(names) if i and _AFTER_COLUMN.search(name)), None)
    if target is None:
        target = after
    elif baseline is None:
        baseline = after

    def cell(index: int | None) -> str | None:
        return table_value(cells[index]) if index is not None and index < len(cells) else None

    # Targets for several milestones ("Target V1 | Target V2", "Nach Phase 2 | Nach Phase 4", "3 Monate | 6 Monate"):
    # the target is each one with its milestone ("~14 (Nach Phase 2), ~5 (Nach Phase 4)").
    milestones = _milestone_columns(names, baseline)
    if len(milestones) > 1:
        values = [f"{value} ({_milestone(names[i])})" for i in milestones if (value := cell(i))]
        how = [cells[i] for i, name in enumerate(names) if 0 < i < len(cells) and _MEASURE_COLUMN.search(name)]
        text = " | ".join([cells[0], *(value for value in how if table_value(value))])
        return Outcome(text, cell(baseline), ", ".join(values) or None, section)
    if target is None and baseline is None:
        text = " | ".join(cell for cell in cells if cell)
        base, goal = _target(text)
        return Outcome(text, base, goal, section)
    # How and by when the row is measured stays with it ("Deflection rate | (AI resolved / total) | Daily").
    # …and so does a second target ("Target (P95) | Target (P99)").
    how = [
        cells[i]
        for i, name in enumerate(names)
        if i
        and i < len(cells)
        and i not in (target, baseline)
        and (_MEASURE_COLUMN.search(name) or _TARGET_COLUMN.search(name))
    ]
    text = " | ".join([cells[0], *(value for value in how if table_value(value))])
    return Outcome(text, cell(baseline), cell(target), section)


def _milestone_columns(names: tuple[str, ...], baseline: int | None) -> list[int]:
    """The columns holding a target each for a milestone: every target column when there are several, else every
    after-column ("Nach Phase 2 | Nach Phase 4"), else every column named for a horizon ("3 Monate | 6 Monate")."""
    for pattern in (_TARGET_COLUMN, _AFTER_COLUMN, _HORIZON_COLUMN):
        found = [i for i, name in enumerate(names) if i and i != baseline and pattern.search(name)]
        if found:
            return found
    return []


def _milestone(name: str) -> str:
    """A milestone column's name without the word for target: "Target V1" → "V1", "v2.0 (Ziel)" → "v2.0"."""
    label = " ".join(_TARGET_WORD.sub(" ", name).split()).strip(" ()[]:-–")
    return label or name.strip()


def _measured_table(header: Block | None) -> bool:
    """Whether a table's header names both a baseline and a target column (after the first, which names the row)."""
    names = header.cells[1:] if header is not None else ()
    before = [name for name in names if _BASELINE_COLUMN.search(name) or _AFTER_COLUMN.search(name)]
    goals = [name for name in names if _TARGET_COLUMN.search(name) or _AFTER_COLUMN.search(name)]
    return bool(before) and bool(goals) and len({*before, *goals}) > 1


def _success_label(label: str) -> bool:
    return bool(_SUCCESS_LABEL.search(label)) and not _NOT_SUCCESS_HEADING.search(label)


def _path_excludes(path: tuple[str, ...], label: str) -> bool:
    """Whether a heading above a labelled list says it holds no outcomes (non-goals, risks, a persona's goals)."""
    for heading in path:
        text = plain(heading)
        if not _NOT_SUCCESS_HEADING.search(text):
            continue
        persona_only = _PERSONA.search(text) and not _NOT_SUCCESS_HEADING.search(_PERSONA.sub("", text))
        if not (persona_only and _STATED_SUCCESS.search(label)):
            return True
    return False


def _leading_label(block: Block) -> str:
    label = LEADING_LABEL.match(block.text)
    return label.group(0).strip("*: ") if label else ""


def _run_on_items(block: Block) -> list[str]:
    """The items of a list that a label's paragraph swallowed: a list numbered on from the one above ("**Secondary
    Goals:**" over "6. ✅ Learn expertise over time") starts no list in Markdown, so its lines stay in the label's
    paragraph. Each line after the label is one item, when every one is a bullet or a number; an unchecked or
    crossed-out one is no outcome."""
    if block.kind != "paragraph":
        return []
    lines = [line for line in block.text.splitlines() if line.strip()]
    items = [BULLET.match(line) for line in lines[1:]]
    if len(lines) < 2 or not _LABEL_ONLY.match(plain(lines[0])) or not all(items):
        return []
    return [plain(item.group(1)).lstrip("✅☑✔ ") for item in items if item and not _UNCHECKED.match(item.group(1))]


def _labelled_lines(block: Block) -> list[str]:
    """The lines of a paragraph that writes one measure per line, each after a bold label ("**Minimum Success:**
    15% …" over "**Target Success:** 20% …"); lines that are only a label are left out. None unless every line
    opens with a label and there are two or more."""
    if block.kind != "paragraph":
        return []
    lines = [line for line in block.text.splitlines() if line.strip()]
    if len(lines) < _MIN_ENUMERATED or not all(_BOLD_LABEL_LINE.match(line) for line in lines):
        return []
    return [plain(line) for line in lines if not _LABEL_ONLY.match(plain(line))]


def _list_labels(blocks: list[Block]) -> dict[int, str]:
    """The success label each top-level list item runs under, by its first line: a paragraph that is only a label
    ("Messbare Erfolgskriterien (KPIs):", bold or not) labels the list right below it."""
    labels: dict[int, str] = {}
    label: str | None = None
    for block in blocks:
        if block.kind == "paragraph" and _LABEL_ONLY.match(block.plain) and _success_label(block.plain):
            label = None if _path_excludes(block.heading_path, block.plain) else block.plain.rstrip(" :*")
        elif block.kind == "list_item" and label:
            labels[block.lines[0]] = label
        else:
            label = None
    return labels


def _excluded_label(block: Block) -> bool:
    """A list item that is only a label naming what is no outcome ("guardrail metrics:", "failure threshold:")."""
    return block.nested and bool(_LABEL_ONLY.match(block.plain)) and bool(_NOT_SUCCESS_HEADING.search(block.plain))


def _card_titles(blocks: list[Block]) -> dict[tuple[str, ...], str]:
    """The bold title that opens a section, by the section's heading path: a metric card names its measure in bold
    under the heading ("## North Star Metric" / "**Average Time to First Response**") before its fields."""
    titles: dict[tuple[str, ...], str] = {}
    for before, block in pairwise(blocks):
        bold = BOLD.fullmatch(block.text.strip()) if block.kind == "paragraph" else None
        if before.kind == "heading" and bold and not bold.group(1).rstrip().endswith(":"):
            titles[block.heading_path] = plain(block.text).strip()
    return titles


def _item_outcome(block: Block, section: str) -> Outcome:
    return Outcome(block.plain, *_target(block.plain), section=section)


def _with_field(outcome: Outcome, child: str) -> Outcome:
    """An outcome with one of its sub-bullets (or field lines) folded in: a target, a baseline, or more detail."""
    field = _FIELD.match(child)
    label = field.group("label").lower() if field else ""
    value = field.group("value").strip() if field else child
    if _TARGET_COLUMN.search(label) and not outcome.target:
        return Outcome(outcome.text, outcome.baseline, value, outcome.section)
    if _BASELINE_COLUMN.search(label) and not outcome.baseline:
        return Outcome(outcome.text, value, outcome.target, outcome.section)
    if field:
        return outcome  # how it is measured, its source or owner: not part of the outcome
    head = outcome.text.rstrip()
    separator = " " if head.endswith(":") else "; " if ": " in head else ": "
    return Outcome(f"{head}{separator}{value}", outcome.baseline, outcome.target or _target(value)[1], outcome.section)


def _field_lines(block: Block) -> list[str]:
    """A paragraph's lines when every one is a field (`Target: …`, `Baseline: …`), else none."""
    if block.kind != "paragraph":
        return []
    lines = [plain(line) for line in block.text.splitlines() if line.strip()]
    return lines if lines and all(_FIELD.match(line) for line in lines) else []


def _enumerated(block: Block) -> list[str]:
    """The measures a paragraph lists after a bold success label: "**Example KPIs**" over "Falls per 1,000 days,
    share of plans made, recall", or "**KPIs:** a, b, c" on one line. Each comma-separated part (brackets kept
    whole) is one measure when every part is short; a sentence after the label is prose, not a list."""
    if block.kind != "paragraph":
        return []
    label = BOLD.match(block.text)
    if not label or not _MEASURES_LABEL.search(label.group(1)) or _NOT_SUCCESS_HEADING.search(label.group(1)):
        return []  # "**Goal:** Ship schema, tracker, and …" is one sentence, not a list of measures
    rest = block.text[label.end() :]
    own_line = rest.strip(" :").startswith("\n") or not rest.split("\n", 1)[0].strip(" :")
    parts, depth, current = [], 0, ""
    for char in plain(rest).strip(" :").rstrip("."):
        depth += (char in "([") - (char in ")]")
        if char in ",;" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts = [_JOINER.sub("", part.strip()) for part in [*parts, current] if part.strip()]
    enough = _MIN_ENUMERATED if own_line else _MIN_ENUMERATED + 1
    if len(parts) < enough or any(len(part.split()) > _MAX_ENUMERATED_WORDS for part in parts):
        return []
    return parts


def _goal_lines(block: Block) -> list[str]:
    """The "Goal: …" lines inside a paragraph, past its first line: a plain-text PRD writes one item per line,
    so a goal stated at the end of a problem paragraph is its own line. A goal line runs on over wrapped lines
    until one ends a sentence."""
    lines = [plain(line) for line in block.text.splitlines()]
    found: list[str] = []
    for index in range(1, len(lines)) if block.kind == "paragraph" or _metadata(block) else ():
        if not _GOAL_LINE.match(lines[index]):
            continue
        end = index
        while end + 1 < len(lines) and lines[end] and lines[end][-1] not in ".!?:" and lines[end + 1]:
            end += 1
        found.append(" ".join(lines[index : end + 1]))
    return found


def _key_results(block: Block) -> list[str]:
    """The key-result lines of a paragraph that writes an OKR one line each ("KR1: …" under "O1: …")."""
    if block.kind != "paragraph":
        return []
    return [plain(line) for line in block.text.splitlines() if _KEY_RESULT.match(plain(line))]


def _goal_clause(sentence: str, intro: bool = False) -> str | None:
    """The clause of a sentence that states the goal as a change ("the ultimate goal is to reduce call volumes").

    A sentence that opens with the goal is the goal whole ("The goal is to improve engagement, trust, and …"); in a
    document's introduction, whatever its verb ("Het doel is om relevante zoekresultaten aan te bieden …").
    """
    goal = _GOAL_CLAUSE.search(sentence)
    if not goal:
        if threshold := _GOAL_THRESHOLD.search(sentence):
            stop = _CLAUSE_BREAK.search(sentence, threshold.end())
            return sentence[threshold.start() : stop.start() if stop else len(sentence)].strip(" .")
        return None
    opens = len(sentence[: goal.start()].split()) <= 1
    if opens and (_CHANGE_VERB.search(sentence, goal.end()) or (intro and _GOAL_TO_DO.match(sentence, goal.end()))):
        return sentence.strip(" .")
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(sentence, 0, goal.start())), default=0)
    stop = _CLAUSE_BREAK.search(sentence, goal.end())
    if stop and not sentence[goal.end() : stop.start()].strip():
        stop = _CLAUSE_BREAK.search(sentence, stop.end())  # "Das Ziel ist, die Rückfragen zu senken"
    clause = sentence[start : stop.start() if stop else len(sentence)].strip(" .")
    if _CHANGE_VERB.search(clause[goal.end() - start :]):
        return clause
    # "our primary goal is to have our brand … included": the goal the document ranks first, whatever its verb
    return sentence.strip() if _PRIMARY_GOAL.search(sentence, 0, goal.end()) else None


def _before_list_label(content: list[Block], position: int) -> bool:
    """A statement followed by another paragraph that introduces the section's list ("Complete a working MVP …" /
    "The project should help prove capability in:"): the list has its own lead-in, so the statement is the goal."""
    block, after = content[position], content[position + 1] if position + 1 < len(content) else None
    first = position == 0 or content[position - 1].heading_path != block.heading_path
    return (
        first
        and block.kind == "paragraph"
        and not _LEADING_COLON.match(block.plain)
        and not block.plain.endswith(":")
        and after is not None
        and after.kind == "paragraph"
        and after.heading_path == block.heading_path
        and after.plain.endswith(":")
    )


def prd_outcomes(blocks: list[Block]) -> list[Outcome]:
    """The outcomes a PRD states, in document order, each once."""
    title = next((block.text for block in blocks if block.kind == "heading" and block.level == 1), None)
    content = [
        block
        for block in blocks
        if block.kind != "heading" and not is_template(block) and not _LINK_ONLY.match(block.text)
    ]
    # A success section with bullets or a table states its outcomes there; its prose only introduces them,
    # unless it states a change after them ("This reduces queue depth …").
    itemised = {block.heading_path for block in content if block.kind in ("list_item", "table_row")}
    # A bold paragraph over a list is one outcome when the list gives its fields ("**Ziel:** 85%"); over a list
    # of criteria it only groups them, and each criterion is one.
    fielded = {block.parent_line for block in content if block.kind == "list_item" and _FIELD.match(block.plain)}
    found: list[Outcome] = []
    by_line: dict[int, int] = {}  # a list item's first line -> its outcome's index in found
    headers: dict[tuple[str, ...], Block] = {}
    listed = _list_labels(blocks)  # "**Erfolgskriterien Phase 1:**" over the list that follows it
    cards = _card_titles(blocks)  # "**North Star Metric Name**" right under its heading, over its fields
    kpis: dict[tuple[str, ...], int] = {}  # a KPI heading -> its outcome's index in found
    skipped: set[int] = set()  # the first lines of list items that hold no outcome ("guardrail metrics:")
    for position, block in enumerate(content):
        label_above = listed.get(block.lines[0])
        path = block.heading_path
        section = plain(path[-1]) if path else ""
        depth = _success_depth(path, title)
        under_heading = depth is not None
        labels = block.kind == "paragraph" and block.nested and block.lines[0] in fielded
        parent = by_line.get(block.parent_line)
        if block.kind == "list_item" and (block.parent_line in skipped or _excluded_label(block)):
            skipped.add(block.lines[0])  # a guardrail or abort list inside a success section, and its items
        elif block.kind == "list_item" and parent is not None:
            found[parent] = _with_field(found[parent], block.plain)
        elif (
            block.kind == "list_item"
            and block.parents
            and _success_label(plain(block.parents[-1]))
            and not _path_excludes(path, plain(block.parents[-1]))
        ):
            # Under a bullet that names a success section ("Meetbare Resultaten:"), each sub-bullet is one, its own
            # sub-bullets its fields.
            if block.nested:
                by_line[block.lines[0]] = len(found)
            found.append(_item_outcome(block, plain(block.parents[-1]).rstrip(":")))
        elif labels and not under_heading and _success_label(_leading_label(block)):
            # "**Success Metric:** CTA Click-Through Rate" over "- Current: ~5.5%" / "- Target: 6.3-6.9%"
            by_line[block.lines[0]] = len(found)
            found.append(_item_outcome(block, section))
        elif block.kind == "list_item" and block.parent_line < 0 and label_above and not under_heading:
            if block.nested:
                by_line[block.lines[0]] = len(found)
            found.append(_item_outcome(block, label_above))
        elif key_results := _key_results(block):
            found += [Outcome(line, *_target(line), section=section) for line in key_results]
        elif measures := _enumerated(block):
            found += [Outcome(measure, *_target(measure), section=section) for measure in measures]
        elif (
            under_heading
            and (fields := _field_lines(block))
            and (len(path) - 1 > (depth or 0) or _success_depth(path[:-1], title) is not None or path in cards)
        ):
            # A KPI under a heading of its own, its paragraphs all fields ("**Target:** 95%", "**Baseline:** 90%"),
            # named by the heading or by the bold title right under it ("**Average Time to First Response**").
            if path in kpis:
                kpi = found[kpis[path]]
            else:
                kpis[path] = len(found)
                kpi = Outcome(cards.get(path, section), section=section)
                found.append(kpi)
            for line in fields:
                kpi = _with_field(kpi, line)
            found[kpis[path]] = kpi
        elif under_heading and (items := _run_on_items(block)):
            found += [Outcome(item, *_target(item), section=section) for item in items]
        elif under_heading and (lines := _labelled_lines(block)):
            found += [Outcome(line, *_target(line), section=section) for line in lines]
        elif under_heading:
            if block.kind == "table_row":
                if block.header:
                    headers[path] = block
                elif outcome := _row_outcome(block, headers.get(path), section):
                    found.append(outcome)
            elif _CHECKED.match(block.text) and _LABEL_ONLY.match(block.plain):
                by_line[block.lines[0]] = len(found)  # a met criterion; the bullets under it are its evidence
                found.append(Outcome(block.plain.lstrip("✅☑✔ ").rstrip(": "), section=section))
            elif _LABEL_ONLY.match(block.plain) and not (block.nested and block.kind == "list_item") and not labels:
                continue
            elif (
                block.kind == "list_item"
                and block.nested
                and _LABEL_ONLY.match(block.plain)
                and _success_label(block.plain)
            ):
                continue  # "secondary metrics:" over its measures: each sub-bullet is one (above)
            elif block.kind == "list_item" or labels:
                if block.nested:
                    by_line[block.lines[0]] = len(found)
                found.append(_item_outcome(block, section))
            elif (
                path not in itemised
                or _CHANGE_VERB.search(block.plain)
                or _PURPOSE.search(block.plain)
                or _before_list_label(content, position)
                or _OPENS_WITH_GOAL.match(block.plain)
            ):
                found.append(_item_outcome(block, section))
            else:  # "Problem: …" / "Ziel: …" introducing the bullets: the goal line is one
                found += [Outcome(line, *_target(line), section=section) for line in _goal_lines(block)]
        elif goal := _goal_row(block, headers.get(path)):
            found.append(Outcome(goal, *_target(goal), section=section))
        elif block.kind == "table_row" and not any(_NOT_SUCCESS_HEADING.search(plain(h)) for h in path[1:]):
            # A table with a baseline and a target column states outcomes wherever it stands ("Messpunkte nach jeder
            # Stufe": "| Metrik | Baseline | Ziel |").
            if block.header:
                headers[path] = block
            elif _measured_table(headers.get(path)) and (outcome := _row_outcome(block, headers.get(path), section)):
                found.append(outcome)
        elif (
            block.kind in ("paragraph", "list_item")
            and block.parent_line < 0
            and path
            and _HYPOTHESIS_HEADING.search(plain(path[-1]))
            and _HYPOTHESIS.match(block.plain)
        ):
            # the statement of a hypothesis section is the outcome the change is to prove ("Benefits Hypothesis":
            # "Wir glauben, dass OCR … durchsuchbar macht"; "Hypothesis": "statement: If …, then …")
            found.append(_item_outcome(block, section))
        elif goal := _filled_goal(block):
            found.append(Outcome(goal, *_target(goal), section=section))
        elif _GOAL_LINE.match(block.plain) or _KPI_LINE.match(block.plain):
            found.append(_item_outcome(block, section))
        elif block.kind == "block_quote":
            found += [Outcome(line, *_target(line), section=section) for line in _goal_lines(block)]
        elif block.kind in ("paragraph", "list_item") and (kpis_named := _named_kpis(block)):
            found += [Outcome(kpi, *_target(kpi), section=section) for kpi in kpis_named]
        elif block.kind in ("paragraph", "list_item"):
            found += [Outcome(line, *_target(line), section=section) for line in _goal_lines(block)]
            for sentence in _SENTENCE_END.split(block.plain):
                changes = _CHANGE_VERB.search(sentence) and _CHANGE_NUMBER.search(sentence)
                if changes or _SUCCESS_MEANS.match(sentence.strip()):
                    found.append(Outcome(sentence.strip(), *_target(sentence), section=section))
                elif clause := _goal_clause(sentence, intro=len(path) <= 1):
                    found.append(Outcome(clause, *_target(clause), section=section))
    unique: dict[str, Outcome] = {}
    for outcome in found:
        unique.setdefault(outcome.text.lower(), outcome)
    return list(unique.values())


def _asks(line: str) -> bool:
    stripped = _TRAILING_NOTE.sub("", line.strip()).rstrip()  # "Wann findet er statt? *(blockt W1)*"
    if _TEMPLATE_MARK.match(stripped) or (stripped[:1] in "*_" and stripped[-1:] in "*_"):
        return False  # a hint line, or an italic instruction inside a paragraph
    return plain(stripped).rstrip(" *_").endswith("?") and not _UNFILLED.search(plain(stripped))


def _clarifications(text: str) -> list[str]:
    """The "[NEEDS CLARIFICATION: …]" markers of a block, each as the question its authors left open."""
    asked = (marker.group(1).strip() for marker in _CLARIFICATION.finditer(text))
    return [f"NEEDS CLARIFICATION: {what}" for what in asked if not _CLARIFICATION_PLACEHOLDER.match(what)]


def _a_line_asks(block: Block) -> bool:
    return any(_asks(line) for line in block.text.splitlines())


def _asked_under(blocks: list[Block], index: int) -> bool:
    """Whether any line in the section under the heading at `index` asks (the heading's own question is below it)."""
    path = blocks[index].heading_path
    for block in blocks[index + 1 :]:
        if block.heading_path[: len(path)] != path:
            return False
        if block.kind != "heading" and _a_line_asks(block):
            return True
    return False


def _answers_questionnaire(path: tuple[str, ...]) -> bool:
    """Under a heading that is itself a question, the text answers a questionnaire: its sub-prompts are template."""
    return bool(path) and plain(path[-1]).rstrip(" *_").endswith("?")


def _next_in_section(blocks: list[Block], index: int, kind: str) -> Block | None:
    """The block right after `blocks[index]`, when it is of `kind` and under the same headings."""
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    return (
        after if after is not None and after.kind == kind and after.heading_path == blocks[index].heading_path else None
    )


def _prompt_answered_below(blocks: list[Block], index: int) -> bool:
    """A question bullet alone in its list with the team's answer as the paragraph below it: a questionnaire's
    prompt ("* Which segments are most affected?" / "All users of the site …"), not the team's open question."""
    block = blocks[index]
    before = blocks[index - 1] if index > 0 else None
    alone = not (before is not None and before.kind == "list_item" and before.lines[1] == block.lines[0])
    after = _next_in_section(blocks, index, "paragraph")
    return (
        alone
        and block.parent_line < 0
        and _asks(_SENTENCE_END.split(block.text, maxsplit=1)[0])  # the item is the prompt itself
        and after is not None
        and not _LABEL_ONLY.match(after.plain)
        and not any(_asks(line) for line in after.text.splitlines())
    )


def _decided_below(blocks: list[Block], index: int) -> bool:
    """Whether the section of `blocks[index]` records a decision after it ("**Question**: A or B?" …
    "✅ DECISION: B")."""
    path = blocks[index].heading_path
    for after in blocks[index + 1 :]:
        if _DECISION_LINE.match(plain(after.text.splitlines()[0])):
            return True  # a decision paragraph above a "---" rule reads as a heading of its own
        if after.heading_path != path:
            return False
    return False


def _open_questions_depth(path: tuple[str, ...]) -> int | None:
    """The depth of the open-questions heading above a block, if there is one."""
    return next((depth for depth, heading in enumerate(path) if QUESTION_HEADING.search(plain(heading).lower())), None)


def _answered_by_list(blocks: list[Block], index: int) -> bool:
    """A one-line question paragraph right above a list of statements in its section: the list answers it."""
    after = _next_in_section(blocks, index, "list_item")
    return len(blocks[index].text.splitlines()) == 1 and after is not None and not _asks(after.text.splitlines()[0])


def prd_questions(blocks: list[Block]) -> list[str]:
    """The questions the PRD's authors ask: every item of an open-questions section, and body lines that ask."""
    questions: list[str] = []
    # The sub-bullets of each list item that states something: under a question bullet, they answer it
    # ("What do we gain? / - Faster releases"), unless they ask in turn.
    answers = {
        block.parent_line
        for block in blocks
        if block.kind == "list_item" and block.parent_line >= 0 and not _asks(block.text.splitlines()[0])
    }
    header: Block | None = None
    # The headings of the label paragraph above the list at hand, if it is one of points to talk about or of what a
    # report shows.
    discussing: tuple[str, ...] | None = None
    reporting: tuple[str, ...] | None = None
    # The sub-sections of the open questions whose question has been asked: what follows in them is its context.
    asked_in: set[tuple[str, ...]] = set()
    for index, block in enumerate(blocks):
        if block.kind in ("paragraph", "heading"):
            label = block.kind == "paragraph" and block.plain.endswith(":")
            discussing = block.heading_path if label and _DISCUSS_LABEL.search(block.plain) else None
            reporting = block.heading_path if label and _REPORT_LABEL.search(block.plain) else None
        if block.kind == "list_item" and reporting == block.heading_path:
            continue  # "Wöchentlicher Bericht:" / "- Welche Empfehlungen wurden befolgt?": what the report answers
        in_questions = _open_questions_depth(block.heading_path)
        if in_questions is not None and any(_RESOLVED.search(plain(h)) for h in block.heading_path[in_questions:]):
            continue  # "Open Questions (Resolved)", "### Resolved 2026-07-30" under them: answered already
        if block.kind == "table_row" and block.header:
            header = block
            continue
        if block.kind == "heading" and in_questions is not None and in_questions < len(block.heading_path) - 1:
            if _asks(block.plain):
                questions.append(_QUESTION_NUMBER.sub("", block.plain))  # "### Q1: Should PM learn …?"
                asked_in.add(block.heading_path)
            elif _NUMBERED_QUESTION.match(block.plain) and not _asked_under(blocks, index):
                questions.append(_QUESTION_NUMBER.sub("", block.plain))  # its options follow, but nothing asks
                asked_in.add(block.heading_path)
            continue
        if block.heading_path in asked_in and not _a_line_asks(block):
            continue  # "A) Fail the version command", "Recommendation: Option B": the asked question's options
        if in_questions is not None and in_questions < len(block.heading_path) - 1 and _asks(block.text):
            asked_in.add(block.heading_path)
        if block.kind == "table_row" and in_questions is not None and not block.header:
            names = header.cells if header is not None and header.heading_path == block.heading_path else ()
            # The question is in its column ("| # | Vraag | Status |"), else in the first cell that isn't a number.
            asked = next((i for i, name in enumerate(names) if _QUESTION_COLUMN.search(name)), None)
            cells = [c for c in block.cells if c and not _ROW_NUMBER.match(c)]
            first = block.cells[asked] if asked is not None and asked < len(block.cells) else next(iter(cells), "")
            if any(_RESOLVED.search(value) for value in block.cells[1:] if value != first):
                continue  # "| 7 | Places-budget | Beantwoord indicatief in §5 |"
            decided = any(
                _DECIDED_COLUMN.search(name) and index < len(block.cells) and table_value(block.cells[index])
                for index, name in enumerate(names)
                if index
            )
            if first and not _LABEL_ONLY.match(first) and not decided:
                questions.append(first)  # "| Refund approval limit? | Balance risk vs deflection | CFO |"
            continue
        if block.kind not in ("paragraph", "list_item") or is_template(block):
            continue
        if markers := _clarifications(block.text):
            questions += markers
            continue
        if in_questions is not None:
            if _NONE_OPEN.match(block.plain):
                continue  # "No open MVP-blocking product questions remain."
            if _DEFERRED.match(block.plain) and not any(
                _asks(line) for line in _QUOTE_MARKS.sub("", block.text).splitlines()
            ):
                continue  # "**Zurückgestellt:** … („war das hilfreich?") …": put off, not asked
            if block.plain.endswith(":") and _next_in_section(blocks, index, "list_item") and not _a_line_asks(block):
                continue  # "… sind entschieden. Offen bleibt:" over the list of what is open
            if any(_DECISION_LINE.match(plain(line)) for line in block.text.splitlines()[1:]):
                continue  # its decision is written under it: answered already
            if _CHECKED.match(block.text) or _DECIDED_END.search(block.plain):
                continue  # "✅ Canvas-Form: Mermaid reicht vorerst — entschieden 30.05.": settled already
            # Under a question that has a heading of its own, the text is its context and options.
            asked_above = any(_asks(plain(heading)) for heading in block.heading_path[in_questions + 1 :])
            if _LABEL_ONLY.match(block.plain) or (asked_above and not _asks(block.text.splitlines()[0])):
                continue
            asking = [
                sentence.rstrip(" .") for sentence in _SENTENCE_END.split(block.plain) if _asks(sentence.rstrip(" ."))
            ]
            if block.kind == "paragraph" and asking and len(_SENTENCE_END.split(block.plain)) > _MAX_POINT_SENTENCES:
                questions += asking  # a discussion that asks its reviewers: the questions, not the discussion
            else:
                questions.append(_QUESTION_LABEL.sub("", block.plain))  # "**Question**: Should PM …?"
        elif any(_CASES_HEADING.search(plain(heading)) for heading in block.heading_path):
            continue
        elif block.kind == "list_item" and discussing == block.heading_path and _QUESTION_WORD.match(block.plain):
            questions.append(block.plain.splitlines()[0])  # "Things to talk about:" / "- How do we want to change …"
        elif block.parents and _CHECKS_LABEL.search(plain(block.parents[-1])):
            continue  # "Mitigation:" over "Check technical issues: Are CTAs broken?": checks to run, not open
        elif _success_depth(block.heading_path) is None and not _answers_questionnaire(block.heading_path):
            if block.kind == "paragraph":
                if _answered_by_list(blocks, index) or _decided_below(blocks, index):
                    continue  # "Was ist das Hauptproblem?" over the bullets that answer it, or a decision below
                # A paragraph keeps its line breaks: a thread or a plain-text PRD asks one question per line.
                questions += [
                    plain(line)
                    for line in block.text.splitlines()
                    if _asks(line) and not _SCALE_LABEL.match(line) and not _CODE_ONLY.match(line)
                ]
            elif (block.nested and block.lines[0] in answers) or _prompt_answered_below(blocks, index):
                continue
            elif _QUOTE_MARKS.search(block.text) or _CODE_ONLY.match(block.text) or _SCALE_LABEL.match(block.text):
                continue  # 'Pattern identification: "Wat werkte? Wat niet?"': someone's words; a scoring rubric
            elif _asks(_SENTENCE_END.split(block.text.strip().splitlines()[0], maxsplit=1)[0]):
                questions.append(block.plain)  # "Does X support Y? Currently, …": the question and its context
            elif "\n" not in block.text.strip() and _asks(last := _SENTENCE_END.split(block.text)[-1]):
                questions.append(plain(last))  # "The chatbot reuses content. Will users find value in it?"
            else:
                # An item that runs on over lines ("2) Super search" / "-Could add recent searches" / "-How would
                # that interact with typeahead?"): each line that asks.
                lines = block.text.splitlines()[1:]
                questions += [plain(line).lstrip("-–• ") for line in lines if _asks(line)]
    return list(dict.fromkeys(questions))
