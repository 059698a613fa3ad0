"""Eval-criteria drafting from a PRD: the metric catalog, facts, gaps and the rendered plan."""
