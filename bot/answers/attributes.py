"""Does the document state the fact asked for? The kind of value a question wants, and whether a sentence holds one.

A near-miss question names a real feature and asks for a fact its PRD never states ("What is the
monthly LLM budget of the triage copilot?"). Retrieval finds the right PRD, so similarity and term
coverage both look high. What gives it away is the answer's shape: a budget question wants a
sentence with an amount of money, a launch-date question one with a date. `asked_kind` reads the
kind from the question (English, German, Dutch); `holds` says whether a sentence has a value of
that kind. Every pattern is a plain alternation or bounded repeat (linear time on any input).
"""

from __future__ import annotations

import re
from typing import Literal

from bot.core.language import LANGUAGE_NAMES

Kind = Literal["money", "count", "target", "duration", "date", "owner", "name", "language", "size"]

# What a PM would call each kind of missing fact is in bot/data/i18n/messages.yaml (`answers.missing.<kind>`).

# Units of time a question may count in ("Arbeitstage", "werkdagen", "seconds").
_TIME_UNITS = (
    "seconds|minutes|hours|days|weeks|months|years|sekunden|minuten|stunden|tage|tagen|wochen|monate|monaten|jahre|"
    "seconden|dagen|weken|maanden|jaren"
)
# Dutch hours only as a word of their own or after a few prefixes: "voorbeeldfacturen" and "temperaturen" end in
# "uren" too.
_HOURS_NL = r"(?:werk|man|kantoor|les|studie|uitvoerings)?(?:uren|uur)"

_TIME_ASKED = (
    rf"\b(?:(?:how many|wie viele|hoeveel)\s(?:\w+\s)?(?:\w*(?:{_TIME_UNITS})|{_HOURS_NL})|hoeveel tijd|wie viel zeit|"
    r"how much time|time budget|zeitbudget|tijdsbudget|latency budget|latenzbudget|latentiebudget|"
    # how much delay: "Met hoeveel vertraging …?", "Mit wie viel Verzögerung …?"
    r"(?:how much|wie viel|hoeveel)\s(?:delay|lag|latency|verzögerung|latenz|vertraging|latentie))\b"
)

