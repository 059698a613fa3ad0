"""Validate an answer-quality dev set: a docs/ folder plus one or more JSONL question files.

Usage: python tests/devsets/check_devset.py tests/devsets/answers [tune.jsonl check.jsonl]

Question files are named relative to the folder (`tune.jsonl`) or by a path that exists as given
(`tests/devsets/answers/tune.jsonl`).

Checks every line has the documented fields and types, that each named document exists, that every
answer_sentence is found verbatim in its document (after whitespace normalisation), that near-miss lines
carry an attribute and no answer, and that no document has questions in more than one file (the split is
by document). Prints counts per file, kind and language. Exits non-zero if any file has problems.
The checks are bot/quality/devset.py's, the same `pm-copilot eval answers --devset` runs before asking.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from bot.quality.devset import read_devset, read_docs, split_problems


def _question_file(root: Path, name: str) -> Path:
    """`name` as given when that file exists, else `name` inside the dev-set folder."""
    given = Path(name)
    return given if given.is_file() else root / name


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).parent / "answers"
    names = argv[2:] or ["tune.jsonl", "check.jsonl"]
    docs = read_docs(root / "docs")
    files = [read_devset(_question_file(root, name), docs) for name in names]
    split = split_problems(files)
    failed = bool(split)
    for file in files:
        kinds = Counter(question.kind for question in file.questions)
        langs = Counter(question.lang for question in file.questions)
        used = sorted({question.doc for question in file.questions if question.doc})
        print(
            f"{file.name}: {len(file.questions)} questions on {len(used)} documents; "
            f"kinds {dict(kinds)}; langs {dict(langs)}"
        )
        for problem in file.problems:
            print(f"  PROBLEM {problem}")
        failed = failed or bool(file.problems)
    for problem in split:
        print(f"  PROBLEM {problem}")
    owned = {question.doc for file in files for question in file.questions if question.doc}
    unused = sorted(set(docs) - owned)
    if unused:
        print(f"documents without questions (distractors only): {unused}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
