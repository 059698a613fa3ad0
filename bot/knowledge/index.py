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
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

from bot.core.breaker import COOLDOWN_S, Breaker
from bot.core.store import Store
from bot.exceptions import KnowledgeError, SearchUnavailable
from bot.knowledge.chunking import Chunk
from bot.knowledge.embeddings import CachedEmbeddings
from bot.knowledge.keyword import KeywordIndex
from bot.knowledge.reindex import (
    Progress,
    ReindexReport,
    knowledge_files,
    last_reindex,
    reindex,
    reindex_document,
    write_chunks,
)

log = logging.getLogger(__name__)

VERSION_KEY = "pmc_version"
CHROMA_TIMEOUT_S = 5.0
_VERSION_TTL_S = 2.0
UNAVAILABLE = "Search is unavailable right now: the knowledge store can't be reached. Try again in a minute."

R = TypeVar("R")


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


def _unreachable(error: Exception) -> bool:
    """A failure to reach the server (refused, reset, timed out), as opposed to an answer saying no."""
    return isinstance(error, httpx.TransportError | OSError | SearchUnavailable)


def _chroma_call(what: str) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Run a KnowledgeIndex method as one guarded Chroma operation (see `KnowledgeIndex.guarded`)."""

    def wrap(method: Callable[..., R]) -> Callable[..., R]:
        @functools.wraps(method)
        def wrapper(self: KnowledgeIndex, *args: Any, **kwargs: Any) -> R:
            return self.guarded(what, lambda: method(self, *args, **kwargs))

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
    def guarded(self, what: str, operation: Callable[[], R]) -> R:
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
    def bump_version(self) -> int:
        version = int(self._metadata().get(VERSION_KEY, 0)) + 1
        self._collection().modify(metadata={VERSION_KEY: version, "pmc_indexed_at": time.time()})
        self._version = (time.monotonic(), version)
        return version

    @_chroma_call("read")
    def chunk_ids(self, relpath: str) -> set[str]:
        """The ids of the chunks Chroma holds for one file."""
        return set(self._collection().get(where={"path": relpath}, include=[])["ids"])

    @_chroma_call("read")
    def get_all(self, include: list[str]) -> dict[str, Any]:
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
        stamp = self.guarded("metadata read", self._metadata).get("pmc_indexed_at")
        return float(stamp) if stamp else None

    def count(self) -> int:
        return int(self.guarded("count", lambda: self._collection().count()))

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
            data = self.get_all(["documents", "metadatas", "embeddings"])
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

    # -- Reindex (bot.knowledge.reindex) ------------------------------------------------------
    def files(self) -> list[tuple[Path, Path]]:
        """(root, path) of every file to index: the folder's, then the built-in ones it doesn't override."""
        return knowledge_files(self)

    def reindex(self, full: bool = False, dry_run: bool = False, progress: Progress | None = None) -> ReindexReport:
        """Bring the collection in step with the folder: embed only new or changed text, prune the gone."""
        return reindex(self, full, dry_run, progress)

    def reindex_document(self, relpath: str) -> ReindexReport:
        """Index one file (new or changed) without reading the others, under the reindex lock; the version moves."""
        return reindex_document(self, relpath)

    def relpaths(self) -> list[str]:
        """The relative path of every file the reindex reads."""
        return [path.relative_to(root).as_posix() for root, path in self.files()]

    def last_reindex(self) -> dict[str, Any] | None:
        """The last reindex's report (`ReindexReport.as_dict` and `at`, epoch seconds), whoever ran it."""
        return last_reindex(self)

    def write_chunks(self, chunks: list[Chunk], progress: Progress | None = None) -> int:
        """Make the collection hold exactly these single-chunk documents (benchmarks); returns chunks written."""
        return write_chunks(self, chunks, progress)
