"""`summarize_thread`: the digest of a thread's messages, written by the LLM when there is one, else extracted.

Digests are cached in the store under the thread's scope and its messages, so asking again costs nothing until
someone posts or edits; the LLM's digest is cached under its model and prompt version too.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.core import prompts
from bot.digest.extractive import extractive_digest
from bot.digest.generated import PROMPT, generated_digest
from bot.digest.types import Digest, ThreadMessage
from bot.exceptions import LLMError

if TYPE_CHECKING:
    from bot.wiring import Deps

log = logging.getLogger(__name__)

NAMESPACE = "digest"
OFF_NOTICE = "Generation is off (no LLM configured), so these points are quoted from the thread."
FALLBACK_NOTICE = "The AI writer couldn't digest the thread just now, so these points are quoted from it."


def _key(deps: Deps, scope: str, messages: list[ThreadMessage]) -> str:
    how = f"{deps.llm.model}:{prompts.load(PROMPT).version}" if deps.llm.enabled else "extractive"
    hashed = hashlib.sha256(f"{scope}|{how}".encode())
    for message in messages:  # the text too: an edited message makes a new digest
        hashed.update(f"\0{message.user}\0{message.ts}\0{message.text}".encode())
    return f"{NAMESPACE}:{hashed.hexdigest()[:32]}"


def summarize_thread(deps: Deps, messages: list[ThreadMessage], *, scope: str, title: str = "") -> Digest:
    """The digest of `messages` (oldest first; already redacted and cut). `scope` names the thread for the cache."""
    key = _key(deps, scope, messages)
    cached = deps.store.get(key)
    if cached is not None:
        try:
            return Digest.model_validate_json(cached)
        except ValidationError:
            deps.store.delete(key)
    cacheable = True
    if deps.llm.enabled and messages:
        try:
            digest = generated_digest(deps.llm, messages, title)
        except (LLMError, ValueError) as error:
            log.warning("digest generation failed, extracting instead: %s", error)
            digest = extractive_digest(messages, title)
            digest.notice = error.notice if isinstance(error, LLMError) else FALLBACK_NOTICE
            cacheable = False  # the next ask should get the written digest once the provider recovers
    else:
        digest = extractive_digest(messages, title)
        digest.notice = OFF_NOTICE
    if cacheable:
        deps.store.set(key, digest.model_dump_json(), ttl_s=deps.settings.thread_cache_ttl_s)
    return digest
