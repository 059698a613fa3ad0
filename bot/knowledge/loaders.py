"""Turn the files of the knowledge folder into Markdown documents, or say why a file is skipped.

Every loader returns Markdown so that one heading-aware splitter serves all formats: PDF pages
become `## Page N` sections, DOCX heading styles become `#` levels, HTML goes through markdownify,
and an error-code catalog (YAML) becomes one `##` section per error.

A file is hostile until parsed: a small DOCX can unzip to gigabytes, a small PDF can hold a stream
that takes minutes to read, deep HTML exhausts the recursion limit. So PDF, DOCX, HTML and YAML are
parsed in a child process with a wall-clock and a memory limit (`ParseLimits`), after checks that
fail fast (unzipped size, compression ratio, decoded PDF streams, page count); Markdown and text are
only decoded, in-process. Whatever goes wrong in a parse becomes `SkipFile` naming the limit: one file
never fails a reindex.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from bot.knowledge.documents import (
    DEFAULT_LIMITS,
    Document,
    ParseLimits,
    SkipFile,
    clip,
    decode_text,
    doctype_of,
    first_heading,
    megabytes,
)
from bot.knowledge.frontmatter import split_front_matter
from bot.knowledge.parsers import parse_docx, parse_html, parse_pdf, parse_yaml
from bot.knowledge.sandbox import Sandbox


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


# -- The parser process -------------------------------------------------------------------------------

Parser = Callable[[bytes, Path, ParseLimits], tuple[str, str | None]]

# Two parser processes at most, each allowed ParseLimits.memory_bytes; the zygotes import these once.
_SANDBOX = Sandbox(["bot.knowledge.loaders", "pypdf", "docx", "bs4", "markdownify", "yaml"], processes=2)


def skip_reason(error: BaseException, limits: ParseLimits) -> str:
    """Why a parse failed, in the words of a SkipFile reason."""
    if isinstance(error, SkipFile):
        return str(error)
    if isinstance(error, TimeoutError):
        return f"parsing took over the {limits.seconds:g} s time limit"
    if isinstance(error, MemoryError):
        return f"parsing needed over the {limits.memory_bytes // 2**20} MB memory limit"
    if isinstance(error, ChildProcessError):
        return f"{error} (memory limit {limits.memory_bytes // 2**20} MB)"
    if isinstance(error, RecursionError):
        return "nested too deeply to parse (over Python's recursion limit)"
    return f"unreadable ({type(error).__name__})"


def _parse_clipped(parse: Parser, data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    markdown, title = parse(data, path, limits)
    return clip(markdown, limits.max_chars), title  # only the text kept crosses back


def _in_child(parse: Parser, data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    """parse(data, path, limits) in a child process killed after limits.seconds, with limits.memory_bytes."""
    try:
        result: tuple[str, str | None] = _SANDBOX.run(
            _parse_clipped, parse, data, path, limits, seconds=limits.seconds, memory_bytes=limits.memory_bytes
        )
    except Exception as error:
        raise SkipFile(skip_reason(error, limits)) from error
    return result


# -- Loaders: what callers use --------------------------------------------------------------------------


class Loader(Protocol):
    """A format's loader: bytes to (Markdown, title or None) within `limits`; raises SkipFile."""

    def __call__(self, data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]: ...


def load_markdown(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    text = decode_text(data)
    return clip(text, limits.max_chars), first_heading(text)


def load_text(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    text = decode_text(data)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # A short first line reads as the title; keeping it in the text keeps renames free of re-embedding.
    return clip(text, limits.max_chars), first if 0 < len(first) <= 100 else None


def load_pdf(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(parse_pdf, data, path, limits)


def load_docx(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(parse_docx, data, path, limits)


def load_html(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(parse_html, data, path, limits)


def load_yaml(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    # PyYAML recurses per nesting level and aliases can multiply what gets rendered: a child bounds both.
    return _in_child(parse_yaml, data, path, limits)


LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".html": load_html,
    ".htm": load_html,
    ".yaml": load_yaml,
    ".yml": load_yaml,
}


def candidate_files(root: Path) -> Iterator[Path]:
    """Files of a supported type under root, hidden files and folders excluded, in a stable order."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in LOADERS and (path.is_file() or path.is_symlink()):
            yield path


def read_file(root: Path, path: Path, max_bytes: int) -> tuple[bytes, str]:
    """The raw bytes and their sha256, after the safety checks every format shares."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SkipFile("symlink points outside the knowledge folder")
    if not resolved.is_file():
        raise SkipFile("not a regular file (broken symlink?)")
    size = resolved.stat().st_size
    if size == 0:
        raise SkipFile("empty file")
    if size > max_bytes:
        raise SkipFile(f"over the size limit ({megabytes(size)} > {megabytes(max_bytes)}, MAX_FILE_MB)")
    data = resolved.read_bytes()
    return data, hashlib.sha256(data).hexdigest()


def load_document(root: Path, path: Path, data: bytes, sha256: str, limits: ParseLimits = DEFAULT_LIMITS) -> Document:
    """Parse one file's bytes into a Document; raises SkipFile with the reason, whatever went wrong."""
    try:
        markdown, title = LOADERS[path.suffix.lower()](data, path, limits)
    except Exception as error:  # one file must never fail a reindex
        raise SkipFile(skip_reason(error, limits)) from error
    if not markdown.strip():
        raise SkipFile("no text content")
    relpath = path.relative_to(root).as_posix()
    url = None
    if path.suffix.lower() in (".md", ".markdown"):
        front, markdown = split_front_matter(markdown)
        title, url = front.title or first_heading(markdown) or title, front.url
    return Document(
        path=relpath,
        title=(title or _title_from_name(path)).strip(),
        markdown=markdown,
        doctype=doctype_of(relpath),
        sha256=sha256,
        url=url,
    )
