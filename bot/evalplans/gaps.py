"""What a PRD leaves out that an eval plan needs: each gap becomes an open question.

A gap is skipped when the PRD already asks the question itself (its open questions mention an
eval set, say). The cue words cover English, German and Dutch.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.evalplans.feature_types import FeatureTypeGuess
from bot.evalplans.metric_catalog import MetricCatalog
from bot.evalplans.metrics import outcome_metric
from bot.evalplans.plan import EvalSet, Metric
from bot.evalplans.prd.facts import PrdFacts
from bot.evalplans.prd.words import LANGUAGE_CONTENT, LANGUAGE_OF_CODE, NFR_KINDS, languages_named

# What an AI feature produces that a person may change.
_OUTPUTS = (
    r"(?:insights?|summar(?:y|ies)|drafts?|transcripts?|suggestions?|zusammenfassung\w*|entw[uü]rf\w*|samenvatting\w*|"
    r"vorschläge?n?|suggesties?)\b"
)
_OVERRIDE = re.compile(
    r"overrid\w*|undo|ongedaan|rückgängig|\bedit\w*|bearbeit\w*|korrigier\w*|korrektur\w*|correct(?:ion|ie)\w*|"
    r"corrig\w*|thumbs|feedback|reject\w*|dismiss\w*|bestätig\w*|doorzetten|"
    # a decision the affected user can contest ("Appeal process", "Einspruch einlegen", "bezwaar maken")
    r"\bappeal (?:process|flow|workflow|button|form)|\b(?:can|may|to) appeal\b|"
    r"\beinspruch\w*|\bbezwaar (?:maken|indienen)|\bbezwaarprocedure|"
    # a person checks each output before it counts ("Human validation: the nurse reviews the advice")
    r"human.in.the.loop|human (?:validation|approval|sign-?off)|menselijke (?:validatie|beoordeling|controle)|"
    r"menschliche (?:prüfung|validierung|kontrolle|freigabe)|"
    # users can change what it produced ("- **Update**: Insight content, action item status", "users can modify the
    # summary")
    r"(?:^|\n)[\s*+-]{0,6}update\W{0,4}:\s*+(?:\w++\s++)?" + _OUTPUTS + r"|"
    r"\b(?:can|may|to|users?)\s++(?:\w++\s++)?(?:update|modify|change|ändern|anpassen|wijzigen|aanpassen)\s++"
    r"(?:the\s++|die\s++|de\s++|het\s++)?(?:\w++\s++)?" + _OUTPUTS + r"|"
    # the model's answer is a suggestion the person reviews ("review the prefilled information")
    r"pre-?fill\w*|pre-?populat\w*|vorausgefüllt\w*|vorbefüllt\w*|vooraf ingevuld\w*|voorgevuld\w*|"
    # nothing happens until the person confirms it ("only after explicit user confirmation")
    r"explicit (?:user )?(?:confirmation|approval)|ausdrückliche[rn]? (?:bestätigung|freigabe)|expliciete bevestiging|"
    # the person turns the bot's answer down and asks for a human ("Kunde will Mitarbeiter", "asks for a human agent")
    r"\b(?:asks?|wants?|requests?) (?:for |to (?:talk|speak) to )?(?:a )?(?:human|real person|staff member)\b|"
    r"\b(?:will|möchte|verlangt) (?:einen )?(?:mitarbeiter|menschen)\b|\bwil (?:een )?(?:medewerker|mens)\b",
    re.I,
)
ADVERSARIAL_WORDS = re.compile(
    r"injection|adversarial|red.?team|fraud|betrug|fraude|misuse|missbrauch|misbruik|leak\w*|\blek\b|datalek|"
    r"jailbreak|manipul\w*|malicious|bösartig\w*|schädlich\w*|kwaadaardig\w*|tamper\w*|spoof\w*|\babuse\w*|"
    # the attacks are tested or reviewed ("Reliability-/Security-Review umgesetzt", "security tests", "Pentest")
    r"\bsecurity[- ](?:reviews?|tests?|testing|audits?)\b|sicherheits(?:test|prüfung|review|audit)\w*|"
    r"beveiligings(?:test|review|audit)\w*|\bpenetration[- ]test\w*|\bpen-?test\w*",
    re.I,
)
_UNANSWERABLE = re.compile(
    r"no article|cannot answer|can't answer|not answer|unanswer\w*|don't know|never answer|contact support|"
    r"say that no|\brefus(?:e|es|al|als|ing)\b|\babstain\w*|\babstention|"
    r"\b(?:no|keine?|geen)\s++(?:\w++\s++)?(?:answer|antwort|antwoord)\b|"
    r"wei(?:ß|ss) ich nicht|weet ik niet|habe ich nicht|heb ik niet|kann ich nicht beantworten|"
    # answers that name what the data doesn't hold ("Antworten nennen Datenlücken und Modellgrenzen")
    r"datenlücke\w*|wissenslücke\w*|data gaps?|knowledge gaps?|datalacune\w*|kennislacune\w*|"
    # what the feature does when nothing is found ("If no results: show suggestions", "Fallback: if not found, …")
    r"\bif (?:no (?:results?|matches|sources?)|nothing (?:is )?found|not found)\b|\bno results? found\b|"
    r"\b(?:keine|0) (?:treffer|ergebnisse)\b|\bgeen (?:resultaten|treffers|resultaat)\b",
    re.I,
)
_MONITORING = re.compile(
    r"drift|monitor\w*|retrain\w*|hertrain\w*|nachtrain\w*|überwach\w*|bewak\w*|audit\w*|steekproef|stichprobe\w*|"
    r"sampl\w*|weekly review|wöchentlich|wekelijks|spot.?check\w*|auswert\w*|observ\w*|review (?:logs|cycle)|"
    r"weekly report|analytics|telemetr\w*|understand (?:the )?usage|usage (?:events|data|metrics)|"
    r"\breview\w* (?:\w++ ){0,3}?(?:data|results|metrics|outcomes)\b|"
    r"\btrack\w* [^.\n]{0,50}?\b(?:in production|in productie|im (?:produktiv)?betrieb)|"
    # the measures are kept and watched ("Metrics Dashboard", "Metrics bijhouden - Meet impact van elke verbetering")
    r"\b(?:metrics?|kpis?|kennzahlen)[- ]dashboards?\b|"
    r"\b(?:metrics?|kpis?|statistieken|kennzahlen)\s++(?:bijhouden|bijgehouden|verfolgen|verfolgt)\b|"
    r"\btrack(?:ing)?\s++(?:the\s++)?(?:metrics|kpis)\b",
    re.I,
)
_PER_LANGUAGE = re.compile(r"per.language|per-language|pro sprache|je sprache|per taal|tussen talen", re.I)
_RETRAINING = re.compile(
    r"drift|retrain\w*|hertrain\w*|nachtrain\w*|re-?evaluat\w*|neu trainier\w*|opnieuw train\w*|re-?tun\w*|"
    r"re-?test\w*|\bre-?validat\w*|\bre-?embed\w*|\bre-?index\w*|refresh (?:cycle|schedule)|neu (?:validier|bewert)\w*|"
    r"opnieuw (?:valideer|valideren|evalueer|evalueren|indexe\w*)|"
    # the outputs are recomputed on a new configuration or model ("Ein Re-Match mit neuer Config", "Reanalyse")
    r"\bre-?match(?:es|ing)?\b|\bre-?analy[sz]\w*|"
    # a drop in quality that raises an alert or a regression check ("Alert bei Accuracy-Drop > 5%")
    r"\bregression (?:detection|tests? on (?:the )?(?:eval|golden))|\baccuracy[- ]drop|qualitätsabfall|"
    r"genauigkeitsabfall|kwaliteitsdaling|"
    # what it learns from confirmed decisions or corrections ("automatisches Regel-Lernen aus bestätigten
    # Entscheidungen", "the router learns from reviewer corrections", "het model leert van correcties")
    r"\bregel-?lernen\b|\blern(?:t|en)\b[^.\n]{0,30}?\baus (?:bestätigten|korrekturen|korrigierten|feedback)|"
    r"\blearn(?:s|ing)? from (?:\w++ ){0,2}(?:corrections|overrides|feedback|confirmed)|"
    r"\bleer(?:t|en) van (?:\w++ ){0,2}(?:correcties|bevestigde|feedback)|"
    # re-tuned on what users report ("Iterate on keyword lists based on user feedback")
    r"\biterat\w* on [^.\n]{0,40}?\bbased on (?:user |customer )?(?:feedback|corrections|test results)|"
    # a training cycle that ends in adopting or rolling back ("train, set the flag, diff, adopt or roll back")
    r"\btrain\w*\b[^.\n]{0,80}?\b(?:roll(?:ing)?[- ]?back\w*|revert\w*|zurückroll\w*|terugdraai\w*)|"
    # an eval or benchmark run tied to what triggers it: "Benchmarks run in CI after QA deployment"
    r"\b(?:benchmarks?|evals?|evaluations?|golden.?sets?)\b[^.\n]{0,40}?\b(?:in ci\b|after (?:each |every )?"
    r"(?:\w++ )?(?:deploy|release|change|update)\w*|on (?:every|each) (?:deploy|release|change|commit|pull request|pr|"
    r"build|model update)\w*|"
    r"bei jede[mr]? (?:deployment|release|änderung)|na elke (?:deploy\w*|release|wijziging))|"
    # run again when the model changes ("re-runnable bei neuen Modellen", "rerun on every new model version")
    r"\bre-?run\w*\b[^.\n]{0,40}?\b(?:new|neue[nm]?|nieuwe|upgraded?|every|each|jede[mn]?|elk\w*)\s++"
    r"(?:\w++\s++)?(?:models?|modell\w*|versions?|versionen|versies)\b|"
    # users' corrections fed back into training ("Corrections sent back to Rossum for model training", "System
    # learns after 3 consistent corrections")
    r"\b(?:corrections?|korrektur\w*|correcties?)\b[^.\n]{0,60}?\b(?:training|trainier\w*|getraind|learn\w*|lern\w*|"
    r"leert|leren)\b|\b(?:learns?|lernt|leert)\b[^.\n]{0,40}?\b(?:corrections?|korrektur\w*|correcties?)\b|"
    # it learns from what users do, or is adjusted on their feedback ("Learn from dismissals", "System learns from
    # who actually answers over time", "Adjust algorithm based on feedback")
    r"\b(?:learns?|learning|lernt|leert)\b (?:\w++ ){0,2}?(?:from|aus|van)\b[^.,;\n]{0,60}?\b(?:over time|dismissals?|"
    r"rejections?|feedback|mit der zeit|im laufe der zeit|na verloop van tijd|in de loop van de tijd)\b|"
    r"\b(?:adjust\w*|tun\w*|refin\w*|updat\w*|anpass\w*|aanpass\w*|bijstel\w*)\b[^.\n]{0,40}?\b(?:based on|"
    r"anhand|auf basis|op basis van)\b (?:\w++ ){0,2}?(?:feedback|corrections|rückmeldung\w*|terugkoppeling)\b|"
    # a measure past its limit changes the prompt or the rules ("If false critical rate exceeds 10%, adjust LLM prompt")
    r"\b(?:if|when|wenn|falls|als)\b[^.\n]{0,60}?\b(?:exceeds?|drops? below|falls? below|übersteigt|überschreitet|"
    r"unterschreitet|overschrijdt|boven|onder)\b[^.\n]{0,40}?\b(?:adjust\w*|tun\w*|updat\w*|revis\w*|anpass\w*|"
    r"aanpass\w*|bijstel\w*|überarbeit\w*|herzie\w*)\b|"
    # the rules come up for review again ("Next Review: After 100 reviews with comments OR first incident")
    r"\b(?:next review|nächste (?:überprüfung|review)|volgende (?:review|evaluatie))\W{1,6}"
    r"(?:after|once|when|nach|sobald|na|zodra)\b",
    re.I,
)
_EVAL_QUESTION = re.compile(r"eval|golden|label|gelabel|annotat", re.I)
_MISSING_EVAL = re.compile(
    r"\b(no|not|without|kein\w*|geen|nog geen|noch kein\w*)\b[^.;]{0,60}\b(label\w*|gelabel\w*|eval\w*|golden)",
    re.I,
)
FALLBACK_WORDS = re.compile(
    r"fall(?:s)?\s?back|degrad\w*|unavailable|\bausfall|rückfall|terugval\w*|vall\w* terug|\buitval|"
    r"non-ai|bisherige|manuelle (?:prüfung|erfassung)|retried|wiederhol\w*|opnieuw|escalat\w*|eskalier\w*|"
    r"gracefully|\bretry|\bretries|backoff|auto-?reject\w*|"
    # a person takes over, or the feature can be switched off ("overdraagt naar een mens", "a feature flag allows
    # us to turn it off")
    r"hand-?overs?|hand-?offs?|übergabe\w*|überg(?:e|i)b\w*|\boverdra(?:agt|gen|cht)\b|\bovergedragen|to a human|"
    r"an (?:einen|einem) menschen|naar een mens|turn(?:ed|s)? (?:\w++ )?off|switch(?:ed|es)? (?:\w++ )?off|"
    r"kill.?switch\w*|abschalt\w*|uitschakel\w*|uit te schakelen|"
    # a person calls back ("NEIN → Rückruf-Aufgabe", "terugbelverzoek"), or the next one is tried when the first
    # fails ("If first one fails, get a random one of the good ones")
    r"r(?:ü|ue)ckruf\w*|terugbel\w*|call-?back (?:requests?|tasks?)|"
    r"\b(?:if|when|wenn|falls|als) (?:the |der |die |das |de |het )?(?:first|primary|main|erste\w*|primäre\w*|eerste)"
    r"\b[^.\n]{0,20}?\b(?:fails|ausfällt|fehlschlägt|faalt|uitvalt)\b",
    re.I,
)
CONFIDENCE_WORDS = re.compile(
    r"confiden\w*|konfidenz\w*|threshold|schwellenwert|drempel\w*|zekerheid|sensitivity levels?|"
    r"empfindlichkeitsstufe\w*|gevoeligheidsniveau\w*",
    re.I,
)


_USER_STORY = re.compile(r"\b(?:as an?|als (?:een |eine?r? )?)\s*+[\w -]{1,40}?,?\s++(?:i|ich|ik)\b", re.I)
_PEOPLE = re.compile(
    r"\b(?:users?|customers?|veterans?|patients?|employees?|agents?|moderators?|admins?|operators?|traders?|"
    r"recipients?|subscribers?|clinicians?|students?|nutzer\w*|kunden|empfänger\w*|mitarbeiter\w*|gebruikers?|"
    r"klanten|patiënten|medewerkers|zorgprofessionals?|verpleegkundigen|doelgroep\w*|zielgruppe\w*|"
    # the professions a tool is built for ("ein Prototyp-Softwaretool für Ingenieure")
    r"engineers?|ingenieur\w*|analysts?|analyst\w*|lawyers?|jurist\w*|advocaten|accountants?|doctors?|ärzt\w*|artsen|"
    r"nurses?|teachers?|lehrer\w*|docenten|recruiters?|inspectors?|"
    r"prüfer\w*|inspecteurs?|sachbearbeiter\w*|behandelaars?)\b",
    re.I,
)
_ROLLOUT = re.compile(
    r"\bpilot\w*|\bbeta\b|canary|staged|\bphases?\b|\bfase\b|testnet|feature gate|feature flag|roll-?out|"
    r"roll out|uitrol|einführung|small subset|internal users|dogfood\w*|a/b.test\w*|gradual\w*|launch(?:ed|es)? to|"
    # a share of the users it goes to: "Launched to 25% of in-progress applications", "für 10 % der Nutzer"
    r"\b(?:to|for|für|an|voor|naar|aan) \d{1,3} ?% (?:of|der|des|van)\b",
    re.I,
)
# A cost stated without a price: nothing per use ("free to operate", "zero per-query costs"), or the tokens one
# request takes ("Pro Enrichment ca. 5–15k Tokens In", "about 2,000 tokens per request").
_COST_STATED = re.compile(
    r"\bfree to (?:operate|run|use)\b|\bzero (?:per-?query |marginal |running )?costs?\b|"
    r"\bno per-?(?:query|request) costs?\b|"
    r"\bkostenfrei im betrieb\b|\bgeen (?:per-?query |variabele )?kosten\b|"
    r"\b(?:per|pro|je)\s++[\w-]++\s++(?:ca\.\s*+|~\s*+)?\d[\d.,]*+(?:\s*+[–-]\s*+\d[\d.,]*+)?\s*+k?\s*+tokens?\b|"
    r"(?<![\w.,])\d[\d.,]*+\s*+k?\s*+tokens?\s++(?:per|pro|je)\s++(?:request|query|call|anfrage|aufruf|verzoek|item|document)|"
    # a price per unit of work: "($0.01-0.05/Video)", "€0,25 per Pro scan", "0,02 € pro Bild"
    r"(?:[$€£]\s*+\d[\d.,]*+(?:\s*+[–-]\s*+[$€£]?\d[\d.,]*+)?|(?<![\w.,])\d[\d.,]*+\s*+(?:[$€£]|usd|eur|ct|cents?))\s*+"
    # (not a subscription price: "$20/month", "€5 pro Nutzer")
    r"(?:/\s*+|\b(?:per|pro|je)\s++)(?!(?:an?\s++|the\s++)?(?:month|monat|maand|year|jahr|jaar|week|woche|day|tag|dag|"
    r"user|nutzer|gebruiker|seat|platz|plek|licen[sc]e|lizenz|mo\b|yr\b))(?:[\w-]++\s++)?[A-Za-zÄÖÜäöü]",
    re.I,
)
_COST_HEADING = re.compile(r"cost|kosten|price|preis|prijs|pricing", re.I)
_MONEY = re.compile(r"[$€£]\s*+\d|\d\s*+(?:usd|eur|ct|cent)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.;!?])\s++|\n[ \t]*+\n")
_SPEED = dict(NFR_KINDS)["latency"]  # an outcome named for speed or performance
_DURATION = re.compile(r"\d\s*+(?:ms|s|sec\w*|seconds?|sekunden|seconden|min\w*)\b", re.I)
# or that a named time stays as it is: "Query time on the frontend must not be increased", "Latenz der Antwort
# unverändert", "de responstijd blijft gelijk" (within a few words of each other, on one line).
_TIME_WORD = (
    r"(?:latenc(?:y|ies)|(?:response|query|load|processing|run|refresh) ?times?|runtime|"
    r"latenz|(?:antwort|lade|lauf|verarbeitungs)zeit(?:en)?|(?:respons|laad|verwerkings|wacht)tijd(?:en)?)"
)
_NO_SLOWER = re.compile(
    r"\bno (?:increase|regression) in (?:the )?(?:time|latency|duration|response time)|"
    # "Referral tracking should not add latency to user flows", "ohne zusätzliche Latenz", "zonder extra vertraging"
    r"\b(?:(?:must|should|will|shall|does|do) not add|adds? no|without adding) (?:any |extra |additional )?latency\b|"
    r"\b(?:keine|ohne) zusätzliche (?:latenz|verzögerung)\b|\b(?:geen|zonder) extra (?:latency|vertraging)\b|"
    r"keine (?:erhöhung|verlängerung|verschlechterung) der (?:zeit|dauer|latenz|antwortzeit)|"
    r"geen (?:toename|verslechtering) (?:van|in) de (?:tijd|duur|latency|responstijd)|"
    r"\b" + _TIME_WORD + r"\b[^.\n]{0,60}?\b(?:unchanged|(?:must|should|will|shall) not (?:be )?(?:increased?|affected|"
    r"degraded?|grow)|unverändert|(?:darf|soll|wird) nicht (?:steigen|wachsen)|ongewijzigd|blijft gelijk|"
    r"(?:mag|zal) niet (?:toenemen|stijgen))",
    re.I,
)
# A time limit in seconds or minutes: "< 5 seconds", "within 5 seconds", "in <2 minutes", "unter 3 Sekunden".
_TIME_LIMIT = re.compile(
    r"(?:[<≤]\s*+|\b(?:within|under|innerhalb(?: von)?|unter|binnen|onder)\s++)\d{1,4}(?:[.,]\d{1,3})?\s*+"
    r"(?:ms|s|secs?|seconds?|sekunden|seconden|min|mins|minutes?|minuten)\b|"
    # a step done in seconds: "naar patiëntcommunicatie in 30 seconden", "**Email Generation (30 seconden):**"
    r"\bin\s++\d{1,3}\s*+(?:ms|secs?|seconds?|sekunden|seconden)\b|"
    r"\(\s*+\d{1,3}\s*+(?:ms|secs?|seconds?|sekunden|seconden)\s*+\)|"
    # a batch run's limit in hours, named as its wall-clock or run time ("Max Run wall-clock | ≤ 20 hours")
    r"\b(?:wall-?clock|run ?time|runtime|laufzeit|looptijd|doorlooptijd)\b[^\n]{0,40}?[<≤]\s*+\d{1,3}\s*+"
    r"(?:h|hours?|hrs?|stunden|std|uur|uren)\b",
    re.I,
)
# A throughput target is a speed target too: "5 Bilder/Sekunde", "20 documents per second".
_THROUGHPUT = re.compile(
    r"\b\d{1,6}(?:[.,]\d{1,3})?\s*+(?:[\w-]++\s*+)?(?:/\s*+|per\s++|pro\s++)(?:s|sec|second|sekunde|seconde)\b", re.I
)
# A language named with "only", or next to a word about more languages ("de UI is Nederlands; een meertalige site is
# geen doel"): the launch language is stated.
_ONLY_LANGUAGE = re.compile(
    r"\bonly\b|speakers|\bnur\b|\balleen\b|sprekers|sprechende|internationali[sz]|meertalig\w*|mehrsprachig\w*|"
    r"multi-?lingual\w*|multi-?language",
    re.I,
)


class Gap(NamedTuple):
    """Something an eval plan needs that the PRD doesn't say: the question to ask, and what was looked for."""

    key: str
    question: str
    looked_for: str


