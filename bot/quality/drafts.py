"""Eval-plan drafts scored against PRDs marked by hand: outcomes carried, template prompts, false gaps, metric fit.

A marks file (the format is described in `tests/devsets/drafts/README.md`) lists documents, each with
the outcomes its authors state, the questions they really ask, the template guidance left in it, the
facts it states (by gap key) and the catalog metrics a plan for it must and must not propose. `evaluate`
drafts a plan for every document the way `draft-evals --prd` does and scores it; the report pools the
scores per half of the set (`tune`, `check`) and over all documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.evalplans.generate import draft_evals
from bot.evalplans.inputs import read_prd
from bot.exceptions import InputError

if TYPE_CHECKING:
    from bot.evalplans.plan import EvalDraft, OpenQuestion
    from bot.wiring import Deps

HALVES = ("tune", "check")

# An outcome counts as carried when a PRD-sourced success criterion holds this share of its words
# and every number it states.
OUTCOME_COVERAGE = 0.6
QUESTION_COVERAGE = 0.8

# Today's gap questions by what they look for, for plans that don't name the key themselves (an LLM's
# plan, or an older draft). Checked in this order: "confidence thresholds … calibrated" is calibration.
_GAP_WORDING: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (key, re.compile(pattern, re.I))
    for key, pattern in (
        ("calibration", r"calibrat"),
        ("confidence_threshold", r"confidence threshold"),
        ("per_language_target", r"per-language|between languages"),
        ("languages", r"which languages|launch language"),
        ("prompt_injection", r"prompt injection\)?:|instructions to the model"),
        ("adversarial", r"attacks|adversarial"),
        ("users", r"who are the users|user groups?\b"),
        ("outcome", r"which outcome|baseline to which target"),
        ("eval_set", r"eval set|labell?ed|labels it"),
        ("latency", r"latency"),
        ("cost", r"\bcost"),
        ("fallback", r"fallback|down, slow or unsure"),
        ("unanswerable", r"sources don't answer|unanswerable"),
        ("override", r"correct or reject|override"),
        ("retraining", r"retrain|re-evaluat"),
        ("rollout", r"roll(?:s)? ?out"),
        ("gate_owner", r"owns the launch gates|gate owner"),
        ("monitoring", r"reviews sampled|production outputs"),
        ("risks", r"\brisks?\b"),
        ("data", r"\bdata\b"),
    )
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORD = re.compile(r"\w+")
_MARKUP = re.compile(r"[*_`>#|\[\]]|\(https?://[^)\s]{0,300}\)")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"})


def normalise(text: str) -> str:
    """Lower case, Markdown emphasis, quote markers and link targets dropped, whitespace collapsed."""
    text = _MARKUP.sub(" ", text.translate(_QUOTES).lower())
    return re.sub(r"\s+", " ", text).strip(" .:;,")


def words(text: str) -> set[str]:
    """The words of a text as the scorer compares them (numbers too, single letters not)."""
    return {word for word in _WORD.findall(normalise(text)) if len(word) > 1 or word.isdigit()}


def numbers(text: str) -> set[str]:
    return {number.replace(",", ".") for number in _NUMBER.findall(text)}


def coverage(part: str, whole: str) -> float:
    """Share of `part`'s words that occur in `whole`."""
    wanted = words(part)
    return len(wanted & words(whole)) / len(wanted) if wanted else 0.0


def same_question(marked: str, listed: str) -> bool:
    """True when a listed open question is the marked one (quoted whole, cut short, or reworded lightly)."""
    a, b = normalise(marked), normalise(listed)
    if not a or not b:
        return False
    if a in b or (len(b) >= 12 and b.rstrip("?…. ") in a):
        return True
    return coverage(marked, listed) >= QUESTION_COVERAGE


def gap_key(question: OpenQuestion) -> str | None:
    """What a gap question looked for: the key it names, else the key its wording stands for."""
    key = getattr(question, "key", None)
    if key:
        return str(key)
    return next((key for key, pattern in _GAP_WORDING if pattern.search(question.question)), None)


