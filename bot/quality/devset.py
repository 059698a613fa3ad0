"""An answer-quality dev set: a `docs/` folder and JSONL question files, read and checked line by line.

The format is tests/devsets/answers/README.md's: one JSON object per line with `id`, `question`, `lang`
(en, de, nl), `kind` (answerable, near-miss, cross-language), `answerable`, `doc` (a file under docs/),
`answer_sentence` (verbatim in `doc`, whitespace aside) and `attribute` (the fact a near-miss asks for).
`read_devset` collects every problem with its line number; `load_devsets` refuses files that have any.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.core.text import squash
from bot.exceptions import InputError
from bot.knowledge.loaders import candidate_files

Kind = Literal["answerable", "near-miss", "cross-language"]
KINDS: tuple[Kind, ...] = ("answerable", "near-miss", "cross-language")
LANGS = ("en", "de", "nl")
FIELDS = ("id", "question", "lang", "kind", "answerable", "doc", "answer_sentence", "attribute")
# Documents whose raw text is the text indexed, so an answer_sentence can be checked against them.
_PLAIN_TEXT = {".md", ".markdown", ".txt"}
_SHOWN_PROBLEMS = 10


@dataclass(frozen=True)
class DevQuestion:
    """One line of a dev set; `line` is its 1-based line number in the file."""

    id: str
    question: str
    lang: str
    kind: Kind
    answerable: bool
    doc: str | None
    answer_sentence: str | None
    attribute: str | None
    line: int = 0


@dataclass
class DevsetFile:
    """The questions of one JSONL file, and what is wrong with its lines (empty when it can be used)."""

    path: Path
    questions: list[DevQuestion] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def read_docs(folder: Path) -> dict[str, str | None]:
    """Every indexable file under `folder` by relative path: its whitespace-collapsed text if plain text, else None."""
    if not folder.is_dir():
        raise InputError(f"the dev set's documents folder {folder} doesn't exist (name it with --docs)")
    docs: dict[str, str | None] = {}
    for path in candidate_files(folder):
        relpath = path.relative_to(folder).as_posix()
        plain = path.suffix.lower() in _PLAIN_TEXT
        docs[relpath] = squash(path.read_text(encoding="utf-8", errors="replace")) if plain else None
    return docs


def _optional_text(row: Mapping[str, Any], name: str) -> bool:
    return row[name] is None or isinstance(row[name], str)


def check_row(row: object, docs: Mapping[str, str | None]) -> list[str]:
    """What is wrong with one parsed line (nothing: it can be scored)."""
    if not isinstance(row, dict):
        return ["not a JSON object"]
    missing = [name for name in FIELDS if name not in row]
    extra = sorted(set(row) - set(FIELDS))
    if missing or extra:
        return [
            ", ".join(
                part
                for part in (
                    f"missing fields {missing}" if missing else "",
                    f"unknown fields {extra}" if extra else "",
                )
                if part
            )
        ]
    problems = []
    for name in ("id", "question"):
        if not isinstance(row[name], str) or not row[name].strip():
            problems.append(f"{name} must be a non-empty string")
    if row["kind"] not in KINDS:
        problems.append(f"kind {row['kind']!r} is not one of {', '.join(KINDS)}")
    if row["lang"] not in LANGS:
        problems.append(f"lang {row['lang']!r} is not one of {', '.join(LANGS)}")
    if not isinstance(row["answerable"], bool):
        problems.append("answerable must be true or false")
    for name in ("doc", "answer_sentence", "attribute"):
        if not _optional_text(row, name):
            problems.append(f"{name} must be a string or null")
    if problems:
        return problems
    if row["doc"] is not None and row["doc"] not in docs:
        problems.append(f"doc {row['doc']!r} is not in the documents folder")
    if row["kind"] == "near-miss":
        if row["answerable"] or row["answer_sentence"] is not None or not row["attribute"]:
            problems.append("a near-miss needs answerable=false, answer_sentence=null and an attribute")
    elif not row["answerable"] or not row["answer_sentence"] or row["attribute"] is not None:
        problems.append("an answerable line needs answerable=true, an answer_sentence and attribute=null")
    elif (text := docs.get(row["doc"] or "")) is not None and squash(row["answer_sentence"]) not in text:
        problems.append("answer_sentence is not found in its document")
    return problems


def read_devset(path: Path, docs: Mapping[str, str | None]) -> DevsetFile:
    """Every line of a JSONL dev set, with the problems of each (`line N (id): …`)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"can't read the dev set {path}: {error}") from error
    result = DevsetFile(path)
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            result.problems.append(f"line {number}: not valid JSON ({error.msg}, column {error.colno})")
            continue
        problems = check_row(row, docs)
        named = isinstance(row, dict) and isinstance(row.get("id"), str)
        label = f"line {number} ({row['id']})" if named else f"line {number}"
        if not problems and row["id"] in seen:
            problems = [f"id {row['id']!r} is used twice"]
        result.problems += [f"{label}: {problem}" for problem in problems]
        if problems:
            continue
        seen.add(row["id"])
        result.questions.append(DevQuestion(**{name: row[name] for name in FIELDS}, line=number))
    if not result.questions and not result.problems:
        result.problems.append("no questions (one JSON object per line)")
    return result


def load_devsets(paths: Sequence[Path], docs: Mapping[str, str | None]) -> list[DevsetFile]:
    """Each file's questions; InputError naming the first problems (with line numbers) if any line is unusable."""
    files = [read_devset(path, docs) for path in paths]
    problems = [f"{file.name} {problem}" for file in files for problem in file.problems]
    if problems:
        shown = problems[:_SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        raise InputError(
            "the dev set has problems:\n  " + "\n  ".join(shown) + (f"\n  … and {more} more" if more else "")
        )
    return files


def split_problems(files: Sequence[DevsetFile]) -> list[str]:
    """Documents with questions in more than one file (a split by document keeps each in one)."""
    owner: dict[str, str] = {}
    problems = []
    for file in files:
        for question in file.questions:
            if question.doc and owner.setdefault(question.doc, file.name) != file.name:
                problems.append(f"{question.id}: {question.doc} also has questions in {owner[question.doc]}")
    return problems
