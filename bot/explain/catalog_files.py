"""Error catalog files: the YAML schema, validating one file, loading a folder, laying a team's over the built-in.

The built-in catalog ships in the package (bot/data/error-codes/, one file per provider); a team adds or
overrides entries with files in KNOWLEDGE_DIR/error-codes/.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from bot.exceptions import KnowledgeError

log = logging.getLogger(__name__)

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster when present

Url = Annotated[str, StringConstraints(strict=True, pattern=r"^https?://\S+$")]
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1)]


class CatalogEntry(BaseModel):
    """One error: how to recognise it and how to explain it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    code: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9_.\-]+(:[A-Za-z0-9_.\-]+)?$")]
    http_status: int | None = Field(default=None, ge=100, le=599)
    aliases: list[Text] = Field(default_factory=list)
    patterns: list[Text] = Field(default_factory=list)
    retryable: bool
    title: Text
    meaning: Text
    causes: list[Text] = Field(min_length=1)
    fixes: list[Text] = Field(min_length=1)
    pm_impact: Text
    docs: list[Url] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {error}") from error
        return patterns

    @property
    def base_code(self) -> str:
        """The code as providers send it: `rate_limit_exceeded` for `rate_limit_exceeded:tokens`."""
        return self.code.split(":", 1)[0]


class CatalogFile(BaseModel):
    """One provider's file in bot/data/error-codes/ or KNOWLEDGE_DIR/error-codes/."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    provider: Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9\-]*$")]
    provider_name: Text
    docs: Url
    errors: list[CatalogEntry] = Field(min_length=1)

    @field_validator("errors")
    @classmethod
    def _codes_unique(cls, errors: list[CatalogEntry]) -> list[CatalogEntry]:
        seen: set[str] = set()
        for entry in errors:
            if entry.code in seen:
                raise ValueError(f"code {entry.code!r} appears twice")
            seen.add(entry.code)
        return errors


def _location(loc: Sequence[int | str], data: object) -> str:
    """`errors[3].retryable (entry 'insufficient_quota')` from a pydantic error location."""
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else ("." if where else "") + str(part)
    if len(loc) >= 2 and loc[0] == "errors" and isinstance(loc[1], int) and isinstance(data, dict):
        errors = data.get("errors")
        if isinstance(errors, list) and loc[1] < len(errors) and isinstance(errors[loc[1]], dict):
            code = errors[loc[1]].get("code")
            if code is not None:
                where += f" (entry {code!r})"
    return where or "(top level)"


def validate_catalog_file(path: Path) -> CatalogFile:
    """Read and validate one catalog file; KnowledgeError names the file and the field at fault."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(f"{path}: can't read the file: {error}") from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise KnowledgeError(f"{path}: not valid YAML{where}: {getattr(error, 'problem', error)}") from error
    if not isinstance(data, dict):
        raise KnowledgeError(f"{path}: expected a mapping with provider, provider_name, docs and errors")
    try:
        return CatalogFile.model_validate(data)
    except ValidationError as error:
        problems = [f"{_location(item['loc'], data)}: {item['msg']}" for item in error.errors()[:5]]
        more = f" (and {error.error_count() - 5} more)" if error.error_count() > 5 else ""
        raise KnowledgeError(f"{path}: " + "; ".join(problems) + more) from error


def load_files(folder: Path, strict: bool) -> list[CatalogFile]:
    """The valid catalog files of one folder; see `ErrorCatalog.load` for `strict`."""
    files: list[CatalogFile] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            catalog_file = validate_catalog_file(path)
            for entry in catalog_file.errors:
                first = seen.get((catalog_file.provider, entry.code))
                if first is not None:
                    raise KnowledgeError(
                        f"{path}: errors: {catalog_file.provider} {entry.code!r} is already defined in {first}"
                    )
        except KnowledgeError as error:
            if strict:
                raise
            log.warning("skipping error catalog file: %s", error)
            continue
        seen.update({(catalog_file.provider, entry.code): path for entry in catalog_file.errors})
        files.append(catalog_file)
    return files


def merge_files(builtin: list[CatalogFile], team: list[CatalogFile]) -> list[CatalogFile]:
    """The built-in files with the team's laid over them.

    A team entry with the same provider and code replaces the built-in one (in its place, so ties
    still go the same way); other team entries add to the catalog, after the built-in ones.
    """
    overrides = {(f.provider, entry.code): entry for f in team for entry in f.errors}
    used: set[tuple[str, str]] = set()
    merged: list[CatalogFile] = []
    for catalog_file in builtin:
        errors = []
        for entry in catalog_file.errors:
            key = (catalog_file.provider, entry.code)
            if key in overrides:
                used.add(key)
            errors.append(overrides.get(key, entry))
        merged.append(catalog_file.model_copy(update={"errors": errors}))
    for catalog_file in team:
        added = [entry for entry in catalog_file.errors if (catalog_file.provider, entry.code) not in used]
        if added:
            merged.append(catalog_file.model_copy(update={"errors": added}))
    return merged