@dataclass(frozen=True)
class MarkedOutcome:
    text: str
    baseline: str | None = None
    target: str | None = None
    metric: str | None = None


@dataclass(frozen=True)
class MarkedDoc:
    """One document of the set and what a plan drafted from it must carry, skip and include."""

    path: Path
    lang: str
    kind: str
    feature: str
    half: str
    feature_type: str | None = None
    outcomes: tuple[MarkedOutcome, ...] = ()
    open_questions: tuple[str, ...] = ()
    template_prompts: tuple[str, ...] = ()
    not_open_questions: tuple[str, ...] = ()
    states: dict[str, str] = field(default_factory=dict)
    metrics_expected: tuple[str, ...] = ()
    metrics_expected_new: tuple[str, ...] = ()
    metrics_inappropriate: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.stem


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value or ()) if isinstance(value, list | tuple) or value is None else ()


def load_marks(path: Path) -> list[MarkedDoc]:
    """Read a marks file; document paths are relative to its folder."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        docs = []
        for row in data["docs"]:
            outcomes = tuple(
                MarkedOutcome(
                    text=str(item["text"]),
                    baseline=None if item.get("baseline") is None else str(item["baseline"]),
                    target=None if item.get("target") is None else str(item["target"]),
                    metric=item.get("metric"),
                )
                for item in row.get("outcomes") or ()
            )
            docs.append(
                MarkedDoc(
                    path=path.parent / str(row["doc"]),
                    lang=str(row.get("lang", "en")),
                    kind=str(row.get("kind", "")),
                    feature=str(row["feature"]),
                    half=str(row.get("half") or "tune"),
                    feature_type=row.get("feature_type"),
                    outcomes=outcomes,
                    open_questions=_strings(row.get("open_questions")),
                    template_prompts=_strings(row.get("template_prompts")),
                    not_open_questions=_strings(row.get("not_open_questions")),
                    states={str(key): str(value) for key, value in (row.get("states") or {}).items()},
                    metrics_expected=_strings(row.get("metrics_expected")),
                    metrics_expected_new=_strings(row.get("metrics_expected_new")),
                    metrics_inappropriate=_strings(row.get("metrics_inappropriate")),
                )
            )
        return docs
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise InputError(f"can't read the marks file {path}: {error}") from error


@dataclass
class DocScore:
    """How one drafted plan fares against its document's marks."""

    doc: MarkedDoc
    feature_type: str
    outcomes_carried: list[str] = field(default_factory=list)
    outcomes_missed: list[str] = field(default_factory=list)
    targets_marked: int = 0
    targets_kept: int = 0
    metrics_marked: int = 0
    metrics_matched: int = 0
    template_prompts_listed: list[str] = field(default_factory=list)
    not_open_listed: list[str] = field(default_factory=list)
    questions_kept: list[str] = field(default_factory=list)
    questions_missed: list[str] = field(default_factory=list)
    gaps: list[tuple[str | None, str]] = field(default_factory=list)
    false_gaps: list[tuple[str, str]] = field(default_factory=list)
    metrics: tuple[str, ...] = ()
    expected_missing: list[str] = field(default_factory=list)
    inappropriate_present: list[str] = field(default_factory=list)
    new_metrics_found: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        marked = len(self.doc.outcomes)
        return {
            "doc": self.doc.name,
            "half": self.doc.half,
            "kind": self.doc.kind,
            "lang": self.doc.lang,
            "feature_type": self.feature_type,
            "feature_type_marked": self.doc.feature_type,
            "outcomes": marked,
            "outcomes_carried": len(self.outcomes_carried),
            "outcomes_missed": self.outcomes_missed,
            "targets_marked": self.targets_marked,
            "targets_kept": self.targets_kept,
            "metrics_marked": self.metrics_marked,
            "metrics_matched": self.metrics_matched,
            "template_prompts_listed": self.template_prompts_listed,
            "not_open_questions_listed": self.not_open_listed,
            "open_questions": len(self.doc.open_questions),
            "open_questions_kept": len(self.questions_kept),
            "open_questions_missed": self.questions_missed,
            "gaps": len(self.gaps),
            "false_gaps": [f"{key}: {text}" for key, text in self.false_gaps],
            "metrics": list(self.metrics),
            "metrics_expected_missing": self.expected_missing,
            "metrics_inappropriate_present": self.inappropriate_present,
            "metrics_new_found": f"{len(self.new_metrics_found)}/{len(self.doc.metrics_expected_new)}",
        }