# Question cues, tried in this order: "How many beta users will it launch with?" wants a count, not a date.
_CUES: tuple[tuple[Kind, str], ...] = (
    # A number of time units ("how many working days", "binnen hoeveel seconden", "hoeveel tijd") or a time budget
    # asks for a duration, not a count or an amount.
    ("duration", _TIME_ASKED),
    # "What's the actual cap on embedded chunks per user?": a number, even of what is paid for ("the daily cap on paid
    # credits")
    ("count", r"\b(?:what(?:'s| is) the (?:\w+ )?(?:cap|limit) (?:on|of|for))\b"),
    # How much a measure improves ("hoeveel kostenbesparing", "how much reduction") asks for a change, usually a %.
    (
        "target",
        r"\b(?:(?:how much|wie viel|hoeveel)\s(?:\w+\s)?\w*(?:saving|savings|reduction|improvement|increase|decrease|"
        r"growth|uplift|einsparung|reduktion|reduzierung|verbesserung|steigerung|wachstum|besparing|reductie|verbetering|"
        r"stijging|daling|groei))\b",
    ),
    (
        "money",
        r"\b(?:costs?|budgets?|price[sd]?|"
        # "pricing", but not as the name of what does it ("the dynamic pricing model", "the pricing engine")
        r"pricing(?!\s(?:models?|engines?|products?|tools?|features?|apps?|systems?|algorithms?|agents?|services?)\b)|"
        r"charges?|fees?|spend(?:ing)?|licen[cs]e (?:fee|cost|price)|"
        r"how much (?:does|will|do|is)|kost(?:et|en)?|preis(?:e|n)?|gebühr(?:en)?|"
        # "How much money is set aside …", "How much lost revenue do we win back?"
        r"how much (?:[\w-]+ ){0,3}?(?:money|revenue|mrr|arr)|set aside|wie viel (?:[\w-]+ ){0,2}?(?:geld|umsatz)|"
        r"hoeveel (?:[\w-]+ ){0,2}?(?:geld|omzet)|"
        r"prijs|prijzen|tarief|tarieven)\b",
    ),
    # "How much do families pay for a subscription?": money, whatever the number words say.
    (
        "money",
        r"\b(?:(?:was|wie viel) (?:zahl(?:en|t)|bezahl(?:en|t)|kostet)|wat (?:betal(?:en|t)|kost)|"
        r"hoeveel (?:betal(?:en|t)|kost)|"
        r"what do(?:es)? \w+(?: \w+)? pay|subscription (?:price|fee|cost)|abo(?:nnement)?preis|abonnementsprijs|"
        # "Welches Mindest-Nettoeinkommen in Euro …?": an amount, whatever it is called
        r"in (?:euros?|eur|dollars?|usd))\b",
    ),
    # A response time or a latency asked for as a value is a duration, even as a maximum ("Welche maximale
    # Antwortzeit …?"); "How do we keep latency low?" asks for no value.
    (
        "duration",
        r"\b(?:what|which|welche[rsmn]?|welk|welke|wat is de|hoe hoog is de)\s(?:[\w-]+\s){0,3}?(?:response times?|"
        r"latency|latenz|antwortzeit(?:en)?|reaktionszeit(?:en)?|reactietijd|responstijd|antwoordtijd)\b",
    ),
    # A size limit is a number of megabytes, pages or items.
    (
        "count",
        r"\b(?:(?:max(?:imum|imale[rn]?)?|min(?:imum)?|largest|biggest) (?:\w+ )?(?:file )?size|"
        r"dateigröße|bestandsgrootte|file size limit)\b",
    ),
    # How big a file or a piece may be ("How big can a photo be", "Wie groß darf eine Datei sein", "Hoe groot worden
    # de stukken"), or the resolution images are processed at: a size.
    (
        "size",
        r"\b(?:how (?:big|large)|wie gro(?:ß|ss)|hoe groot|biggest|largest)\b[^?]{0,60}?\b(?:files?|uploads?|photos?|"
        r"images?|pictures?|screenshots?|videos?|attachments?|documents?|chunks?|dateie?n?|bild(?:er)?|fotos?|"
        r"dokumente?|anh[äa]nge?|bestand(?:en)?|afbeeldingen?|stukken)\b|"
        r"\b(?:what|which|welche[rsmn]?|welke|at what|in what|in welcher|in welke)\s(?:\w+\s)?"
        r"(?:resolution|auflösung|resolutie)\b",
    ),
    ("count", r"\b(?:how many|wie viele|hoeveel|number of|anzahl|aantal)\b"),
    # "At what time of day", "um wie viel Uhr", "hoe laat": a time, read like a date.
    ("date", r"\b(?:what time of day|at what time|um wie viel uhr|wann genau|hoe laat|om hoe laat)\b"),
    # "Vanaf welke week gaat het live?", "Ab welchem Jahr …?", "From which month …": a point in time
    (
        "date",
        r"\b(?:vanaf|ab|from|starting)\s(?:which|what|welche[rsmn]?|welk|welke)\s(?:weeks?|woche|maand|monat|months?|"
        r"jaar|jahr|years?|quarter|quartal|kwartaal|sprint|release|versie|version|phase|fase)\b",
    ),
    # "Seit wann läuft die Arbeit?", "Since when …?": a start date
    ("date", r"\b(?:since when|seit wann|sinds wanneer|vanaf wanneer)\b"),
    # "Bis wann soll es produktiv gehen?", "by when", "tot wanneer": a deadline
    ("date", r"\b(?:by when|until when|bis wann|tot wanneer|uiterlijk wanneer)\b"),
    # "On which date …", "Op welke datum …", "Bis zu welchem Datum …"
    # ("What Day 30 retention …" names a cohort day, not a date)
    ("date", r"\b(?:which|what|welche[smr]?|welk|welke)\s(?:\w+\s)?(?:dates?|datum|day|tag|dag)\b(?![\s-]?\d)"),
    # A threshold asked as "above what rate", "what score must it reach", "ab welchem Wert", "vanaf welke score".
    (
        "target",
        r"\b(?:(?:above|below|over|under|at) what|ab welche[mr]|unter welche[mr]|über welche[mr]|vanaf welke|"
        r"onder welke|boven welke|(?:what|which|welche[rsmn]?|welk|welke) (?:\w+ ){0,3}?(?:rate|score|percentage|share|"
        r"value|quote|wert|anteil|waarde|drempel|trefferquote|fehlerquote|fehlerrate|erkennungsrate|genauigkeit|"
        r"nauwkeurigheid|precisie|foutpercentage|word error rate|wer)|(?:have|has|needs?) to (?:hit|reach)|aiming for|"
        r"(?:are|is) (?:[\w-]+ ){1,3}?targeting|we're targeting|going for|peilt [^?]{0,60}? an|anpeilen|angepeilt|"
        r"mikken op|mikt op|streven naar|streeft naar|"
        r"must reach|"
        r"set to|(?:minimum|maximum|min|max) (?:\w+ )?(?:score|rate|confidence|accuracy))\b",
    ),
    (
        "target",
        r"\b(?:target(?! (?:audience|group|users|market|customers))|goal|threshold|sla|how accurate|"
        r"(?:what|which) (?:accuracy|precision|recall|f1|error rate|uptime)|zielwert|ziel|schwellenwert|"
        r"streefwaarde|doel|drempel(?:waarde)?)\b",
    ),
    (
        "duration",
        r"\b(?:how long|how quickly|how fast|within how|duration|(?:maximum|max|minimum) (?:\w+ )?length|longest|"
        r"wie lange|wie schnell|dauer|hoe lang|hoe snel|looptijd|doorlooptijd|"
        # a horizon ("how far ahead", "wie weit in die Zukunft") or the step of a cycle ("in what time blocks")
        r"how far (?:ahead|out|into the future)|wie weit (?:im voraus|voraus|in die zukunft)|"
        r"hoe ver (?:vooruit|in de toekomst)|(?:what|which|welche[rsmn]?|welk|welke) (?:time ?blocks?|time intervals?|"
        r"intervals?|zeitbl(?:ö|oe)cke\w*|zeitintervall\w*|intervall\w*|tijdsblok\w*|tijdsinterval\w*|intervallen))\b",
    ),
    (
        "date",
        r"\b(?:(?:launch|release|ship|due|go-?live|ga|start|delivery|end) ?dates?|deadline|go-?live|when is it due|"
        r"datum|termin|stichtag|starttermin|livegang|lanceringsdatum|opleverdatum|"
        r"(?:when|wann|wanneer)\b.{0,80}?\b(?:launch|ship|release|go live|ga|available|ready|due|scheduled|live|"
        r"starten|verfügbar|fertig|beschikbaar|klaar|lanceren|opgeleverd|produktiv|productie|in betrieb|"
        r"roll(?:s|ed)? out|ausgerollt|uitgerold))\b",
    ),
    (
        "owner",
        r"\b(?:who owns|owners?|owned by|who is responsible|who leads|dri|accountable|wer ist verantwortlich|"
        r"verantwortlich|zuständig|eigenaar|verantwoordelijke?|"
        # who holds a role: "Who is the engineering lead signing off …?", "Wer ist der Projektleiter?"
        r"who(?: is|'s|’s) (?:the |our )?(?:[\w-]+ ){0,2}?(?:lead|manager|pm|sponsor|contact person)|"
        r"wer ist (?:der|die|unser\w*) (?:[\w-]+ ){0,2}?(?:lead|\w*leiter\w*|\w*manager\w*|ansprechpartner\w*)|"
        r"wie is (?:de|onze) (?:[\w-]+ ){0,2}?(?:lead|\w*leider|\w*manager|contactpersoon)|"
        # who approves: "Who signs off on publishing …?", "Wie heeft het voorstel goedgekeurd?", "Wer gibt … frei?"
        r"who\b[^?]{0,80}?\b(?:signs? off|sign-off|approves?|approved)|wie\b[^?]{0,80}?\b(?:goedgekeurd|keurt|tekent)|"
        r"wer\b[^?]{0,80}?\b(?:genehmigt|freigibt|gibt [^?]{0,40}? frei))\b",
    ),
    # a value asked for as a share: "Welche Uptime in Prozent …?"
    ("target", r"\b(?:in (?:prozent|percent|procent(?:en)?)|as a percentage|als prozentsatz)\b"),
    # "Welche Sprachen unterstützt …?", "In welke talen …?", "Which languages …?": languages by name
    (
        "language",
        r"\b(?:which|what|welche[rsmn]?|welk|welke)\s(?:[\w-]+\s)?(?:languages?|sprachen|sprache|talen|taal)\b",
    ),
    (
        "name",
        r"\b(?:which|what|welche[rsmn]?|welk|welke)\s(?:(?!(?:does|do|did|is|are|was|were|ist|sind)\b)[\w-]{1,30}\s){0,2}?"
        # what it is a model or tool of: "LLM model", "OpenAI-model", "Dashboard-Tool"
        r"(?:[a-z]{2,13}[\s-])?(?:models?|providers?|"
        r"vendors?|engines?|modell|modelle|anbieter|dienstleister|aanbieder|leverancier|taalmodel(?:len)?|"
        r"sprachmodell(?:e)?|llms?|tools?|apis?|library|bibliothek|model ?versions?|modelversie|modellversion)\b|"
        # a named kind of solution ("Welche OCR-Lösung …?"), not any solution
        r"\b(?:which|welche[rsmn]?|welk|welke)\s[a-z]{2,12}[\s-](?:lösung|solution|oplossing)\b",
    ),
)
_ASKS = tuple((kind, re.compile(pattern, re.I)) for kind, pattern in _CUES)
# "How many <things>": a count, even when a budget or a price is named further on (not "how many euros").
_COUNT_OF = re.compile(
    r"\b(?:how many|wie viele|hoeveel)\s(?!(?:euros?|eur|dollars?|usd|cents?|geld|money|procent|prozent|percent|"
    r"budget|omzet|kost\w*|betaal\w*|bezahl\w*|zahl\w*|pay\w*|does|do|is|will|wird|kann|zijn|mag|moet)\b)[^\W\d_]{3,}",
    re.I,
)
_TIME_QUESTION = re.compile(_TIME_ASKED, re.I)

