"""The reindex job: bring a knowledge index's Chroma collection in step with its folder, and report what it did.

Each chunk's metadata records its file's sha256 and chunk count, so the reindex diffs the folder against
what Chroma holds and embeds only new or changed text; stale chunks go only after their file's new ones are
in, and the index version is bumped last (see `bot.knowledge.index`).
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.builtin import KNOWLEDGE_FOLDERS
from bot.exceptions import KnowledgeError
from bot.knowledge.chunking import Chunk, split_document
from bot.knowledge.documents import SkipFile, SkippedFile
from bot.knowledge.loaders import candidate_files, load_document, read_file
from bot.knowledge.saved import SAVED_FOLDER
from bot.knowledge.scopes import SCOPES_FILE, check_scopes, load_scopes

if TYPE_CHECKING:
    from bot.knowledge.index import KnowledgeIndex

log = logging.getLogger(__name__)

UPSERT_BATCH = 256
LOCK_TTL_S = 3600
LAST_REINDEX_KEY = "reindex:last:{name}"

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "scan" or "embed"."""


@dataclass
class ReindexReport:
    """What a reindex did, in files; `embedded` counts chunks that went through the model."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks: int = 0
    embedded: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
    version: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "skipped": [{"path": item.path, "reason": item.reason} for item in self.skipped],
            "chunks": self.chunks,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "version": self.version,
            "dry_run": self.dry_run,
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged "
            f"({len(self.skipped)} skipped; {self.embedded} chunks embedded) in {self.seconds:.1f} s"
            + ("" if not self.dry_run else f"; nothing {verb} written")
        )


@dataclass
class FileState:
    """What Chroma holds for one file: its hashes (one when complete), chunk ids, and the chunk count it expects."""

    hashes: set[str] = field(default_factory=set)
    chunk_ids: set[str] = field(default_factory=set)
    expected: int = -1


def _indexed_files(index: KnowledgeIndex) -> dict[str, FileState]:
    data = index.get_all(["metadatas"])
    files: dict[str, FileState] = defaultdict(FileState)
    for chunk_id, meta in zip(data["ids"], data["metadatas"], strict=True):
        state = files[str(meta["path"])]
        state.hashes.add(str(meta.get("file_sha256")))
        state.chunk_ids.add(chunk_id)
        state.expected = int(meta.get("chunks", -1))
    return files


def knowledge_files(index: KnowledgeIndex) -> list[tuple[Path, Path]]:
    """(root, path) of every file to index: the folder's, the saved PRDs, then the built-in ones not overridden."""
    files = [(index.root, path) for path in candidate_files(index.root)] if index.root.is_dir() else []
    files = [(root, path) for root, path in files if path != index.root / SCOPES_FILE]  # settings, not knowledge
    if index.saved is not None and (index.saved / SAVED_FOLDER).is_dir():
        taken = {path.relative_to(index.root).as_posix() for _, path in files}
        files += [
            (index.saved, path)
            for path in candidate_files(index.saved / SAVED_FOLDER)
            if path.relative_to(index.saved).as_posix() not in taken
        ]
    if index.builtin is not None:
        taken = {path.relative_to(root).as_posix() for root, path in files}
        for folder in KNOWLEDGE_FOLDERS:
            files += [
                (index.builtin, path)
                for path in candidate_files(index.builtin / folder)
                if path.relative_to(index.builtin).as_posix() not in taken
            ]
    return files


def _scan(
    index: KnowledgeIndex, progress: Progress | None
) -> Iterator[tuple[str, Path, Path, bytes | None, str | SkippedFile]]:
    """(relpath, root, path, bytes, sha256 or why it is skipped) for every file to index."""
    files = knowledge_files(index)
    for done, (root, path) in enumerate(files, 1):
        relpath = path.relative_to(root).as_posix()
        try:
            data, sha = read_file(root, path, index.max_file_bytes)
        except (SkipFile, OSError) as error:
            yield relpath, root, path, None, SkippedFile(relpath, str(error))
        else:
            yield relpath, root, path, data, sha
        if progress:
            progress("scan", done, len(files))


def reindex(
    index: KnowledgeIndex, full: bool = False, dry_run: bool = False, progress: Progress | None = None
) -> ReindexReport:
    """Bring the collection in step with the folder: embed only new or changed text, prune the gone."""
    if index.require_root and not index.root.is_dir():
        raise KnowledgeError(f"knowledge folder not found: {index.root} (set KNOWLEDGE_DIR or --knowledge)")
    started = time.perf_counter()
    with index.store.lock(f"reindex:{index.name}", ttl_s=LOCK_TTL_S):
        report = _reindex_locked(index, full, dry_run, progress)
    report.seconds = time.perf_counter() - started
    for skipped in report.skipped:
        log.warning("skipped %s: %s", skipped.path, skipped.reason)
    report.warnings = check_scopes(load_scopes(index.root), index.relpaths())
    for warning in report.warnings:
        log.warning("%s", warning)
    if not dry_run:
        index.store.set(LAST_REINDEX_KEY.format(name=index.name), json.dumps(report.as_dict() | {"at": time.time()}))
    return report


