"""The words PRDs use in English, German and Dutch: section headings, languages, requirement kinds and cues."""

from __future__ import annotations

import re
from typing import Literal

from bot.core.language import LANGUAGE_NAMES

Language = Literal["en", "de", "nl"]

# Section kinds by heading words (EN / DE / NL); the first match wins, so the order matters
# ("Non-functional requirements" before "requirements", "Non-goals" before "goals").
SECTION_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("non_goals", r"non-?goals|nicht-?ziele|niet-?doelen|out of scope"),
        ("nfr", r"non-?functional|nicht-?funktional|niet-?functione"),
        ("success", r"success|erfolg|succes|metrics|kennzahlen|metriken|metrieken|\bkpis?\b"),
        ("goals", r"goals|ziele\b|doelen|objectives"),
        ("users", r"users|nutzer|benutzer|gebruikers|personas|anwender|audience|zielgruppe|doelgroep"),
        ("rollout", r"roll-?out|uitrol|einführung|launch plan|phases"),
        ("risks", r"risks|risiken|risico"),
        ("open_questions", r"open questions|offene fragen|open vragen|questions|fragen|vragen"),
        ("requirements", r"requirements|anforderungen|eisen"),
        ("problem", r"problem|probleem|background|hintergrund|achtergrond|context"),
    )
)

LANGUAGE_OF_CODE: dict[Language, str] = {"en": "English", "de": "German", "nl": "Dutch"}
_LANGUAGE_ALTERNATIVES = "|".join(sorted(LANGUAGE_NAMES, key=len, reverse=True))
LANGUAGE_WORD = re.compile(r"\b(" + _LANGUAGE_ALTERNATIVES + r")\b", re.I)
LANGUAGE_LINE = re.compile(r"language|sprache|talen\b|\btaal\b|locale", re.I)
# A language named as what the inputs are written in: "Italian professional services queries",
# "Nederlandse juridische definities", "deutsche Dokumente" (the adjective inflected, up to three words
# before the noun), or after the noun: "AI-gesprekken in het Nederlands", "Antworten auf Deutsch".
_CONTENT_NOUNS = (
    r"quer(?:y|ies)|questions?|answers?|documents?|texts?|definitions?|e-?mails?|tickets?|messages?|reviews?|"
    r"conversations?|chats?|anfragen|fragen|antworten|dokumente?n?|texte?|definitionen|nachrichten|gespräche?|"
    r"vragen|antwoorden|documenten|teksten|definities|berichten|zoekvragen|gesprekken|"
    # what a document AI reads, also as the end of a German compound ("deutsche Geschäftsrechnungen")
    r"invoices?|receipts?|contracts?|forms|[a-zäöüß]{0,20}?(?:rechnungen|belege|verträge|formulare)|facturen|"
    r"bonnen|contracten|formulieren|"
    # what it writes: "Nederlandse beschrijvingen", "English labels"
    r"descriptions?|labels?|beschreibungen|beschrijvingen|"
    # what a conversational agent says, also as a compound's end ("15+ Nederlandse doorvraag-patronen")
    r"[\w-]{0,20}?(?:patterns?|patronen|muster|phrases?|sentences?|zinnen|sätze|prompts?)"
)
LANGUAGE_CONTENT = re.compile(
    r"\b(?:" + _LANGUAGE_ALTERNATIVES + r")(?:e|en|er|es)?\s++(?:[\w/-]++\s++){0,3}?(?:" + _CONTENT_NOUNS + r")\b|"
    r"\b(?:" + _CONTENT_NOUNS + r")\s++(?:in(?: het)?|auf|op)\s++(?:" + _LANGUAGE_ALTERNATIVES + r")\b|"
    # "een Nederlandstalige zoekmachine", "deutschsprachige Nutzer", "English-speaking users"
    r"\b(?:" + _LANGUAGE_ALTERNATIVES + r")(?:talig|sprachig|-speaking|-language)",
    re.I,
)

