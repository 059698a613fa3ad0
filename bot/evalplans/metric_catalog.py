"""The playbook's metric catalog (playbook/ai-metrics.md), parsed into metrics.

The built-in page ships with the package; a team's KNOWLEDGE_DIR/playbook/ai-metrics.md replaces it.

The page has a fixed shape that admins keep when they edit it:

    ## Quality metrics | ## Operational metrics | ## Trust metrics | ## Business metrics
    ### <Metric name>
    - **Definition:** …
    - **How to measure:** …
    - **Typical launch threshold:** …
    - **Applies to:** all | classification, generation, rag, summarization, extraction, agent
                      (and feature kinds: router, search, recommendation, marketing, infrastructure)
    - **Not for:** <kinds>: <why> (optional)
    - **Watch out for:** …

"all" means every AI feature type; a change with no model in it (marketing, infrastructure) gets only
the metrics that name its kind.

A metric without a definition or a threshold is skipped with a warning rather than failing a draft.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.builtin import knowledge_file
from bot.evalplans.feature_kinds import FEATURE_KINDS, KIND_LABELS, NON_AI_KINDS, FeatureKind
from bot.evalplans.feature_types import FEATURE_TYPES, LABELS, FeatureType
from bot.exceptions import KnowledgeError

log = logging.getLogger(__name__)

CATALOG_PATH = "playbook/ai-metrics.md"

Category = Literal["quality", "operations", "trust", "business"]
CATEGORIES: tuple[Category, ...] = ("quality", "operations", "trust", "business")

_FIELDS = {
    "definition": "definition",
    "how to measure": "how_to_measure",
    "typical launch threshold": "threshold",
    "launch threshold": "threshold",
    "applies to": "applies_to",
    "not for": "not_for",
    "watch out for": "watch_out_for",
}
_BULLET = re.compile(r"^\s*[-*]\s+\*\*(?P<label>[^*:]+):?\*\*:?\s*(?P<text>.*)$")


@dataclass(frozen=True)
class CatalogMetric:
    """One metric as the playbook defines it."""

    name: str
    category: Category
    definition: str
    how_to_measure: str
    threshold: str
    applies_to: tuple[FeatureType, ...]
    watch_out_for: str
    kinds: tuple[FeatureKind, ...] = ()
    not_for: tuple[FeatureKind, ...] = ()
    not_for_reason: str = ""

    @property
    def key(self) -> str:
        """A stable slug of the name, e.g. `hallucination-rate`."""
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")

    def applies(self, types: tuple[FeatureType, ...], kind: FeatureKind | None = None) -> bool:
        return self.not_applicable(types, kind) is None

    def not_applicable(self, types: tuple[FeatureType, ...], kind: FeatureKind | None = None) -> str | None:
        """Why the metric doesn't fit a feature of these types and kind, or None when it does."""
        if kind in self.not_for:
            return f"not for a {KIND_LABELS[kind]}" + (f": {self.not_for_reason}" if self.not_for_reason else "")
        if kind is not None and kind in self.kinds:
            return None
        if kind in NON_AI_KINDS:
            return f"a {KIND_LABELS[kind]} has no model output for it to measure"
        if any(feature_type in self.applies_to for feature_type in types):
            return None
        named = [LABELS[t] for t in self.applies_to] + [KIND_LABELS[k] for k in self.kinds]
        return f"for {', '.join(named)} features, not {' + '.join(LABELS[t] for t in types)}"


@dataclass(frozen=True)
class MetricCatalog:
    """The metrics of the catalog page, in page order, with where they came from."""

    path: str
    title: str
    metrics: tuple[CatalogMetric, ...]

    def as_text(self) -> str:
        """The catalog as compact plain text, one metric per paragraph (for a prompt)."""
        return "\n\n".join(
            f"{metric.name} ({metric.category}; applies to: {', '.join([*metric.applies_to, *metric.kinds])})\n"
            f"Definition: {metric.definition}\nHow to measure: {metric.how_to_measure}\n"
            f"Typical launch threshold: {metric.threshold}\nWatch out for: {metric.watch_out_for}"
            for metric in self.metrics
        )

    def get(self, key: str) -> CatalogMetric | None:
        return next((metric for metric in self.metrics if metric.key == key), None)

    @classmethod
    def load(cls, knowledge_dir: Path) -> MetricCatalog:
        """Read and parse the knowledge folder's catalog page, else the built-in one; KnowledgeError if unreadable."""
        path = knowledge_file(knowledge_dir, CATALOG_PATH)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            raise KnowledgeError(
                f"The playbook's metric catalog can't be read ({path}: {error.strerror or error}); "
                "eval drafts are built from it."
            ) from error
        return cls.parse(text, CATALOG_PATH)

    @classmethod
    def parse(cls, text: str, path: str = CATALOG_PATH) -> MetricCatalog:
        title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), "AI product metrics")
        metrics: list[CatalogMetric] = []
        category: Category | None = None
        name: str | None = None
        fields: dict[str, str] = {}
        last: str | None = None

        def flush() -> None:
            if name is None or category is None:
                return
            metric = _metric(name, category, fields)
            if metric is not None:
                metrics.append(metric)

        for line in text.splitlines():
            if line.startswith("## "):
                flush()
                name, fields, last = None, {}, None
                category = _category(line[3:])
            elif line.startswith("### "):
                flush()
                name, fields, last = line[4:].strip(), {}, None
            elif name is not None:
                bullet = _BULLET.match(line)
                if bullet:
                    last = _FIELDS.get(bullet["label"].strip().lower())
                    if last:
                        fields[last] = bullet["text"].strip()
                elif last and line.startswith("  ") and line.strip():
                    # A bullet wrapped onto an indented continuation line.
                    fields[last] += " " + line.strip()
        flush()
        if not metrics:
            raise KnowledgeError(f"{path} has no metrics in the expected shape (### Name with **Definition:** …)")
        return cls(path=path, title=title, metrics=tuple(metrics))


def _category(heading: str) -> Category | None:
    heading = heading.lower()
    if "quality" in heading:
        return "quality"
    if "operation" in heading:
        return "operations"
    if "trust" in heading:
        return "trust"
    if "business" in heading or "growth" in heading:
        return "business"
    return None


def _metric(name: str, category: Category, fields: dict[str, str]) -> CatalogMetric | None:
    if not fields.get("definition") or not fields.get("threshold"):
        log.warning("metric catalog: %r lacks a definition or a launch threshold; skipped", name)
        return None
    words = set(re.findall(r"[a-z]+", fields.get("applies_to", "all").lower()))
    types = FEATURE_TYPES if "all" in words else tuple(kind for kind in FEATURE_TYPES if kind in words)
    not_for, _, reason = fields.get("not_for", "").partition(":")
    excluded = set(re.findall(r"[a-z]+", not_for.lower()))
    return CatalogMetric(
        name=name,
        category=category,
        definition=fields["definition"],
        how_to_measure=fields.get("how_to_measure", ""),
        threshold=fields["threshold"],
        applies_to=types,
        watch_out_for=fields.get("watch_out_for", ""),
        kinds=tuple(kind for kind in FEATURE_KINDS if kind in words),
        not_for=tuple(kind for kind in FEATURE_KINDS if kind in excluded),
        not_for_reason=reason.strip().rstrip("."),
    )
