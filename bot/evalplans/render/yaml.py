"""Plans and promptfoo configs as YAML people read: keys in model order, prompts as literal blocks."""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    """Safe YAML with multi-line strings as literal blocks, so prompts read as written."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data and not any(line != line.rstrip() for line in data.splitlines()) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def plan_yaml(data: object) -> str:
    """YAML as people read it: keys in model order, Unicode as is, prompts as literal blocks."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
