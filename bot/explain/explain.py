"""Explain a pasted error: the catalog first; for what it doesn't know, the knowledge base and the LLM."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from bot.core.redact import redact
from bot.exceptions import LLMError, PMCopilotError
from bot.explain.catalog import ErrorCatalog
from bot.explain.explanation import ErrorExplanation

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

NOT_FROM_CATALOG = "Not in our error catalog: an AI-written explanation from the knowledge base. Verify before acting."


class DraftExplanation(BaseModel):
    """What the LLM fills in for an error the catalog doesn't know."""

    provider: str = Field(description="short slug, e.g. openai, anthropic, slack, chroma, or unknown")
    code: str | None = None
    http_status: int | None = None
    retryable: bool | None = None
    title: str
    meaning: str
    causes: list[str]
    fixes: list[str]
    pm_impact: str


def load_catalog(deps: Deps) -> ErrorCatalog:
    """The built-in catalog plus KNOWLEDGE_DIR/error-codes; a broken admin file is skipped with a warning."""
    return ErrorCatalog.for_knowledge(deps.knowledge_dir, strict=False)


def explain_error(catalog: ErrorCatalog, text: str, deps: Deps | None = None) -> ErrorExplanation:
    """The catalog's explanation; when it has no match and an LLM is configured, an AI-written one, marked so."""
    explanation = catalog.explain(text)
    if explanation.matched or deps is None or not deps.llm.enabled:
        return explanation
    message = explanation.redacted_input or redact(text)
    try:
        passages = deps.retriever.search(message[:2000], k=4, doctypes=["error-codes", "playbook"])
        sources = (
            "\n\n".join(f"[{n}] {p.title} — {p.section}\n{p.text}" for n, p in enumerate(passages, 1))
            or "(nothing relevant found)"
        )
        closest = "; ".join(f"{m.title} ({m.provider} {m.code})" for m in explanation.closest) or "none"
        draft = deps.llm.structured(
            "explain-error", {"message": message[:4000], "closest": closest, "sources": sources}, DraftExplanation
        )
    except (LLMError, PMCopilotError) as error:
        log.warning("AI explanation of an unknown error failed, showing the catalog's closest entries: %s", error)
        return explanation
    return ErrorExplanation(
        provider=draft.provider,
        code=draft.code,
        http_status=draft.http_status,
        retryable=draft.retryable,
        title=f"Not in the catalog: {redact(draft.title)}",
        meaning=f"{redact(draft.meaning)} ({NOT_FROM_CATALOG})",
        causes=[redact(cause) for cause in draft.causes],
        fixes=[redact(fix) for fix in draft.fixes],
        pm_impact=redact(draft.pm_impact),
        docs=sorted({p.path for p in passages}),
        matched=False,
        closest=explanation.closest,
        redacted_input=message,
        origin="llm",
    )
