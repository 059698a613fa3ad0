"""The knowledge index: a folder's chunks in Chroma (dense) and BM25 (keyword), kept in step by reindex.

Chroma is the single source of truth. Each chunk's metadata records its file's sha256 and chunk
count, so the reindex diffs the folder against what Chroma actually holds: there is no separate
manifest to drift. A reindex killed halfway leaves a file with mixed hashes or a short chunk
count, which the next run sees as changed and completes; the embedding cache makes that redo
cheap. The collection's metadata holds the index version, bumped by every successful reindex,
which every replica reads (the answer cache keys on it).

Questions read one `Snapshot`: every chunk of one version, with its text, metadata, vector and
BM25 index, held in memory. Dense and keyword search both run against it, so a reindex in
progress (writing chunks before it bumps the version) never mixes two versions in one answer;
a reindex shows up in answers at once, when its version does. Chroma is reached only to read the
version (every couple of seconds) and to rebuild the snapshot when it moves.

Every Chroma request has a timeout (CHROMA_TIMEOUT_S), and after one times out or is refused a
circuit breaker answers "search is unavailable" at once for BREAKER_COOLDOWN_S, instead of making
each question wait on a hung server. The Chroma server is reached on first use, not at start, so
`serve` comes up (unready) while it is away.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.api.client import Client as ChromaClient
from chromadb.config import DEFAULT_DATABASE, DEFAULT_TENANT
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma

from bot.builtin import KNOWLEDGE_FOLDERS
from bot.core.breaker import COOLDOWN_S, Breaker
from bot.core.store import Store
from bot.exceptions import KnowledgeError, SearchUnavailable
from bot.knowledge.chunking import Chunk, split_document
from bot.knowledge.embeddings import CachedEmbeddings
from bot.knowledge.keyword import KeywordIndex
from bot.knowledge.loaders import SkipFile, SkippedFile, candidate_files, load_document, read_file
from bot.knowledge.saved import SAVED_FOLDER
from bot.knowledge.scopes import SCOPES_FILE, check_scopes, load_scopes

log = logging.getLogger(__name__)

UPSERT_BATCH = 256
LAST_REINDEX_KEY = "reindex:last:{name}"
VERSION_KEY = "pmc_version"
LOCK_TTL_S = 3600
CHROMA_TIMEOUT_S = 5.0
_VERSION_TTL_S = 2.0
UNAVAILABLE = "Search is unavailable right now: the knowledge store can't be reached. Try again in a minute."

R = TypeVar("R")

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stage is "scan" or "embed"."""


class _TimedHttpClient(ChromaClient):
    """chromadb's HTTP client (what `chromadb.HttpClient` builds), with a timeout on every request.

    chromadb 1.x gives its httpx sessions `timeout=None`, with no setting to change it, and sends
    its first requests from inside the constructor: to the server (who am I) and through an admin
    client of its own (does the tenant exist). Each session gets the timeout just before its first
    request goes out, in the two hooks the constructor calls.
    """

    def __init__(self, timeout_s: float, settings: ChromaSettings) -> None:
        self._timeout = httpx.Timeout(timeout_s)
        super().__init__(tenant=DEFAULT_TENANT, database=DEFAULT_DATABASE, settings=settings)

    def get_user_identity(self) -> Any:
        self._server._session.timeout = self._timeout  # type: ignore[attr-defined]
        return super().get_user_identity()

    def _validate_tenant_database(self, tenant: str, database: str) -> None:
        self._admin_client._server._session.timeout = self._timeout  # type: ignore[attr-defined]
        super()._validate_tenant_database(tenant, database)


