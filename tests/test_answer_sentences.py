"""Sentence-level answers: the quote marks the sentence that answers, and a fact the PRD never states is declined."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.answer import CROSS_LANGUAGE_EVIDENCE, answer_question, evidence_threshold, gather, min_evidence
from bot.answers.attributes import asked_kind, holds, missing
from bot.answers.sentences import (
    COSINE_WEIGHT,
    KIND_WEIGHT,
    OVERLAP_WEIGHT,
    PASSAGE_WEIGHT,
    aspect,
    clean,
    rank,
    split,
)
from bot.knowledge.embeddings import EmbeddingModel
from bot.knowledge.retrieval import Passage
from bot.wiring import Deps
from tests.conftest import MakeDeps, write


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the monthly LLM cost budget for the support triage copilot?", "money"),
        ("Welcher Monatspreis ist für das Premium-Tier geplant?", "money"),
        ("Wat kost een abonnement op de chatbot per maand?", "money"),
        ("How many human moderators will staff the review queue?", "count"),
        ("Hoeveel gebruikers doen mee aan de bèta?", "count"),
        ("What accuracy must the triage classifier reach before launch?", "target"),
        ("What retention goal does the notes MVP set?", "target"),
        ("How fast should the search answer a query?", "duration"),
        ("Wie lange soll es bis zum ersten MVP dauern?", "duration"),
        ("What is the launch date of the invoice extractor MVP?", "date"),
        ("When is the v2 job scheduled to ship?", "date"),
        # money named as money or revenue, who approves, a target aimed at, a model version, a cap
        ("How much money is set aside for AI training on the voice assistant?", "money"),
        ("How much lost no-show revenue do we expect the risk score to win back?", "money"),
        ("Hoeveel omzet verwachten we van het premium-abonnement?", "money"),
        ("Who signs off on publishing new fabrics once the automation created them?", "owner"),
        ("Wie heeft het infrastructuurvoorstel voor de chatbot goedgekeurd?", "owner"),
        ("Which SIL level is the control system going for?", "target"),
        ("What DAU number is the meal planner targeting?", "target"),
        ("Welche 7-Tage-Retention peilt der Essensplaner an?", "target"),
        ("Welke Claude-modelversie gebruikt de visualisatie precies?", "name"),
        ("What's the actual cap on embedded chunks per user?", "count"),
        ("Wanneer gaat de chatbot live?", "date"),
        ("Was ist das Startdatum des Extraktors?", "date"),
        ("Who owns the invoice extractor project?", "owner"),
        ("Wer ist verantwortlich für die Suche?", "owner"),
        # who holds a role asks for a person
        ("Who is the engineering lead signing off the task assistant PRD?", "owner"),
        ("Wer ist der Projektleiter des Chatbots?", "owner"),
        ("Wie is de productmanager van de zoekfunctie?", "owner"),
        # "voorbeeldfacturen" ends in "uren" (hours) but counts invoices
        ("Met hoeveel voorbeeldfacturen wordt het model getraind?", "count"),
        ("Hoeveel werkuren kost de integratie?", "duration"),
        # from which week or year: a point in time
        ("Vanaf welke week gaat de koppeling live voor alle gebruikers?", "date"),
        ("Ab welchem Jahr enthält die Wissensbasis Daten?", "date"),
        # how much delay is a span of time
        ("Met hoeveel vertraging krijgt de assistent de koersen binnen?", "duration"),
        # whether it stays within a budget asks yes or no
        ("Blijft de live transcriptie binnen het budget van 50 euro per maand?", None),
        # Not a request for a value: yes/no, a target audience, a launch bar, a condition, two questions in one.
        ("Are reply drafts allowed to commit to a fix date?", None),
        ("Who is the target audience of the chatbot?", None),
        ("What's a sane hallucination rate to sign off a launch?", None),
        ("When does a ticket count as P1 critical?", None),
        ("Who owns the summarizer and when does it go GA?", None),
        ("Which recording file types does the MVP accept?", None),
        # A product, provider or model name.
        ("Which LLM model does the PRD generator call?", "name"),
        ("Which transcription provider does the notes assistant use?", "name"),
        ("Welches Modell nutzt der Assistent?", "name"),
        ("What does the model do with low-confidence tickets?", None),
        ("Welk taalmodel draait er onder de assistent?", "name"),
        ("Welk LLM-model gebruikt de samenvatter standaard?", "name"),
        # A threshold asked for by its place, a limit by its size, a price by who pays, a time of day.
        ("Above what dismiss rate does the dashboard send an alert?", "target"),
        ("What answer fidelity score does the copilot have to hit?", "target"),
        ("Ab welchem Wert eskaliert der Bot?", "target"),
        ("Welche maximale Antwortzeit muss der Berater einhalten?", "duration"),
        ("What's the maximum file size the summarizer accepts?", "count"),
        ("Was zahlen Familien im Monat für ein Abo des Tutors?", "money"),
        ("At what time of day does the tutor send the weekly report?", "date"),
        ("What reading level are the explanations written at?", None),
        ("How do we keep chat latency low?", None),
        ("What p95 latency must the search meet?", "duration"),
        # A number of time units or a time budget is a duration; how much a measure improves is a target.
        ("What's the time budget for a single agent task?", "duration"),
        ("Wie viele Arbeitstage muss ein Praktikum mindestens umfassen?", "duration"),
        ("Binnen hoeveel seconden moet het eerste woord verschijnen?", "duration"),
        ("Hoeveel tijd mag de onboarding van een klant kosten?", "duration"),
        ("Hoeveel kostenbesparing belooft de nieuwe classificatie?", "target"),
        # A choice between named options is asked for by name, even as a yes/no question.
        ("Did we end up going with OpenAI TTS or ElevenLabs for the voice assistant?", "name"),
        ("Haben wir uns für TensorFlow oder für PyTorch entschieden?", "name"),
        ("Which LLM does the tagger call?", "name"),
        ("After how many rings does the assistant pick up the phone?", "count"),
        ("What overall quality score does the study give the model?", "target"),
        ("Seit wann läuft die Arbeit an den Release Notes?", "date"),
        # a deadline, a day asked for, an accuracy named in Dutch or German or glued to its goal word
        ("Bis wann soll die Rassenerkennung produktiv gehen?", "date"),
        ("On which date does the clipper go to public launch?", "date"),
        ("Welk nauwkeurigheidsdoel geldt voor de transcriptie?", "target"),
        ("Welche Trefferquote soll die Kategorisierung erreichen?", "target"),
        ("Which default resolution did we settle on, 768 or 1024?", "name"),
        ("Welche Nutzungsquote soll der Assistent erreichen, und bis wann?", None),
        ("Welche Annahmequote sollen die Angebote erreichen?", "target"),
        ("When does the new onboarding roll out to all users?", "date"),
        # a measure glued to its noun, a span of time glued to its noun, an amount in a currency, languages
        ("Welche Erkennungsgenauigkeit muss der Parser erreichen?", "target"),
        ("Welk conversiepercentage moet de landingspagina halen?", "target"),
        ("Welche Durchlaufzeit pro Antrag peilen wir an?", "duration"),
        ("Welches Mindesteinkommen in Euro setzt das Matching voraus?", "money"),
        ("Welke talen ondersteunt de assistent bij de lancering?", "language"),
        ("Which languages can the summaries be written in?", "language"),
        # "how many <things>" counts them, whatever budget is named further on; a latency budget is a time
        ("Hoeveel zoekopdrachten per maand levert het Perplexity-budget op?", "count"),
        ("How many euros is the monthly budget?", "money"),
        ("Wat is het p95-latentiebudget voor de generatiestap?", "duration"),
        # the longest or maximum length of something is a duration; a tool, an API or a kind of solution is a name
        ("What's the maximum length of a call before the agent hangs up?", "duration"),
        ("What's the longest voice note a user can record?", "duration"),
        # a horizon, or the step of a cycle
        ("Wie weit in die Zukunft soll das System den Verbrauch prognostizieren?", "duration"),
        ("How far ahead of the due date does the reminder fire?", "duration"),
        ("In what time blocks does the controller make its decisions?", "duration"),
        ("Hoe ver vooruit plant de assistent de diensten?", "duration"),
        ("Which NPS survey tool did we choose?", "name"),
        ("Welche OCR-Lösung wurde ausgewählt?", "name"),
        ("Welk OpenAI-model gebruikt het platform?", "name"),
        ("Which solution did the team propose for slow loading?", None),
        # how big a file or a piece may be, or a resolution, is a size
        ("How big can a photo be when a customer uploads it?", "size"),
        ("Wie groß darf eine Datei sein, die Mitarbeitende hochladen?", "size"),
        ("Hoe groot worden de stukken waarin de zoekagent de protocollen opknipt?", "size"),
        ("At what resolution are Pro users' photos processed?", "size"),
        ("How big is the team that reviews flagged posts?", None),
        # a share asked for in percent, a role asked with "who's", a price asked as what one customer pays
        ("Welche Uptime in Prozent sagt der Dienst zu?", "target"),
        ("Who's the PM on the reply copilot, so I know who signs off?", "owner"),
        ("Was zahlt ein Kunde pro Nutzer und Monat?", "money"),
        # how often asks for a frequency, not a price named in the product's name; a cap counts what is paid for
        ("How often does the dynamic pricing model get retrained?", None),
        ("Hoe vaak wordt het prijsmodel opnieuw getraind?", None),
        ("What does the dynamic pricing engine cost per month?", "money"),
        ("What is the pricing of the Pro tier?", "money"),
        ("What's the daily cap on paid credits a single user can spend?", "count"),
    ],
)
def test_the_kind_of_value_a_question_asks_for(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("kind", "stated", "unstated"),
    [
        ("money", "Our budget is one cent per query.", "The budget is reviewed by finance."),
        ("money", "Inference is capped at $3,000 per month.", "Costs must stay low."),
        ("money", "Das Premium-Tier kostet 29 € im Monat.", "Das Budget-Angebot geht an den Kunden."),
        ("count", "Closed Beta mit 50 Usern.", "Agents review flagged posts."),
        ("target", "Field extraction reaches >90% accuracy.", "We track F1 per field."),
        ("duration", "Moderation completes within 3 seconds.", "Moderation is fast."),
        ("duration", "Ein erstes MVP in 6 Wochen.", "Ein erstes MVP bald."),
        ("duration", "Keep chat latency low: p95 under two seconds.", "Keep chat latency low."),
        ("date", "General availability from 2027-03-15.", "General availability follows the beta."),
        ("date", "We launch in Q3.", "We launch after the pilot."),
        ("date", "Reports go out on Sundays at 18:00.", "Reports go out weekly."),
        # A placeholder left to fill in is no value.
        ("owner", "Owner: Dana Whitfield", "Owner: [Your Name]"),
        ("target", "Accuracy above 92%.", "Accuracy above XX%."),
        ("owner", "Owner: Priya Raman, Senior PM", "Ownership is shared across the team."),
        # Dutch and German singular units
        ("duration", "AI genereert in <1 minuut een compleet pakket.", "AI genereert snel een compleet pakket."),
        ("duration", "Aufbewahrung: 1 Jahr", "Aufbewahrung: nach Bedarf"),
        # the "I" of a user story is no owner's name
        ("owner", "Product owner: Jane Doe", 'User Story: "As a business owner, I want to see the ROI."'),
        ("name", "Transcripts come from OpenAI Whisper.", "Transcription, with diarization if supported."),
        ("name", "Built on GPT-4 with retrieval.", "Phase 3 adds retrieval."),
        ("name", "Voices by ElevenLabs.", "Voices are generated per call."),
        ("duration", "7-dagen gratis trial voor nieuwe gebruikers", "Een gratis trial voor nieuwe gebruikers"),
        ("duration", "| No follow-up | 7+ days since last contact |", "| No follow-up | since last contact |"),
        # A model's version or a number of weeks is not a count of things.
        ("count", "De bot start met 50 gebruikers.", "Chatbot op basis van GPT-4, 8 weken wachttijd."),
        ("count", "Top-3 retrieved chunks go into the prompt.", "The retrieved chunks go into the prompt."),
        ("money", "Matching costs 2 credits per applicant.", "Matching uses the credit model."),
        # "How long" asked of a text is its length; a retention without end is a duration too.
        ("duration", "Generate an executive summary (100-200 words).", "Generate an executive summary."),
        ("duration", "Gesprekken worden onbeperkt bewaard.", "Gesprekken worden bewaard."),
        # a score out of ten, percentage points, a month of a plan
        ("target", "Qualität: 7.3/10 (gut, aber nicht exzellent)", "Qualität: gut, aber nicht exzellent"),
        ("target", "Minimum: 5-10 percentage point improvement over baseline", "An improvement over baseline"),
        ("date", "Phase 2: DeepSeek R1 als Beta-Feature (Monat 2)", "Phase 2: DeepSeek R1 als Beta-Feature"),
        ("target", "Claims >$5,000 go to a senior adjuster", "Large claims go to a senior adjuster"),
        ("name", "Empfehlung: `all-minilm:22m`", "Empfehlung: ein kleines Modell"),
        # a model repository id, a value under a model label
        ("name", "We run dima806/dog_breed_image_detection locally.", "We run it on the and/or path."),
        ("name", "Modell: `dima806/dog_breed_image_detection`", "Das Modell erkennt Rassen."),
        # a class name in code, a requirement id or a bound is no product name
        ("name", "Drafts come from GPT-4 via the API.", "Implement `RequirementClassifier` with context signals"),
        ("name", "Parsing runs on Claude 3.5 Sonnet.", "FR-06: Parse job requirements from PDF input"),
        ("name", "ASR: Deepgram Nova-2 streaming.", "Cloud ASR with streaming for sub-500 ms latency."),
        ("name", "AI-generierter Text (GPT-4o-mini)", "AI-generierter Text (Modell offen)"),
        ("name", "Runs on Qwen3 locally.", "Runs on a small local model."),
        ("language", "Support in v1: English and German only.", "Multi-language support comes later."),
        ("language", "Antworten erfolgen auf Niederländisch.", "Die Sprache ist einstellbar."),
        ("size", "Max file size: 20MB", "Uploads are checked for their file type."),
        ("size", "Images are processed at 1250x1250 pixel resolution.", "Images are processed at high resolution."),
        ("size", "Chunks of 300–800 tokens with headings.", "Chunks follow the headings."),
        # a time of day, not a price or a decimal
        ("date", "**Schedule:** Every Thursday at 09:00 UTC", "| Pro ($5.99) | 30 | Unlimited | 10 per conversation |"),
        ("date", "Der Versand startet um 9.00 Uhr.", "Die Marge liegt bei 2.50 pro Stück."),
        # a model label that opens its line, not a feature named "… Engine:"
        ("name", "- **Engine:** rules first, then an LLM", "ML Categorization Engine: 90%+ accuracy on merchants"),
    ],
)
def test_a_sentence_holds_a_value_of_the_kind_or_not(kind: str, stated: str, unstated: str) -> None:
    assert holds(kind, stated)  # type: ignore[arg-type]
    assert not holds(kind, unstated)  # type: ignore[arg-type]


def test_missing_names_the_kind_only_when_no_answering_sentence_holds_it() -> None:
    question = "What is the launch date of the invoice extractor?"
    assert missing(question, ["The extractor supports PDF and CSV.", "Max 10 files per upload."]) == "date"
    assert missing(question, ["The extractor launches on 12 May 2026."]) is None
    assert missing("Which file types does it accept?", ["Nothing relevant."]) is None


def test_a_size_is_looked_for_when_quoting_but_never_declined_as_unstated(local_model: EmbeddingModel) -> None:
    question = "How big can a photo be when a customer uploads it to the jewelry assistant?"
    assert missing(question, ["Customers upload a photo of their jewelry."]) is None
    text = "Customers upload a photo of their jewelry to the assistant.\nMax file size: 20MB\n"
    ranked = rank(question, [_passage(text)], local_model.embed_batch, _no_overlap, asked_kind(question))
    assert ranked[0].text == "Max file size: 20MB" and ranked[0].fits


def test_a_sentence_that_still_lists_the_options_does_not_answer_which_was_chosen() -> None:
    question = "Did we end up going with OpenAI TTS or ElevenLabs?"
    assert missing(question, ["Integrate streaming TTS (OpenAI/ElevenLabs).", "Option A: OpenAI TTS"]) == "name"
    assert missing(question, ["Build it with ML frameworks (e.g., TensorFlow or PyTorch)."]) == "name"
    assert missing(question, ["TTS: ElevenLabs streaming API, chosen for its latency."]) is None
    assert missing("Welches LLM haben wir gewählt?", ["Unklare Punkte: konkrete LLM-Auswahl für Google APIs"]) == "name"
    # Without a decision asked for, options are an answer ("Which engines does it support?").
    assert missing("Which TTS providers does it support?", ["Option A: OpenAI TTS"]) is None


def test_another_version_or_a_monthly_price_does_not_answer_and_a_list_of_language_codes_names_languages() -> None:
    assert missing("When did v1.0 of the coach's tier system launch?", ["v2.0 (28 december 2025):"]) == "date"
    assert missing("When did v1.0 of the coach's tier system launch?", ["v1.0 (3 maart 2025): eerste release"]) is None
    # another cohort day doesn't answer a retention question either
    assert (
        missing("What's the D30 retention target for 10xCards?", ["| Retention D7 | returning users | 30% |"])
        == "target"
    )
    assert (
        missing("What's the D30 retention target for 10xCards?", ["| Retention D30 | returning users | 20% |"]) is None
    )
    yearly = "What's the yearly price of the journal's Pro plan?"
    assert missing(yearly, ['Premium Tier - "Pro" ($9.99/month):']) == "money"
    assert missing(yearly, ["Pro: $9.99/month or $99/year"]) is None
    languages = "In welchen Sprachen soll das Modul Texte erzeugen?"
    assert missing(languages, ["Support: EN, ES, FR, DE, IT, PT, JA, ZH, KO, AR"]) is None
    assert missing(languages, ["Data is stored in the EU (DE region)."]) == "language"


def test_a_retention_an_address_and_an_amount_are_not_the_values_they_look_like() -> None:
    kept = "How long does the system keep uploaded scans before deleting them?"
    assert missing(kept, ["| Low-quality scan | 1,200ms | 1,400ms |"]) == "duration"
    assert missing(kept, ["Scans are deleted after 30 days."]) is None
    live = "When does the assistant go live?"
    assert missing(live, ['"ollamaUrl": "http://192.168.1.20:11434",']) == "date"
    assert missing(live, ["Status: Approved 2026-04-16"]) == "date"
    assert missing(live, ["Go-live: 1 March 2026"]) is None
    markets = "Hoeveel markten per maand gaat de module analyseren?"
    assert missing(markets, ["Dat bepaalt of het budget van 10 euro per rapport past."]) == "count"
    assert missing(markets, ["We analyseren 12 markten per maand."]) is None


def test_calls_to_an_llm_do_not_make_an_api_question_a_model_question() -> None:
    question = "Via welke API doet de autonome browseragent zijn LLM-calls?"
    assert missing(question, ["FR-17: System must use OpenRouter API (OpenAI-compatible) for LLM calls"]) is None
    # Asked which model, a class name still names none.
    assert missing("Welk taalmodel gebruikt de agent?", ["The PageSnapshot class holds the page."]) == "name"


def test_a_label_that_holds_the_value_asked_for_can_answer(local_model: EmbeddingModel) -> None:
    text = 'Free tier: 30-day data retention.\n\nPremium Tier - "Pro" ($9.99/month):\n- Unlimited journals\n'
    passages = [_titled("Journal", text)]
    ranked = rank("What will the Pro tier cost?", passages, local_model.embed_batch, _no_overlap, "money")
    assert ranked[0].text == 'Premium Tier - "Pro" ($9.99/month):'
    # Without a price asked for, a label is still no answer of its own.
    unranked = rank("What does the Pro tier include?", passages, local_model.embed_batch, _no_overlap)
    assert all(not sentence.text.endswith(":") for sentence in unranked)


def test_a_date_asked_for_is_a_day_on_the_calendar_and_not_the_document_s_own_date() -> None:
    launch = "On which date does the clipper go to public launch?"
    assert missing(launch, ["Phase 7: Public Launch (Week 19-20)", "Date: November 2025"]) == "date"
    assert missing(launch, ["Public launch is on 3 March 2026."]) is None
    # Asked without a date, a week of the plan answers when; asked about the document, its date does.
    assert missing("When does the public launch happen?", ["Phase 7: Public Launch (Week 19-20)"]) is None
    assert missing("What date is the PRD from?", ["Date: November 2025"]) is None


def test_a_sentence_that_lists_two_numbers_does_not_answer_which_one_was_chosen() -> None:
    question = "Which default resolution did we settle on for speed mode, 768 or 1024?"
    assert missing(question, ["Fast mode defaults to resolution=768 or 1024 (configurable)"]) == "name"
    assert missing(question, ["Speed mode renders at 1024 by default."]) is None


def test_a_target_for_one_measure_is_not_answered_by_a_figure_for_another() -> None:
    accuracy = "What accuracy target does the criteria engine have for its checks?"
    assert missing(accuracy, ["Bei Unsicherheit (confidence < 0.7): Manuelle Prüfoption"]) == "target"
    assert missing(accuracy, ["Field accuracy above 95% on the test set"]) is None
    assert missing("Welke nauwkeurigheid haalt de OCR?", ["OCR Extractie: 100% automatisch"]) == "target"
    assert missing("Welke nauwkeurigheid haalt de OCR?", ["Nauwkeurigheid: 98% op velden"]) is None
    # …a latency percentile or a confidence score the same way
    p99 = "What's the p99 latency target of the pipeline?"
    assert missing(p99, ["Full pipeline: P50 < 10s, P95 < 20s"]) == "target"
    assert missing(p99, ["P99 < 30 s end to end"]) is None
    confidence = "What confidence score hands a chat over to a person?"
    assert missing(confidence, ["False positive rate >10%: lower the sensitivity"]) == "target"
    assert missing(confidence, ["Below a confidence of 0.6 the chat goes to an agent."]) is None
    # A sentence that asks states nothing, whatever numbers it holds.
    regenerations = "How many regenerations per lead does the agent allow?"
    assert missing(regenerations, ["Regeneration limit: should we cap it (e.g., 3 per lead)?"]) == "count"
    assert missing(regenerations, ["How many? Each lead gets 3 regenerations."]) is None
    # A budget is an amount: a free plan doesn't state one.
    budget = "What is the launch marketing budget of the chatbot?"
    assert missing(budget, ["Start with our plan, free of charge (50 chats a month)."]) == "money"
    assert missing(budget, ["Launch budget: €5,000 for ads."]) is None
    # …stated as a budget or a cap, not as what customers pay or what it is estimated to cost.
    api = "What monthly OpenAI budget did we set aside for the writing assistant?"
    assert missing(api, ["Starter: $29/month", "About $30 a month at 300 requests a day."]) == "money"
    assert missing(api, ["OpenAI spend must not exceed $400 a month."]) is None
    assert missing("Welches Monatsbudget gilt für die API?", ["API-Kosten: höchstens 200 € im Monat"]) is None
    # A target counted in money is answered by an amount.
    assert missing("What revenue target did we set?", ["Generate $10,000 in monthly revenue."]) is None
    # A name the question already says doesn't answer it, and a class name doesn't say which model runs.
    claim = "Welk AI-model analyseert de schadefoto's in ClaimAssist?"
    assert missing(claim, ["ClaimAssist verwerkt schadefoto's automatisch."]) == "name"
    assert missing(claim, ["**Model**: Claude Vision API (claude-sonnet-4)"]) is None
    analysis = "Welches LLM-Modell führt die asynchrone KI-Analyse aus?"
    assert missing(analysis, ["Der Handler gibt den Job an die AnalysisJobQueue weiter."]) == "name"
    assert missing(analysis, ["Die Analyse läuft auf GPT-4o-mini."]) is None
    # A target counted in time is answered by a span of time, not by a length in tokens.
    documentation = "What's the target documentation time per visit?"
    assert missing(documentation, ["| Documentation time per visit | 15-20 minutes | 5-8 minutes |"]) is None
    assert missing("What response-time target does the bot have?", ["AI Response: ~150 Tokens"]) == "target"


def _titled(title: str, text: str) -> Passage:
    return Passage("x#0", "prds/x.md", title, "", text, "prds", 1.0, 0.5, 0.5)


def test_the_aspect_drops_the_words_that_name_the_subject() -> None:
    passages = [
        _titled("Invoice Extractor MVP", "The invoice extractor reads PDFs. Max 10 files per upload session."),
        _titled("Invoice Extractor MVP", "Invoices are parsed into fields by the extractor."),
    ]
    asked = aspect("How many invoices can someone drop into the invoice extractor at once?", passages)
    assert "extractor" not in asked.lower() and "drop" in asked


def test_hard_wrapped_prose_is_one_sentence_but_lists_tables_and_code_keep_their_lines() -> None:
    text = (
        "Jede Angabe trägt ein Zitat. Was die Prüfung nicht besteht, wird auf\n"
        "höchstens 30 Prozent Sicherheit gedeckelt und als unbestätigt gekennzeichnet.\n"
        "- Short bullet\n"
        "- A bullet that runs on over the end of its line because the author wraps\n"
        "  at a fixed width, like many plain-text PRDs\n"
        "| Stage | Target |\n"
        "| Beta | 80% |\n"
        "```\n"
        "User Question -> [1] Filter Parser -> [2] SQL Filter Query -> [3] Retrieve Metadata\n"
        "-> [4] Cosine Similarity\n"
        "```\n"
    )
    parts = [sentence for sentence, _ in split(_titled("Doc-Flow", text))]
    assert (
        "Was die Prüfung nicht besteht, wird auf höchstens 30 Prozent Sicherheit gedeckelt und als unbestätigt "
        "gekennzeichnet." in parts
    )
    assert "Short bullet" in parts
    assert (
        "A bullet that runs on over the end of its line because the author wraps at a fixed width, like many "
        "plain-text PRDs" in parts
    )
    assert "| Beta | 80% |" in parts
    assert "User Question -> [1] Filter Parser -> [2] SQL Filter Query -> [3] Retrieve Metadata" in parts


def test_list_markers_and_emphasis_are_not_quoted() -> None:
    assert clean("- **Owner:** Priya Raman") == "Owner: Priya Raman"
    assert clean("> 3. Upload audio file (mp3, wav).") == "Upload audio file (mp3, wav)."


def test_the_answering_sentence_is_quoted_in_bold(bundled_deps: Deps) -> None:
    answer = answer_question(bundled_deps, "How is the human override rate measured?")
    assert answer.answered
    assert "**How to measure: Log accept, edit and reject actions per output;" in answer.markdown


PRD = """# Invoice Extractor MVP

