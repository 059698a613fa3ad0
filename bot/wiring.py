"""The dependencies, built once at the entry point and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bot import builtin
from bot.config import Settings
from bot.core.breaker import Breaker
from bot.core.llm import LLM
from bot.core.metrics import Metrics
from bot.core.pricing import PriceTable
from bot.core.store import Store, open_store
from bot.knowledge.embeddings import CachedEmbeddings, EmbeddingCache, EmbeddingModel, embedding_model
from bot.knowledge.index import KnowledgeIndex, collection_name, open_chroma
from bot.knowledge.retrieval import Retriever
from bot.knowledge.saved import saved_root


@dataclass
class Deps:
    """Everything a capability needs: settings, shared state, the index and its retriever."""

    settings: Settings
    store: Store
    embeddings: CachedEmbeddings
    index: KnowledgeIndex
    retriever: Retriever
    metrics: Metrics
    llm: LLM

    @property
    def knowledge_dir(self) -> Path:
        return self.index.root


def build_deps(
    settings: Settings,
    knowledge_dir: Path | None = None,
    store: Store | None = None,
    model: EmbeddingModel | None = None,
) -> Deps:
    """Wire the index for KNOWLEDGE_DIR (or another folder, in its own collection); loads no model, opens no
    connection yet (a Chroma server is reached on first use)."""
    folder = knowledge_dir or settings.knowledge_dir
    store = store or open_store(
        settings.redis_url,
        settings.data_dir,
        settings.cache_prefix,
        timeout_s=settings.redis_timeout_s,
        cooldown_s=settings.breaker_cooldown_s,
    )
    model = model or embedding_model(
        settings.embedding_model,
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        timeout_s=settings.llm_timeout_s,
        batch_size=settings.embedding_batch_size,
    )
    embeddings = CachedEmbeddings(
        model, EmbeddingCache(settings.data_dir / "embeddings.sqlite"), settings.embedding_batch_size
    )
    index = KnowledgeIndex(
        root=folder,
        connect=partial(open_chroma, settings.chroma_url, settings.data_dir, settings.chroma_timeout_s),
        name=collection_name(settings.chroma_collection, folder, settings.knowledge_dir, settings.embedding_model),
        embeddings=embeddings,
        store=store,
        max_file_bytes=int(settings.max_file_mb * 1_000_000),
        breaker=Breaker(settings.breaker_cooldown_s),
        builtin=builtin.data_dir() if settings.builtin_playbook else None,
        # A new user's missing ./knowledge is fine (the built-in playbook answers); a folder they named isn't.
        require_root=knowledge_dir is not None or "knowledge_dir" in settings.model_fields_set,
        # PRDs saved from Slack belong to the team's knowledge, not to another folder named with --knowledge.
        saved=saved_root(settings.data_dir) if knowledge_dir is None else None,
    )
    prices = PriceTable(settings.llm_prices)
    return Deps(
        settings=settings,
        store=store,
        embeddings=embeddings,
        index=index,
        retriever=Retriever(index, embeddings),
        metrics=Metrics(store, prices),
        llm=LLM(settings, prices),
    )
