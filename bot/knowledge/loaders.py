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
import io
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.knowledge.frontmatter import split_front_matter
from bot.knowledge.sandbox import Sandbox

log = logging.getLogger(__name__)
# A bad PDF gets exactly one warning line, ours, naming the file; pypdf's own chatter stays out.
logging.getLogger("pypdf").setLevel(logging.ERROR)

DOCTYPES = ("playbook", "prds", "error-codes")
_SNIFF_BYTES = 8192
# A zip member over 1 MB unzipped that packs tighter than 100:1 is a bomb, not a document (Apache POI's
# ZipSecureFile rule, MIN_INFLATE_RATIO = 0.01); real DOCX XML packs 5-30:1.
_MAX_ZIP_RATIO = 100
_ZIP_RATIO_FROM = 1_000_000
# The same rule for a PDF page's content stream, from a lower size: the stream is interpreted operator by
# operator (seconds per MB), and real text or vector pages pack 3-15:1.
_PDF_RATIO_FROM = 256_000


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
    """One knowledge file as Markdown. `path` is relative to the knowledge folder, POSIX style."""

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


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.3g} MB"


def _clip(text: str, max_chars: int | None) -> str:
    return text if max_chars is None else text[:max_chars]


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SkipFile("binary content in a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SkipFile(f"not UTF-8 text (byte {error.start})") from error
    return text


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            return stripped.lstrip("#").strip() or None
        if stripped:
            return None
    return None


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


# -- Parsers: each turns bytes into (markdown, title) or raises; the heavy ones run in a child ----------


def _parse_pdf(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    import pypdf
    from pypdf.errors import LimitReachedError, PdfReadError

    decoded = limits.stream_bytes
    try:
        with pypdf.apply_configuration(
            zlib_maximum_output_length=decoded,
            lzw_maximum_output_length=decoded,
            run_length_maximum_output_length=decoded,
            brotli_maximum_output_length=decoded,
            jbig2_maximum_output_length=decoded,
            array_based_stream_maximum_output_length=decoded,
            image_maximum_buffer_size=decoded,
        ):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise SkipFile("encrypted PDF")
            if len(reader.pages) > limits.pdf_pages:
                raise SkipFile(f"PDF has {len(reader.pages):,} pages, over the {limits.pdf_pages:,}-page limit")
            pages: list[str] = []
            kept = 0
            for number, page in enumerate(reader.pages, 1):
                _check_page_contents(page, number)
                pages.append((page.extract_text() or "").strip())
                kept += len(pages[-1])
                if limits.max_chars is not None and kept >= limits.max_chars:
                    break  # the rest would be cut anyway
            title = (reader.metadata.title if reader.metadata else None) or None
    except SkipFile:
        raise
    except LimitReachedError as error:
        raise SkipFile(
            f"PDF over a parser limit (a stream may decode to {_megabytes(decoded)}): {error}".rstrip(". ")
        ) from error
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise SkipFile(f"corrupt PDF ({type(error).__name__})") from error
    body = "\n\n".join(f"## Page {n}\n\n{text}" for n, text in enumerate(pages, 1) if text)
    if not body:
        raise SkipFile("PDF has no extractable text")
    return body, title


def _check_page_contents(page: Any, number: int) -> None:
    """Refuse a page whose content stream inflates like a bomb, before the text extractor interprets it."""
    contents = page.get("/Contents")
    if contents is None:
        return
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    for item in streams:
        stream = item.get_object()
        raw = len(getattr(stream, "_data", b"") or b"")
        decoded = len(stream.get_data())
        ratio = decoded / max(raw, 1)
        if decoded > _PDF_RATIO_FROM and ratio > _MAX_ZIP_RATIO:
            raise SkipFile(
                f"PDF page {number} content inflates {ratio:.0f}:1 to {_megabytes(decoded)}, "
                f"over the {_MAX_ZIP_RATIO}:1 limit (a parser bomb?)"
            )


def _check_zip(data: bytes, limit: int) -> None:
    """Refuse an archive whose members unzip to more than `limit` bytes together, or that packs like a bomb.

    The sizes in the headers are checked first, then every member is inflated in 1 MB reads and thrown
    away: zipfile stops a member at its declared size and checks its CRC, so a header that lies fails
    here at bounded memory. (A plain `read()`, as python-docx does, inflates a whole member first.)
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if unpacked > limit:
            raise SkipFile(f"DOCX unzips to {_megabytes(unpacked)}, over the {_megabytes(limit)} limit")
        for member in members:
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > _ZIP_RATIO_FROM and ratio > _MAX_ZIP_RATIO:
                raise SkipFile(
                    f"DOCX part {member.filename} packs {ratio:.0f}:1, over the {_MAX_ZIP_RATIO}:1 limit (zip bomb?)"
                )
        for member in members:
            with archive.open(member) as stream:
                while stream.read(1 << 20):
                    pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as error:
        raise SkipFile(f"corrupt DOCX ({type(error).__name__})") from error


def _parse_docx(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    import docx

    _check_zip(data, limits.unpacked_bytes)
    try:
        document = docx.Document(io.BytesIO(data))
    except (MemoryError, RecursionError):
        raise
    except Exception as error:  # PackageNotFoundError, KeyError, lxml errors: they vary by version
        message = str(error).lower()
        if "memory" in message or message.startswith("unknown error"):  # how lxml reports a failed allocation
            raise MemoryError(str(error)) from error
        raise SkipFile(f"corrupt DOCX ({type(error).__name__})") from error
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style == "Title":
            lines.append(f"# {text}")
        elif style.startswith("Heading") and style.split()[-1].isdigit():
            lines.append(f"{'#' * min(int(style.split()[-1]) + 1, 6)} {text}")
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    markdown = "\n\n".join(lines)
    return markdown, document.core_properties.title or _first_heading(markdown)


def _parse_html(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(_decode_text(data), "html.parser")
    for tag in soup(["script", "style", "nav", "noscript"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    try:
        markdown = MarkdownConverter(heading_style="ATX").convert_soup(soup).strip()
    except RecursionError:
        # markdownify recurses per nesting level; get_text walks the tree in a loop, so deep HTML keeps its words.
        markdown = soup.get_text("\n\n", strip=True)
    return markdown, title or _first_heading(markdown)


def render_error_catalog(catalog: dict[str, Any]) -> tuple[str, str]:
    """An error-code catalog file (see bot/data/error-codes) as Markdown, one section per error."""
    name = str(catalog.get("provider_name") or catalog.get("provider") or "Errors")
    parts = [f"# {name} error codes"]
    for entry in catalog.get("errors") or []:
        if not isinstance(entry, dict) or "code" not in entry:
            continue
        status = f" (HTTP {entry['http_status']})" if entry.get("http_status") else ""
        parts.append(f"## {name} {entry['code']}{status}: {entry.get('title', '')}")
        if entry.get("aliases"):
            parts.append("Also seen as: " + ", ".join(str(alias) for alias in entry["aliases"]))
        parts.append(f"What it means: {entry.get('meaning', '')}")
        for label, key in (("Likely causes", "causes"), ("What to do", "fixes")):
            if entry.get(key):
                parts.append(f"{label}:\n" + "\n".join(f"- {item}" for item in entry[key]))
        if entry.get("pm_impact"):
            parts.append(f"What it means for the product: {entry['pm_impact']}")
        parts.append("Retryable: " + ("yes" if entry.get("retryable") else "no"))
    return "\n\n".join(parts), f"{name} error codes"


def _parse_yaml(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    try:
        catalog = yaml.safe_load(_decode_text(data))
    except yaml.YAMLError as error:
        raise SkipFile(f"invalid YAML ({type(error).__name__})") from error
    if not isinstance(catalog, dict) or not isinstance(catalog.get("errors"), list):
        raise SkipFile("YAML without an `errors:` list (only error-code catalogs are indexed)")
    return render_error_catalog(catalog)


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
    return _clip(markdown, limits.max_chars), title  # only the text kept crosses back


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
    text = _decode_text(data)
    return _clip(text, limits.max_chars), _first_heading(text)


def load_text(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    text = _decode_text(data)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # A short first line reads as the title; keeping it in the text keeps renames free of re-embedding.
    return _clip(text, limits.max_chars), first if 0 < len(first) <= 100 else None


def load_pdf(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(_parse_pdf, data, path, limits)


def load_docx(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(_parse_docx, data, path, limits)


def load_html(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    return _in_child(_parse_html, data, path, limits)


def load_yaml(data: bytes, path: Path, limits: ParseLimits = DEFAULT_LIMITS) -> tuple[str, str | None]:
    # PyYAML recurses per nesting level and aliases can multiply what gets rendered: a child bounds both.
    return _in_child(_parse_yaml, data, path, limits)


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
        raise SkipFile(f"over the size limit ({_megabytes(size)} > {_megabytes(max_bytes)}, MAX_FILE_MB)")
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
        title, url = front.title or _first_heading(markdown) or title, front.url
    return Document(
        path=relpath,
        title=(title or _title_from_name(path)).strip(),
        markdown=markdown,
        doctype=doctype_of(relpath),
        sha256=sha256,
        url=url,
    )