## Overview

The invoice extractor reads supplier invoices (PDF and CSV) and fills the accounting fields for review.
Owner: Dana Whitfield, product manager for finance tools.

## Scope

Max 10 files per upload session. Scanned invoices fall back to OCR.
The pilot runs with the accounts payable team first, then all of finance.

## Success criteria

Field extraction reaches more than 90% accuracy across common invoice fields.
Reviewers confirm a batch of ten invoices in under five minutes.
"""


def test_a_fact_the_prd_never_states_is_declined_with_the_closest_sentence(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    write(tmp_path / "kb", "prds/invoice-extractor.md", PRD)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()

    near_miss = answer_question(deps, "What is the launch date of the invoice extractor MVP?")
    assert not near_miss.answered
    assert near_miss.markdown.startswith("I don't know: *Invoice Extractor MVP* doesn't state a date.")
    assert "The closest it says [1]:" in near_miss.markdown
    assert near_miss.sources and near_miss.sources[0].path == "prds/invoice-extractor.md"
    assert not answer_question(deps, "What monthly price will customers pay for the invoice extractor?").answered

    # Asked in German or Dutch, the bot's own words follow the question; the quote stays as the PRD has it.
    german = answer_question(deps, "Was ist das Startdatum des Invoice Extractor MVP?")
    assert not german.answered and german.lang == "de"
    assert german.markdown.startswith("Das weiß ich nicht: *Invoice Extractor MVP* nennt kein Datum.")
    dutch = answer_question(deps, "Wat is de lanceringsdatum van de Invoice Extractor MVP?")
    assert not dutch.answered and dutch.markdown.startswith(
        "Dat weet ik niet: *Invoice Extractor MVP* vermeldt geen datum."
    )

    stated = answer_question(deps, "How many files can I upload at once to the invoice extractor?")
    assert stated.answered and "**Max 10 files per upload session.**" in stated.markdown
    owner = answer_question(deps, "Who owns the invoice extractor?")
    assert owner.answered and "Dana Whitfield" in owner.markdown


NOTES_PRD = """# Quillnote PRD

