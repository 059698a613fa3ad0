"""The product's own data, shipped inside the package: prompts, the error catalog and the AI-PM playbook.

Read through `importlib.resources`, so a wheel run from any folder finds them as a checkout does.
Wheels install unzipped, so each folder is a real directory on disk.

The team's KNOWLEDGE_DIR is laid over the built-in knowledge: `playbook/…` and `error-codes/…` there
count as if they lay in the knowledge folder, and a team file with the same relative path wins.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

KNOWLEDGE_FOLDERS = ("playbook", "error-codes")
"""The built-in folders indexed with the team's knowledge (doc types `playbook` and `error-codes`)."""


def data_dir() -> Path:
    """bot/data: the root the built-in knowledge's relative paths (`playbook/…`) start from."""
    return Path(str(files("bot") / "data"))


def prompts_dir() -> Path:
    return data_dir() / "prompts"


def playbook_dir() -> Path:
    return data_dir() / "playbook"


def error_codes_dir() -> Path:
    return data_dir() / "error-codes"


def digest_cues_file() -> Path:
    """The cue phrases the offline thread digest sorts sentences by (English, German, Dutch)."""
    return data_dir() / "digest" / "cues.yaml"


def knowledge_file(knowledge_dir: Path | None, relpath: str) -> Path:
    """The team's `knowledge_dir/relpath` when it exists, else the built-in file (which may not exist either)."""
    if knowledge_dir is not None:
        team = knowledge_dir / relpath
        if team.is_file():
            return team
    return data_dir() / relpath


def messages_file() -> Path:
    """The bot's own words in English, German and Dutch (`say`, bot/core/i18n.py)."""
    return data_dir() / "i18n" / "messages.yaml"