_NUMBER = r"\d{1,9}(?:[.,]\d{1,6})?"
# German and Dutch units of an hour and longer: a number before one is a duration, not a count.
_LONG_UNITS = (
    r"stunden?|tag(?:e|en)?|wochen?|monat(?:e|en)?|jahr(?:e|en)?|uur|uren|dag(?:en)?|weken?|maand(?:en)?|jaar|jaren"
)
# A date on the calendar, or a time of day ("09:00", "9 am", "18 Uhr").
_CALENDAR = (
    r"\b(?:jan(?:uary|uar)?|feb(?:ruary|ruar)?|mar(?:ch)?|märz|maart|apr(?:il)?|may|mai|mei|june?|juni|juli|july?|"
    r"aug(?:ust|ustus)?|sep(?:t|tember)?|o[ck]t(?:ober)?|nov(?:ember)?|de[cz](?:ember)?)\b\.?\s?\d{0,4}|"
    r"\bq[1-4]\b|\bh[12]\s?20\d\d\b|\b20\d\d\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|"
    r"\b(?:end of|ende|eind)\s(?:the\s)?(?:year|quarter|month|jahr|quartal|monat|jaar|kwartaal|maand)\b|"
    # a time of day: "09:00", "9.00 Uhr" (not a price, "$5.99", nor a decimal, "2.50")
    r"(?<![$€£\d.,])\b\d{1,2}:\d{2}\s?(?:uhr|am|pm|h|uur)?\b|(?<![$€£\d.,])\b\d{1,2}\.\d{2}\s?(?:uhr|am|pm|h|uur)\b|"
    r"\b\d{1,2}\s?(?:am|pm|uhr|uur)\b"
)
_CALENDAR_DATE = re.compile(_CALENDAR, re.I)
# "On which date …?", "Op welke datum …?", "Bis zu welchem Datum …?": a day on the calendar, not "Week 4" of a plan.
_DATE_ASKED = re.compile(r"\b(?:dates?|datum|calendar|kalender)\b", re.I)
# The document's own date ("Date: November 2025", "Last Updated: …", "Erstellt: …") dates the document, not the
# feature; it answers only a question about the document itself.
_DOCUMENT_DATE = re.compile(
    # (or its status: "Status: Approved 2026-04-16")
    r"^\W{0,4}(?:date|datum|created|last updated|updated|erstellt|zuletzt aktualisiert|aktualisiert|stand|status|"
    r"aangemaakt|laatst bijgewerkt|bijgewerkt)\W{0,4}:",
    re.I,
)
_ABOUT_DOCUMENT = re.compile(
    r"\b(?:document|prd|spec|written|updated|created|geschrieben|erstellt|aktualisiert|geschreven|bijgewerkt)\b", re.I
)
# An amount of money: "$3,000", "29 €", "one cent".
_AMOUNT = (
    rf"[$€£¥]\s?{_NUMBER}|{_NUMBER}\s?(?:[$€£¥]|(?:usd|eur|gbp|dollars?|euros?|cents?|ct)\b)|"
    r"\b(?:a|an|one|two|three|five|ten|half a|ein|eine|zwei|drei|fünf|zehn|een|twee|drie|vijf|tien)\s"
    r"(?:cents?|dollars?|euros?|pence|pounds?|cent|euro|dollar)\b"
)
# A span of time: "300ms", "5-10 minutes", "7+ days", "90 Tage".
# A number or a range of them before a unit: "30", "5-8", "7+".
_QUANTITY = rf"{_NUMBER}(?:\s?[-–]\s?{_NUMBER})?\+?[\s-]?"
# Forever, as a span: "indefinitely", "unbefristet", "onbeperkt".
_INDEFINITE = "indefinitely|unlimited|unbefristet|unbegrenzt|onbeperkt"
_SPAN = (
    rf"{_QUANTITY}(?:ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?|days?|"
    rf"weeks?|months?|years?|sekunden?|minuten?|minuut|seconden?|{_LONG_UNITS}|sprints?)\b"
)
_A_SPAN = re.compile(_SPAN, re.I)
_TEXT_LENGTH = (
    rf"{_NUMBER}(?:\s?[-–]\s?{_NUMBER})?\s?(?:words?|characters?|chars|tokens?|pages?|woorden|wörter|wörtern|zeichen|"
    r"tekens|seiten|pagina'?s)\b"
)
_A_TEXT_LENGTH = re.compile(_TEXT_LENGTH, re.I)
# CamelCase: "OpenAI", "ElevenLabs" (not a class name in code: "`RequirementClassifier`")
_CAMEL = r"(?<![`\w])[A-Z][a-z]{1,20}[A-Z][A-Za-z]{0,20}\b"
# Language codes as a team lists its launch languages.
_LANGUAGE_CODES = "EN|DE|NL|FR|ES|IT|PT|PL|JA|ZH|KO|AR|RU|TR|SV|DA|NO|FI|CS|UK|HI"
_HOLDS: dict[Kind, re.Pattern[str]] = {
    # an amount, a price of nothing, a price in credits
    "money": re.compile(
        _AMOUNT + r"|\b(?:free of charge|kostenlos|gratis|kosteloos)\b|" + rf"{_NUMBER}\s?credits?\b", re.I
    ),
    "count": re.compile(
        r"\btop[- ]\d{1,3}\b|"
        # (not a share, a span of time or an amount of money: "10 euro per rapport" counts no reports)
        rf"(?<![\w.,$€£-])\d{{1,9}}(?![\d.,]*[\s-]?(?:%|ms\b|s\b|sec|min|h\b|hours?|days?|weeks?|months?|years?|"
        rf"{_LONG_UNITS}|[$€£]|euros?\b|eur\b|dollars?\b|usd\b|cents?\b|ct\b|chf\b))|"
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|hundred|dozen|"
        r"zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwanzig|hundert|"
        r"twee|drie|vijf|zes|zeven|negen|tien|twintig|honderd)\b",
        re.I,
    ),
    "target": re.compile(
        # a share, a comparison, a score out of ten or a hundred, percentage points
        rf"{_NUMBER}\s?%|{_NUMBER}\s?/\s?(?:10|100)\b|"
        rf"{_NUMBER}\s?(?:percentage points?|prozentpunkte?n?|procentpunt(?:en)?|pp)\b|"
        rf"[<>≤≥]=?\s?[$€£]?\s?{_NUMBER}|\b0[.,]\d{{1,4}}\b|"
        rf"\b(?:at least|minimum|max(?:imum)?|mindestens|minstens)\s{{1,3}}{_NUMBER}",
        re.I,
    ),
    "duration": re.compile(
        _SPAN + "|"
        # "under two seconds", "binnen twee dagen", "in drei Wochen"
        r"\b(?:one|two|three|four|five|six|ten|twelve|thirty|a few|ein(?:e|en)?|zwei|drei|vier|fünf|zehn|een|twee|drie|"
        r"vier|vijf|tien)\s(?:seconds?|minutes?|hours?|days?|weeks?|months?|sekunden|minuten|stunden|tage[n]?|"
        r"wochen|monate[n]?|seconden|uur|dagen|weken|maanden)\b|"
        # "how long" asked of a text: its length ("100-200 words", "max. 1000 Zeichen")
         + _TEXT_LENGTH + rf"|\b(?:{_INDEFINITE})\b",
        re.I,
    ),
    # megabytes, pixels, tokens, pages: "20MB", "1250x1250 pixel", "300–800 tokens"
    "size": re.compile(
        rf"{_NUMBER}(?:\s?[-–]\s?{_NUMBER})?\s?(?:[kmgt]i?b|bytes?|px|pixels?|megapixels?|mp|tokens?|words?|woorden|"
        r"wörter|characters?|chars|zeichen|tekens|pages?|seiten|pagina'?s)\b|\b\d{2,5}\s?[x×]\s?\d{2,5}\b",
        re.I,
    ),
    "date": re.compile(_CALENDAR + r"|\b(?:week|kw|sprint|month|monat|maand)\s?\d{1,2}\b", re.I),
    # A product or model name: CamelCase ("OpenAI", "ElevenLabs"), a model id with a version
    # ("GPT-4", "text-embedding-3-small", "Claude 3"), or a well-known provider.
    "name": re.compile(
        # (not a class name in code, "`RequirementClassifier`", nor a requirement id or a bound: "FR-06", "sub-500")
        _CAMEL + "|"
        r"\b(?!(?i:n?fr|us|req|ac|tc|kr|sc|br|ep|uc|sr)-\d)[A-Za-z]{2,20}(?:-[A-Za-z]{2,20}){0,3}-\d{1,2}(?:\.\d)?"
        r"(?:[a-z]{1,2}\b(?:-[a-z]{2,10}\b)?|\b)|"
        # a model pulled by tag ("all-minilm:22m", "llama3:8b")
        r"\b[a-z][a-z0-9.-]{1,30}:\d{1,4}[a-z]?\b|"
        # a model repository id ("dima806/dog_breed_image_detection", "openai/whisper-large-v3")
        r"\b[a-z0-9][a-z0-9.-]{1,38}/[a-z0-9.]{1,40}[_-][\w.-]{1,60}|"
        # a value under a model or provider label ("**Modell**: `…`", "Engine: …")
        # (a label that opens its line, not a feature's own: "ML Categorization Engine: 90%+ accuracy")
        r"(?im:^\W{0,4}(?:models?|modell|engine|provider|anbieter|vendor|leverancier|aanbieder)\W{0,3}:\s{0,3}\W{0,3}\w)|"
        r"(?i:\b(?:openai|anthropic|claude|gemini|google|azure|aws|amazon|microsoft|whisper|mistral|llama|cohere|"
        r"deepgram|tesseract|textract|ollama|hugging ?face|bedrock|vertex|gpt|qwen\w*|deepseek|gemma|sonnet|haiku|"
        r"opus)\b)"
    ),
    # A language by its name (a code or "multilingual" names none), and a few more than bot.core.language lists; or
    # a list of three or more language codes ("Support: EN, ES, FR, DE, IT").
    "language": re.compile(
        r"(?i:\b(?:"
        + "|".join(LANGUAGE_NAMES)
        + r"|korean|koreanisch|koreaans|russian|russisch|hindi|ukrainian|ukrainisch|oekraïens|norwegian|norwegisch|"
        r"noors|finnish|finnisch|fins|czech|tschechisch|tsjechisch)\b)|"
        r"\b(?:" + _LANGUAGE_CODES + r")(?:\s?[,/]\s?(?:" + _LANGUAGE_CODES + r")\b){2,}"
    ),
    "owner": re.compile(
        r"(?i:\b(?:owners?|owned by|dri|accountable|responsible|lead|verantwortlich|zuständig|eigenaar|"
        # followed by a name, not by the "I" of a user story ("As a business owner, I want …")
        r"verantwoordelijke?|auteur|author|autor))\W{1,3}(?:(?i:is|ist|by|von|door)\s)?(?:@\w|[A-Z][\w.'-])"
    ),
}


