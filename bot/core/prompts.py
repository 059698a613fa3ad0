"""Prompt templates as files in the package (bot/data/prompts/), one per task, with named `{{variables}}`.

`load("answer").render(question=..., sources=...)` fills the placeholders; a missing variable
raises MissingVariables rather than leaving a hole in the prompt. `version` is a short hash of
the template text, recorded with every answer and part of the answer cache key, so editing a
prompt never serves answers written under the old one.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from bot.builtin import prompts_dir
from bot.exceptions import MissingVariables, PromptError

PROMPTS_DIR = prompts_dir()
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Prompt:
    """One template: its name, text, the variables it needs and its version hash."""

    name: str
    text: str

    @functools.cached_property
    def variables(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.text))

    @functools.cached_property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: object) -> str:
        """Fill every placeholder; raise MissingVariables naming any that weren't given."""
        missing = self.variables - values.keys()
        if missing:
            raise MissingVariables(self.name, set(missing))
        return _PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), self.text)


def load(name: str, folder: Path | None = None) -> Prompt:
    """The template bot/data/prompts/<name>.md (or .txt); PromptError when there is none."""
    return _load(name, (folder or PROMPTS_DIR).resolve())


@functools.lru_cache(maxsize=64)
def _load(name: str, folder: Path) -> Prompt:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise PromptError(f"invalid prompt name {name!r}")
    for suffix in (".md", ".txt"):
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return Prompt(name=name, text=path.read_text(encoding="utf-8").strip() + "\n")
    raise PromptError(f"no prompt template {name!r} in {folder}")


def combined_version(*prompts: Prompt) -> str:
    """One version for a set of templates used together (e.g. system + answer)."""
    return hashlib.sha256("".join(prompt.version for prompt in prompts).encode()).hexdigest()[:12]
