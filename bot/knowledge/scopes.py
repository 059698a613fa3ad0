"""Channel scopes: which knowledge sub-folders a channel searches, from `scopes.yaml` at the knowledge folder's root.

```yaml
default: [playbook, prds]                 # where no rule matches (DMs, the assistant pane)
channels:
  C0PAY: [playbook, prds/payments]        # by channel ID
  "payments-*": [playbook, prds/payments] # or by channel name glob
```

Without the file every channel searches everything. A rule that can't be read (a bad glob, folders
that aren't a list) is dropped with one warning naming it; the file never stops the bot. An ID rule
wins over a name rule; name rules are tried in the file's order.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

SCOPES_FILE = "scopes.yaml"
MAX_SCOPES_BYTES = 256_000
# Slack channel names are at most 80 characters of lowercase letters, digits, hyphens and underscores.
MAX_CHANNEL_NAME = 80
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
_GLOB = re.compile(r"[a-z0-9_\-.*?!\[\]]{1,80}")
EVERYWHERE = "every channel searches everything"
_FOLDER = re.compile(r"[A-Za-z0-9_\-. ]+(?:/[A-Za-z0-9_\-. ]+)*")


@dataclass(frozen=True)
class Scope:
    """The folders a channel searches (None: all of the knowledge) and the rule that chose them."""

    folders: tuple[str, ...] | None
    rule: str = ""

    def covers(self, path: str) -> bool:
        """True when a knowledge path (`prds/payments/refunds.md`) lies inside this scope."""
        return self.folders is None or any(path == f or path.startswith(f"{f}/") for f in self.folders)

    def describe(self) -> str:
        if self.folders is None:
            return "all of the knowledge"
        return ", ".join(f"`{folder}`" for folder in self.folders) if self.folders else "no folders"


EVERYTHING = Scope(None, "")


@dataclass(frozen=True)
class ScopeRules:
    """A parsed `scopes.yaml`: the default, rules by channel ID and by name glob, and what couldn't be read."""

    default: tuple[str, ...] | None = None
    by_id: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_glob: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = ()
    warnings: tuple[str, ...] = ()
    present: bool = False

    @property
    def needs_names(self) -> bool:
        """True when some rule matches channel names, so a channel's name must be looked up."""
        return bool(self.by_glob)

    def scope_for(self, channel: str | None, name: str | None = None) -> Scope:
        """The scope of a channel by ID or name; DMs, the assistant pane (no channel) and the rest get the default."""
        if not self.present:
            return EVERYTHING
        if channel and channel in self.by_id:
            return Scope(self.by_id[channel], channel)
        if name and not (channel or "").startswith("D"):
            name = name.lstrip("#")[:MAX_CHANNEL_NAME]
            for glob, pattern, folders in self.by_glob:
                if pattern.fullmatch(name):
                    return Scope(folders, glob)
        return Scope(self.default, "default")

    def folders(self) -> set[str]:
        """Every folder some rule names."""
        named = set(self.default or ())
        for folders in [*self.by_id.values(), *(folders for _, _, folders in self.by_glob)]:
            named.update(folders)
        return named


