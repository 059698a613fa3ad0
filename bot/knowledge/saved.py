"""PRDs saved from Slack: one Markdown document per thread under DATA_DIR's `slack/` area, indexed with the knowledge.

The knowledge folder may be mounted read-only, so saved threads live in `DATA_DIR/knowledge/slack/<channel>/`,
indexed as `slack/<channel>/<thread ts>.md` beside it. The front matter holds the thread's permalink (the
document's `url`, so its sources link to the thread), channel, author and date; saving a thread again rewrites
the same file. Every text is redacted before it is written.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.core.redact import redact

SAVED_FOLDER = "slack"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def saved_root(data_dir: Path) -> Path:
    """The folder whose `slack/` sub-folder holds the saved PRDs (indexed as if it lay in the knowledge folder)."""
    return data_dir / "knowledge"


@dataclass
class SlackPRD:
    """A PRD posted in a Slack thread: its root message and the documents shared with it."""

    channel: str
    thread_ts: str
    author: str
    text: str
    permalink: str | None = None
    channel_name: str | None = None
    saved_by: str = ""
    files: list[tuple[str, str]] = field(default_factory=list)  # (file name, its text)

    @property
    def title(self) -> str:
        for line in self.text.splitlines():
            line = line.strip().lstrip("#").strip().strip("*_").strip()
            if line:
                return line[:120]
        return f"PRD from #{self.channel_name or self.channel}"

    @property
    def relpath(self) -> str:
        """Where the thread is saved, relative to the knowledge: the same path every time it is saved."""
        return f"{SAVED_FOLDER}/{_SAFE.sub('-', self.channel)}/{_SAFE.sub('-', self.thread_ts)}.md"

    def as_markdown(self) -> str:
        """The document: front matter (url, channel, author, date), the root message, then each shared file."""
        seconds = float(self.thread_ts) if re.fullmatch(r"\d+(?:\.\d+)?", self.thread_ts) else 0.0
        front: dict[str, str] = {"title": redact(self.title)}
        if self.permalink:
            front["url"] = self.permalink
        front |= {
            "source": "slack",
            "channel": self.channel if not self.channel_name else f"{self.channel} (#{self.channel_name})",
            "thread_ts": self.thread_ts,
            "author": self.author,
            "date": datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d"),
            "saved_by": self.saved_by,
            "saved_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        body = redact(self.text.strip())
        if not body.lstrip().startswith("#"):
            body = f"# {redact(self.title)}\n\n{body}"
        parts = [f"---\n{yaml.safe_dump(front, sort_keys=False, allow_unicode=True)}---\n", body]
        parts += [f"## {redact(name)}\n\n{redact(text.strip())}" for name, text in self.files if text.strip()]
        return "\n\n".join(parts) + "\n"


def write_prd(root: Path, prd: SlackPRD) -> str:
    """Write (or rewrite) the thread's document under `root`, atomically; returns its relative path."""
    path = root / prd.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".saving-", suffix=".md")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(prd.as_markdown())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return prd.relpath