def _criterion_text(criterion: Any) -> str:
    parts = [criterion.statement, criterion.baseline or "", criterion.target or "", getattr(criterion, "metric", "")]
    return " ".join(str(part) for part in parts if part)


def _best(candidates: Iterable[Any], score: Callable[[Any], float]) -> tuple[Any, float]:
    best, top = None, 0.0
    for candidate in candidates:
        value = score(candidate)
        if value > top:
            best, top = candidate, value
    return best, top


def _value_kept(marked: str, criterion: Any, *fields: str) -> bool:
    """The marked baseline or target is in the criterion: its numbers, or (without numbers) its words."""
    text = " ".join(str(getattr(criterion, name, None) or "") for name in fields)
    wanted = numbers(marked)
    if wanted:
        return wanted <= numbers(text)
    if not words(marked):  # a placeholder ("X%") has neither numbers nor words of two letters: compare it whole
        return bool(normalise(marked)) and normalise(marked) in normalise(text)
    return coverage(marked, text) >= 0.5


def score_plan(doc: MarkedDoc, plan: EvalDraft) -> DocScore:
    """Score one plan against its document's marks."""
    score = DocScore(doc=doc, feature_type=plan.feature_type, metrics=tuple(m.name for m in plan.metrics))
    criteria = [c for c in plan.success_criteria if c.source == "prd"]
    for outcome in doc.outcomes:
        wanted = numbers(outcome.text)

        def fit(criterion: Any, outcome: MarkedOutcome = outcome, wanted: set[str] = wanted) -> float:
            text = _criterion_text(criterion)
            return coverage(outcome.text, text) if wanted <= numbers(text) else 0.0

        criterion, top = _best(criteria, fit)
        if criterion is None or top < OUTCOME_COVERAGE:
            score.outcomes_missed.append(outcome.text)
            score.targets_marked += outcome.target is not None
            score.metrics_marked += outcome.metric is not None
            continue
        score.outcomes_carried.append(outcome.text)
        if outcome.target is not None:
            # Any criterion that carries the outcome may carry its target (a list names it, a table sets it).
            carrying = [c for c in criteria if fit(c) >= OUTCOME_COVERAGE]
            score.targets_marked += 1
            score.targets_kept += any(
                _value_kept(outcome.target, c, "target", "statement", "baseline") for c in carrying
            )
        if outcome.metric is not None:
            score.metrics_marked += 1
            named = str(getattr(criterion, "metric", None) or "")
            score.metrics_matched += named.lower() == outcome.metric.lower()

    asked = [q.question for q in plan.open_questions if q.origin == "prd"]
    score.template_prompts_listed = [p for p in doc.template_prompts if any(same_question(p, q) for q in asked)]
    score.not_open_listed = [p for p in doc.not_open_questions if any(same_question(p, q) for q in asked)]
    for question in doc.open_questions:
        kept = any(same_question(question, q) for q in asked)
        (score.questions_kept if kept else score.questions_missed).append(question)
    for listed in plan.open_questions:
        if listed.origin != "gap":
            continue
        key = gap_key(listed)
        score.gaps.append((key, listed.question))
        if key is not None and key in doc.states:
            score.false_gaps.append((key, listed.question))

    names = {name.lower() for name in score.metrics}
    score.expected_missing = [m for m in doc.metrics_expected if m.lower() not in names]
    score.inappropriate_present = [m for m in doc.metrics_inappropriate if m.lower() in names]
    described = " ".join(f"{m.name} {m.definition}" for m in plan.metrics)
    score.new_metrics_found = [
        need for need in doc.metrics_expected_new if coverage(re.split(r"[(/]", need, maxsplit=1)[0], described) >= 0.6
    ]
    return score


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def summarise(scores: Sequence[DocScore]) -> dict[str, Any]:
    """Pooled scores over some documents (a half, or all of them)."""
    outcomes = sum(len(s.doc.outcomes) for s in scores)
    carried = sum(len(s.outcomes_carried) for s in scores)
    with_outcomes = [s for s in scores if s.doc.outcomes]
    per_doc = [len(s.outcomes_carried) / len(s.doc.outcomes) for s in with_outcomes]
    questions = sum(len(s.doc.open_questions) for s in scores)
    expected = sum(len(s.doc.metrics_expected) for s in scores)
    sets: dict[frozenset[str], set[str]] = {}
    for s in scores:
        sets.setdefault(frozenset(s.metrics), set()).add(s.doc.kind)
    return {
        "docs": len(scores),
        "outcomes_marked": outcomes,
        "outcomes_carried": carried,
        "outcomes_carried_share": _share(carried, outcomes),
        "outcomes_carried_per_doc": round(sum(per_doc) / len(per_doc), 3) if per_doc else None,
        "targets_kept": f"{sum(s.targets_kept for s in scores)}/{sum(s.targets_marked for s in scores)}",
        "metrics_matched": f"{sum(s.metrics_matched for s in scores)}/{sum(s.metrics_marked for s in scores)}",
        "template_prompts_listed": sum(len(s.template_prompts_listed) for s in scores),
        "not_open_questions_listed": sum(len(s.not_open_listed) for s in scores),
        "open_questions_kept": f"{sum(len(s.questions_kept) for s in scores)}/{questions}",
        "open_questions_kept_share": _share(sum(len(s.questions_kept) for s in scores), questions),
        "gaps": sum(len(s.gaps) for s in scores),
        "false_gaps": sum(len(s.false_gaps) for s in scores),
        "metrics_expected_present": _share(expected - sum(len(s.expected_missing) for s in scores), expected),
        "metrics_inappropriate_present": sum(len(s.inappropriate_present) for s in scores),
        "distinct_metric_sets": len(sets),
        "kinds": len({s.doc.kind for s in scores}),
        "metric_sets_shared_across_kinds": sum(1 for kinds in sets.values() if len(kinds) > 1),
        "feature_type_right": f"{sum(s.feature_type == s.doc.feature_type for s in scores if s.doc.feature_type)}"
        f"/{sum(1 for s in scores if s.doc.feature_type)}",
    }


