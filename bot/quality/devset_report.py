"""Answer quality on a dev set (bot/quality/devset.py): ask every question, score what a PM would check.

Per file and pooled, as tests/devsets/answers/README.md defines them: answerable questions answered (the
cross-language ones too), near-misses declined, the answering sentence quoted (a declined answerable
question counts as not quoted), the expected document among the returned sources (per kind), and
fabricated citations (a [n] naming no listed source, or a quote its cited source doesn't hold), plus
answers and declines by the question's language, and each miss by id with what failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bot.answers.answer import answer_question
from bot.core.metrics import percentile
from bot.core.text import shorten, squash
from bot.quality.devset import LANGS, DevQuestion, DevsetFile
from bot.quality.quotes import plain, quotes_in, quotes_sentence, unfound_quotes, unlisted_citations

if TYPE_CHECKING:
    from bot.knowledge.index import KnowledgeIndex
    from bot.wiring import Deps

Progress = Callable[[str, int, int], None]


@dataclass
class DevResult:
    """One question's answer, scored."""

    question: DevQuestion
    answered: bool
    sources: list[str]
    quoted: bool | None  # None: the question has no answering sentence
    unlisted: int
    quotes: int
    unfound: list[str]
    latency_ms: float

    @property
    def doc_found(self) -> bool | None:
        return None if self.question.doc is None else self.question.doc in self.sources

    def failures(self) -> list[str]:
        """What went wrong, in a PM's words (nothing: a hit on every measure)."""
        q = self.question
        failed = []
        if q.answerable and not self.answered:
            failed.append("not answered")
        if not q.answerable and self.answered:
            failed.append(f"answered a near-miss ({q.attribute})")
        if self.answered and self.quoted is False:
            failed.append("answering sentence not quoted")
        if self.doc_found is False:
            failed.append(f"{q.doc} not among the sources")
        if self.unlisted:
            failed.append(f"{self.unlisted} citation(s) to no listed source")
        failed += [f"quote not in its source: “{shorten(text, 80)}”" for text in self.unfound]
        return failed


def _ratio(hits: int, total: int) -> dict[str, Any]:
    return {"hits": hits, "total": total, "rate": round(hits / total, 3) if total else None}


def measures(results: Sequence[DevResult]) -> dict[str, Any]:
    """The scores of a group of results (one file, or all pooled)."""
    answerable = [r for r in results if r.question.answerable]
    near = [r for r in results if r.question.kind == "near-miss"]
    with_doc = [r for r in results if r.question.doc is not None]

    def doc_found(kind: str | None) -> dict[str, Any]:
        group = [r for r in with_doc if kind is None or r.question.kind == kind]
        return _ratio(sum(bool(r.doc_found) for r in group), len(group))

    by_lang = {}
    for lang in LANGS:
        group = [r for r in results if r.question.lang == lang]
        if group:
            by_lang[lang] = {
                "questions": len(group),
                "answered": sum(r.answered for r in group),
                "declined": sum(not r.answered for r in group),
                "answerable_answered": _ratio(
                    sum(r.answered for r in group if r.question.answerable), sum(r.question.answerable for r in group)
                ),
                "near_miss_declined": _ratio(
                    sum(not r.answered for r in group if not r.question.answerable),
                    sum(not r.question.answerable for r in group),
                ),
            }
    return {
        "questions": len(results),
        "answerable_answered": _ratio(sum(r.answered for r in answerable), len(answerable)),
        "near_miss_declined": _ratio(sum(not r.answered for r in near), len(near)),
        "sentence_quoted": _ratio(sum(bool(r.quoted) for r in answerable), len(answerable)),
        "doc_in_sources": doc_found(None),
        "doc_in_sources_answerable": doc_found("answerable"),
        "doc_in_sources_cross_language": doc_found("cross-language"),
        "doc_in_sources_near_miss": doc_found("near-miss"),
        "fabricated": {
            "citations": sum(r.unlisted for r in results),
            "quotes": sum(len(r.unfound) for r in results),
            "quotes_checked": sum(r.quotes for r in results),
        },
        "by_lang": by_lang,
        "p50_ms": percentile([r.latency_ms for r in results], 50),
    }


