from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.config import load_settings
from bot.exceptions import ConfigError
from bot.knowledge.embeddings import CachedEmbeddings, EmbeddingCache, OpenAIEmbeddingModel, embedding_model
from bot.wiring import build_deps
from tests.conftest import HashingEmbeddings
from tests.openai_server import OpenAIServer, fake_vector


def test_openai_compatible_model_batches_sorts_and_normalises(openai_server: OpenAIServer) -> None:
    model = OpenAIEmbeddingModel("text-embedding-3-small", "sk-test", openai_server.base_url, 5.0, batch_size=2)
    vectors = model.embed_batch(["alpha", "beta", "gamma"])
    assert [request["input"] for request in openai_server.embedding_requests] == [["alpha", "beta"], ["gamma"]]
    assert all(request["model"] == "text-embedding-3-small" for request in openai_server.embedding_requests)
    expected = np.asarray(fake_vector("beta"))
    assert np.allclose(vectors[1], expected / np.linalg.norm(expected))  # index order kept, unit length


def test_embedding_model_setting_picks_the_endpoint(openai_server: OpenAIServer, tmp_path: Path) -> None:
    folder = tmp_path / "kb" / "playbook"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("# Metrics\n\n## Latency\n\nKeep p95 under three seconds.\n")
    settings = load_settings(
        data_dir=tmp_path / "data",
        knowledge_dir=folder.parent,
        embedding_model="text-embedding-3-small",
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
    )
    deps = build_deps(settings)
    assert deps.index.name.startswith("pm-copilot-")  # its own collection: dimensions differ from `local`
    report = deps.index.reindex()
    assert report.embedded == 1 and len(openai_server.embedding_requests) == 1
    assert deps.index.reindex().embedded == 0 and len(openai_server.embedding_requests) == 1


def test_an_openai_embedding_model_needs_a_key() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        embedding_model("text-embedding-3-small")


def test_cache_is_keyed_by_model_and_content(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    first, second = HashingEmbeddings(), HashingEmbeddings()
    second.name = "other-model"
    CachedEmbeddings(first, cache).embed_documents(["same text", "same text", "other"])
    assert first.texts_embedded == 2  # duplicates within a batch are embedded once
    CachedEmbeddings(first, cache).embed_documents(["same text"])
    assert first.texts_embedded == 2
    CachedEmbeddings(second, cache).embed_documents(["same text"])
    assert second.texts_embedded == 1  # another model never reuses these vectors
    cache.close()
