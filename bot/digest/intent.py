"""Does a message ask for a digest of its thread? "summarize", "tl;dr", "recap", in English, German and Dutch."""

from __future__ import annotations

import re

# Only the head of a message is read, where such a request is; every alternative is a plain word, so
# the match is linear in the head's length.
_HEAD_CHARS = 200
_DIGEST = re.compile(
    r"\b(?:summari[sz]e|summary|tl;?dr|recap|digest"  # English
    r"|zusammenfass\w*|fass\w*\s+(?:\w+\s+){0,4}zusammen|kurzfassung|r[üu]ckblick"  # German
    r"|samenvat\w*|vat\s+(?:\w+\s+){0,4}samen|recapitulatie)\b",  # Dutch
    re.I,
)


def asks_for_digest(text: str) -> bool:
    """True for "summarize this thread", "tl;dr?", "recap please", "fass den Thread zusammen", "vat samen"…"""
    return bool(_DIGEST.search((text or "")[:_HEAD_CHARS]))
