"""The foundations every capability stands on: shared state, the LLM, prompts, tokens, redaction, logs, metrics."""
