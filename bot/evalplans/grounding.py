"""Hold an LLM-written plan to the PRD: every number it attributes to the PRD must be in the PRD.

Like a citation in an answer, `source: prd` is a claim that can be checked. A success criterion,
threshold, guardrail or gate marked as the PRD's whose numbers the PRD doesn't contain is not the PRD's:
a criterion is dropped (the deterministic draft's own, read from the PRD, stays), a threshold goes back to
the base draft's (or the playbook default), and a guardrail or gate is relabelled as a playbook suggestion.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.evalplans.plan import EvalDraft

_NUMBER = re.compile(r"(?<![\d.,])\d++(?:[.,]\d++)*+")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,]\d{3})++$")
MAX_TEXT_CHARS = 200_000


def _variants(token: str) -> set[str]:
    """The ways a number may be written: 2,4 = 2.4; 620,000 = 620.000 = 620000; 1.50 = 1.5."""
    token = token.strip(".,")
    found = {token, token.replace(",", ".")}
    if _THOUSANDS.match(token):
        found.add(re.sub(r"[.,]", "", token))
    elif len(re.findall(r"[.,]", token)) > 1:
        found |= set(re.split(r"[.,]", token))  # a list written without spaces: "1,2,3"
    for value in list(found):
        if "." in value and value.count(".") == 1:
            found.add(value.rstrip("0").rstrip("."))
    return found


def numbers_in(text: str) -> set[str]:
    """Every number of a text, in all its spellings."""
    found: set[str] = set()
    for token in _NUMBER.findall(text[:MAX_TEXT_CHARS]):
        found |= _variants(token)
    return found


def unknown_numbers(text: str, known: set[str]) -> list[str]:
    """The numbers of `text` that `known` (a PRD's `numbers_in`) doesn't hold."""
    return [token for token in _NUMBER.findall(text[:MAX_TEXT_CHARS]) if not _variants(token) & known]


def hold_to_prd(plan: EvalDraft, base: EvalDraft, prd: str) -> list[str]:
    """Demote every PRD-sourced item of `plan` whose numbers aren't in `prd`; return what was demoted."""
    known = numbers_in(prd)
    demoted: list[str] = []

    def unverified(*parts: str | None) -> list[str]:
        return unknown_numbers(" ".join(part for part in parts if part), known)

    kept = []
    for criterion in plan.success_criteria:
        missing = unverified(criterion.statement, criterion.baseline, criterion.target)
        if criterion.source == "prd" and missing:
            demoted.append(f"success criterion {criterion.statement!r} ({', '.join(missing)})")
        else:
            kept.append(criterion)
    plan.success_criteria = kept
    for metric in plan.metrics:
        missing = unverified(metric.threshold)
        if metric.threshold_source == "prd" and missing:
            demoted.append(f"{metric.name} threshold {metric.threshold!r} ({', '.join(missing)})")
            same = base.metric(metric.name)
            if same is not None:
                metric.threshold, metric.threshold_source = same.threshold, same.threshold_source
            else:
                metric.threshold, metric.threshold_source = metric.playbook_threshold or "to be set", "playbook"
    for point in [*plan.guardrails, *plan.degradation]:
        missing = unverified(point.text)
        if point.source == "prd" and missing:
            demoted.append(f"{point.text!r} ({', '.join(missing)})")
            point.source = "playbook"
    for gate in plan.launch_gates:
        missing = unverified(gate.criteria, gate.audience)
        if gate.source == "prd" and missing:
            demoted.append(f"gate {gate.name!r} ({', '.join(missing)})")
            gate.source = "playbook"
    return demoted
