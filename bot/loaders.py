"""Turn the files of the knowledge folder into Markdown documents, or say why a file is skipped.

Every loader returns Markdown so that one heading-aware splitter serves all formats: PDF pages
become `## Page N` sections, DOCX heading styles become `#` levels, HTML goes through markdownify,
and an error-code catalog (YAML) becomes one `##` section per error.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)
# A bad PDF gets exactly one warning line, ours, naming the file; pypdf's own chatter stays out.
logging.getLogger("pypdf").setLevel(logging.ERROR)

DOCTYPES = ("playbook", "prds", "error-codes")
_SNIFF_BYTES = 8192


class SkipFile(Exception):
    """A file that can't be indexed; the message is the reason, shown in one warning line."""


@dataclass(frozen=True)
class Document:
    """One knowledge file as Markdown. `path` is relative to the knowledge folder, POSIX style."""

    path: str
    title: str
    markdown: str
    doctype: str
    sha256: str


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def doctype_of(relpath: str) -> str:
    """The doc type is the top-level folder: playbook, prds, error-codes, or other."""
    top = relpath.split("/", 1)[0]
    return top if top in DOCTYPES and "/" in relpath else "other"


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


def load_markdown(data: bytes, path: Path) -> tuple[str, str | None]:
    text = _decode_text(data)
    return text, _first_heading(text)


def load_text(data: bytes, path: Path) -> tuple[str, str | None]:
    text = _decode_text(data)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # A short first line reads as the title; keeping it in the text keeps renames free of re-embedding.
    return text, first if 0 < len(first) <= 100 else None


def load_pdf(data: bytes, path: Path) -> tuple[str, str | None]:
    import pypdf
    from pypdf.errors import PdfReadError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SkipFile("encrypted PDF")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
        title = (reader.metadata.title if reader.metadata else None) or None
    except SkipFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        raise SkipFile(f"corrupt PDF ({type(error).__name__})") from error
    body = "\n\n".join(f"## Page {n}\n\n{text}" for n, text in enumerate(pages, 1) if text)
    if not body:
        raise SkipFile("PDF has no extractable text")
    return body, title


def load_docx(data: bytes, path: Path) -> tuple[str, str | None]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as error:
        raise SkipFile(f"corrupt DOCX ({type(error).__name__})") from error
    except Exception as error:  # zipfile.BadZipFile and lxml errors vary by version
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


def load_html(data: bytes, path: Path) -> tuple[str, str | None]:
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(_decode_text(data), "html.parser")
    for tag in soup(["script", "style", "nav", "noscript"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    markdown = MarkdownConverter(heading_style="ATX").convert_soup(soup).strip()
    return markdown, title or _first_heading(markdown)


def render_error_catalog(catalog: dict[str, Any]) -> tuple[str, str]:
    """An error-code catalog (see knowledge/error-codes) as Markdown, one section per error."""
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


def load_yaml(data: bytes, path: Path) -> tuple[str, str | None]:
    try:
        catalog = yaml.safe_load(_decode_text(data))
    except yaml.YAMLError as error:
        raise SkipFile(f"invalid YAML ({type(error).__name__})") from error
    if not isinstance(catalog, dict) or not isinstance(catalog.get("errors"), list):
        raise SkipFile("YAML without an `errors:` list (only error-code catalogs are indexed)")
    return render_error_catalog(catalog)


Loader = Callable[[bytes, Path], tuple[str, str | None]]

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


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.3g} MB"


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


def load_document(root: Path, path: Path, data: bytes, sha256: str) -> Document:
    """Parse one file's bytes into a Document; raises SkipFile with the reason."""
    markdown, title = LOADERS[path.suffix.lower()](data, path)
    if not markdown.strip():
        raise SkipFile("no text content")
    relpath = path.relative_to(root).as_posix()
    return Document(
        path=relpath,
        title=(title or _title_from_name(path)).strip(),
        markdown=markdown,
        doctype=doctype_of(relpath),
        sha256=sha256,
    )
