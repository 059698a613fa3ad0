"""The thread-digest eval: how many of the marked decisions and open questions a digest finds, per thread set.

A thread file (YAML or JSON) holds `title` and `messages`, each with `user`, `ts`, `text` and optional `marks`
(`decision`, `question`, `action`, `risk`; repeated when a message holds two). A mark is found when the digest's
matching section has an item drawn from that message (as many items as the message has marks of that kind).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.digest.types import Digest, Section, ThreadMessage

MARKS: dict[str, Section] = {"decision": "decisions", "question": "questions", "action": "actions", "risk": "risks"}


@dataclass
class Thread:
    """One thread of the set: its messages and, per message ts, the marks a reader gave it."""

    name: str
    title: str
    messages: list[ThreadMessage]
    marks: dict[str, Counter[str]]


@dataclass
class SectionScore:
    marked: int = 0
    found: int = 0
    items: int = 0
    correct: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.marked if self.marked else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.items if self.items else None


@dataclass
class DigestScore:
    """Recall (marks found) and precision (items on a marked message) per section over a set of threads."""

    threads: int = 0
    sections: dict[str, SectionScore] = field(default_factory=lambda: {name: SectionScore() for name in MARKS})

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"threads": self.threads}
        for name, score in self.sections.items():
            result[name] = {
                "marked": score.marked,
                "found": score.found,
                "recall": None if score.recall is None else round(score.recall, 3),
                "precision": None if score.precision is None else round(score.precision, 3),
            }
        return result


def load_thread(path: Path) -> Thread:
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    messages = [ThreadMessage(user=str(m["user"]), ts=str(m["ts"]), text=str(m["text"])) for m in data["messages"]]
    marks = {str(m["ts"]): Counter(str(mark) for mark in m.get("marks") or []) for m in data["messages"]}
    return Thread(name=path.stem, title=str(data.get("title", path.stem)), messages=messages, marks=marks)


def load_threads(folder: Path) -> list[Thread]:
    """Every `*.yaml`, `*.yml` and `*.json` thread in `folder`, by name."""
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    return [load_thread(path) for path in paths]


def score_digests(threads: list[Thread], digest_of: Callable[[Thread], Digest]) -> DigestScore:
    result = DigestScore(threads=len(threads))
    for thread in threads:
        digest = digest_of(thread)
        for mark, section in MARKS.items():
            score = result.sections[mark]
            items = Counter(item.ts for item in digest.section(section))
            for ts, marks in thread.marks.items():
                score.marked += marks[mark]
                score.found += min(marks[mark], items[ts])
            score.items += sum(items.values())
            score.correct += sum(count for ts, count in items.items() if thread.marks.get(ts, Counter())[mark])
    return result
