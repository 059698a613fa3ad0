"""What every `pm-copilot` verb shares: the error mapping, the façade, JSON lines and the progress bar."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.config import Settings
from bot.exceptions import PMCopilotError

if TYPE_CHECKING:
    from bot.copilot import Copilot

stderr = Console(stderr=True)


class CliError(click.ClickException):
    """A PMCopilotError at the CLI edge: one line on stderr, exit code 1."""


class CopilotGroup(click.Group):
    """The one place the error tree (bot.exceptions) becomes CLI words: any PMCopilotError in any verb."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PMCopilotError as error:
            raise CliError(str(error)) from error


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def copilot_for(ctx: click.Context, knowledge: Path | None = None) -> Copilot:
    """The façade over KNOWLEDGE_DIR, or over another folder in its own collection."""
    # Imported here, not at the top: the index, the embeddings and the LLM client pull in chromadb,
    # torch and langchain, which `--help`, `manifest` and `doctor` on a broken setting don't need.
    from bot.copilot import Copilot
    from bot.wiring import build_deps

    return Copilot(build_deps(settings_of(ctx), knowledge_dir=knowledge))


def emit(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False))


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on stderr for reindex stages; nothing when stderr isn't a terminal."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = {"scan": "Reading files", "embed": "Embedding chunks"}.get(stage, stage)
                tasks[stage] = progress.add_task(label, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


def refresh_index(copilot: Copilot, show_progress: bool) -> None:
    with progress_bar(show_progress) as progress:
        report = copilot.refresh_index(progress)
    if report is not None:
        stderr.print(f"[dim]indexed {copilot.deps.knowledge_dir}: {report.summary()}[/dim]")