## Overview

Quillnote turns uploaded meeting recordings into summaries with decisions and action items.
Recordings are uploaded as MP3 or WAV files and transcribed before summarising.

## Success metrics

Half of the pilot teams use Quillnote for at least three meetings a month.
"""

RECORDER_PRD = """# Tapewise PRD

## Scope

Tapewise records calls in the browser. Recordings of up to 2 hours are accepted; longer ones are split.
"""


def test_a_question_naming_its_feature_is_answered_from_that_document_only(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    write(tmp_path / "kb", "prds/quillnote.md", NOTES_PRD)
    write(tmp_path / "kb", "prds/tapewise.md", RECORDER_PRD)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()

    # Tapewise states a recording length; Quillnote, the feature asked about, doesn't.
    answer = answer_question(deps, "What is the maximum recording length Quillnote accepts?")
    assert not answer.answered
    assert answer.markdown.startswith("I don't know: *Quillnote PRD* doesn't state a duration or time limit.")
    assert answer.sources[0].path == "prds/quillnote.md"

    stated = answer_question(deps, "How long can recordings be in Tapewise?")
    assert stated.answered and "Recordings of up to 2 hours are accepted" in stated.markdown
    assert stated.sources[0].path == "prds/tapewise.md"


def _passage(text: str, section: str = "Requirements") -> Passage:
    return Passage(
        id="p1",
        path="prds/cms.md",
        title="CMS AI",
        section=section,
        text=text,
        doctype="prd",
        score=0.5,
        similarity=0.5,
        keyword=0.5,
    )


def _no_overlap(query: str, texts: list[str]) -> list[float]:
    return [0.0 for _ in texts]


def test_a_bullet_is_read_under_the_label_it_sits_under(local_model: EmbeddingModel) -> None:
    text = (
        "**Provider management:**\n- Status display: available, unreachable\n- Test button for the connection\n"
        "**API key and credential management:**\n- Encrypted storage (AES-256 or stronger)\n- Key rotation reminders\n"
    )
    ranked = rank("How are the API keys stored?", [_passage(text)], local_model.embed_batch, _no_overlap)
    stored = next(s for s in ranked if s.text.startswith("Encrypted storage"))
    assert stored.in_context > stored.cosine  # the label says what the bullet is about
    assert ranked.index(stored) < 2


def test_a_table_row_is_read_under_its_header(local_model: EmbeddingModel) -> None:
    text = (
        "| Priority | First Response | Resolution |\n|---|---|---|\n"
        "| P1 Critical | < 1 uur | < 4 uur |\n| P2 Normal | < 4 uur | < 24 uur |\n\n"
        "**Notes:**\n- Tickets arrive by e-mail and chat\n"
    )
    ranked = rank(
        "What is the first response time for critical tickets?", [_passage(text)], local_model.embed_batch, _no_overlap
    )
    critical = next(s for s in ranked if s.text.startswith("| P1 Critical"))
    assert critical.in_context > critical.cosine  # the header says what the cells are
    assert critical.relevance == pytest.approx(
        COSINE_WEIGHT * critical.in_context + OVERLAP_WEIGHT * critical.overlap + PASSAGE_WEIGHT * critical.retrieval
    )
    assert ranked[0] is critical
    # The header row itself is read plainly, and so are lines after the table.
    header = next(s for s in ranked if s.text.startswith("| Priority"))
    assert header.in_context == header.cosine


def test_a_sentence_with_a_value_of_the_asked_kind_is_quoted_first_but_relevance_ignores_it(
    local_model: EmbeddingModel,
) -> None:
    text = "The sender gets an automatic reply from the bot.\nOriginal sender receives response within 2 minutes.\n"
    question = "How quickly does the sender get an automatic reply?"
    ranked = rank(question, [_passage(text)], local_model.embed_batch, _no_overlap, asked_kind(question))
    assert asked_kind(question) == "duration"
    assert ranked[0].text == "Original sender receives response within 2 minutes." and ranked[0].fits
    other = ranked[1]
    assert other.score == other.relevance and not other.fits  # no bonus without a value of the kind
    assert ranked[0].score - ranked[0].relevance >= KIND_WEIGHT


ROUTER_PRD = """# Helpdesk router PRD

