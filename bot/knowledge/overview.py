"""What the bot knows, for the App Home: folders, documents and chunks of the current index, and its last reindex."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.index import KnowledgeIndex


@dataclass
class KnowledgeOverview:
    """Documents per folder (`prds/payments`: files directly in it or below), totals, version and last reindex."""

    folders: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    chunks: int = 0
    version: int = 0
    last_reindex: dict[str, Any] | None = None


def knowledge_overview(index: KnowledgeIndex) -> KnowledgeOverview:
    snapshot = index.snapshot()
    paths = {str(meta.get("path", "")) for meta in snapshot.metadatas}
    folders: Counter[str] = Counter()
    for path in paths:
        parts = path.split("/")[:-1]
        for depth in range(min(len(parts), 2)):  # top-level folders and one level below
            folders["/".join(parts[: depth + 1])] += 1
    return KnowledgeOverview(
        folders=dict(sorted(folders.items())),
        documents=len(paths),
        chunks=len(snapshot.ids),
        version=snapshot.version,
        last_reindex=index.last_reindex(),
    )
