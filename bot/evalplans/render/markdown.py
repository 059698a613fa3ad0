"""An eval draft as text: a short summary for a chat message and the full plan, both Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.text import shorten, squash
from bot.evalplans.feature_types import LABELS
from bot.evalplans.metric_catalog import CATEGORIES

if TYPE_CHECKING:
    from bot.evalplans.plan import EvalDraft, Metric, Point

# Slack's section blocks take up to 3,000 characters; the summary stays inside one after conversion.
SUMMARY_LIMIT = 2_800
SUMMARY_METRICS = 7
SUMMARY_QUESTIONS = 3

_CATEGORY_TITLES = {"quality": "Quality", "operations": "Operations", "trust": "Trust", "business": "Business"}
_SOURCE = {"prd": "PRD", "playbook": "playbook default"}


def _clip(text: str, limit: int) -> str:
    return shorten(squash(text), limit)


def _summary_metrics(draft: EvalDraft) -> list[Metric]:
    """The PRD-backed metrics first, then the playbook's quality and trust defaults, in catalog order."""
    ranked = sorted(
        draft.metrics,
        key=lambda m: (m.threshold_source != "prd", CATEGORIES.index(m.category), draft.metrics.index(m)),
    )
    return ranked[:SUMMARY_METRICS]


def summary(draft: EvalDraft) -> str:
    """A short Markdown summary for one chat message: type, thresholds, eval set, gates, top open questions.

    Plain Markdown (bold, italics, bullets, no tables or headings), so each surface can convert it:
    Slack's mrkdwn converter escapes and restyles it, the CLI prints it as is.
    """
    kinds = " + ".join(LABELS[kind] for kind in (draft.feature_type, *draft.secondary_types))
    lines = [f"**Eval plan: {draft.feature}** · {kinds}"]
    if draft.product:
        lines.append(f"_{_clip(draft.product, 120)}_")
    if draft.notice:
        lines.append(f"_{draft.notice}_")
    if draft.users:
        lines.append(f"**Users:** {' · '.join(_clip(user, 60) for user in draft.users[:4])}")
    lines.append("**Launch thresholds** (PRD = the PRD's own target):")
    for metric in _summary_metrics(draft):
        origin = "PRD" if metric.threshold_source == "prd" else "playbook"
        lines.append(f"- **{metric.name}:** {_clip(metric.threshold, 120)} _({origin})_")
    eval_set = draft.eval_set
    languages = (
        f" · {eval_set.per_language}+ per language ({', '.join(eval_set.languages)})" if eval_set.languages else ""
    )
    lines.append(
        f"**Eval set:** about {eval_set.size} examples{languages} · "
        f"{len(eval_set.edge_cases)} edge and {len(eval_set.adversarial_cases)} adversarial slices"
    )
    lines.append(f"**Launch gates:** {' → '.join(_clip(gate.name, 40) for gate in draft.launch_gates)}")
    if draft.gate_owner:
        lines.append(f"**Gate owner:** {_clip(draft.gate_owner, 140)}")
    if draft.open_questions:
        from_prd = sum(q.origin == "prd" for q in draft.open_questions)
        gaps = len(draft.open_questions) - from_prd
        lines.append(f"**Open questions:** {from_prd} from the PRD, {gaps} gaps it leaves")
        ordered = sorted(draft.open_questions, key=lambda q: q.origin != "gap")
        lines += [f"- {_clip(q.question, 160)}" for q in ordered[:SUMMARY_QUESTIONS]]
    lines.append("_The full plan has every metric, the eval set, guardrails, monitoring and sources._")
    text = "\n".join(lines)
    while len(text) > SUMMARY_LIMIT and len(lines) > 4:
        lines.pop(-2)
        text = "\n".join(lines)
    return text


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _points(points: list[Point]) -> list[str]:
    return [f"- {point.text} _({_SOURCE[point.source]})_" for point in points]


def _metric_block(metric: Metric) -> list[str]:
    origin = "from the PRD" if metric.threshold_source == "prd" else "playbook default"
    block = [
        f"#### {metric.name}",
        f"- **Definition:** {metric.definition}",
        f"- **How it is measured:** {metric.how_measured}",
        f"- **Launch threshold ({origin}):** {metric.threshold}",
    ]
    if metric.threshold_source == "prd" and metric.playbook_threshold:
        block.append(f"- **Playbook default, for comparison:** {metric.playbook_threshold}")
    if metric.prd_context:
        block.append(f"- **PRD context:** {metric.prd_context}")
    if metric.watch_out_for:
        block.append(f"- **Watch out for:** {metric.watch_out_for}")
    return [*block, ""]


