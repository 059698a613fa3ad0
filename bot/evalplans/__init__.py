"""Eval-criteria drafting from a PRD: the metric catalog, facts, gaps and the rendered plan.

The public surface: `draft_evals` drafts a plan (deterministic, or written by an LLM on top of it),
`read_prd` reads a PRD file as Markdown, and `EvalDraft` is the plan with its renderings.
"""

from bot.evalplans.generate import draft_evals
from bot.evalplans.inputs import read_prd
from bot.evalplans.plan import EvalDraft

__all__ = ["EvalDraft", "draft_evals", "read_prd"]
