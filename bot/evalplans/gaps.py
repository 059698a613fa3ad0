"""What a PRD leaves out that an eval plan needs: each gap becomes an open question.

A gap is skipped when the PRD already asks the question itself (its open questions mention an
eval set, say). The cue words cover English, German and Dutch.
"""

from __future__ import annotations

import re

from bot.evalplans.feature_types import FeatureTypeGuess
from bot.evalplans.metric_catalog import MetricCatalog
from bot.evalplans.plan import EvalSet, Metric
from bot.evalplans.prd.facts import PrdFacts
from bot.evalplans.prd.words import LANGUAGE_OF_CODE

_OVERRIDE = re.compile(
    r"overrid\w*|undo|ongedaan|rückgängig|\bedit\w*|bearbeit\w*|korrigier\w*|korrektur\w*|correct(?:ion|ie)\w*|"
    r"corrig\w*|thumbs|feedback|reject\w*|dismiss\w*|bestätig\w*|doorzetten",
    re.I,
)
ADVERSARIAL_WORDS = re.compile(
    r"injection|adversarial|red.?team|fraud|betrug|fraude|misuse|missbrauch|misbruik|leak\w*|\blek\b|datalek|"
    r"jailbreak|manipul\w*",
    re.I,
)
_UNANSWERABLE = re.compile(
    r"no article|cannot answer|can't answer|not answer|unanswer\w*|don't know|keine antwort|geen antwoord|"
    r"never answer|contact support|say that no",
    re.I,
)
_MONITORING = re.compile(
    r"drift|monitor\w*|retrain\w*|hertrain\w*|nachtrain\w*|überwach\w*|bewak\w*|audit\w*|steekproef|stichprobe\w*|"
    r"sampl\w*|weekly review|wöchentlich|wekelijks",
    re.I,
)
_PER_LANGUAGE = re.compile(r"per.language|per-language|pro sprache|je sprache|per taal|tussen talen", re.I)
_RETRAINING = re.compile(
    r"drift|retrain\w*|hertrain\w*|nachtrain\w*|re-?evaluat\w*|neu trainier\w*|opnieuw train\w*", re.I
)
_EVAL_QUESTION = re.compile(r"eval|golden|label|gelabel|annotat", re.I)
_MISSING_EVAL = re.compile(
    r"\b(no|not|without|kein\w*|geen|nog geen|noch kein\w*)\b[^.;]{0,60}\b(label\w*|gelabel\w*|eval\w*|golden)",
    re.I,
)
FALLBACK_WORDS = re.compile(
    r"fall(?:s)?\s?back|degrad\w*|unavailable|\bausfall|rückfall|terugval\w*|vall\w* terug|\buitval|"
    r"non-ai|bisherige|manuelle (?:prüfung|erfassung)|retried|wiederhol\w*|opnieuw",
    re.I,
)
CONFIDENCE_WORDS = re.compile(r"confiden\w*|konfidenz\w*|threshold|schwellenwert|drempel\w*|zekerheid", re.I)


def prd_gaps(
    facts: PrdFacts, guess: FeatureTypeGuess, catalog: MetricCatalog, metrics: list[Metric], eval_set: EvalSet
) -> list[str]:
    """Open questions for what the PRD leaves out; skipped when the PRD already asks them."""
    text = facts.scoped_text
    asked = " ".join(facts.open_questions)
    gaps: list[str] = []
    if not facts.users:
        gaps.append("Who are the users, and what does each group need from the feature? The eval set covers each.")
    if not facts.success_rows and not facts.goals:
        gaps.append(
            "Which outcome must this feature change, from which baseline to which target? Fix it before the build."
        )
    if not facts.eval_set_notes:
        if not _EVAL_QUESTION.search(asked):
            gaps.append(
                f"No labelled eval set is named: who labels about {eval_set.size} real examples"
                + (f" ({eval_set.per_language} per language)" if len(eval_set.languages) > 1 else "")
                + ", from which data, and by when?"
            )
    elif any(_MISSING_EVAL.search(note) for note in facts.eval_set_notes) and not _EVAL_QUESTION.search(asked):
        gaps.append("The PRD says part of the eval set isn't labelled yet: who labels it before the first gate?")
    if not facts.languages:
        written = LANGUAGE_OF_CODE[facts.language]
        hint = f" The PRD is written in {written}: is that the only launch language?" if facts.language != "en" else ""
        gaps.append(
            f"Which languages must it support at launch? Each needs at least {eval_set.per_language} eval "
            f"examples.{hint}"
        )
    latency, cost = catalog.get("latency"), catalog.get("cost-per-query")
    if not facts.latencies:
        default = f" (playbook default: {latency.threshold.rstrip('.')})" if latency else ""
        gaps.append(f"What p50 and p95 latency must it meet? No latency target is set{default}.")
    if facts.cost is None:
        default = f" (playbook default: {cost.threshold.rstrip('.')})" if cost else ""
        gaps.append(f"What may one request cost? No cost target is set{default}.")
    if not FALLBACK_WORDS.search(text):
        gaps.append("What happens when the model is down, slow or unsure? No fallback is defined.")
    if guess.primary in ("classification", "extraction", "rag") and not CONFIDENCE_WORDS.search(text):
        gaps.append("Which confidence threshold separates auto-apply, suggestion and fallback?")
    if guess.primary == "rag" and not _UNANSWERABLE.search(text):
        gaps.append("What does the feature say when the sources don't answer the question?")
    if not _OVERRIDE.search(text):
        gaps.append("How do users correct or reject an output, and is every override logged?")
    if not ADVERSARIAL_WORDS.search(text):
        gaps.append("Which attacks must it withstand (prompt injection, data leaks)? No adversarial cases are named.")
    elif guess.primary != "classification" and not re.search(r"injection|injectie", text, re.I):
        gaps.append("Inputs can carry instructions to the model (prompt injection): which adversarial cases test that?")
    if len(facts.languages) > 1 and not (
        any(m.name == "Fairness gap" and m.threshold_source == "prd" for m in metrics) or _PER_LANGUAGE.search(text)
    ):
        gaps.append(
            f"It supports {len(facts.languages)} languages but sets no per-language quality target: "
            "what gap between languages is acceptable (playbook: at most 5 points)?"
        )
    if (
        guess.primary in ("classification", "extraction", "rag")
        and CONFIDENCE_WORDS.search(text)
        and not re.search(r"calibrat|kalibr|\bece\b", text, re.I)
    ):
        gaps.append("Confidence thresholds only work on calibrated scores: how is calibration measured (ECE)?")
    if not _RETRAINING.search(text):
        gaps.append("What triggers re-evaluation or retraining after launch (drift, new inputs, a model upgrade)?")
    if not facts.rollout:
        gaps.append(
            "How does it roll out (internal, a beta share, general availability), and what must pass at each gate?"
        )
    if not facts.gate_owner:
        owner = f" Is it {facts.owner.split(',')[0]}?" if facts.owner else ""
        gaps.append(f"Who owns the launch gates and can say no?{owner}")
    if not _MONITORING.search(text):
        gaps.append("Who reviews sampled production outputs after launch, and how often?")
    return gaps
