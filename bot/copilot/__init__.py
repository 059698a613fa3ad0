"""What PM Copilot does for a request, whatever the surface: answer, draft evals, explain an error, report, reindex.

The one way in for every surface. Nothing here knows Slack or the terminal. A surface parses the
user's text with `parse_request` (or takes a CLI verb's arguments), calls one `Copilot` method,
and renders the `Reply` it gets back (Slack blocks, CLI text, JSON). What users type is checked
here, once (`validate`).
"""

from bot.copilot.facade import Copilot, Progress
from bot.copilot.requests import (
    MAX_ERROR_CHARS,
    RAW_QUESTION_FACTOR,
    VERBS,
    Request,
    Verb,
    asks_to_save,
    mentions_evals,
    parse_request,
    validate,
)
from bot.core.reply import Attachment, Reply, ReplyKind, Source

__all__ = [
    "MAX_ERROR_CHARS",
    "RAW_QUESTION_FACTOR",
    "VERBS",
    "Attachment",
    "Copilot",
    "Progress",
    "Reply",
    "ReplyKind",
    "Request",
    "Source",
    "Verb",
    "asks_to_save",
    "mentions_evals",
    "parse_request",
    "validate",
]