def _outcome_with_number(facts: PrdFacts, key: str) -> bool:
    return any(
        outcome_metric(outcome.text) == key and re.search(r"\d", outcome.target or outcome.text)
        for outcome in facts.outcomes
    )


def _cost_stated(facts: PrdFacts, text: str) -> bool:
    if facts.cost is not None or _outcome_with_number(facts, "cost-per-query") or _COST_STATED.search(text):
        return True
    return any(_COST_HEADING.search(section.heading) and _MONEY.search(section.body) for section in facts.sections)


def _languages_stated(facts: PrdFacts, text: str) -> bool:
    """Languages named as the launch languages: a language line, "English only", a line naming two or more,
    or the language the inputs are in ("Italian … queries"). A non-goals section still states the scope when
    it says "only" ("Weitere Sprachen | MVP nur Englisch/Deutsch")."""
    if facts.languages or LANGUAGE_CONTENT.search(text):
        return True
    for sentence in _SENTENCE.split(text):
        named = languages_named(sentence)
        if len(named) >= 2 or (named and _ONLY_LANGUAGE.search(sentence)):
            return True
    return any(
        languages_named(line) and _ONLY_LANGUAGE.search(line) for line in facts.section_text("non_goals").splitlines()
    )


def _latency_stated(facts: PrdFacts, text: str) -> bool:
    """A latency target anywhere: the parser's, an outcome's, a line about response time with a duration, or a
    promise that the time taken won't grow ("no increase in the time it takes to …")."""
    if facts.latencies or _outcome_with_number(facts, "latency") or _NO_SLOWER.search(text):
        return True
    if _TIME_LIMIT.search(text) or _THROUGHPUT.search(text):
        return True  # "<2s processing for a typical transcript", "structured JSON in <2 minutes", "5 Bilder/Sekunde"
    if _DURATION.search(facts.nfr.get("latency", "")):
        return True  # "Performance: extractie < 2s voor standaard DOCX"
    if any(_DURATION.search(o.target or "") and _SPEED.search(o.text) for o in facts.outcomes):
        return True  # "**Verarbeitungs-Performance:**" over "**Ziel:** … innerhalb 30 Sekunden"
    return any(outcome_metric(line) == "latency" and _DURATION.search(line) for line in text.splitlines())