# Stop words that tell the three languages apart.
_STOPWORDS: dict[Language, frozenset[str]] = {
    "en": frozenset({"the", "and", "of", "with", "which", "is", "are", "for", "this", "that", "will"}),
    "de": frozenset({"und", "der", "die", "das", "nicht", "mit", "für", "ist", "von", "werden", "wird", "auf"}),
    "nl": frozenset({"het", "een", "niet", "voor", "van", "wordt", "zijn", "met", "op", "bij", "naar"}),
}
_WORD = re.compile(r"[a-zäöüß]+")

# Kinds of non-functional requirement by their label.
NFR_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.I))
    for kind, pattern in (
        (
            "latency",
            r"latenc|latenz|response time|antwortzeit|responstijd|performance|leistung|prestatie|speed|"
            # the time until an answer or a resolution: "Zeit bis zur Beantwortung", "time to first response"
            r"zeit bis zur (?:beantwortung|antwort|lösung)|time.to.(?:first )?(?:answer|response|reply|resolution)|"
            r"antwoordtijd|reactietijd|bearbeitungszeit|verarbeitungszeit|verwerkingstijd|processing time",
        ),
        ("volume", r"volume|volumen|traffic|\bload\b"),
        ("cost", r"cost|kosten|budget"),
        ("availability", r"availab|verfügbar|beschikbaar|reliab|zuverlässig|betrouwbaar|uptime"),
        ("context", r"context|kontext|input size|eingabe|invoer"),
        ("retraining", r"retrain|hertrain|nachtrain|training"),
        ("freshness", r"fresh|aktualität|actualiteit"),
        ("data", r"\bdata\b|daten|privacy|gegevens|compliance"),
    )
)

