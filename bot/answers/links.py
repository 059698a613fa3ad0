"""Links on cited sources: a document's own front matter `url:`, else KNOWLEDGE_BASE_URL plus its path."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from bot.core.reply import Reply
    from bot.wiring import Deps


def link_sources(deps: Deps, answer: Reply) -> None:
    """Give each source without a `url:` of its own the KNOWLEDGE_BASE_URL link to its file, if the team has it."""
    base = deps.settings.knowledge_base_url
    if not base:
        return
    for source in answer.sources:
        # Built-in playbook pages aren't in the team's repository: only files of KNOWLEDGE_DIR get a link.
        if source.url is None and (deps.knowledge_dir / source.path).is_file():
            source.url = f"{base.rstrip('/')}/{quote(source.path)}"