def prd_gaps(
    facts: PrdFacts,
    guess: FeatureTypeGuess,
    catalog: MetricCatalog,
    metrics: list[Metric],
    eval_set: EvalSet,
    *,
    ai: bool = True,
) -> list[Gap]:
    """What the PRD leaves out, each gap saying what it looked for; skipped when the PRD already asks it.

    `ai` is False for a change with no model in it (infrastructure, a newsletter): the model's gaps
    (eval set, confidence, attacks, retraining …) don't apply there.
    """
    # A flowchart states what it draws: "Error --> Retry[User can retry]" is a fallback.
    text = "\n".join(part for part in (facts.content_text or facts.scoped_text, facts.diagram_text) if part)
    asked = " ".join(facts.open_questions)
    gaps: list[Gap] = []

    def gap(key: str, question: str, looked_for: str) -> None:
        gaps.append(Gap(key, question, looked_for))

    if not facts.users and not _USER_STORY.search(text) and not _PEOPLE.search(text):
        gap(
            "users",
            "Who are the users, and what does each group need from the feature? The eval set covers each.",
            'a users, personas or target-group section, user stories ("As a …"), or the people it serves named',
        )
    if not facts.outcomes and not facts.goals:
        gap(
            "outcome",
            "Which outcome must this feature change, from which baseline to which target? Fix it before the build.",
            'a success, goals, KPI or metrics section (Erfolgsmessung, Succescriteria …) or a "Goal:" line',
        )
    if ai and not facts.eval_set_notes:
        if not _EVAL_QUESTION.search(asked):
            gap(
                "eval_set",
                f"No labelled eval set is named: who labels about {eval_set.size} real examples"
                + (f" ({eval_set.per_language} per language)" if len(eval_set.languages) > 1 else "")
                + ", from which data, and by when?",
                "a golden, eval, test or benchmark set, labelled data, or an out-of-sample/backtest validation",
            )
    elif ai and any(_MISSING_EVAL.search(note) for note in facts.eval_set_notes) and not _EVAL_QUESTION.search(asked):
        gap(
            "eval_set",
            "The PRD says part of the eval set isn't labelled yet: who labels it before the first gate?",
            "an eval set that is labelled already",
        )
    if ai and not _languages_stated(facts, text):
        written = LANGUAGE_OF_CODE[facts.language]
        hint = f" The PRD is written in {written}: is that the only launch language?" if facts.language != "en" else ""
        gap(
            "languages",
            f"Which languages must it support at launch? Each needs at least {eval_set.per_language} eval "
            f"examples.{hint}",
            'a line naming the launch languages (or "English only")',
        )
    latency, cost = catalog.get("latency"), catalog.get("cost-per-query")
    if not _latency_stated(facts, text):
        default = f" (playbook default: {latency.threshold.rstrip('.')})" if latency else ""
        gap(
            "latency",
            f"What p50 and p95 latency must it meet? No latency target is set{default}.",
            "a latency, response-time or processing-time target with a number",
        )
    if ai and not _cost_stated(facts, text):
        default = f" (playbook default: {cost.threshold.rstrip('.')})" if cost else ""
        gap(
            "cost",
            f"What may one request cost? No cost target is set{default}.",
            "a cost per request, per token or per item, or a cost section with prices",
        )
    if not FALLBACK_WORDS.search(text):
        gap(
            "fallback",
            "What happens when the model is down, slow or unsure? No fallback is defined.",
            "a fallback, degraded mode, escalation or retry",
        )
    if ai and guess.primary in ("classification", "extraction", "rag") and not CONFIDENCE_WORDS.search(text):
        gap(
            "confidence_threshold",
            "Which confidence threshold separates auto-apply, suggestion and fallback?",
            "a confidence threshold",
        )
    if ai and guess.primary == "rag" and not _UNANSWERABLE.search(text):
        gap(
            "unanswerable",
            "What does the feature say when the sources don't answer the question?",
            "what it answers when its sources don't (\"I don't know\", no answer, contact support)",
        )
    if ai and not _OVERRIDE.search(text):
        gap(
            "override",
            "How do users correct or reject an output, and is every override logged?",
            "how users edit, correct, reject or give feedback on an output",
        )
    if ai and not ADVERSARIAL_WORDS.search(text):
        gap(
            "adversarial",
            "Which attacks must it withstand (prompt injection, data leaks)? No adversarial cases are named.",
            "attacks, misuse, prompt injection, leaks or red-teaming",
        )
    elif ai and guess.primary != "classification" and not re.search(r"injection|injectie", text, re.I):
        gap(
            "prompt_injection",
            "Inputs can carry instructions to the model (prompt injection): which adversarial cases test that?",
            "prompt-injection cases",
        )
    if len(facts.languages) > 1 and not (
        any(m.name == "Fairness gap" and m.threshold_source == "prd" for m in metrics) or _PER_LANGUAGE.search(text)
    ):
        gap(
            "per_language_target",
            f"It supports {len(facts.languages)} languages but sets no per-language quality target: "
            "what gap between languages is acceptable (playbook: at most 5 points)?",
            "a quality target per language, or a fairness-gap target",
        )
    if (
        ai
        and guess.primary in ("classification", "extraction", "rag")
        and CONFIDENCE_WORDS.search(text)
        and not re.search(r"calibrat|kalibr|\bece\b", text, re.I)
    ):
        gap(
            "calibration",
            "Confidence thresholds only work on calibrated scores: how is calibration measured (ECE)?",
            "how confidence calibration is measured (calibration plots, ECE)",
        )
    if ai and not _RETRAINING.search(text):
        gap(
            "retraining",
            "What triggers re-evaluation or retraining after launch (drift, new inputs, a model upgrade)?",
            "drift, retraining, re-evaluation, re-tuning or re-testing after launch",
        )
    if not facts.rollout and not _ROLLOUT.search(text):
        gap(
            "rollout",
            "How does it roll out (internal, a beta share, general availability), and what must pass at each gate?",
            "a rollout table or rollout, pilot, beta, phase, feature-gate or A/B-test wording",
        )
    if not facts.gate_owner:
        owner = f" Is it {facts.owner.split(',')[0]}?" if facts.owner else ""
        gap(
            "gate_owner",
            f"Who owns the launch gates and can say no?{owner}",
            "a named owner or sign-off for the launch gates",
        )
    if not _MONITORING.search(text):
        gap(
            "monitoring",
            "Who reviews sampled production outputs after launch, and how often?",
            "monitoring, audits, sampled reviews, spot checks or a review cadence after launch",
        )
    return gaps
