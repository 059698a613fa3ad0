"""The answer cache: never pay twice for the same question on the same knowledge.

A key is a hash of everything that shapes an answer: the normalised question, the index version
(so a reindex invalidates every entry at once), the prompt version, the model, k, the decline
threshold, the doc types, the channel's scope (its knowledge folders) and the language of the answer
(a German answer is never served to an English asker), and, for a question asked in
a thread or the assistant pane, that
conversation's scope (workspace, channel, thread) with its context and history. An answer drawn
from one private thread therefore can't be served anywhere else.
"""

from __future__ import annotations

import hashlib
import json
import logging
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.core.reply import Reply
from bot.core.store import Store
from bot.core.text import squash

if TYPE_CHECKING:
    from bot.answers.types import Conversation

log = logging.getLogger(__name__)

NAMESPACE = "answer"


def normalise(question: str) -> str:
    """Case, Unicode form, whitespace and trailing punctuation don't make a new question."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return squash(text).rstrip(" ?!.。？！")


class AnswerCache:
    """Answers in the Store under `answer:<scope>:<digest>`, with a TTL; off when ANSWER_CACHE=false."""

    def __init__(self, store: Store, ttl_s: int, enabled: bool = True) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.enabled = enabled

    def key(
        self,
        question: str,
        *,
        index_version: int,
        prompt_version: str,
        model: str,
        k: int,
        threshold: float,
        doctypes: Iterable[str] | None = None,
        conversation: Conversation | None = None,
        folders: Iterable[str] | None = None,
        lang: str = "en",
    ) -> str:
        parts: dict[str, object] = {
            "q": normalise(question),
            "index": index_version,
            "prompt": prompt_version,
            "model": model,
            "k": k,
            "threshold": threshold,
            "doctypes": sorted(set(doctypes)) if doctypes else None,
            "lang": lang,
        }
        if folders is not None:
            parts["folders"] = sorted(set(folders))  # a channel's scope: its answers are its own
        scope = "global"
        if conversation is not None:
            scope = hashlib.sha256(conversation.scope.encode()).hexdigest()[:16]
            parts["scope"] = conversation.scope
            parts["context"] = conversation.context
            parts["history"] = conversation.history
        digest = hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]
        return f"{NAMESPACE}:{scope}:{digest}"

    def get(self, key: str) -> Reply | None:
        if not self.enabled:
            return None

        raw = self.store.get(key)
        if raw is None:
            return None
        try:
            return Reply.model_validate_json(raw)
        except ValidationError:
            log.warning("dropping an unreadable cached answer (%s)", key)
            self.store.delete(key)
            return None

    def put(self, key: str, answer: Reply) -> None:
        if self.enabled:
            self.store.set(key, answer.model_dump_json(), ttl_s=self.ttl_s)

    def clear(self) -> int:
        """Remove every cached answer (all scopes); returns how many."""
        return self.store.clear(f"{NAMESPACE}:*")
