"""The parsers of the formats that can be hostile: PDF, DOCX, HTML and error-code YAML, bytes to (Markdown, title).

Each runs in the parser child process (`bot.knowledge.loaders`) and checks, before the costly step, what
fails fast: unzipped size and compression ratio, decoded PDF streams, page count.
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.documents import ParseLimits, SkipFile, decode_text, first_heading, megabytes

# A bad PDF gets exactly one warning line, ours, naming the file; pypdf's own chatter stays out.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# A zip member over 1 MB unzipped that packs tighter than 100:1 is a bomb, not a document (Apache POI's
# ZipSecureFile rule, MIN_INFLATE_RATIO = 0.01); real DOCX XML packs 5-30:1.
_MAX_ZIP_RATIO = 100
_ZIP_RATIO_FROM = 1_000_000
# The same rule for a PDF page's content stream, from a lower size: the stream is interpreted operator by
# operator (seconds per MB), and real text or vector pages pack 3-15:1.
_PDF_RATIO_FROM = 256_000


def parse_pdf(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
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
            f"PDF over a parser limit (a stream may decode to {megabytes(decoded)}): {error}".rstrip(". ")
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
                f"PDF page {number} content inflates {ratio:.0f}:1 to {megabytes(decoded)}, "
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
            raise SkipFile(f"DOCX unzips to {megabytes(unpacked)}, over the {megabytes(limit)} limit")
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


def parse_docx(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
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
    return markdown, document.core_properties.title or first_heading(markdown)


def parse_html(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(decode_text(data), "html.parser")
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
    return markdown, title or first_heading(markdown)


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


def parse_yaml(data: bytes, path: Path, limits: ParseLimits) -> tuple[str, str | None]:
    try:
        catalog = yaml.safe_load(decode_text(data))
    except yaml.YAMLError as error:
        raise SkipFile(f"invalid YAML ({type(error).__name__})") from error
    if not isinstance(catalog, dict) or not isinstance(catalog.get("errors"), list):
        raise SkipFile("YAML without an `errors:` list (only error-code catalogs are indexed)")
    return render_error_catalog(catalog)
