"""The six kinds of AI feature an eval plan is tailored to, and how to tell them from a PRD's words.

A PRD may declare its type (`Feature type: rag`, `Funktionstyp: extraction`, `Type functie:
classification`); that wins. Otherwise the type is inferred from cue words in English, German and
Dutch, counted outside the non-goals (a non-goal like "taking actions for the user" says what the
feature is *not*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, get_args

FeatureType = Literal["classification", "generation", "rag", "summarization", "extraction", "agent"]
FEATURE_TYPES: tuple[FeatureType, ...] = get_args(FeatureType)

LABELS: dict[FeatureType, str] = {
    "classification": "classification",
    "generation": "generation",
    "rag": "RAG / Q&A",
    "summarization": "summarization",
    "extraction": "extraction",
    "agent": "agent",
}

# The words a PRD uses to declare its type, in any of the three languages.
_DECLARED_WORDS: dict[FeatureType, str] = {
    "classification": r"classif|klassifi|routing|routering|triage",
    "generation": r"generat|generier|genereer|drafting|copywriting",
    "rag": r"\brag\b|q\s*&\s*a|question.answering|retrieval|semantic search|zoeken|suche",
    "summarization": r"summar|zusammenfass|samenvat",
    "extraction": r"extract|extrakt|extrah",
    "agent": r"agent",
}

# Cue words in running text (EN / DE / NL), as regex alternatives matched on lowercased text. A word
# with a prefix (`\w*rout…`) starts at a word boundary: otherwise the scan restarts at every letter
# of a long word, which takes quadratic time.
_CUE_WORDS: dict[FeatureType, tuple[str, ...]] = {
    "classification": (
        r"classif\w*",
        r"klassifi\w*",
        r"categori[sz]\w*",
        r"kategorisier\w*",
        r"categorie\w*",
        r"\b\w*rout(?:e|es|ed|ing)\b",
        r"\b\w*routeer\w*|\brouteren\b",
        r"\b\w*routering\w*",
        r"\b\w*gerouteerd\w*",
        r"weiterleit\w*",
        r"triage\w*",
        r"queues?\b",
        r"wachtrij\w*",
        r"warteschlange\w*",
        r"priorit(?:y|ies|ise|ize|ät|eit)\w*",
        r"intent detection",
        r"labels? (?:each|every)",
        r"tagg(?:ing|ed)",
        r"sentiment",
        r"spam",
        r"urgent\w*",
        r"confusion matri\w*",
        # assigning each item to an account or a class ("Kontierung", "Zuordnung zu Sachkonten", "toewijzing")
        r"\bkontier\w*",
        r"\bzuordn\w*|\bzugeordnet",
        r"\btoewijz\w*|\btoegewezen",
    ),
    "extraction": (
        r"extract\w*",
        r"extrakt\w*",
        r"extrahi\w*",
        r"extraheer\w*",
        r"extractie\w*",
        r"auslesen|ausgelesen|ausles\w*",
        r"uitlezen|uitgelezen",
        r"\bfields?\b",
        r"\bfelder\b|\bfeld\w*",
        r"\bvelden\b",
        r"key.value",
        r"\bparse[sd]?\b|\bparsing\b",
        r"\bocr\b",
        r"invoices?\b|rechnung\w*|factu(?:ur|ren)\b",
        r"structured data|strukturierte daten|gestructureerde",
    ),
    "summarization": (
        r"summar\w*",
        r"zusammenfass\w*",
        r"zusammengefasst",
        r"samenvat\w*",
        r"samengevat",
        r"recaps?\b",
        r"digest\w*",
        r"tl;?dr",
        r"condens\w*",
        r"key points|kernpunkte|kernpunten",
        r"long threads?|lange threads?|lange (?:e-mail|mail)",
    ),
    "rag": (
        r"\brag\b",
        r"retriev\w*",
        r"\bsearch\w*",
        r"\bsuche\w*|\bdurchsuch\w*",
        r"\bzoek\w*",
        r"knowledge base\w*|wissensdatenbank\w*|kennisbank\w*",
        r"help cent(?:er|re)\w*|hilfe-?cent\w*",
        r"articles?\b|artikel\w*",
        r"citations?|cites?\b|zitier\w*|bronvermelding\w*|bronnen",
        r"q\s*&\s*a",
        r"answer(?:s|ing)? questions?|fragen beantwort\w*|vragen beantwoord\w*",
        r"ground(?:ed|ing)\b",
        r"embedding\w*",
        r"\bdocuments? search|dokumentensuche",
        # the RAG measures a PRD sets ("Context Relevance", "90% of responses use correct context")
        r"context relevan\w*|(?:retrieved|correct|relevant) context|kontextrelevanz|contextrelevantie",
    ),
    "generation": (
        r"generat(?:e|es|ed|ing)\b",
        r"generier\w*",
        r"genere(?:er|ren|ert)\w*",
        r"\bdraft(?:s|ed|ing)?\b",
        r"entw(?:urf|ürfe)\w*",
        r"\bconcept(?:en)?\b",
        r"\bwrit(?:e|es|ing)\b",
        r"\bschreib\w*",
        r"\bschrijf\w*|\bschrijv\w*",
        r"compos(?:e|es|ing)\b",
        r"rewrit\w*|umschreib\w*|herschrijv\w*",
        r"\breply\b|\breplies\b|antwortvorschl\w*|antwoordvoorstel\w*",
        r"(?:e-?mail|product|marketing) (?:copy|descriptions?)",
        r"translat\w*|übersetz\w*|vertaal\w*",
    ),
    "agent": (
        # "agent" alone is usually a support agent; an AI agent is named as one.
        r"\b(?:ai|llm|autonomous|software|digital|booking|sales|research)[ -]agents?\b",
        r"agentic",
        r"autonom\w*",
        r"tool (?:calls?|use)",
        r"multi-?step",
        r"takes? actions?|perform(?:s)? actions?|aktionen aus\w*|acties uit\w*",
        r"on behalf of|im namen von|namens de gebruiker",
        r"book(?:s|ing)? (?:a|the)? ?(?:meeting|flight|appointment)",
        r"executes?\b|ausführ\w*|uitvoer\w*",
        r"workflow automation|workflow-automati\w*",
        # an agent named by its parts: its pipeline or workflow, its planner, the tools it calls
        r"\bagent (?:pipelines?|workflows?|orchestration|loops?)\b|\bplanner\b",
        r"\btools? (?:involved|failures?|selection)",
        # A chatbot skill that signs the user in and calls a backend acts for them, even without documents.
        r"\bchatbot skills?\b|\bskills?\b|\bintents?\b|utterances?",
        r"authenticat\w*|sign(?:s|ed)? (?:in|on)\b",
    ),
}

_DECLARED = {kind: re.compile(pattern) for kind, pattern in _DECLARED_WORDS.items()}
_CUES = {kind: tuple(re.compile(pattern) for pattern in patterns) for kind, patterns in _CUE_WORDS.items()}

# Headings of sections that say what a feature is NOT (ignored for inference).
_NON_GOALS = re.compile(r"^#{1,6}\s*(non-?goals?|nicht-?ziele|niet-?doelen|out of scope)\b.*$", re.I | re.M)
_HEADING = re.compile(r"^#{1,6}\s", re.M)


NAME_WEIGHT = 4  # a cue word in the name counts like one used four times (the cap of a word in the text)


@dataclass(frozen=True)
class FeatureTypeGuess:
    """The inferred type, any secondary types, and why (for the draft to show)."""

    primary: FeatureType
    secondary: tuple[FeatureType, ...] = ()
    basis: str = ""
    scores: dict[FeatureType, int] = field(default_factory=dict)

    @property
    def all(self) -> tuple[FeatureType, ...]:
        return (self.primary, *self.secondary)


def declared_types(value: str) -> list[FeatureType]:
    """The types named in a `Feature type:` metadata value, in the order written."""
    found: list[tuple[int, FeatureType]] = []
    lowered = value.lower()
    for kind, pattern in _DECLARED.items():
        match = pattern.search(lowered)
        if match:
            found.append((match.start(), kind))
    return [kind for _, kind in sorted(found)]


def without_non_goals(text: str) -> str:
    """The text minus any non-goals section (up to the next heading)."""
    out: list[str] = []
    position = 0
    for match in _NON_GOALS.finditer(text):
        out.append(text[position : match.start()])
        following = _HEADING.search(text, match.end())
        position = following.start() if following else len(text)
    out.append(text[position:])
    return "".join(out)


def cue_scores(text: str) -> dict[FeatureType, tuple[int, list[str]]]:
    """Per type: how many cue words occur, and the distinct words that did (most frequent first)."""
    lowered = without_non_goals(text).lower()
    scores: dict[FeatureType, tuple[int, list[str]]] = {}
    for kind, patterns in _CUES.items():
        counts: dict[str, int] = {}
        for pattern in patterns:
            for match in pattern.finditer(lowered):
                word = match.group(0).strip()
                counts[word] = counts.get(word, 0) + 1
        # Cap each word's weight so one repeated noun ("invoice" 30 times) can't outvote the rest.
        total = sum(min(count, 4) for count in counts.values())
        scores[kind] = (total, sorted(counts, key=lambda word: (-counts[word], word)))
    return scores


def infer_feature_type(text: str, declared: str | None = None, *, name: str = "") -> FeatureTypeGuess:
    """The feature type: the PRD's declaration if it has one, else the strongest cue words, those in the
    feature's name or the PRD's title (`name`) weighing as much as a word used throughout."""
    scores = cue_scores(text)
    for kind, (count, _) in cue_scores(name).items():
        if count:
            scores[kind] = (scores[kind][0] + NAME_WEIGHT * count, scores[kind][1])
    plain_scores = {kind: score for kind, (score, _) in scores.items()}
    named = declared_types(declared or "")
    if named:
        return FeatureTypeGuess(
            primary=named[0],
            secondary=tuple(named[1:]),
            basis=f'declared in the PRD: "{(declared or "").strip()}"',
            scores=plain_scores,
        )
    ranked = sorted(FEATURE_TYPES, key=lambda kind: (-scores[kind][0], FEATURE_TYPES.index(kind)))
    best = ranked[0]
    top = scores[best][0]
    if top == 0:
        return FeatureTypeGuess(
            primary="generation",
            basis="no cue words found, so assumed generation; say which type it is for a sharper plan",
            scores=plain_scores,
        )
    # A second type counts when its cues are nearly as strong (e.g. extraction plus classification).
    secondary = tuple(kind for kind in ranked[1:] if scores[kind][0] >= max(3, 0.7 * top))
    words = ", ".join(scores[best][1][:4])
    return FeatureTypeGuess(
        primary=best, secondary=secondary, basis=f"inferred from cue words ({words})", scores=plain_scores
    )


@dataclass(frozen=True)
class Profile:
    """What an eval plan stresses for one feature type: scoring, slices, drift and further reading."""

    scoring: str
    edge_cases: tuple[str, ...]
    adversarial_cases: tuple[str, ...]
    drift: tuple[str, ...]
    # Per catalog metric key: how to measure it for this type, on top of the catalog's text.
    measure: dict[str, str]
    reading_query: str


PROFILES: dict[FeatureType, Profile] = {
    "classification": Profile(
        scoring="Exact match against the labelled class; per-class precision and recall and a confusion matrix, "
        "not only overall accuracy.",
        edge_cases=(
            "Inputs that fit two classes (overlapping categories)",
            "Very short or nearly empty inputs (a subject line only)",
            "Rare classes, with at least 30-50 examples each",
            "Misspelt and mixed-language inputs",
            "Classes added after training (a new queue or product)",
        ),
        adversarial_cases=(
            "Inputs stuffed with keywords of the wrong class",
            'Instructions inside the input that try to force a class ("mark this urgent")',
        ),
        drift=("Shifts in the class mix (new products, seasonal peaks)", "New classes that have few examples"),
        measure={
            "accuracy": "Exact match per input; report per-class precision and recall and a confusion matrix, "
            "with recall on the most costly class first.",
            "confidence-calibration": "Set the auto-apply and suggestion thresholds on the eval set, "
            "where it shows the accuracy above each threshold.",
        },
        reading_query="confusion matrix precision recall per class classifier",
    ),
    "extraction": Profile(
        scoring="Field-level exact match after normalising formats (dates, amounts, IDs); accuracy per field, "
        "with money, date and ID fields held to the stricter bar.",
        edge_cases=(
            "Low-quality inputs (scans and photos, noisy transcripts)",
            "Missing or optional fields (the right output is empty, not a guess)",
            "Local number and date formats (1.234,56 vs 1,234.56; 03/04 vs 3.4.)",
            "Long inputs near the size limit",
            "Several candidates for one field (two dates, two totals)",
        ),
        adversarial_cases=(
            "Documents that carry instructions to the model",
            "Inputs crafted to plant a false value (changed bank details, an invented figure)",
        ),
        drift=("New input layouts, templates or sources", "Changes in input quality (new scanners, new call tools)"),
        measure={
            "accuracy": "Field-level exact match after normalisation; report accuracy per field and per input source.",
            "confidence-calibration": "Calibrate per field: the auto-apply threshold must show the required "
            "accuracy on the eval set.",
        },
        reading_query="human review of extracted fields confidence threshold highlight uncertain",
    ),
    "summarization": Profile(
        scoring="Rubric grading by two reviewers (correct, complete, grounded, right tone) plus a claim-by-claim "
        "check against the source.",
        edge_cases=(
            "Very long inputs beyond the context budget",
            "Very short inputs with little to summarise",
            "Several languages within one input",
            "Sarcasm, quotes and forwarded text",
            "Later messages that correct earlier ones",
        ),
        adversarial_cases=(
            "Inputs that tempt the summary to state commitments nobody made (refunds, deadlines)",
            "Instructions hidden in the source text",
            "Personal data that must not be surfaced",
        ),
        drift=("Longer inputs and new topics", "Quality in non-English languages after model upgrades"),
        measure={
            "accuracy": "Rubric grading by two reviewers: no factual error, nothing important left out.",
            "hallucination-rate": "Check every claim of the summary against the source messages.",
        },
        reading_query="reduce hallucinations summaries grounded in source",
    ),
    "rag": Profile(
        scoring="Retrieval scored with nDCG@5 against expert-marked passages; answers graded for relevance and "
        "claim-level groundedness against the cited sources.",
        edge_cases=(
            "Questions the sources cannot answer (the right answer says so)",
            "Short, ambiguous queries",
            "Outdated or conflicting sources",
            "Queries in a language that has no source document",
            "The user's own words instead of product terms, with typos",
        ),
        adversarial_cases=(
            "Prompt injection through source documents or queries",
            "Requests for another customer's or user's data",
            "Questions that invite answers from general model knowledge",
        ),
        drift=("New topics without sources (content gaps)", "Stale sources after product changes"),
        measure={
            "relevance": "nDCG@5 for retrieval on golden queries, plus graded answer relevance.",
            "groundedness": "Split each answer into claims and check each against the passages it cites.",
        },
        reading_query="grounding retrieval-augmented generation citations",
    ),
    "generation": Profile(
        scoring="Rubric grading by two reviewers (correct, complete, on-brief, right tone); an LLM judge only "
        "after calibrating it against human labels.",
        edge_cases=(
            "Very long and very short briefs",
            "Every supported language and level of formality",
            "Requests outside the feature's scope",
        ),
        adversarial_cases=(
            "Jailbreak attempts and requests for harmful content",
            "Requests to promise prices, refunds or legal terms",
            "Prompt injection through pasted content",
        ),
        drift=("New kinds of requests", "Tone drift after model upgrades"),
        measure={"accuracy": "Rubric grading by two reviewers on the eval set."},
        reading_query="rubric grading LLM-as-judge calibrated human labels",
    ),
    "agent": Profile(
        scoring="Scripted end-to-end tasks scored for goal completion, wrong or unneeded actions, and steps and "
        "cost per task.",
        edge_cases=(
            "Tasks that need a clarifying question",
            "Tools that fail, time out or return errors",
            "Tasks that should be refused or handed to a human",
            "Long tasks close to the step limit",
        ),
        adversarial_cases=(
            "Prompt injection through tool results or web content",
            "Requests for actions beyond the user's permissions",
            "Inputs that make the agent loop and run up cost",
        ),
        drift=("Changes in the tools and APIs the agent calls", "New kinds of tasks"),
        measure={"task-success-rate": "Run the scripted tasks end to end; count a task as failed on any wrong action."},
        reading_query="human in the loop irreversible actions agent tool calls",
    ),
}