def open_chroma(chroma_url: str | None, data_dir: Path, timeout_s: float = CHROMA_TIMEOUT_S) -> Any:
    """A client for the Chroma server at CHROMA_URL (each request bounded by `timeout_s`), else an embedded
    PersistentClient under DATA_DIR; telemetry off."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"  # the settings chromadb.HttpClient sets
        settings.chroma_server_host = url.hostname or "localhost"
        settings.chroma_server_http_port = url.port or (443 if url.scheme == "https" else 8000)
        settings.chroma_server_ssl_enabled = url.scheme == "https"
        try:
            return _TimedHttpClient(timeout_s, settings)
        except Exception as error:  # the client says hello at construction; a server that's down fails here
            log.warning("chroma server at %s:%s unreachable: %s", url.hostname, url.port, error)
            raise SearchUnavailable(
                f"Search is unavailable right now: the Chroma server at {url.hostname}:{url.port or 8000} "
                "can't be reached (CHROMA_URL)."
            ) from error
    data_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)


def collection_name(base: str, knowledge_dir: Path, default_dir: Path, model: str) -> str:
    """The configured name for KNOWLEDGE_DIR; any other folder gets its own collection."""
    name = base
    if knowledge_dir.resolve() != default_dir.resolve():
        slug = re.sub(r"[^a-zA-Z0-9]+", "-", knowledge_dir.resolve().name).strip("-")[:40] or "kb"
        digest = hashlib.sha1(str(knowledge_dir.resolve()).encode()).hexdigest()[:8]
        name = f"kb-{slug}-{digest}"
    if model != "local":
        # Vectors of different models have different dimensions; never mix them in one collection.
        name = f"{name}-{hashlib.sha1(model.encode()).hexdigest()[:6]}"
    return name


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


@dataclass(frozen=True)
class Snapshot:
    """Every chunk of one index version, row-aligned: text, metadata, unit vector, and the keyword index."""

    version: int
    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    vectors: np.ndarray
    keyword: KeywordIndex
    row_of: dict[str, int]

    def mask(self, doctypes: Iterable[str] | None) -> np.ndarray | None:
        if not doctypes:
            return None
        wanted = set(doctypes)
        return np.array([meta.get("doctype") in wanted for meta in self.metadatas], dtype=bool)

    def cosines(self, vector: list[float]) -> np.ndarray:
        """Cosine similarity of every chunk to `vector` (an exact search: a few ms for tens of thousands)."""
        query = np.asarray(vector, dtype=np.float32)
        return self.vectors @ (query / (np.linalg.norm(query) or 1.0))


def _unit_rows(vectors: list[Any]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        return np.zeros((len(vectors), 0), dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


@dataclass
class _FileState:
    hashes: set[str] = field(default_factory=set)
    chunk_ids: set[str] = field(default_factory=set)
    expected: int = -1


def _unreachable(error: Exception) -> bool:
    """A failure to reach the server (refused, reset, timed out), as opposed to an answer saying no."""
    return isinstance(error, httpx.TransportError | OSError | SearchUnavailable)


def _chroma_call(what: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Run a KnowledgeIndex method as one guarded Chroma operation (see `KnowledgeIndex._guarded`)."""

    def wrap(method: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(method)
        def wrapper(self: KnowledgeIndex, *args: Any, **kwargs: Any) -> R:
            return self._guarded(what, lambda: method(self, *args, **kwargs))

        return wrapper

    return wrap


class KnowledgeIndex:
    """One knowledge folder, indexed into one Chroma collection."""

    def __init__(
        self,
        root: Path,
        connect: Callable[[], Any],
        name: str,
        embeddings: CachedEmbeddings,
        store: Store,
        max_file_bytes: int = 20_000_000,
        breaker: Breaker | None = None,
        builtin: Path | None = None,
        require_root: bool = True,
        saved: Path | None = None,
    ) -> None:
        """`connect()` returns the Chroma client (`open_chroma`): called on first use, and again until it works.

        `builtin` is the package's data folder (`bot.builtin.data_dir()`): its playbook and error catalog are
        indexed as if they lay in `root`, and a file of `root` with the same relative path wins. None indexes
        `root` alone (BUILTIN_PLAYBOOK=false). With a built-in folder and `require_root` False, a missing
        `root` is no error (the default ./knowledge of a new user): the built-in knowledge alone is indexed.
        """
        self.root = root
        self.builtin = builtin
        self.saved = saved  # DATA_DIR's area for PRDs saved from Slack (`bot.knowledge.saved`)
        self.require_root = require_root or builtin is None
        self.name = name
        self.embeddings = embeddings
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.breaker = breaker or Breaker(COOLDOWN_S)
        self._connect = connect
        self._client: Any = None
        self._connect_failures = 0
        self._connect_error = UNAVAILABLE
        self._vectors: Chroma | None = None
        self._handle: Any = None
        self._snapshot: Snapshot | None = None
        self._version: tuple[float, int] | None = None
        self._mutex = threading.Lock()
        self._connecting = threading.Lock()

    # -- Chroma access -------------------------------------------------------------------
    # Only the public operations are guarded (`_chroma_call`); the helpers below run inside one.
    def _guarded(self, what: str, operation: Callable[[], R]) -> R:
        """Run one Chroma operation. SearchUnavailable when it fails, and at once while the breaker is open."""
        if not self.breaker.allow():
            raise SearchUnavailable(UNAVAILABLE)
        try:
            result = operation()
        except Exception as error:
            if _unreachable(error):
                self.breaker.failed()
            else:
                self.breaker.succeeded()  # Chroma answered, if only to say no
            if isinstance(error, KnowledgeError):
                raise
            log.warning("chroma %s failed: %s: %s", what, type(error).__name__, error)
            raise SearchUnavailable(UNAVAILABLE) from error
        self.breaker.succeeded()
        return result

    @property
    def client(self) -> Any:
        if self._client is None:
            failures = self._connect_failures
            with self._connecting:
                if self._client is None:
                    if self._connect_failures != failures:
                        # Another thread tried while this one waited, and failed: don't wait a second time.
                        raise SearchUnavailable(self._connect_error)
                    try:
                        self._client = self._connect()
                    except SearchUnavailable as error:
                        self.breaker.failed()  # before the lock frees, so no caller slips in to try again
                        self._connect_error = str(error)
                        self._connect_failures += 1
                        raise
        return self._client

    @property
    def vectors(self) -> Chroma:
        if self._vectors is None:
            self._vectors = Chroma(
                client=self.client,
                collection_name=self.name,
                embedding_function=self.embeddings,
                collection_configuration={"hnsw": {"space": "cosine"}},
            )
        return self._vectors

    def _collection(self) -> Any:
        if self._handle is None:
            self.vectors  # noqa: B018 - creates the collection on first use
            self._handle = self.client.get_collection(self.name)
        return self._handle

    def _metadata(self) -> dict[str, Any]:
        """The collection metadata as Chroma holds it now (another replica may have reindexed)."""
        self._collection()
        return dict(self.client.get_collection(self.name).metadata or {})

    @_chroma_call("version read")
    def _read_version(self) -> int:
        return int(self._metadata().get(VERSION_KEY, 0))

    def version(self, fresh: bool = False) -> int:
        """The index version; re-read from Chroma at most every couple of seconds."""
        now = time.monotonic()
        if fresh or self._version is None or now - self._version[0] > _VERSION_TTL_S:
            self._version = (now, self._read_version())
        return self._version[1]

    @_chroma_call("version bump")
    def _bump_version(self) -> int:
        version = int(self._metadata().get(VERSION_KEY, 0)) + 1
        self._collection().modify(metadata={VERSION_KEY: version, "pmc_indexed_at": time.time()})
        self._version = (time.monotonic(), version)
        return version

    @_chroma_call("read")
    def _get_all(self, include: list[str]) -> dict[str, Any]:
        collection = self._collection()
        total = collection.count()
        result: dict[str, list[Any]] = {"ids": [], **{key: [] for key in include}}
        for offset in range(0, total, 5000):
            page = collection.get(include=include, limit=5000, offset=offset)
            result["ids"].extend(page["ids"])
            for key in include:
                values = page[key]  # embeddings come as a numpy array, which has no truth value
                result[key].extend(values if values is not None else [])
        return result

    def indexed_at(self) -> float | None:
        """When the last successful reindex finished (epoch seconds), if ever."""
        stamp = self._guarded("metadata read", self._metadata).get("pmc_indexed_at")
        return float(stamp) if stamp else None

    def count(self) -> int:
        return int(self._guarded("count", lambda: self._collection().count()))

    # -- Reading ---------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """All chunks of the current version, with BM25 built over them; rebuilt when the version moves."""
        version = self.version()
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        with self._mutex:
            if self._snapshot is not None and self._snapshot.version == version:
                return self._snapshot
            data = self._get_all(["documents", "metadatas", "embeddings"])
            ids, texts, metas = data["ids"], data["documents"], data["metadatas"]
            self._snapshot = Snapshot(
                version=version,
                ids=ids,
                texts=texts,
                metadatas=metas,
                vectors=_unit_rows(data["embeddings"]),
                # The title counts twice on the keyword side (tuned on SciFact: +0.005 nDCG@10 for BM25).
                keyword=KeywordIndex(
                    ids, [f"{meta.get('title', '')}\n{text}" for meta, text in zip(metas, texts, strict=True)]
                ),
                row_of={chunk_id: row for row, chunk_id in enumerate(ids)},
            )
            return self._snapshot

    # -- Reindex -----------------------------------------------------------------------------
    def _indexed_files(self) -> dict[str, _FileState]:
        data = self._get_all(["metadatas"])
        files: dict[str, _FileState] = defaultdict(_FileState)
        for chunk_id, meta in zip(data["ids"], data["metadatas"], strict=True):
            state = files[str(meta["path"])]
            state.hashes.add(str(meta.get("file_sha256")))
            state.chunk_ids.add(chunk_id)
            state.expected = int(meta.get("chunks", -1))
        return files

    def files(self) -> list[tuple[Path, Path]]:
        """(root, path) of every file to index: the folder's, then the built-in ones it doesn't override."""
        files = [(self.root, path) for path in candidate_files(self.root)] if self.root.is_dir() else []
        files = [(root, path) for root, path in files if path != self.root / SCOPES_FILE]  # settings, not knowledge
        if self.saved is not None and (self.saved / SAVED_FOLDER).is_dir():
            taken = {path.relative_to(self.root).as_posix() for _, path in files}
            files += [
                (self.saved, path)
                for path in candidate_files(self.saved / SAVED_FOLDER)
                if path.relative_to(self.saved).as_posix() not in taken
            ]
        if self.builtin is not None:
            taken = {path.relative_to(root).as_posix() for root, path in files}
            for folder in KNOWLEDGE_FOLDERS:
                files += [
                    (self.builtin, path)
                    for path in candidate_files(self.builtin / folder)
                    if path.relative_to(self.builtin).as_posix() not in taken
                ]
        return files

    def _scan(self, progress: Progress | None) -> Iterator[tuple[str, Path, Path, bytes | None, str | SkippedFile]]:
        """(relpath, root, path, bytes, sha256 or why it is skipped) for every file to index."""
        files = self.files()
        for done, (root, path) in enumerate(files, 1):
            relpath = path.relative_to(root).as_posix()
            try:
                data, sha = read_file(root, path, self.max_file_bytes)
            except (SkipFile, OSError) as error:
                yield relpath, root, path, None, SkippedFile(relpath, str(error))
            else:
                yield relpath, root, path, data, sha
            if progress:
                progress("scan", done, len(files))

    def reindex(self, full: bool = False, dry_run: bool = False, progress: Progress | None = None) -> ReindexReport:
        """Bring the collection in step with the folder: embed only new or changed text, prune the gone."""
        if self.require_root and not self.root.is_dir():
            raise KnowledgeError(f"knowledge folder not found: {self.root} (set KNOWLEDGE_DIR or --knowledge)")
        started = time.perf_counter()
        with self.store.lock(f"reindex:{self.name}", ttl_s=LOCK_TTL_S):
            report = self._reindex_locked(full, dry_run, progress)
        report.seconds = time.perf_counter() - started
        for skipped in report.skipped:
            log.warning("skipped %s: %s", skipped.path, skipped.reason)
        report.warnings = check_scopes(load_scopes(self.root), self.relpaths())
        for warning in report.warnings:
            log.warning("%s", warning)
        if not dry_run:
            self.store.set(LAST_REINDEX_KEY.format(name=self.name), json.dumps(report.as_dict() | {"at": time.time()}))
        return report

    def relpaths(self) -> list[str]:
        """The relative path of every file the reindex reads."""
        return [path.relative_to(root).as_posix() for root, path in self.files()]

    def last_reindex(self) -> dict[str, Any] | None:
        """The last reindex's report (`ReindexReport.as_dict` and `at`, epoch seconds), whoever ran it."""
        raw = self.store.get(LAST_REINDEX_KEY.format(name=self.name))
        try:
            return dict(json.loads(raw)) if raw else None
        except (ValueError, TypeError):
            return None

    def _reindex_locked(self, full: bool, dry_run: bool, progress: Progress | None) -> ReindexReport:
        report = ReindexReport(dry_run=dry_run)
        indexed = self._indexed_files()
        seen: set[str] = set()
        to_write: list[tuple[list[Chunk], set[str]]] = []
        for relpath, root, path, data, outcome in self._scan(progress):
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
            report.version = self.version(fresh=True)
            return report
        self._write(to_write, [indexed[path] for path in gone], report, progress)
        report.version = self._bump_version()
        return report

    def reindex_document(self, relpath: str) -> ReindexReport:
        """Index one file (new or changed) without reading the others, under the reindex lock; the version moves."""
        started = time.perf_counter()
        with self.store.lock(f"reindex:{self.name}", ttl_s=LOCK_TTL_S):
            report = ReindexReport()
            found = next(((r, p) for r, p in self.files() if p.relative_to(r).as_posix() == relpath), None)
            if found is None:
                raise KnowledgeError(f"{relpath} isn't in the knowledge")
            root, path = found
            try:
                data, sha = read_file(root, path, self.max_file_bytes)
                chunks = split_document(load_document(root, path, data, sha))
            except (SkipFile, OSError) as error:
                report.skipped.append(SkippedFile(relpath, str(error)))
                return report
            held = self._guarded("read", lambda: self._collection().get(where={"path": relpath}, include=[]))
            existing = set(held["ids"])
            report.updated, report.added = (1, 0) if existing else (0, 1)
            report.chunks = len(chunks)
            self._write([(chunks, existing - {chunk.id for chunk in chunks})], [], report, None)
            report.version = self._bump_version()
        report.seconds = time.perf_counter() - started
        return report

    def write_chunks(self, chunks: list[Chunk], progress: Progress | None = None) -> int:
        """Make the collection hold exactly these single-chunk documents (benchmarks); returns chunks written."""
        with self.store.lock(f"reindex:{self.name}", ttl_s=LOCK_TTL_S):
            data = self._get_all(["metadatas"])
            have = {chunk_id: meta.get("sha256") for chunk_id, meta in zip(data["ids"], data["metadatas"], strict=True)}
            new = [chunk for chunk in chunks if have.get(chunk.id) != chunk.sha256]
            stale = set(have) - {chunk.id for chunk in chunks}
            if new or stale:
                report = ReindexReport(chunks=len(new))
                self._write([([chunk], set()) for chunk in new] + [([], stale)], [], report, progress)
                self._bump_version()
            return len(new)

    @_chroma_call("write")
    def _write(
        self,
        to_write: list[tuple[list[Chunk], set[str]]],
        gone: list[_FileState],
        report: ReindexReport,
        progress: Progress | None,
    ) -> None:
        self.embeddings.reset_counts()
        total = report.chunks
        done = 0
        batch: list[tuple[Chunk, int]] = []

        def flush() -> None:
            nonlocal done
            if not batch:
                return
            self.vectors.add_texts(
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
            self.vectors.delete(ids=doomed[start : start + 5000])
        report.embedded = self.embeddings.embedded
