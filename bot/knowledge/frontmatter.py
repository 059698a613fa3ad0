"""YAML front matter at the head of a Markdown document (`---` … `---`): its `title` and `url`, and the body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

# Front matter is a handful of fields; a longer head is body text that happens to start with `---`.
MAX_FRONT_MATTER_CHARS = 8_000
_FENCE = re.compile(r"\A---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_URL = re.compile(r"https?://[^\s<>|\"']{1,2000}")


@dataclass(frozen=True)
class FrontMatter:
    """What a document says about itself; `fields` holds every key with a plain value."""

    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str | None:
        value = self.fields.get("title")
        return str(value).strip()[:200] or None if isinstance(value, str | int | float) else None

    @property
    def url(self) -> str | None:
        """The document's web address, when it is an http(s) URL."""
        value = self.fields.get("url")
        return value.strip() if isinstance(value, str) and _URL.fullmatch(value.strip()) else None


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """(front matter, body); a document without valid front matter comes back whole, with no fields."""
    opening = _FENCE.match(text)
    if opening is None:
        return FrontMatter(), text
    closing = _CLOSE.search(text, opening.end(), opening.end() + MAX_FRONT_MATTER_CHARS)
    if closing is None:
        return FrontMatter(), text
    try:
        data = yaml.safe_load(text[opening.end() : closing.start()])
    except yaml.YAMLError:
        return FrontMatter(), text
    if not isinstance(data, dict):
        return FrontMatter(), text
    plain = {str(key): value for key, value in data.items() if isinstance(value, str | int | float | bool)}
    return FrontMatter(plain), text[closing.end() :].lstrip("\r\n")