## Intake

Incoming helpdesk e-mails are read by the router and sorted into billing, outage and account queues.

## Queues

Each queue has an owner team; outage mails are routed to the on-call engineer within minutes.

## Feedback

Agents move a misrouted mail to the right queue, and the router learns from every move.

## Rollout

The router starts in shadow mode next to the manual sorting, then takes over one queue at a time.
"""

FINANCE_MEMO = """# Finance memo

## Reporting

The finance team files 40 expense reports per day.
"""


def test_a_question_most_passages_of_one_document_answer_is_answered_from_that_document_only(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    write(tmp_path / "kb", "prds/router.md", ROUTER_PRD)
    write(tmp_path / "kb", "memos/finance.md", FINANCE_MEMO)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    question = "How many misrouted mails do agents move to the right queue per day?"

    gathered = gather(deps, question, 5)
    assert gathered.named is None and gathered.about == "prds/router.md"
    # The memo states a count per day, of something else: the document the question is about states none.
    answer = answer_question(deps, question)
    assert not answer.answered
    assert "40 expense reports" not in answer.markdown


def test_a_named_document_is_also_searched_on_its_own_beyond_the_collection_s_top(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    filler = "".join(
        f"\n## Workflow step {n}\n\n" + "Reviewers read the draft notes and correct them. " * 12 for n in range(3)
    )
    write(
        tmp_path / "kb",
        "prds/quillnote.md",
        NOTES_PRD + filler + "\n## Limits\n\nFiles larger than 200 MB are refused.\n",
    )
    write(tmp_path / "kb", "prds/tapewise.md", RECORDER_PRD)
    for n in range(7):
        write(
            tmp_path / "kb",
            f"prds/uploader-{n}.md",
            f"# Uploader {n}\n\n## Limits\n\nUploads of meeting recordings "
            f"stay under {100 + n} MB per file; larger meeting recordings are rejected.\n",
        )
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    question = "What upload size limit per file does Quillnote set for meeting recordings?"

    # Searched on its own, a document gives only its passages, best first; an unknown one gives none.
    own = deps.retriever.search(question, k=3, document="prds/quillnote.md")
    assert own and {p.path for p in own} == {"prds/quillnote.md"}
    assert any(p.section.endswith("Limits") for p in own)
    assert deps.retriever.search(question, k=3, document="prds/nothing.md") == []

    # The collection's top passages are the uploaders' and Quillnote's overview; its limit comes along after them.
    pool = deps.retriever.search(question, k=8)
    assert "prds/quillnote.md" in {p.path for p in pool}
    assert not any(p.path == "prds/quillnote.md" and "200 MB" in p.text for p in pool)
    gathered = gather(deps, question, k=2)
    assert gathered.named == "prds/quillnote.md"
    assert any(p.path == "prds/quillnote.md" and "200 MB" in p.text for p in gathered.passages)
    answer = answer_question(deps, question, k=2)
    assert answer.answered and "200 MB" in answer.markdown


def test_a_question_in_another_language_than_its_best_passage_needs_less_evidence(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel
) -> None:
    write(tmp_path / "kb", "prds/quillnote.md", NOTES_PRD)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False)
    deps.index.reindex()
    english = "How are meeting recordings uploaded to Quillnote?"
    german = "Wie werden Besprechungsaufnahmen in Quillnote hochgeladen?"
    base = min_evidence(deps)
    assert evidence_threshold(deps, english, deps.retriever.search(english, k=3)) == base
    assert evidence_threshold(deps, german, deps.retriever.search(german, k=3)) == base * CROSS_LANGUAGE_EVIDENCE
    assert evidence_threshold(deps, german, []) == base


def test_before_declining_a_fact_the_document_is_read_further(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.answers.answer as answering

    filler = "".join(
        f"\n## Workflow step {step}\n\n" + "Reviewers read the draft notes and correct them. " * 12 for step in "ABC"
    )
    overview = "# Quillnote PRD\n\n## Overview\n\nQuillnote turns uploaded meeting recordings into summaries.\n"
    write(
        tmp_path / "kb",
        "prds/quillnote.md",
        overview + filler + "\n## Limits\n\nFiles larger than 200 MB are refused.\n",
    )
    write(tmp_path / "kb", "prds/tapewise.md", RECORDER_PRD)
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False, answer_cache=False)
    deps.index.reindex()
    question = "What is the maximum file size Quillnote accepts for meeting recordings?"
    # Only the named document's best passage is read at first, and its limit is not in it.
    monkeypatch.setattr(answering, "NAMED_PASSAGES", 1)
    gathered = gather(deps, question, k=1)
    assert gathered.named == "prds/quillnote.md"
    assert not any("200 MB" in p.text for p in gathered.passages)

    monkeypatch.setattr(answering, "DEEPER_PASSAGES", 0)
    assert not answer_question(deps, question, k=1).answered
    monkeypatch.setattr(answering, "DEEPER_PASSAGES", 25)
    answer = answer_question(deps, question, k=1)
    assert answer.answered and "200 MB" in answer.markdown


def test_a_time_asked_is_read_with_its_unit_its_percentile_and_how_long_something_is_kept() -> None:
    cached = "How long do we keep generated reply suggestions cached before they expire?"
    assert missing(cached, ["Cache generated replies (expire after 1 hour)"]) is None
    p95 = "Binnen hoeveel seconden moet Amari een verhaaltje genereren (p95)?"
    assert missing(p95, ["Story generation time: < 30 seconds (95th percentile)"]) is None
    assert missing(p95, ["Average story generation time: 30 seconds"]) == "duration"
    hours = "How many hours does the escalation group have to resolve an escalated e-mail?"
    assert missing(hours, ["Email processing: < 30 seconds per email"]) == "duration"
    assert missing(hours, ["Escalations are resolved within 4 hours."]) is None
    assert missing("How many days do we have for the review?", ["The review takes two weeks."]) is None
    # A response time is a time, not a text's length; a text's length still answers how long a text is.
    response = "Welke maximale responstijd moet de assistent halen?"
    assert missing(response, ["Laag 1: vaste kennis (~2000 tokens)"]) == "duration"
    assert missing(response, ["Responstijd < 3 s"]) is None
    assert missing("How long should the summary be?", ["Summaries run 100-200 words."]) is None


def test_a_cohort_day_is_no_date_and_targeting_asks_for_a_target() -> None:
    assert asked_kind("For the bedtime stories, what Day 30 retention are we aiming for?") == "target"
    assert asked_kind("What Day-30 retention are we targeting for the expense tracker?") == "target"
    assert asked_kind("On what day do we launch the beta?") == "date"
    assert asked_kind("Which ad targeting options are in scope?") is None


def test_a_time_limit_is_looked_for_beyond_the_three_closest_sentences(
    tmp_path: Path, make_deps: MakeDeps, local_model: EmbeddingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.answers.answer as answering

    write(
        tmp_path / "kb",
        "prds/storyloom.md",
        "# Storyloom PRD\n\n## Overview\n\n"
        "Storyloom generates a bedtime story from three toys a child picks. "
        "Parents generate a story in the app each evening. "
        "The generated story is read aloud by a narrator voice. "
        "Each generated story gets an illustration. "
        "A story can be generated again with other toys.\n\n"
        "## Non-functional requirements\n\n- Availability: 99.5%\n- Generation: < 30 seconds (95th percentile)\n",
    )
    deps = make_deps(tmp_path / "kb", local_model, builtin_playbook=False, answer_cache=False)
    deps.index.reindex()
    question = "How quickly must Storyloom generate a story?"
    monkeypatch.setattr(answering, "_READ_FURTHER", ())
    assert not answer_question(deps, question, k=3).answered
    monkeypatch.setattr(answering, "_READ_FURTHER", ("duration",))
    answer = answer_question(deps, question, k=3)
    assert answer.answered and "30 seconds" in answer.markdown


def test_a_price_is_not_answered_by_revenue_savings_or_the_cost_of_ownership() -> None:
    monthly = "Welcher Monatspreis ist für das Premium-Tier geplant?"
    assert missing(monthly, ["Revenue: €50K ARR durch neue Premium-Feature-Tier in Q1 2026"]) == "money"
    assert missing(monthly, ["Premium-Tier: 19 € pro Monat"]) is None
    seat = "Welke prijs per gebruiker per maand vragen we klanten?"
    assert missing(seat, ["NFR-030: Total cost of ownership < $50/user/month"]) == "money"
    # A price named next to a revenue figure still answers, and revenue asked is answered by revenue.
    assert missing("What is the price of the Pro plan?", ["Pro plan price: $20/month (ARR target $1M)"]) is None
    assert missing("What revenue do we expect from the Pro plan?", ["Revenue: €50K ARR in Q1"]) is None
