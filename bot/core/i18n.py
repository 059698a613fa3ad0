"""The bot's own words in English, German and Dutch: `say(key, lang, **values)`.

The texts are package data (bot/data/i18n/messages.yaml): one entry per key, with `en`, `de` and `nl`
and `{name}` placeholders filled from `values`. A language without a text falls back to English.
Quotes from the knowledge stay in their document's language; only what the bot itself says is here.
"""

from __future__ import annotations

import functools
import re
import string
from typing import Any

import yaml

from bot import builtin
from bot.core.language import DEFAULT_LANG, LANGUAGES, Lang
from bot.exceptions import LLMError


@functools.cache
def messages() -> dict[str, dict[str, str]]:
    """Every key's texts by language, read once."""
    data = yaml.safe_load(builtin.messages_file().read_text(encoding="utf-8"))
    return {str(key): {str(lang): str(text) for lang, text in texts.items()} for key, texts in data.items()}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def say(key: str, lang: str | None = None, /, **values: Any) -> str:
    """The text for `key` in `lang` (English when there is none), placeholders filled; KeyError for an unknown key."""
    texts = messages()[key]
    text = texts.get(lang or DEFAULT_LANG) or texts[DEFAULT_LANG]
    return text.format(**values) if values else text


def everywhere(key: str) -> tuple[str, ...]:
    """The text of `key` in every language (e.g. to recognise a decline whatever language it came in)."""
    return tuple(dict.fromkeys(say(key, lang) for lang in LANGUAGES))


@functools.cache
def _opening(key: str) -> re.Pattern[str]:
    phrases = sorted((re.escape(text.casefold()) for text in everywhere(key)), key=len, reverse=True)
    return re.compile(rf"\s*(?:{'|'.join(phrases)})\b")


def starts_with(text: str, key: str) -> bool:
    """Whether `text` opens with `key`'s text in any language (case-insensitive)."""
    return _opening(key).match(text.casefold()) is not None


def notice(error: LLMError, lang: str | None) -> str:
    """An LLM failure's notice in `lang` (its English `notice` when it names no known text)."""
    if error.notice_key is None or error.notice_key not in messages():
        return error.notice
    return say(error.notice_key, lang, **error.notice_values)


__all__ = ["LANGUAGES", "Lang", "everywhere", "messages", "notice", "placeholders", "say", "starts_with"]
