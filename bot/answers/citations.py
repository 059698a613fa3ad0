"""Grounding: keep only the [n] citations that name a real retrieved source, renumbered compactly.

The filter works on a stream, so the text a reader watches arrive is the final text: the first
source cited becomes [1], the next new one [2], and a citation to a source that doesn't exist
disappears with the space before it. `[thread]` (the thread's own material) passes through.
"""

from __future__ import annotations

import re

from bot.core.text import squash

# "[3]", "[1, 4]", "[2 and 5]", "[Source 2]", "[sources 1 & 3]"
_GROUP = re.compile(r"\[\s*(?:sources?\s*)?(\d{1,3}(?:\s*(?:,|&|and)\s*(?:sources?\s*)?\d{1,3})*)\s*\]", re.I)
_THREAD = re.compile(r"\[\s*thread\s*\]", re.I)
_NUMBER = re.compile(r"\d+")
_SPACE_BEFORE_MARK = re.compile(r" (?=[.,;:!?])")
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
        self._holding_space = False  # `_pending` is whitespace only

    @property
    def grounded(self) -> bool:
        return bool(self.cited) or self.thread_cited

    def feed(self, delta: str) -> str:
        """Take the next piece of the reply; return what can be shown now."""
        if self._holding_space and delta.isspace():
            self._pending += delta  # nothing to show yet, and no need to scan the held whitespace again
            return ""
        self._pending += delta
        shown = self._drain()
        self.text += shown
        return shown

    def flush(self) -> str:
        """The reply is complete: return whatever was held back."""
        shown, self._pending = self._pending, ""
        self._holding_space = False
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
        # One pass over the pending text by index: slicing off the rest at each "[" (or searching
        # all of it for "]") would take quadratic time on a reply full of brackets.
        pending = self._pending
        out: list[str] = []
        position = 0
        while True:
            start = pending.find("[", position)
            if start < 0:
                # Hold trailing whitespace: it goes if a dropped citation follows.
                body = pending[position:].rstrip()
                out.append(body)
                self._pending = pending[position + len(body) :]
                self._holding_space = bool(self._pending)
                return "".join(out)
            body = pending[position:start].rstrip()
            space = pending[position + len(body) : start]
            out.append(body)
            head = pending[start : start + _HOLD_CHARS]
            if len(head) < _HOLD_CHARS and "]" not in head and "\n" not in head:
                self._pending = space + head  # head is the whole rest here
                self._holding_space = False
                return "".join(out)
            group = _GROUP.match(pending, start)
            if group:
                numbers = [int(n) for n in _NUMBER.findall(group.group(1))]
                rendered = self._renumber(numbers)
                out.append(space + rendered if rendered else "")
                position = group.end()
                continue
            thread = _THREAD.match(pending, start)
            if thread:
                if self.allow_thread:
                    self.thread_cited = True
                    out.append(space + "[thread]")
                else:
                    self.dropped += 1
                position = thread.end()
                continue
            out.append(space + "[")
            position = start + 1


def ground(text: str, sources: int, allow_thread: bool = False) -> CitationFilter:
    """Filter a whole reply at once; the result's `text` is the grounded reply."""
    citations = CitationFilter(sources, allow_thread)
    citations.feed(text)
    citations.flush()
    return citations


def strip_citations(text: str) -> str:
    """`text` without its citation marks ("[2]", "[1, 3]", "[thread]") and the space before each."""
    return _SPACE_BEFORE_MARK.sub("", squash(_THREAD.sub("", _GROUP.sub("", text))))