# German and Dutch glue the money word to the front: "Monatspreis", "Marketingbudget", "Lizenzkosten".
_MONEY_ENDINGS = ("budget", "preis", "kosten", "prijs", "gebühr")
# …and the target word: "Genauigkeitsziel", "nauwkeurigheidsdoel", "Qualitätszielwert".
_TARGET_ENDINGS = ("ziel", "zielwert", "doel", "streefwaarde", "schwellenwert", "drempelwaarde")
# …and a measure asked with which/what: "Welche Erkennungsgenauigkeit …?", "Welk conversiepercentage …?"
_MEASURE_ENDINGS = ("genauigkeit", "nauwkeurigheid", "percentage", "prozentsatz")
# …and a span of time: "Welche Durchlaufzeit …?", "Hoe lang is de wachttijd …?"
_DURATION_ENDINGS = (
    "durchlaufzeit",
    "bearbeitungszeit",
    "antwortzeit",
    "reaktionszeit",
    "wartezeit",
    "ladezeit",
    "verwerkingstijd",
    "reactietijd",
    "responstijd",
    "wachttijd",
    "laadtijd",
    "doorlooptijd",
)
# …and a German rate: "Annahmequote", "Trefferquote" (not the English "quote" alone).
_RATE_ENDINGS = ("quote", "quoten")
# …and the date word to the end: "Startdatum", "Liefertermin", "lanceringsdatum".
_DATE_ENDINGS = ("datum", "termin")
_WORD = re.compile(r"\w+")


