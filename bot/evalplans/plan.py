"""An eval plan as data: metrics, eval set, gates, guardrails, open questions, and its renderings.

`EvalPlan` is the content, what the deterministic drafter builds and what an LLM is asked to fill
as structured output; `EvalDraft` adds how it was made and from which playbook pages. Every
threshold, guardrail and gate says whether it comes from the PRD or is a playbook default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.evalplans.feature_types import LABELS, FeatureType
from bot.evalplans.metric_catalog import Category
from bot.evalplans.render.markdown import full_markdown, summary
from bot.evalplans.render.promptfoo import promptfoo_config
from bot.evalplans.render.yaml import plan_yaml

Origin = Literal["prd", "playbook"]


class Metric(BaseModel):
    """One metric of the plan: what it is, how it is measured, and the bar it must clear to launch."""

    name: str
    category: Category
    definition: str
    how_measured: str
    threshold: str = Field(description="The launch threshold; the PRD's own target where it states one.")
    threshold_source: Origin = Field(description="prd when the PRD states the target, playbook for a default.")
    playbook_threshold: str = ""
    prd_context: str | None = None
    watch_out_for: str = ""


class SuccessCriterion(BaseModel):
    """An outcome the feature must reach, fixed before the build."""

    statement: str
    baseline: str | None = None
    target: str | None = None
    source: Origin
    metric: str | None = Field(default=None, description="The catalog metric that stands for it, if one fits.")
    target_placeholder: bool = Field(
        default=False, description='The target is a placeholder ("> X%"): the PRD has not set its number yet.'
    )


class Point(BaseModel):
    """A guardrail, fallback or monitoring step, with where it came from."""

    text: str
    source: Origin


class EvalSet(BaseModel):
    """The golden set: how big, what it mirrors, which slices, which languages, who labels it."""

    size: int
    size_rationale: str
    existing: list[str] = Field(default_factory=list, description="What the PRD says exists today.")
    distribution: list[str] = Field(default_factory=list)
    use_cases: list[str] = Field(default_factory=list, description="One slice of the set per use case.")
    edge_cases: list[str] = Field(default_factory=list)
    adversarial_cases: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    per_language: int
    labelling: list[str] = Field(default_factory=list)


class LaunchGate(BaseModel):
    name: str
    audience: str
    criteria: str
    dates: str | None = None
    source: Origin


class Monitoring(BaseModel):
    drift: list[str] = Field(default_factory=list)
    retraining: Point
    review_cadence: list[str] = Field(default_factory=list)


class OpenQuestion(BaseModel):
    question: str
    origin: Literal["prd", "gap"] = Field(description="prd: asked in the PRD; gap: something the PRD leaves out.")
    key: str | None = Field(default=None, description="For a gap: what is missing (users, latency, rollout …).")
    looked_for: str | None = Field(default=None, description="For a gap: what was looked for in the PRD and not found.")


class NotApplicable(BaseModel):
    """A catalog metric left out of the plan, and why."""

    metric: str
    reason: str


class PlaybookSource(BaseModel):
    """A playbook page the draft drew on, and the sections it used."""

    path: str
    title: str
    sections: list[str] = Field(default_factory=list)


class Fact(BaseModel):
    """A number or fact taken from the PRD, e.g. ("Volume", "2,4 miljoen tickets per maand")."""

    label: str
    value: str


class EvalPlan(BaseModel):
    """The plan's content: what the deterministic drafter builds and what an LLM is asked to fill."""

    feature: str
    feature_type: FeatureType
    secondary_types: list[FeatureType] = Field(default_factory=list)
    product: str | None = None
    users: list[str] = Field(default_factory=list)
    prd_facts: list[Fact] = Field(default_factory=list)
    success_criteria: list[SuccessCriterion] = Field(default_factory=list)
    non_negotiables: list[str] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    eval_set: EvalSet
    guardrails: list[Point] = Field(default_factory=list)
    degradation: list[Point] = Field(default_factory=list)
    launch_gates: list[LaunchGate] = Field(default_factory=list)
    gate_owner: str | None = None
    monitoring: Monitoring
    open_questions: list[OpenQuestion] = Field(default_factory=list)


class EvalDraft(EvalPlan):
    """An eval plan with its provenance: how it was made, from which playbook pages, and the budgets as numbers."""

    mode: Literal["deterministic", "generated"] = "deterministic"
    notice: str | None = None
    feature_type_basis: str = ""
    prd_title: str | None = None
    metrics_not_applicable: list[str] = Field(default_factory=list)
    metrics_not_applicable_reasons: list[NotApplicable] = Field(default_factory=list)
    feature_kind: str | None = Field(
        default=None, description="What the feature is beyond its AI type: router, search, marketing, infrastructure …"
    )
    sources: list[PlaybookSource] = Field(default_factory=list)
    p50_ms: float | None = None
    p95_ms: float | None = Field(default=None, description="The PRD's p95 for one complete model response.")
    cost_per_request: float | None = None
    cost_currency: str | None = None

    @property
    def type_label(self) -> str:
        labels = [LABELS[self.feature_type], *(LABELS[kind] for kind in self.secondary_types)]
        return " + ".join(labels)

    def metric(self, name: str) -> Metric | None:
        return next((metric for metric in self.metrics if metric.name.lower() == name.lower()), None)

    def summary_markdown(self) -> str:
        """A short Markdown summary that fits one chat message (the full plan goes in a file)."""
        return summary(self)

    def as_markdown(self) -> str:
        """The full plan as a Markdown document."""
        return full_markdown(self)

    def as_yaml(self) -> str:
        return plan_yaml(self.model_dump(mode="json"))

    def as_promptfoo(self, provider: str = "openai:chat:gpt-4o-mini", base_url: str | None = None) -> str:
        """A promptfoo config skeleton (YAML) whose assertions come from this plan's metrics and guardrails."""
        config = promptfoo_config(self, provider=provider, base_url=base_url)
        header = "# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json\n"
        return header + plan_yaml(config)