def _folders(value: Any, where: str, warnings: list[str]) -> tuple[str, ...] | None:
    """A rule's folder list, normalised; None (with a warning) when it isn't a list of folder paths."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        warnings.append(f"{SCOPES_FILE}: {where} must be a list of folders, e.g. [playbook, prds]; rule ignored")
        return None
    kept: list[str] = []
    for item in value:
        folder = str(item).strip().strip("/") if isinstance(item, str | int) else ""
        if not folder or not _FOLDER.fullmatch(folder) or ".." in folder.split("/"):
            warnings.append(f"{SCOPES_FILE}: {where} names {item!r}, which isn't a sub-folder path; ignored")
            continue
        kept.append(folder)
    return tuple(dict.fromkeys(kept))


def _glob(key: str, warnings: list[str]) -> re.Pattern[str] | None:
    glob = key.lstrip("#")
    depth = 0
    for char in glob:
        depth += char == "["
        depth -= char == "]"
        if depth not in (0, 1):
            break
    if not _GLOB.fullmatch(glob) or depth != 0:
        warnings.append(
            f"{SCOPES_FILE}: {key!r} is neither a channel ID (C0PAY) nor a channel-name glob "
            "(lowercase letters, digits, - and _, with * ? [..]); rule ignored"
        )
        return None
    return re.compile(fnmatch.translate(glob))


def parse_scopes(text: str) -> ScopeRules:
    """Read the YAML of a `scopes.yaml`; never raises: what can't be read becomes a warning."""
    warnings: list[str] = []
    try:
        data = yaml.safe_load(text[:MAX_SCOPES_BYTES])
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return ScopeRules(warnings=(f"{SCOPES_FILE} isn't valid YAML{where}; {EVERYWHERE}",))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return ScopeRules(warnings=(f"{SCOPES_FILE} must map `default` and `channels`; {EVERYWHERE}",))
    unknown = sorted(str(key) for key in data if key not in ("default", "channels"))
    warnings += [f"{SCOPES_FILE}: unknown key {key!r} (expected `default` and `channels`); ignored" for key in unknown]
    default = _folders(data["default"], "`default`", warnings) if "default" in data else None
    channels = data.get("channels") or {}
    if not isinstance(channels, dict):
        warnings.append(f"{SCOPES_FILE}: `channels` must map channel IDs or name globs to folders; ignored")
        channels = {}
    by_id: dict[str, tuple[str, ...]] = {}
    by_glob: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = []
    for raw_key, value in channels.items():
        key = str(raw_key).strip()
        folders = _folders(value, f"channel {key!r}", warnings)
        if folders is None:
            continue
        if _CHANNEL_ID.fullmatch(key):
            by_id[key] = folders
            continue
        pattern = _glob(key, warnings)
        if pattern is not None:
            by_glob.append((key.lstrip("#"), pattern, folders))
    return ScopeRules(default, by_id, tuple(by_glob), tuple(warnings), present=True)


def load_scopes(root: Path) -> ScopeRules:
    """The rules of `root/scopes.yaml`, or none (every channel searches everything) when there is no file."""
    path = root / SCOPES_FILE
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SCOPES_BYTES + 1)
    except FileNotFoundError:
        return ScopeRules()
    except OSError as error:
        return ScopeRules(warnings=(f"{SCOPES_FILE} can't be read ({error.strerror}); {EVERYWHERE}",))
    if len(data) > MAX_SCOPES_BYTES:
        return ScopeRules(warnings=(f"{SCOPES_FILE} is over {MAX_SCOPES_BYTES:,} bytes; {EVERYWHERE}",))
    return parse_scopes(data.decode("utf-8", errors="replace"))


def check_scopes(rules: ScopeRules, paths: Iterable[str]) -> list[str]:
    """The rules' own warnings plus one for each folder that holds none of the indexed `paths`."""
    folders: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: depth + 1]) for depth in range(len(parts)))
    unknown = sorted(rules.folders() - folders)
    return [*rules.warnings, *(f"{SCOPES_FILE}: folder {name!r} holds no indexed document" for name in unknown)]


class ChannelScopes:
    """The knowledge folder's `scopes.yaml`, read again whenever it changes on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._stamp: tuple[int, int] | None = None
        self._rules = ScopeRules()
        self._mutex = threading.Lock()

    def rules(self) -> ScopeRules:
        path = self.root / SCOPES_FILE
        try:
            stat = path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = (0, -1)
        with self._mutex:
            if stamp != self._stamp:
                self._rules = load_scopes(self.root)
                self._stamp = stamp
                for warning in self._rules.warnings:
                    log.warning("%s", warning)
            return self._rules

    def scope_for(self, channel: str | None, name: str | None = None) -> Scope:
        return self.rules().scope_for(channel, name)
