"""Validate an answer-quality dev set: a docs/ folder plus one or more JSONL question files.

Usage: python tests/devsets/check_devset.py tests/devsets/answers [tune.jsonl check.jsonl]

Checks every line has the documented fields and types, that each named document exists, that every
answer_sentence is found verbatim in its document (after whitespace normalisation), that near-miss lines
carry an attribute and no answer, and that no document has questions in more than one file (the split is
by document). Prints counts per file, kind and language. Exits non-zero on the first file with problems.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

KINDS = {"answerable", "near-miss", "cross-language"}
LANGS = {"en", "de", "nl"}
FIELDS = {"id", "question", "lang", "kind", "answerable", "doc", "answer_sentence", "attribute"}


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def check_line(row: dict, docs: dict[str, str]) -> list[str]:
    problems = []
    if set(row) != FIELDS:
        problems.append(f"fields {sorted(set(row) ^ FIELDS)} missing or extra")
        return problems
    if row["kind"] not in KINDS:
        problems.append(f"kind {row['kind']!r}")
    if row["lang"] not in LANGS:
        problems.append(f"lang {row['lang']!r}")
    if row["doc"] is not None and row["doc"] not in docs:
        problems.append(f"doc {row['doc']!r} not in docs/")
    if row["kind"] == "near-miss":
        if row["answerable"] or row["answer_sentence"] is not None or not row["attribute"]:
            problems.append("near-miss needs answerable=false, answer_sentence=null and an attribute")
    elif not row["answerable"] or not row["answer_sentence"] or row["attribute"] is not None:
        problems.append("answerable line needs answerable=true, an answer_sentence and attribute=null")
    elif row["doc"] in docs and normalise(row["answer_sentence"]) not in docs[row["doc"]]:
        problems.append("answer_sentence not found in its document")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).parent / "answers"
    files = argv[2:] or ["tune.jsonl", "check.jsonl"]
    docs = {p.name: normalise(p.read_text(encoding="utf-8")) for p in sorted((root / "docs").glob("*.md"))}
    owner: dict[str, str] = {}
    failed = False
    for name in files:
        rows = [json.loads(line) for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]
        kinds, langs, problems = Counter(), Counter(), []
        for row in rows:
            problems += [f"{row.get('id')}: {p}" for p in check_line(row, docs)]
            kinds[row.get("kind")] += 1
            langs[row.get("lang")] += 1
            doc = row.get("doc")
            if doc and owner.setdefault(doc, name) != name:
                problems.append(f"{row['id']}: {doc} also has questions in {owner[doc]}")
        used = sorted({r["doc"] for r in rows if r.get("doc")})
        print(f"{name}: {len(rows)} questions on {len(used)} documents; kinds {dict(kinds)}; langs {dict(langs)}")
        for problem in problems:
            print(f"  PROBLEM {problem}")
        failed = failed or bool(problems)
    unused = sorted(set(docs) - set(owner))
    if unused:
        print(f"documents without questions (distractors only): {unused}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