# A yes/no question ("Are drafts allowed to commit to a fix date?") asks whether, not for a value.
_YES_NO = re.compile(
    r"(?:are|is|can|could|does|do|did|will|would|should|must|may|has|have|ist|sind|kann|können|darf|dürfen|"
    r"soll|sollen|muss|müssen|wird|werden|gibt|hat|haben|kan|kunnen|mag|mogen|moet|moeten|zal|zullen|heeft|hebben|"
    r"wordt|worden|bewaart|bewaren|speichert|bevat|enthält|blijft|blijven|bleibt|bleiben|stays?|remains?)\b",
    re.I,
)


# Two questions in one ("who owns it and when does it go GA?") may be answered in part: not checked.
_TWO_PART = re.compile(
    r"\b(?:and|und|en)\s(?:(?:by|until|bis|tot)\s)?(?:who|what|when|where|which|how|wer|was|wann|wo|welche[rsmn]?|wie|"
    r"wat|wanneer|waar|welke|hoe)\b",
    re.I,
)


# A question that asks which value: "Welche …", "Welk …", "What …".
_WHICH = re.compile(r"(?:which|what|welche[rsmn]?|welk|welke|wat)\b", re.I)


# A question about a decision ("Which vendor did we pick?", "Haben wir uns für A oder B entschieden?", "Welke
# leverancier is gekozen?") is answered by the choice, not by a sentence that still lists the options.
_DECISION = re.compile(
    r"\b(?:chose|chosen|choose|picked|pick(?! up)|decided|decide|selected|went with|going with|go with|settled? on|"
    r"entschieden|entscheiden|ausgewählt|gewählt|festgelegt|gekozen|kiezen|besloten|geselecteerd)\b",
    re.I,
)
# "A or B" in the question: it asks which of two named options.
# (an option is a name or a number: "768 or 1024", "TensorFlow oder für PyTorch", not "or not")
_EITHER = re.compile(r"\b(\w+)\s(?:or|oder|of)\s(?:(?:für|voor|for|with|mit|met)\s)?([A-Z0-9]\w*)")
# A sentence that still lists options or examples ("OpenAI/ElevenLabs", "e.g. Deepgram", "Option A: …") decides nothing.
_OPTIONS = re.compile(
    r"\b(?:or|oder|vs|versus|e\.\s?g|z\.\s?b|bijv|bijvoorbeeld|zum beispiel|for example|such as|options?|optionen|"
    r"opties?|alternativ\w*|candidates?|kandidat\w*|tbd|to be decided|offen|"
    # a choice still to be made ("Unklare Punkte: konkrete LLM-Auswahl")
    r"unklar\w*|unclear|undecided|onduidelijk\w*|nog te bepalen|noch nicht entschieden)\b|[A-Za-z]/[A-Za-z]|\?",
    re.I,
)


