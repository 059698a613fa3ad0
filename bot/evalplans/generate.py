"""The eval plan written by an LLM on top of the deterministic draft, and held to what the PRD says.

With an LLM configured, the plan comes back as structured output and is merged with the deterministic
draft (the PRD's targets, open questions and declared type stand); if the model fails, the
deterministic draft is returned with a notice.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.core.llm import LLM
from bot.evalplans.draft import build_draft
from bot.evalplans.metric_catalog import MetricCatalog
from bot.evalplans.plan import EvalDraft, EvalPlan
from bot.evalplans.prd.facts import PrdFacts, parse_prd
from bot.evalplans.render.yaml import plan_yaml
from bot.evalplans.sources import further_reading
from bot.exceptions import LLMError, LLMRejected

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

PROMPT_PRD_CHARS = 40_000  # about 10k tokens: a long PRD, not a whole wiki


def _prompt_variables(draft: EvalDraft, facts: PrdFacts, catalog: MetricCatalog, has_prd: bool) -> dict[str, str]:
    scaffold = draft.model_dump(
        mode="json", include=set(EvalPlan.model_fields), exclude={"feature", "feature_type", "secondary_types"}
    )
    prd = facts.text[:PROMPT_PRD_CHARS] if has_prd else "(No PRD was given: only the feature description above.)"
    return {
        "feature": draft.feature,
        "feature_type": f"{draft.type_label} ({draft.feature_type_basis})",
        "prd": prd,
        "catalog": catalog.as_text(),
        "draft": plan_yaml(scaffold).strip(),
    }


def _merge(base: EvalDraft, plan: EvalPlan) -> EvalDraft:
    """The LLM's plan, held to what the PRD and the parser know for certain.

    The PRD's targets stay the thresholds of their metrics, its open questions stay in, its declared
    type stands, and the numbers for tools (latency, cost) and the sources come from the base draft.
    """
    metrics = list(plan.metrics)
    for known in base.metrics:
        if known.threshold_source != "prd":
            continue
        same = next((m for m in metrics if m.name.lower() == known.name.lower()), None)
        if same is None:
            metrics.append(known)
        else:
            same.threshold, same.threshold_source = known.threshold, "prd"
    dropped = [
        known
        for known in base.open_questions
        if known.origin == "prd" and all(q.question != known.question for q in plan.open_questions)
    ]
    questions = [*dropped, *plan.open_questions]
    declared = base.feature_type_basis.startswith("declared")
    return EvalDraft(
        **plan.model_dump(exclude={"metrics", "open_questions", "feature", "feature_type", "secondary_types"}),
        metrics=metrics,
        open_questions=questions,
        feature=base.feature,
        feature_type=base.feature_type if declared else plan.feature_type,
        secondary_types=base.secondary_types if declared else plan.secondary_types,
        mode="generated",
        notice=None,
        feature_type_basis=base.feature_type_basis if declared else "chosen by the LLM",
        prd_title=base.prd_title,
        metrics_not_applicable=[
            name for name in base.metrics_not_applicable if not any(m.name == name for m in metrics)
        ],
        sources=base.sources,
        p50_ms=base.p50_ms,
        p95_ms=base.p95_ms,
        cost_per_request=base.cost_per_request,
        cost_currency=base.cost_currency,
    )


def _fallback_notice(error: LLMError) -> str:
    reason = (
        "the AI provider refused the request; an admin may need to check OPENAI_API_KEY or LLM_MODEL"
        if isinstance(error, LLMRejected)
        else "the AI provider was unavailable or sent back an unusable draft"
    )
    return (
        f"This is the deterministic draft ({reason}): the playbook's metric catalog filled with the PRD's own numbers."
    )


def drafting_llm(llm: LLM, budget_s: float) -> LLM:
    """The same endpoint with the longer time budget (EVAL_DRAFT_BUDGET_S) that writing a whole plan needs."""
    if budget_s <= llm.settings.llm_budget_s:
        return llm
    settings = llm.settings.model_copy(
        update={"llm_budget_s": budget_s, "llm_timeout_s": max(llm.settings.llm_timeout_s, budget_s * 2 / 3)}
    )
    return LLM(settings, llm.prices, backoff_base_s=llm.backoff_base_s)


def draft_evals(deps: Deps, feature: str, prd: str | None = None) -> EvalDraft:
    """Draft the eval plan for `feature`, tailored by its PRD (or by the description alone).

    With an LLM configured, the plan is written by the LLM as structured output on top of the
    deterministic draft; if the LLM fails, the deterministic draft comes back with a notice.
    The inputs are checked by the façade (`bot.copilot.validate`) before they get here.
    """
    catalog = MetricCatalog.load(deps.knowledge_dir)
    has_prd = bool(prd and prd.strip())
    facts = parse_prd(prd or "") if has_prd else parse_prd(feature)
    draft = build_draft(feature, facts, catalog, deps.knowledge_dir, has_prd=has_prd)
    draft.sources += further_reading(deps, draft)
    if deps.llm is None or not deps.llm.enabled:
        return draft
    try:
        llm = drafting_llm(deps.llm, deps.settings.eval_draft_budget_s)
        plan = llm.structured("draft-evals", _prompt_variables(draft, facts, catalog, has_prd), EvalPlan)
    except LLMError as error:
        log.warning("eval draft: the LLM failed, returning the deterministic draft: %s", error)
        draft.notice = _fallback_notice(error)
        return draft
    if not plan.metrics:
        log.warning("eval draft: the LLM's plan has no metrics, returning the deterministic draft")
        draft.notice = _fallback_notice(LLMError("no metrics in the reply"))
        return draft
    return _merge(draft, plan)
