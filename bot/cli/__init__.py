"""The `pm-copilot` command line (`python -m bot` too). Each verb builds a `Copilot` once and delegates to it."""

from __future__ import annotations

import click

from bot.cli.admin import cache_group, doctor, eval_group, manifest, serve, stats
from bot.cli.common import CopilotGroup
from bot.cli.verbs import ask, draft_evals, explain_error, reindex
from bot.config import load_settings
from bot.core.logs import setup_logging
from bot.exceptions import PMCopilotError


@click.group(cls=CopilotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pm-copilot")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """PM Copilot: cited answers, eval criteria and error explanations for AI product managers.

    \b
    Quick start (offline, no keys needed):
      pm-copilot reindex
      pm-copilot ask "What should we measure before launching an AI summarizer?"
    """
    try:
        settings = load_settings()
    except PMCopilotError as error:
        if ctx.invoked_subcommand != "doctor":
            raise
        # doctor reports it, beside everything else it can still check
        ctx.obj = {"settings": None, "settings_error": str(error)}
        return
    setup_logging(settings.log_level, settings.log_format)
    ctx.obj = {"settings": settings}


for command in (ask, reindex, explain_error, draft_evals, eval_group, stats, cache_group, serve, manifest, doctor):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="pm-copilot")