def full_markdown(draft: EvalDraft) -> str:
    """The whole plan, section by section, every threshold marked PRD or playbook."""
    out = [f"# Eval plan: {draft.feature}", ""]
    if draft.notice:
        out += [f"> {draft.notice}", ""]
    out += ["| | |", "|---|---|", f"| Feature type | {_cell(draft.type_label)} ({_cell(draft.feature_type_basis)}) |"]
    if draft.product:
        out.append(f"| Product | {_cell(draft.product)} |")
    if draft.prd_title and draft.prd_title != draft.feature:
        out.append(f"| PRD | {_cell(draft.prd_title)} |")
    if draft.users:
        out.append(f"| Users | {_cell('; '.join(draft.users))} |")
    out.append(f"| Drafted | {'by the LLM' if draft.mode == 'generated' else 'deterministically, without an LLM'} |")
    out.append("")

    if draft.prd_facts:
        out += ["## Numbers from the PRD", ""]
        out += [f"- **{fact.label}:** {fact.value}" for fact in draft.prd_facts]
        out.append("")

    out += [
        "## Success criteria (fixed before the build)",
        "",
        "Sign these off before any prompt is tuned or model trained; afterwards a team picks the numbers the "
        "current model happens to reach.",
        "",
        "| Outcome | Baseline | Target | Source |",
        "|---|---|---|---|",
    ]
    for criterion in draft.success_criteria:
        target = _cell(criterion.target) or "–"
        if criterion.target and criterion.target_placeholder:
            target += " (placeholder: the PRD sets no number yet)"
        out.append(
            f"| {_cell(criterion.statement)} | {_cell(criterion.baseline) or '–'} | {target} "
            f"| {_SOURCE[criterion.source]} |"
        )
    out.append("")
    if draft.non_negotiables:
        out += ["**Non-negotiables** (never acceptable, however rare):", ""]
        out += [f"- {item}" for item in draft.non_negotiables]
        out.append("")
    if draft.gate_owner:
        out += [f"**Sign-off:** {draft.gate_owner}", ""]

    out += ["## Metrics", "", "| Metric | Area | Launch threshold | Source |", "|---|---|---|---|"]
    for metric in draft.metrics:
        out.append(
            f"| {_cell(metric.name)} | {metric.category} | {_cell(_clip(metric.threshold, 160))} "
            f"| {_SOURCE[metric.threshold_source]} |"
        )
    out.append("")
    for category in CATEGORIES:
        chosen = [metric for metric in draft.metrics if metric.category == category]
        if chosen:
            out += [f"### {_CATEGORY_TITLES[category]}", ""]
            for metric in chosen:
                out += _metric_block(metric)
    if draft.metrics_not_applicable_reasons:
        out += ["**Not used here:**", ""]
        out += [f"- {item.metric}: {item.reason}." for item in draft.metrics_not_applicable_reasons]
        out.append("")
    elif draft.metrics_not_applicable:
        out += [
            f"_Not used for {draft.type_label} (the catalog applies them to other types): "
            f"{', '.join(draft.metrics_not_applicable)}._",
            "",
        ]

    eval_set = draft.eval_set
    out += ["## Eval set", "", f"- **Size:** about {eval_set.size} examples: {eval_set.size_rationale}"]
    if eval_set.languages:
        out.append(
            f"- **Languages:** {', '.join(eval_set.languages)}; at least {eval_set.per_language} examples each, "
            "with local formats (dates, decimal commas, currency, formal address)."
        )
    else:
        out.append("- **Languages:** not stated in the PRD (see open questions).")
    out += [f"- **The PRD on eval data:** {note}" for note in eval_set.existing]
    out += ["", "### How it mirrors real users", ""] + [f"- {line}" for line in eval_set.distribution]
    out += ["", "### Edge cases", ""] + [f"- {line}" for line in eval_set.edge_cases]
    out += ["", "### Adversarial cases", ""] + [f"- {line}" for line in eval_set.adversarial_cases]
    out += ["", "### Who labels it", ""] + [f"- {line}" for line in eval_set.labelling]
    out.append("")

    out += ["## Guardrails", "", *_points(draft.guardrails), "", "## Graceful degradation", ""]
    out += [*_points(draft.degradation), ""]

    out += ["## Launch gates", "", "| Gate | Audience | Criteria to pass | Dates | Source |", "|---|---|---|---|---|"]
    for gate in draft.launch_gates:
        out.append(
            f"| {_cell(gate.name)} | {_cell(gate.audience)} | {_cell(gate.criteria)} | {_cell(gate.dates) or '–'} "
            f"| {_SOURCE[gate.source]} |"
        )
    out.append("")
    if draft.gate_owner:
        out += [f"Gate owner: {draft.gate_owner}", ""]

    monitoring = draft.monitoring
    out += ["## Monitoring", "", "### Drift to watch", ""] + [f"- {line}" for line in monitoring.drift]
    out += ["", "### Retraining", "", *_points([monitoring.retraining]), "", "### Review cadence", ""]
    out += [f"- {line}" for line in monitoring.review_cadence]
    out.append("")

    out += ["## Open questions", ""]
    asked = [q for q in draft.open_questions if q.origin == "prd"]
    gaps = [q for q in draft.open_questions if q.origin == "gap"]
    if asked:
        out += ["### Asked in the PRD", ""] + [f"- {q.question}" for q in asked] + [""]
    if gaps:
        out += ["### Gaps the PRD leaves", ""]
        out += [f"- {q.question}" + (f" _(looked for: {q.looked_for})_" if q.looked_for else "") for q in gaps]
        out.append("")
    if not draft.open_questions:
        out += ["None found.", ""]

    out += ["## Sources", ""]
    for source in draft.sources:
        sections = f": {', '.join(source.sections)}" if source.sections else ""
        out.append(f"- `{source.path}` — {source.title}{sections}")
    return "\n".join(out).rstrip() + "\n"
