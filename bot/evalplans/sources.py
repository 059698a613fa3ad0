"""The playbook pages a draft cites, and further reading on its feature type from the index."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from bot.builtin import knowledge_file
from bot.evalplans.feature_types import PROFILES
from bot.evalplans.plan import EvalDraft, Metric, PlaybookSource
from bot.exceptions import PMCopilotError

if TYPE_CHECKING:
    from bot.evalplans.metric_catalog import MetricCatalog
    from bot.wiring import Deps

log = logging.getLogger(__name__)

# Pages and sections the deterministic draft paraphrases (cited only if present in the knowledge folder).
_CITED: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "playbook/evaluation-frameworks.md",
        (
            "Fix success criteria before building or training",
            "Building an eval set that mirrors real users",
            "Eval set size",
            "Edge cases and adversarial cases",
            "Languages and locales in the eval set",
            "Who labels the eval set",
            "Thresholds and launch gates",
            "Guardrails for AI features",
            "Monitoring after launch: drift, retraining and review cadence",
        ),
    ),
    ("playbook/risks-and-guardrails.md", ("What does a minimum guardrail set look like at launch?",)),
    ("playbook/user-trust.md", ("Graceful degradation at low model confidence", "Easy human override")),
)


def _page(knowledge_dir: Path, path: str) -> tuple[str, list[str]] | None:
    try:
        text = knowledge_file(knowledge_dir, path).read_text(encoding="utf-8-sig")
    except OSError:
        return None
    headings = [line.lstrip("#").strip() for line in text.splitlines() if line.startswith("#")]
    title = next((line[2:].strip() for line in text.splitlines() if line.startswith("# ")), Path(path).stem)
    return title, headings


def playbook_sources(knowledge_dir: Path, catalog: MetricCatalog, metrics: list[Metric]) -> list[PlaybookSource]:
    """The catalog page (with the metrics used) and the framework pages whose sections the draft follows."""
    sources = [PlaybookSource(path=catalog.path, title=catalog.title, sections=[metric.name for metric in metrics])]
    for path, sections in _CITED:
        page = _page(knowledge_dir, path)
        if page is None:
            continue
        title, headings = page
        sources.append(PlaybookSource(path=path, title=title, sections=[s for s in sections if s in headings]))
    return sources


def further_reading(deps: Deps, draft: EvalDraft) -> list[PlaybookSource]:
    """Playbook sections on the feature type beyond the pages already cited, if the index is built."""
    try:
        if deps.index.count() == 0:
            return []
        query = f"{PROFILES[draft.feature_type].reading_query} {draft.feature}"
        passages = deps.retriever.search(query, k=6, doctypes=["playbook"])
    except PMCopilotError as error:
        log.warning("eval draft: no further reading (%s)", error)
        return []
    cited = {source.path for source in draft.sources}
    found: dict[str, PlaybookSource] = {}
    for passage in passages:
        if passage.path in cited or passage.similarity < 0.3:
            continue
        source = found.setdefault(passage.path, PlaybookSource(path=passage.path, title=passage.title))
        if passage.section and passage.section not in source.sections:
            source.sections.append(passage.section)
    return list(found.values())[:2]