def last_reindex(index: KnowledgeIndex) -> dict[str, Any] | None:
    """The last reindex's report (`ReindexReport.as_dict` and `at`, epoch seconds), whoever ran it."""
    raw = index.store.get(LAST_REINDEX_KEY.format(name=index.name))
    try:
        return dict(json.loads(raw)) if raw else None
    except (ValueError, TypeError):
        return None


def _reindex_locked(index: KnowledgeIndex, full: bool, dry_run: bool, progress: Progress | None) -> ReindexReport:
    report = ReindexReport(dry_run=dry_run)
    indexed = _indexed_files(index)
    seen: set[str] = set()
    to_write: list[tuple[list[Chunk], set[str]]] = []
    for relpath, root, path, data, outcome in _scan(index, progress):
        seen.add(relpath)
        if isinstance(outcome, SkippedFile):
            report.skipped.append(outcome)  # what it held before stays indexed
            continue
        state = indexed.get(relpath)
        fresh = state is not None and state.hashes == {outcome} and len(state.chunk_ids) == state.expected
        if fresh and not full:
            report.unchanged += 1
            continue
        try:
            assert data is not None
            chunks = split_document(load_document(root, path, data, outcome))
        except SkipFile as error:
            report.skipped.append(SkippedFile(relpath, str(error)))
            continue
        if not chunks:
            report.skipped.append(SkippedFile(relpath, "no text content"))
            continue
        if state is None:
            report.added += 1
        elif fresh:
            report.unchanged += 1
        else:
            report.updated += 1
        stale = (state.chunk_ids if state else set()) - {chunk.id for chunk in chunks}
        to_write.append((chunks, stale))
    gone = [path for path in indexed if path not in seen]
    report.removed = len(gone)
    report.chunks = sum(len(chunks) for chunks, _ in to_write)
    if dry_run:
        report.version = index.version(fresh=True)
        return report
    index.guarded("write", lambda: _write(index, to_write, [indexed[path] for path in gone], report, progress))
    report.version = index.bump_version()
    return report


def reindex_document(index: KnowledgeIndex, relpath: str) -> ReindexReport:
    """Index one file (new or changed) without reading the others, under the reindex lock; the version moves."""
    started = time.perf_counter()
    with index.store.lock(f"reindex:{index.name}", ttl_s=LOCK_TTL_S):
        report = ReindexReport()
        found = next(((r, p) for r, p in knowledge_files(index) if p.relative_to(r).as_posix() == relpath), None)
        if found is None:
            raise KnowledgeError(f"{relpath} isn't in the knowledge")
        root, path = found
        try:
            data, sha = read_file(root, path, index.max_file_bytes)
            chunks = split_document(load_document(root, path, data, sha))
        except (SkipFile, OSError) as error:
            report.skipped.append(SkippedFile(relpath, str(error)))
            return report
        existing = index.chunk_ids(relpath)
        report.updated, report.added = (1, 0) if existing else (0, 1)
        report.chunks = len(chunks)
        to_write = [(chunks, existing - {chunk.id for chunk in chunks})]
        index.guarded("write", lambda: _write(index, to_write, [], report, None))
        report.version = index.bump_version()
    report.seconds = time.perf_counter() - started
    return report


def write_chunks(index: KnowledgeIndex, chunks: list[Chunk], progress: Progress | None = None) -> int:
    """Make the collection hold exactly these single-chunk documents (benchmarks); returns chunks written."""
    with index.store.lock(f"reindex:{index.name}", ttl_s=LOCK_TTL_S):
        data = index.get_all(["metadatas"])
        have = {chunk_id: meta.get("sha256") for chunk_id, meta in zip(data["ids"], data["metadatas"], strict=True)}
        new = [chunk for chunk in chunks if have.get(chunk.id) != chunk.sha256]
        stale = set(have) - {chunk.id for chunk in chunks}
        if new or stale:
            report = ReindexReport(chunks=len(new))
            index.guarded(
                "write",
                lambda: _write(index, [([chunk], set()) for chunk in new] + [([], stale)], [], report, progress),
            )
            index.bump_version()
        return len(new)


def _write(
    index: KnowledgeIndex,
    to_write: list[tuple[list[Chunk], set[str]]],
    gone: list[FileState],
    report: ReindexReport,
    progress: Progress | None,
) -> None:
    """Embed and add the new chunks in batches, then delete the stale ones; run inside `KnowledgeIndex.guarded`."""
    index.embeddings.reset_counts()
    total = report.chunks
    done = 0
    batch: list[tuple[Chunk, int]] = []

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        index.vectors.add_texts(
            texts=[chunk.embed_text for chunk, _ in batch],
            metadatas=[chunk.metadata(count) for chunk, count in batch],
            ids=[chunk.id for chunk, _ in batch],
        )
        done += len(batch)
        batch.clear()
        if progress:
            progress("embed", done, total)

    for chunks, _stale in to_write:
        for chunk in chunks:
            batch.append((chunk, len(chunks)))
            if len(batch) >= UPSERT_BATCH:
                flush()
    flush()
    # Stale ids go only after their file's new chunks are in, so a kill in between loses nothing.
    doomed = [chunk_id for _, stale in to_write for chunk_id in stale]
    doomed += [chunk_id for state in gone for chunk_id in state.chunk_ids]
    for start in range(0, len(doomed), 5000):
        index.vectors.delete(ids=doomed[start : start + 5000])
    report.embedded = index.embeddings.embedded
