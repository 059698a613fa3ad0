"""Heading-aware chunking: every chunk keeps its document title and section path."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from bot.knowledge.documents import Document

# ~1,000 characters is about 220 word pieces: it fits all-MiniLM-L6-v2's 256-token window whole.
CHUNK_CHARS = 1000
CHUNK_OVERLAP = 150

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3"), ("####", "h4")]


@dataclass(frozen=True)
class Chunk:
    """A retrievable piece of a document. `id` is `relpath#n`; `sha256` hashes `embed_text`."""

    id: str
    path: str
    n: int
    title: str
    section: str
    text: str
    doctype: str
    file_sha256: str
    url: str | None = None

    @property
    def embed_text(self) -> str:
        """What gets embedded and keyword-indexed: the title and section weigh in with the body."""
        heading = f"{self.title} — {self.section}" if self.section else self.title
        return f"{heading}\n{self.text}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    def metadata(self, chunk_count: int) -> dict[str, str | int]:
        """What Chroma keeps beside the vector (`url` only when the document names one)."""
        return {
            "path": self.path,
            "n": self.n,
            "chunks": chunk_count,
            "title": self.title,
            "section": self.section,
            "doctype": self.doctype,
            "sha256": self.sha256,
            "file_sha256": self.file_sha256,
            **({"url": self.url} if self.url else {}),
        }


_header_splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
_body_splitter = RecursiveCharacterTextSplitter(
    chunk_size=CHUNK_CHARS,
    chunk_overlap=CHUNK_OVERLAP,
    separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
)


def split_document(document: Document) -> list[Chunk]:
    """Split on headings first, then long sections by size; number the chunks in reading order."""
    chunks: list[Chunk] = []
    for section in _header_splitter.split_text(document.markdown):
        levels = [str(section.metadata[key]) for key in ("h2", "h3", "h4") if section.metadata.get(key)]
        path = " > ".join(levels)
        for piece in _body_splitter.split_text(section.page_content):
            if not piece.strip():
                continue
            chunks.append(
                Chunk(
                    id=f"{document.path}#{len(chunks)}",
                    path=document.path,
                    n=len(chunks),
                    title=document.title,
                    section=path,
                    text=piece.strip(),
                    doctype=document.doctype,
                    file_sha256=document.sha256,
                    url=document.url,
                )
            )
    return chunks