@dataclass
class DraftsReport:
    """The scores of every drafted plan, pooled per half."""

    mode: str
    scores: list[DocScore] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        halves = {half: summarise([s for s in self.scores if s.doc.half == half]) for half in HALVES}
        return {
            "mode": self.mode,
            "halves": {half: row for half, row in halves.items() if row["docs"]},
            "all": summarise(self.scores),
            "docs": [s.as_dict() for s in self.scores],
        }

    def table(self) -> str:
        """Markdown: one row per score, one column per half and for all documents."""
        report = self.as_dict()
        columns = [*report["halves"], "all"]
        rows = [report["halves"][c] if c != "all" else report["all"] for c in columns]
        lines = ["| score | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
        lines += [f"| {key} | " + " | ".join(str(row[key]) for row in rows) + " |" for key in rows[0]]
        return "\n".join(lines)


def evaluate(deps: Deps, docs: Sequence[MarkedDoc], half: str | None = None) -> DraftsReport:
    """Draft a plan for every document (of one half, if given) and score it."""
    mode = "generated" if deps.llm is not None and deps.llm.enabled else "deterministic"
    report = DraftsReport(mode=mode)
    for doc in docs:
        if half and doc.half != half:
            continue
        prd = read_prd(doc.path, int(deps.settings.max_file_mb * 1_000_000))
        report.scores.append(score_plan(doc, draft_evals(deps, doc.feature, prd)))
    return report
