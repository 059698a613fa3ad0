"""What loading a knowledge file yields (a `Document`, or `SkipFile` and why), its limits, and shared text helpers."""

from __future__ import annotations

from dataclasses import dataclass

DOCTYPES = ("playbook", "prds", "error-codes")
_SNIFF_BYTES = 8192


class SkipFile(Exception):
    """A file that can't be indexed; the message is the reason, shown in one warning line."""


@dataclass(frozen=True)
class ParseLimits:
    """What parsing one file may cost; over a limit the file is skipped with a reason naming the limit.

    unpacked_bytes: a DOCX's parts together, unzipped (python-docx holds ~4x that while parsing).
    stream_bytes: one PDF stream, decoded (pypdf's own limit is 75 MB).
    pdf_pages: pages in one PDF.
    seconds: wall clock of one PDF, DOCX, HTML or YAML parse, in a child process killed after it.
    memory_bytes: address space that child may add to what it starts with.
    max_chars: keep only the first this many characters of text (a Slack thread keeps 40 k); None keeps all.
    """

    unpacked_bytes: int = 100_000_000
    stream_bytes: int = 10_000_000
    pdf_pages: int = 2_000
    seconds: float = 30.0
    memory_bytes: int = 1024 * 2**20
    max_chars: int | None = None


DEFAULT_LIMITS = ParseLimits()


@dataclass(frozen=True)
class Document:
    """One knowledge file as Markdown. `path` is POSIX, relative to the knowledge folder; `url` its web address."""

    path: str
    title: str
    markdown: str
    doctype: str
    sha256: str
    url: str | None = None


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def doctype_of(relpath: str) -> str:
    """The doc type is the top-level folder: playbook, prds, error-codes, or other."""
    top = relpath.split("/", 1)[0]
    return top if top in DOCTYPES and "/" in relpath else "other"


def megabytes(size: int) -> str:
    return f"{size / 1e6:.3g} MB"


def clip(text: str, max_chars: int | None) -> str:
    return text if max_chars is None else text[:max_chars]


def decode_text(data: bytes) -> str:
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SkipFile("binary content in a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SkipFile(f"not UTF-8 text (byte {error.start})") from error
    return text


def first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip() or None
        if stripped:
            return None
    return None
