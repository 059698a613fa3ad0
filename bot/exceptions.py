"""The one error tree of PM Copilot.

    PMCopilotError                  anything we raise on purpose; carries a message fit for a user
    ├── ConfigError                 a setting is missing or invalid (names the variable)
    ├── InputError                  the user's input can't be used (empty, too long, unreadable file)
    ├── KnowledgeError              the knowledge index can't do what was asked
    │   ├── IndexBusy               another reindex holds the lock
    │   └── SearchUnavailable       the vector store (Chroma) can't be reached
    ├── LLMError                    the language model failed; answers fall back to extractive
    │   ├── LLMUnavailable          timeouts, 429/5xx after retries, malformed or empty completions
    │   └── LLMRejected             the endpoint refused us for good: bad key, no quota, unknown model
    └── PromptError                 a prompt template is missing or lacks a variable
        └── MissingVariables

Only the edges (the Slack reply, the CLI exit) turn these into user words; everything in
between lets them travel.
"""

from __future__ import annotations


class PMCopilotError(Exception):
    """Base class: `str(error)` is safe to show a user."""


class ConfigError(PMCopilotError):
    """A setting is missing or invalid."""


class InputError(PMCopilotError):
    """The user's input can't be used as given."""


class KnowledgeError(PMCopilotError):
    """The knowledge index can't do what was asked."""


class IndexBusy(KnowledgeError):
    """Another reindex holds the lock."""


class SearchUnavailable(KnowledgeError):
    """The vector store can't be reached."""


class LLMError(PMCopilotError):
    """The language model failed. `notice` is one line in PM terms.

    `notice_key` and `notice_values` name the notice among the bot's own words (bot/core/i18n.py), so an
    answer can show it in the asker's language; `notice` is its English text.
    """

    def __init__(
        self,
        message: str,
        *,
        notice: str | None = None,
        notice_key: str | None = None,
        notice_values: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.notice = notice or message
        self.notice_key = notice_key
        self.notice_values = notice_values or {}


class LLMUnavailable(LLMError):
    """Timeouts, 429/5xx after retries, malformed or empty completions."""


class LLMRejected(LLMError):
    """A bad key, an exhausted quota, an unknown model: retrying won't help."""


class PromptError(PMCopilotError):
    """A prompt template is missing or malformed."""


class MissingVariables(PromptError):
    """A prompt template was rendered without all its named variables."""

    def __init__(self, template: str, missing: set[str]) -> None:
        super().__init__(f"prompt {template!r} is missing variables: {', '.join(sorted(missing))}")
        self.missing = missing
