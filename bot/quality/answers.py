"""Answer-quality eval on a golden set, and calibration of the decline threshold.

`evaluate` asks every golden question and scores what a PM would check: is an expected source
cited, are out-of-scope questions declined, and does any citation point at a source that isn't
listed. It runs in whichever mode the deps are in: extractive offline, generated when an LLM
endpoint is configured. `calibrate` finds the evidence threshold that best separates answerable
from unanswerable questions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from bot.answers.answer import answer_question, distinct
from bot.core.metrics import ANSWERS_KEY, AnswerRecord, percentile
from bot.exceptions import InputError
from bot.quality.quotes import unlisted_citations

if TYPE_CHECKING:
    from bot.wiring import Deps


@dataclass(frozen=True)
class GoldenCase:
    """One golden question: answerable ones name the sources an answer should cite."""

    id: str
    question: str
    answerable: bool
    expected_sources: tuple[str, ...] = ()


@dataclass
class CaseResult:
    case: GoldenCase
    answered: bool
    cited: list[str]
    fabricated: int
    dropped: int
    latency_ms: float

    @property
    def expected_cited(self) -> bool:
        return self.answered and any(path in self.case.expected_sources for path in self.cited)


@dataclass
class EvalReport:
    """The golden-set scores for one mode."""

    mode: str
    model: str
    results: list[CaseResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        answerable = [r for r in self.results if r.case.answerable]
        unanswerable = [r for r in self.results if not r.case.answerable]

        def rate(hits: int, total: int) -> float | None:
            return round(hits / total, 3) if total else None

        return {
            "mode": self.mode,
            "model": self.model,
            "questions": len(self.results),
            "answerable": len(answerable),
            "unanswerable": len(unanswerable),
            "expected_source_cited": rate(sum(r.expected_cited for r in answerable), len(answerable)),
            "answered_when_answerable": rate(sum(r.answered for r in answerable), len(answerable)),
            "declined_when_unanswerable": rate(sum(not r.answered for r in unanswerable), len(unanswerable)),
            "fabricated_citations": sum(r.fabricated for r in self.results),
            "citations_dropped": sum(r.dropped for r in self.results),
            "p50_ms": percentile([r.latency_ms for r in self.results], 50),
            "misses": [
                r.case.id
                for r in self.results
                if (r.case.answerable and not r.expected_cited) or (not r.case.answerable and r.answered)
            ],
        }


def load_golden(path: Path) -> list[GoldenCase]:
    """Read a golden YAML list of {id, question, answerable, expected_sources}."""
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return [
            GoldenCase(
                id=str(row.get("id") or f"q{number}"),
                question=str(row["question"]),
                answerable=bool(row.get("answerable", True)),
                expected_sources=tuple(row.get("expected_sources") or ()),
            )
            for number, row in enumerate(rows, 1)
        ]
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
        raise InputError(f"can't read the golden set {path}: {error}") from error


def evaluate(deps: Deps, cases: Sequence[GoldenCase], k: int | None = None) -> EvalReport:
    """Ask every case with the answer cache off and score the answers (`k` passages, default TOP_K)."""
    deps = replace(deps, settings=deps.settings.model_copy(update={"answer_cache": False}))
    mode = "generated" if deps.llm.enabled else "extractive"
    report = EvalReport(mode=mode, model=deps.llm.model if deps.llm.enabled else "extractive")
    for case in cases:
        since = time.time()
        answer = answer_question(deps, case.question, k=k)
        records = [
            record
            for value in deps.store.events_since(ANSWERS_KEY, since)
            if (record := AnswerRecord.from_json(value)) is not None
        ]
        report.results.append(
            CaseResult(
                case=case,
                answered=answer.answered,
                cited=[source.path for source in answer.sources] if answer.answered else [],
                fabricated=unlisted_citations(answer.markdown, len(answer.sources)) if answer.answered else 0,
                dropped=records[-1].citations_dropped if records else 0,
                latency_ms=answer.latency_ms,
            )
        )
    return report


@dataclass
class Calibration:
    """Top evidence and cosine per question, and the accuracy of each candidate threshold."""

    answerable: list[tuple[float, float]]
    unanswerable: list[tuple[float, float]]

    def accuracy(self, threshold: float, which: int) -> tuple[float, float, float]:
        """(share of answerable kept, share of unanswerable declined, accuracy) at `threshold`."""
        kept = sum(scores[which] >= threshold for scores in self.answerable)
        declined = sum(scores[which] < threshold for scores in self.unanswerable)
        total = len(self.answerable) + len(self.unanswerable)
        return (
            kept / max(1, len(self.answerable)),
            declined / max(1, len(self.unanswerable)),
            (kept + declined) / max(1, total),
        )

    def best(self, which: int) -> tuple[float, float]:
        """The threshold with the best accuracy (the midpoint of the best run of ties) and that accuracy."""
        candidates = [round(0.05 + step * 0.01, 2) for step in range(71)]
        scored = [(self.accuracy(t, which)[2], t) for t in candidates]
        top = max(score for score, _ in scored)
        tied = [t for score, t in scored if score == top]
        return tied[len(tied) // 2], top


def calibrate(deps: Deps, answerable: Sequence[str], unanswerable: Sequence[str], k: int | None = None) -> Calibration:
    """Score each question's retrieval the way `answer_question` does before deciding to decline."""
    k = k or deps.settings.top_k

    def scores(question: str) -> tuple[float, float]:
        passages = distinct(deps.retriever.search(question, k=k * 2))[:k]
        cosine = max((p.similarity for p in passages), default=0.0)
        return deps.retriever.evidence(question, passages), cosine

    return Calibration([scores(q) for q in answerable], [scores(q) for q in unanswerable])