# A sample drawn again each week or day is monitoring, not an eval set ("100 random queries per week").
_NOT_RECURRING = (
    r"(?![^.\n]{0,40}?(?:\bper (?:week|day|month|dag|maand)\b|/(?:week|day|woche|tag)\b|\bweekly\b|\bdaily\b|"
    r"\bpro (?:woche|tag|monat)\b|wöchentlich|täglich|wekelijks|dagelijks))"
)
EVAL_SET = re.compile(
    r"golden.?set|eval(?:uation)?.?set|evaluierungs\w*|evaluatieset\w*|testset|test.?corpus\w*|testkorpus\w*|"
    r"(?<![\d.,])\d[\d.,]*+\s*+(?:test.?cases|testf[aä]lle|testgevallen|test[- ]?\w{2,15})|labell?(?:ed|ing)|"
    r"gelabel\w*|test.?data.?sets?|testdaten\w*|"
    r"annotat\w*|to label\b|benchmark set|test.?set|dev.?set|sample.?set|hold-?out|out-of-sample|walk-forward|"
    # cases written for testing ("clinician-authored synthetic cases for calibration", "kuratierte Testfälle")
    r"\b(?:synthetic|synthetisch\w*|curated|kuratiert\w*|gecureerd\w*|hand-?written|handgeschrieben\w*)\s++"
    r"(?:[\w‑-]++\s++){0,2}?(?:cases|examples|conversations|dialogues|scenarios|testf[aä]lle|f[aä]lle|beispiele|"
    r"szenarien|gespräche|gevallen|voorbeelden|scenario's|gesprekken)\b|"
    # a suite of cases run again on each new model ("Reusable Test-Suites, re-runnable bei neuen Modellen")
    r"test.?suites?\b[^.\n]{0,60}?\b(?:models?|modell\w*|prompts?)\b|"
    r"ground.?truth|grundwahrheit|"
    r"backtest\w*|"
    # outputs compared with people's on a set of inputs ("accuracy vs human benchmark", "measured by test queries")
    r"human (?:benchmark|baseline|reference)|menschliche referenz|menselijke referentie|"
    r"\btest.?(?:quer(?:y|ies)|questions|prompts|anfragen|fragen|vragen|zoekvragen)\b|"
    # goldens run as tests ("run_real_goldens", "golden cases"), a train/dev split with its sizes ("Train 21, Dev 6")
    r"goldens\b|golden[- ](?:tests?|examples?|cases?|runs?|files?)\b|"
    r"\btrain\w*\s*+\d++\s*+[,/]\s*+(?:dev|val\w*|test)\b|\btrain/(?:dev|val\w*|test)\b|"
    # a data set named by the span of history it covers ("Dataset: 12 months of incidents"): its outcomes label it
    r"(?:data.?set|datensatz|historic\w*|historisch\w*)\b[^.\n]{0,40}?\b\d++\s*+"
    r"(?:months?|maanden|monate?n?|years?|jaar|jahre?n?)\b|"
    # "3–6 maanden aan enquête- en klachtdata", "12 months of support tickets": the span of data it is checked on
    r"\b\d++\s*+(?:months?|maanden|monate?n?)\s++(?:of|aan|an)\s++[^.\n]{0,30}?(?:data|daten|tickets|e-?mails)\b|"
    # outputs checked by hand on a counted sample ("Stichprobe mit 10 PDFs", "Manual review of 50 tickets",
    # "20 random tickets drawn from last month"); drawn again each week, it is monitoring
    r"\b(?:stichprobe|steekproef|sample|spot-?check\w*|manual review|handmatige (?:controle|review))\s++"
    r"(?:mit|von|van|of|on|op)\s++(?:\w++\s++)?\d++" + _NOT_RECURRING + r"|"
    r"(?<![\d.,])\d++\s++(?:random(?:ly)?(?: selected)?|zufällige?n?|willekeurige?)\s++(?!ones?\b)[a-zäöü]{3}"
    + _NOT_RECURRING,
    re.I,
)
MONTHLY = re.compile(r"per month|a month|pro monat|im monat|per maand|monthly|monatlich|maandelijks", re.I)
CASE_JOINERS = frozenset({"and", "und", "en"})  # "(1) triage, (2) drafting and (3) search"
WHOLE_RESPONSE = re.compile(
    r"answer|antwort|antwoord|summary|zusammenfassung|samenvatting|\bfull\b|complete|vollständig|volledig", re.I
)
FIRST_TOKEN = re.compile(r"first token|erste[ns]? token|eerste token", re.I)
CLASS_COUNT = re.compile(r"(?<!\d)(\d++)\s++(?:categories|classes|kategorien|klassen|categorieën|intents)", re.I)
LATENCY_ROW = re.compile(r"\bp(?:50|90|95|99)\b|latenc|latenz", re.I)
COST_ROW = re.compile(r"cost|kosten", re.I)
MITIGATION = re.compile(r"\b(?:Mitigations?|Gegenmaßnahmen?|Maatregel(?:en)?)\s*:", re.I)
GATE = re.compile(r"gate", re.I)
GATE_OWNER = re.compile(r"owner|verantwort|eigenaar|sign-?off|freigabe|akkoord|stakeholder|approver|goedkeur", re.I)
# Who decides a launch, read from structure: a row naming the go/no-go decision in a table with a column for
# the people who take it, or a sign-off section listing them.
LAUNCH_DECISION = re.compile(
    r"go.?/?.?no.?go|\bgate\b|launch (?:decision|approval|review)|release (?:decision|approval)|freigabe|"
    r"livegang|lancering|goedkeuring",
    re.I,
)
DECIDER_COLUMN = r"stakeholder|owner|approver|decider|verantwort|entscheid|eigenaar|besluit|akkoord|sign-?off"
SIGN_OFF_HEADING = re.compile(r"sign-?off|\bapprovals?\b|freigabe|abnahme|goedkeuring|akkoord", re.I)


def detect_language(text: str) -> Language:
    """English, German or Dutch, by which language's stop words the text uses most (English on a tie)."""
    words = _WORD.findall(text.lower())
    counts = {code: sum(word in stop for word in words) for code, stop in _STOPWORDS.items()}
    return max(counts, key=lambda code: (counts[code], code == "en"))


_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-"})  # "Niet‑functioneel", "Out‑of‑Scope"


def section_kind(heading: str) -> str | None:
    """The kind of section a heading names (`goals`, `success`, `risks` …), or None."""
    lowered = heading.translate(_HYPHENS).lower()
    for kind, pattern in SECTION_KINDS:
        if pattern.search(lowered):
            return kind
    return None


def languages_named(line: str) -> list[str]:
    """The languages a line names, in order, each once: `Deutsch und Englisch` → German, English."""
    return list(dict.fromkeys(LANGUAGE_NAMES[word.lower()] for word in LANGUAGE_WORD.findall(line)))
