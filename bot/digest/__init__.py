"""Thread digests: the decisions, open questions, owners and action items, and risks of a PRD discussion."""