def calibration_table(calibration: Calibration, current: float) -> str:
    """Markdown: accuracy at each candidate threshold, for the evidence score and for cosine alone."""
    lines = []
    for which, label in ((0, "evidence (cosine x sqrt coverage)"), (1, "best cosine alone")):
        best, accuracy = calibration.best(which)
        lines += [
            f"### {label}: best threshold {best:.2f} (accuracy {accuracy:.3f})",
            "",
            "| threshold | answerable kept | unanswerable declined | accuracy |",
            "|---:|---:|---:|---:|",
        ]
        marks = sorted(
            {round(0.10 + 0.05 * step, 2) for step in range(11)}
            | {best}
            | ({round(current, 2)} if which == 0 else set())
        )
        for threshold in marks:
            kept, declined, acc = calibration.accuracy(threshold, which)
            tags = [
                tag
                for tag, hit in (
                    ("best", threshold == best),
                    ("current", which == 0 and threshold == round(current, 2)),
                )
                if hit
            ]
            note = f" ← {', '.join(tags)}" if tags else ""
            lines.append(f"| {threshold:.2f}{note} | {kept:.0%} | {declined:.0%} | {acc:.3f} |")
        lines.append("")
    lines.append(
        f"{len(calibration.answerable)} answerable and {len(calibration.unanswerable)} unanswerable questions; "
        f"the decline threshold in use is {current:.2f} (MIN_EVIDENCE overrides it)."
    )
    return "\n".join(lines)


def golden_questions(folder: Path, golden: Path) -> tuple[list[str], list[str]]:
    """answerable.txt and unanswerable.txt in `folder`, plus the golden set's questions by kind."""

    def lines(path: Path) -> list[str]:
        if not path.is_file():
            return []
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    cases = load_golden(golden) if golden.is_file() else []
    answerable = lines(folder / "answerable.txt") + [c.question for c in cases if c.answerable]
    unanswerable = lines(folder / "unanswerable.txt") + [c.question for c in cases if not c.answerable]
    return answerable, unanswerable