@dataclass
class DevsetReport:
    """The scores of one run over one or more dev-set files."""

    mode: str
    model: str
    embedding_model: str
    docs: str
    k: int
    files: dict[str, list[DevResult]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        pooled = [result for results in self.files.values() for result in results]
        return {
            "mode": self.mode,
            "model": self.model,
            "embedding_model": self.embedding_model,
            "docs": self.docs,
            "k": self.k,
            "files": {
                name: {
                    **measures(results),
                    "misses": [{"id": r.question.id, "failed": f} for r in results if (f := r.failures())],
                }
                for name, results in self.files.items()
            },
            "all": measures(pooled),
        }

    def table(self) -> str:
        """Markdown: one column per file (and one pooled, for several), then the misses by id."""
        data = self.as_dict()
        columns = {**data["files"], **({"all": data["all"]} if len(self.files) > 1 else {})}
        ratio = _fraction
        rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
            ("questions", lambda m: str(m["questions"])),
            ("answerable answered (incl. cross-language)", lambda m: ratio(m["answerable_answered"])),
            ("near-miss declined", lambda m: ratio(m["near_miss_declined"])),
            ("answering sentence quoted", lambda m: ratio(m["sentence_quoted"])),
            ("expected document among the returned sources", lambda m: ratio(m["doc_in_sources"])),
            ("… answerable (same language)", lambda m: ratio(m["doc_in_sources_answerable"])),
            ("… cross-language", lambda m: ratio(m["doc_in_sources_cross_language"])),
            ("… near-miss", lambda m: ratio(m["doc_in_sources_near_miss"])),
            (
                "fabricated citations: unlisted [n] · quotes not in their source (of quotes)",
                lambda m: "{citations} · {quotes} (of {quotes_checked})".format(**m["fabricated"]),
            ),
        ]
        rows += [(f"asked in {lang}: answerable answered · near-miss declined", _by_lang(lang)) for lang in LANGS]
        rows.append(("p50 latency (ms)", lambda m: str(m["p50_ms"])))
        lines = [
            f"Mode {self.mode} ({self.model}), embeddings {self.embedding_model}, documents {self.docs}, k={self.k}",
            "",
            "| | " + " | ".join(columns) + " |",
            "|---|" + "---:|" * len(columns),
        ]
        lines += [f"| {label} | " + " | ".join(cell(m) for m in columns.values()) + " |" for label, cell in rows]
        for name, scores in data["files"].items():
            if scores["misses"]:
                lines += ["", f"Misses in {name}:"]
                lines += [f"- {miss['id']}: {'; '.join(miss['failed'])}" for miss in scores["misses"]]
        return "\n".join(lines)


def _fraction(value: dict[str, Any]) -> str:
    """A `_ratio` as a table cell: `hits/total`, or a dash when there is nothing to count."""
    return f"{value['hits']}/{value['total']}" if value["total"] else "–"


def _by_lang(lang: str) -> Callable[[dict[str, Any]], str]:
    """The table cell for one question language: answerable answered · near-miss declined."""

    def cell(scores: dict[str, Any]) -> str:
        found = scores["by_lang"].get(lang)
        return f"{_fraction(found['answerable_answered'])} · {_fraction(found['near_miss_declined'])}" if found else "–"

    return cell


def source_texts(index: KnowledgeIndex) -> dict[str, str]:
    """Each indexed document's text (its chunks in order), `plain`, by path: what a quote must be found in."""
    snapshot = index.snapshot()
    chunks: dict[str, list[tuple[int, str]]] = {}
    for meta, text in zip(snapshot.metadatas, snapshot.texts, strict=True):
        chunks.setdefault(str(meta.get("path", "")), []).append((int(meta.get("n", 0)), text))
    return {path: plain("\n".join(text for _, text in sorted(parts))) for path, parts in chunks.items()}


def score_answer(
    question: DevQuestion, answered: bool, answer: str, sources: list[str], texts: dict[str, str], latency_ms: float
) -> DevResult:
    """Score one answer (its Markdown text and its listed source paths, in citation order)."""
    sentence = question.answer_sentence
    return DevResult(
        question=question,
        answered=answered,
        sources=sources,
        quoted=None if sentence is None else answered and quotes_sentence(answer, sentence),
        unlisted=unlisted_citations(answer, len(sources)) if answered else 0,
        quotes=len(quotes_in(answer)) if answered else 0,
        unfound=[quote.text for quote in unfound_quotes(answer, sources, texts)] if answered else [],
        latency_ms=latency_ms,
    )


def evaluate_devsets(
    deps: Deps, files: Sequence[DevsetFile], k: int | None = None, progress: Progress | None = None
) -> DevsetReport:
    """Ask every question of every file with the answer cache off, and score the answers."""
    deps = replace(deps, settings=deps.settings.model_copy(update={"answer_cache": False}))
    k = k or deps.settings.top_k
    report = DevsetReport(
        mode="generated" if deps.llm.enabled else "extractive",
        model=deps.llm.model if deps.llm.enabled else "extractive",
        embedding_model=embedding_name(deps),
        docs=str(deps.knowledge_dir),
        k=k,
    )
    texts = source_texts(deps.index)
    total, done = sum(len(file.questions) for file in files), 0
    for file in files:
        results = report.files.setdefault(file.name, [])
        for question in file.questions:
            started = time.perf_counter()
            answer = answer_question(deps, squash(question.question), k=k)
            latency = round((time.perf_counter() - started) * 1000, 1)
            paths = [source.path for source in answer.sources]
            results.append(score_answer(question, answer.answered, answer.markdown, paths, texts, latency))
            done += 1
            if progress is not None:
                progress("Asking questions", done, total)
    return report


def embedding_name(deps: Deps) -> str:
    """EMBEDDING_MODEL, with the model it stands for when that differs (`local (all-MiniLM-L6-v2)`)."""
    setting = deps.settings.embedding_model
    name = deps.embeddings.model.name
    return setting if name == setting else f"{setting} ({name})"
