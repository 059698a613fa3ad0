"""What a draft starts from: the feature's name and description, and a PRD file read as Markdown."""

from __future__ import annotations

import re
from pathlib import Path

from bot.evalplans.prd.facts import MAX_TEXT_CHARS, PrdFacts
from bot.evalplans.prd.markdown import plain
from bot.exceptions import InputError
from bot.knowledge.documents import SkipFile
from bot.knowledge.loaders import LOADERS

MAX_PRD_CHARS = MAX_TEXT_CHARS
MAX_FEATURE_NAME = 120

_HEADING_MARKS = re.compile(r"^\s*+#++\s*+")
_PRD_SUFFIX = re.compile(r"(?<!\s)\s*+[—–:-]\s*+PRD\s*+$", re.I)  # "Ticket summaries — PRD"


def feature_name(feature: str, facts: PrdFacts) -> str:
    """The first line of the description (Markdown heading marks and a trailing "— PRD" dropped)."""
    first = next((line for line in (feature or "").splitlines() if line.strip()), "")
    first = _HEADING_MARKS.sub("", first)
    first = _PRD_SUFFIX.sub("", plain(first)).strip()
    if not first:
        first = facts.title or ""
    if len(first) > MAX_FEATURE_NAME:
        first = first[:MAX_FEATURE_NAME].rsplit(" ", 1)[0] + "…"
    return first


def read_prd(path: Path, max_bytes: int) -> str:
    """A PRD file in any format the knowledge folder takes (.md, .txt, .pdf, .docx, .html) as Markdown."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS or suffix in (".yaml", ".yml"):
        raise InputError(f"Can't read {path.name} as a PRD: use a .md, .txt, .pdf, .docx or .html file.")
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise InputError(f"No PRD file at {path}.") from error
    except OSError as error:
        raise InputError(f"Can't read the PRD {path}: {error.strerror or error}.") from error
    if len(data) > max_bytes:
        raise InputError(f"The PRD {path.name} is {len(data) / 1e6:.3g} MB; the limit is {max_bytes / 1e6:.3g} MB.")
    try:
        markdown, title = LOADERS[suffix](data, path)
    except SkipFile as error:
        raise InputError(f"Can't read the PRD {path.name}: {error}.") from error
    if not markdown.strip():
        raise InputError(f"The PRD {path.name} has no text.")
    if title and not re.search(r"^#\s", markdown, re.M):
        markdown = f"# {title}\n\n{markdown}"
    return markdown