_HOW_OFTEN = re.compile(r"\b(?:how often|how frequently|wie oft|wie häufig|hoe vaak|hoe dikwijls)\b", re.I)


def asked_kind(question: str) -> Kind | None:
    """The kind of value `question` asks for, or None when it asks for no particular kind (or two)."""
    if _DECISION.search(question) and _EITHER.search(question):
        return "name"
    if _YES_NO.match(question.lstrip()) or _TWO_PART.search(question):
        return None
    if _HOW_OFTEN.search(question):
        return None  # "How often is it retrained?": a frequency ("weekly"), no number of a kind
    words = _WORD.findall(question.lower())
    if _COUNT_OF.search(question) and not _TIME_QUESTION.search(question):
        return "count"  # "Hoeveel zoekopdrachten per maand levert het Perplexity-budget op?" counts searches
    if any(word.endswith(_MONEY_ENDINGS) for word in words) and not _TIME_QUESTION.search(question):
        return "money"
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    if any(word.endswith(_TARGET_ENDINGS) or (word.endswith(_RATE_ENDINGS) and len(word) > 6) for word in words):
        return "target"
    if _WHICH.match(question.lstrip()) and any(word.endswith(_MEASURE_ENDINGS) for word in words):
        return "target"
    if any(word.endswith(_DURATION_ENDINGS) for word in words):
        return "duration"
    return "date" if any(word.endswith(_DATE_ENDINGS) for word in words) else None


# A value still to be filled in is no value: "Owner: [Your Name]", "TBD", "XX %".
# Nor is an address: a URL or an IP address and port ("http://192.168.1.20:11434" is no time of day).
_PLACEHOLDER = re.compile(
    r"\[[^\[\]\n]{0,40}\]|\b(?:tbd|tbc|n/a)\b|\b[xX]{1,3}\s?%|https?://\S{1,200}|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b",
    re.I,
)


def holds(kind: Kind, sentence: str) -> bool:
    """Whether `sentence` states a value of `kind` (a placeholder left to fill in doesn't count)."""
    return bool(_HOLDS[kind].search(_PLACEHOLDER.sub(" ", sentence)))


# Measures a target question may name; a figure for another measure doesn't answer it ("What accuracy target …?" is not
# answered by "confidence < 0.7", nor "Welke nauwkeurigheid …?" by "OCR Extractie: 100% automatisch").
_MEASURES = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"\baccura\w*|genauigkeit\w*|nauwkeurig\w*|korrekt\w*|correct\w*|juist\w*|precision|präzision|"
        r"precisie|\bf1\b|\bmape\b|error|fehler|fout\w*",
        r"\brecall\b|sensitivit\w*|detection rate|erkennungsrate|detectie\w*",
        r"\bwer\b|word error|wortfehler\w*",
        r"\buptime\b|verfügbarkeit|beschikbaarheid|availability",
        r"\bnps\b|\bcsat\b|satisf\w*|zufriedenheit|tevredenheid",
        r"confidence|konfidenz\w*|zekerheid\w*|betrouwbaarheid\w*",
    )
)
# A latency percentile: "What's the p99 target?" is not answered by "P95 < 20s".
# A percentile, as "p95" or written out ("95th percentile", "95. Perzentil", "95e percentiel").
_PERCENTILES = tuple(
    re.compile(rf"\bp{number}\b|\b{number}(?:th|e|ste|\.)?[\s-]?(?:percentile|perzentil|percentiel)", re.I)
    for number in ("50", "90", "95", "99")
)
# A clause that asks ("Hoeveel markten per maand?", "Should we limit regenerations (e.g., 3 per lead)?") states nothing.
_ASKING_CLAUSE = re.compile(r"[^.!?\n]{0,400}\?")


