"""Grounding: keep only the [n] citations that name a real retrieved source, renumbered compactly.

The filter works on a stream, so the text a reader watches arrive is the final text: the first
source cited becomes [1], the next new one [2], and a citation to a source that doesn't exist
disappears with the space before it. `[thread]` (the thread's own material) passes through.
"""

from __future__ import annotations

import re

# "[3]", "[1, 4]", "[2 and 5]", "[Source 2]", "[sources 1 & 3]"
_GROUP = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|&|and)\s*(?:sources?\s*)?\d{1,3})*)\s*\]", re.I)
_THREAD = re.compile(r"\[\s*thread\s*\]", re.I)
# How long an unclosed "[" may be held back waiting for its "]" before it counts as plain text.
_HOLD_CHARS = 32


class CitationFilter:
    """Rewrites citations in text fed to it piece by piece; `cited` lists source indices (0-based)."""

    def __init__(self, sources: int, allow_thread: bool = False) -> None:
        self.sources = sources
        self.allow_thread = allow_thread
        self.cited: list[int] = []
        self.thread_cited = False
        self.dropped = 0
        self.text = ""
        self._pending = ""

    @property
    def grounded(self) -> bool:
        return bool(self.cited) or self.thread_cited

    def feed(self, delta: str) -> str:
        """Take the next piece of the reply; return what can be shown now."""
        self._pending += delta
        shown = self._drain()
        self.text += shown
        return shown

    def flush(self) -> str:
        """The reply is complete: return whatever was held back."""
        shown, self._pending = self._pending, ""
        self.text += shown
        return shown

    def _renumber(self, numbers: list[int]) -> str:
        rendered = []
        for number in numbers:
            if not 1 <= number <= self.sources:
                self.dropped += 1
                continue
            if number - 1 not in self.cited:
                self.cited.append(number - 1)
            label = f"[{self.cited.index(number - 1) + 1}]"
            if label not in rendered:
                rendered.append(label)
        return "".join(rendered)

    def _drain(self) -> str:
        out: list[str] = []
        while True:
            pending = self._pending
            start = pending.find("[")
            if start < 0:
                # Hold trailing whitespace: it goes if a dropped citation follows.
                body = pending.rstrip()
                out.append(body)
                self._pending = pending[len(body) :]
                return "".join(out)
            before = pending[:start]
            body = before.rstrip()
            space = before[len(body) :]
            out.append(body)
            rest = pending[start:]
            close = rest.find("]")
            if close < 0 and len(rest) < _HOLD_CHARS and "\n" not in rest:
                self._pending = space + rest
                return "".join(out)
            group = _GROUP.match(rest)
            if group:
                numbers = [int(n) for n in re.findall(r"\d+", group.group(1))]
                rendered = self._renumber(numbers)
                out.append(space + rendered if rendered else "")
                self._pending = rest[group.end() :]
                continue
            thread = _THREAD.match(rest)
            if thread:
                if self.allow_thread:
                    self.thread_cited = True
                    out.append(space + "[thread]")
                else:
                    self.dropped += 1
                self._pending = rest[thread.end() :]
                continue
            out.append(space + "[")
            self._pending = rest[1:]


def ground(text: str, sources: int, allow_thread: bool = False) -> CitationFilter:
    """Filter a whole reply at once; the result's `text` is the grounded reply."""
    citations = CitationFilter(sources, allow_thread)
    citations.feed(text)
    citations.flush()
    return citations