# A target counted in money: revenue, recurring revenue, savings.
_MONEY_MEASURE = re.compile(
    r"\b(?:revenue|mrr|arr|turnover|sales|savings?|umsatz\w*|einsparung\w*|erlös\w*|omzet|besparing\w*|opbrengst\w*)\b",
    re.I,
)


# A target counted in time: a time per task, a latency, a response time.
_TIME_MEASURE = re.compile(r"\b(?:time|latency|duration|\w+zeit|zeit|dauer|latenz|\w*tijd|duur)\b", re.I)


# A price asked for: what a customer pays. Revenue, savings or what a customer is worth is not one.
_PRICE_ASKED = re.compile(
    r"\b(?:price[sd]?|pricing|charge[sd]?|(?:we )?bill|subscription|pay|pays|\w*preis\w*|zahlen|zahlt|abo\w*|"
    r"\w*prijs\w*|tarie\w*|betalen|betaalt|abonnement\w*)\b",
    re.I,
)
_NOT_A_PRICE = re.compile(
    r"\b(?:revenue|arr|mrr|arpu|ltv|cac|turnover|savings?|cost of ownership|tco|umsatz\w*|einsparung\w*|ersparnis\w*|"
    r"erlös\w*|omzet|besparing\w*|opbrengst\w*)\b",
    re.I,
)
# A budget or a spending cap is an amount of money: a free plan ("gratis plan, 50 gesprekken") doesn't state one.
_BUDGET = re.compile(r"budget|spend(?:ing)? (?:cap|limit)|ausgabenlimit|kostenobergrenze|uitgavenplafond", re.I)
_AN_AMOUNT = re.compile(_AMOUNT, re.I)
# …and the amount is stated as a budget or a cap, not as a price customers pay or an estimate of what it will cost
# ("Starter: $29/month" and "~$30/Monat bei 300 Abfragen/Tag" don't state a budget; "shall not exceed $150" does).
_LIMIT = re.compile(
    r"\b(?:budget\w*|\w+budget|caps?|capped|ceiling|limit\w*|max\w*|exceed\w*|under|below|up to|at most|allocated|"
    r"set aside|approved|höchstens|obergrenze|deckel\w*|überschreit\w*|bis zu|freigegeben|eingeplant|"
    r"plafond|hooguit|overschrijd\w*|toegewezen|gereserveerd|begroot)\b|[<≤]",
    re.I,
)


# A version of a product or a plan: "v1.0", "V2".
_VERSION = re.compile(r"\bv\d{1,3}(?:\.\d{1,3}){0,2}\b", re.I)
# A retention or cohort day: "D30", "Day 7", "30-day", "Tag 30", "dag 7".
_COHORT_DAY = re.compile(r"\b(?:d|day|tag|dag)[- ]?(\d{1,3})\b|\b(\d{1,3})[- ](?:day|tage?|dagen)\b", re.I)
# A price per year.
_YEARLY = re.compile(
    r"\b(?:yearly|annual\w*|per year|a year|/\s?(?:year|yr)|jährlich\w*|pro jahr|im jahr|jahres\w*|/\s?jahr|"
    r"jaarlijks\w*|per jaar|/\s?jaar|jaar(?:prijs|abonnement|bedrag|licentie|budget)\w*)\b",
    re.I,
)
# How long something is kept: answered by days to years, not by how fast it is processed ("500ms per scan").
_KEPT = re.compile(
    r"\b(?:keep|keeps|kept|retain\w*|retention|delet\w*|bewaar\w*|bewaren|aufbewahr\w*|aufbewahrung\w*|lösch\w*|"
    r"verwijder\w*)\b",
    re.I,
)
_LONG_SPAN = re.compile(
    rf"{_QUANTITY}(?:hours?|days?|weeks?|months?|years?|{_LONG_UNITS})\b|\b(?:{_INDEFINITE}|forever|permanent\w*)\b",
    re.I,
)
_TERM = re.compile(r"[\w.-]+")
# "Which LLM / model / Sprachmodell / taalmodel …?"
_MODEL_ASKED = re.compile(
    r"\b(?:llms?|models?|modell\w*|model(?:versie|version)?|\w*sprachmodell\w*|\w*taalmodel\w*)\b(?!-)", re.I
)
_CAMEL_CASE = re.compile(_CAMEL)


def _measure_named(question: str, sentence: str) -> bool:
    """Whether `sentence` names the measure `question` asks a target for (true when it names none of _MEASURES)."""
    asked = [pattern for pattern in _MEASURES if pattern.search(question)]
    return not asked or any(pattern.search(sentence) for pattern in asked)


def _names_another(pattern: re.Pattern[str], question: str, sentence: str) -> bool:
    """Whether the question and the sentence both name a `pattern` value (a version, a cohort day) and none is the
    same; the value is the pattern's matched group, or the whole match when it has none."""

    def values(text: str) -> set[str]:
        return {match.group(match.lastindex or 0).lower() for match in pattern.finditer(text)}

    asked, stated = values(question), values(sentence)
    return bool(asked and stated and not asked & stated)


# A time asked for as a speed, not a text's length: "What response time …?", "Hoe snel …?" (or as a number of time
# units: _TIME_QUESTION).
_SPEED_ASKED = re.compile(
    r"\b(?:latency|latenz|latentie|response ?times?|responstijd\w*|antwortzeit\w*|reaktionszeit\w*|how fast|"
    r"how quickly|wie schnell|hoe snel)\b",
    re.I,
)
# Time units from the shortest up, in English, German and Dutch (as the question names them, as a span states them): a
# question that names one ("how many hours") is answered by a span in that unit or the next, not by "< 30 seconds".
_UNIT_WORDS = (
    ("milliseconds?|millisekunden|milliseconden", "ms"),
    ("seconds?|sekunden?|seconden?", "s|secs?"),
    ("minutes?|minuten?|minuut", "mins?"),
    ("hours?|stunden?|uur|uren", "h|hrs?"),
    ("days?|tage?n?|dag(?:en)?", ""),
    ("weeks?|wochen?|weken?", ""),
    ("months?|monate?n?|maand(?:en)?", ""),
    ("years?|jahre?n?|jaar|jaren", ""),
)
_UNIT_NAMED = tuple(re.compile(rf"\b(?:{words})\b", re.I) for words, _ in _UNIT_WORDS)
_UNIT_SPAN = tuple(
    re.compile(rf"{_NUMBER}\s?[-–]?\s?(?:{'|'.join(filter(None, (words, short)))})\b", re.I)
    for words, short in _UNIT_WORDS
)


def _unit_mismatch(question: str, sentence: str) -> bool:
    """Whether the question names a time unit ("how many hours") and every span the sentence states is in a unit more
    than one step away ("< 30 seconds")."""
    named = [i for i, unit in enumerate(_UNIT_NAMED) if unit.search(question)]
    stated = [i for i, unit in enumerate(_UNIT_SPAN) if unit.search(sentence)]
    return bool(named and stated) and all(abs(i - j) > 1 for i in named for j in stated)


def _answers(kind: Kind, question: str, sentence: str) -> bool:
    """Whether `sentence` holds a value of `kind` that can answer `question`."""
    sentence = _ASKING_CLAUSE.sub(" ", sentence)
    if _names_another(_VERSION, question, sentence):
        return False  # "When did v1.0 launch?" is not answered by "v2.0 (28 december 2025)"
    if _names_another(_COHORT_DAY, question, sentence):
        return False  # "What's the D30 retention target?" is not answered by "Retention D7 | … | 30%"
    if kind == "duration" and _KEPT.search(question) and not _LONG_SPAN.search(_PLACEHOLDER.sub(" ", sentence)):
        return False  # "How long are scans kept?" is not answered by "Low-quality scan | 1,200ms"
    if (
        kind == "duration"
        and (_SPEED_ASKED.search(question) or _TIME_QUESTION.search(question))
        and (not holds("duration", _A_TEXT_LENGTH.sub(" ", sentence)) or _unit_mismatch(question, sentence))
    ):
        return False  # "Welke responstijd …?" is not answered by "~2000 tokens"; "how many hours" not by "30 s"
    if (
        kind == "money"
        and _PRICE_ASKED.search(question)
        and not _MONEY_MEASURE.search(question)
        and _NOT_A_PRICE.search(sentence)
        and not _PRICE_ASKED.search(sentence)
    ):
        return False  # "Welcher Monatspreis …?" is not answered by "Revenue: €50K ARR"
    if kind == "money" and _YEARLY.search(question) and not _YEARLY.search(sentence):
        return False  # "What's the yearly price?" is not answered by "$9.99/month"
    if kind == "target" and not _measure_named(question, sentence):
        return False
    if kind in ("target", "duration") and any(
        pattern.search(question) and not pattern.search(sentence) for pattern in _PERCENTILES
    ):
        return False
    if kind == "money" and _BUDGET.search(question):
        # a budget is an amount, not "free of charge", stated as a budget or a cap
        return bool(_AN_AMOUNT.search(_PLACEHOLDER.sub(" ", sentence))) and bool(_LIMIT.search(sentence))
    if kind == "target" and _MONEY_MEASURE.search(question) and holds("money", sentence):
        return True  # "What revenue target …?" is answered by "$10,000 in monthly revenue"
    if kind == "target" and _TIME_MEASURE.search(question) and _A_SPAN.search(_PLACEHOLDER.sub(" ", sentence)):
        return True  # "What's the target documentation time per visit?" is answered by "5-8 minutes"
    if kind == "date":
        if _DOCUMENT_DATE.match(sentence) and not _ABOUT_DOCUMENT.search(question):
            return False
        if _DATE_ASKED.search(question):
            return bool(_CALENDAR_DATE.search(_PLACEHOLDER.sub(" ", sentence)))
    if kind == "name" and _DECISION.search(question):
        either = _EITHER.search(question)
        named = either is not None and any(
            re.search(rf"\b{re.escape(option)}\b", sentence, re.I) for option in either.groups()
        )
        return (named or holds(kind, sentence)) and not _OPTIONS.search(sentence)
    if kind == "name":
        # A name the question already says doesn't answer it ("Which model does ClaimAssist use?" is not answered by
        # "ClaimAssist"), and a model is named by its id, family or provider, not by a class name ("PageSnapshot").
        said = {word.lower() for word in _TERM.findall(question)}
        sentence = _TERM.sub(lambda term: " " if term.group(0).lower() in said else term.group(0), sentence)
        if _MODEL_ASKED.search(question):
            sentence = _CAMEL_CASE.sub(" ", sentence)
    return holds(kind, sentence)


def missing(question: str, answering: list[str]) -> Kind | None:
    """The kind of value `question` asks for when none of the `answering` sentences (the best few) holds one."""
    kind = asked_kind(question)
    if kind is None or kind == "size" or not answering:
        return None  # a size is looked for when quoting, but PRDs state it too far from the question to decline on
    return None if any(_answers(kind, question, sentence) for sentence in answering) else kind
