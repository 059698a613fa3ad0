"""The PM's verbs: ask, reindex, explain-error, draft-evals."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from bot.cli.common import copilot_for, emit, progress_bar, refresh_index, stderr
from bot.exceptions import InputError

if TYPE_CHECKING:
    from bot.core.reply import Reply


def _print_answer(answer: Reply, streamed: bool = False) -> None:
    """Print an answer; after a stream, only what the stream didn't already show."""
    if not streamed:
        click.echo(answer.markdown)
    elif answer.mode == "generated" or answer.cached:
        click.echo()
    else:
        # Generation broke off midway: the extractive answer follows what was shown.
        click.echo("\n\n" + answer.markdown)
    if answer.sources:
        click.echo("\nSources:")
        for number, source in enumerate(answer.sources, 1):
            where = f"{source.title} — {source.section}" if source.section else source.title
            click.echo(f"  [{number}] {where} ({source.path})")
    if answer.notice:
        click.echo(f"\nNote: {answer.notice}")


@click.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option(
    "--knowledge",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index this folder (into its own collection) and answer from it.",
)
@click.option("-k", "k", type=click.IntRange(1, 50), help="How many passages to retrieve (default TOP_K).")
@click.option("--stream", is_flag=True, help="Print the answer as it is written (needs an LLM; ignored with --json).")
@click.pass_context
def ask(
    ctx: click.Context, question: str | None, as_json: bool, knowledge: Path | None, k: int | None, stream: bool
) -> None:
    """Answer a question from the knowledge folder, with sources.

    With no QUESTION, read one question per line from stdin and write one JSON object per line.

    \b
    Examples:
      pm-copilot ask "How do we set a launch threshold for hallucination rate?"
      pm-copilot ask --json -k 3 "What is a fallback rate?"
      pm-copilot ask --stream "How should we handle 429s from the LLM provider?"
      printf 'What is token efficiency?\\nWho owns the eval set?\\n' | pm-copilot ask
      pm-copilot ask --knowledge ~/team-docs "What did we decide about rollout?"
    """
    copilot = copilot_for(ctx, knowledge)
    refresh_index(copilot, show_progress=sys.stderr.isatty())
    if question is not None:
        if stream and not as_json:
            shown: list[str] = []

            def echo(text: str) -> None:
                shown.append(text)
                click.echo(text, nl=False)
                sys.stdout.flush()

            _print_answer(copilot.ask(question, k=k, on_token=echo), streamed=bool(shown))
        elif as_json:
            emit(copilot.ask(question, k=k).as_json())
        else:
            _print_answer(copilot.ask(question, k=k))
        return
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            emit(copilot.ask(line, k=k).as_json())
        except InputError as error:  # one bad line must not end the batch: it gets its own JSON line
            emit(
                {
                    "question": line.strip()[:200],
                    "answered": False,
                    "answer": "",
                    "mode": "extractive",
                    "sources": [],
                    "latency_ms": 0.0,
                    "error": str(error),
                }
            )
        sys.stdout.flush()


@click.command()
@click.option("--full", is_flag=True, help="Re-read and rewrite every file (the embedding cache still applies).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--knowledge",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index this folder instead of KNOWLEDGE_DIR (into its own collection).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.pass_context
def reindex(ctx: click.Context, full: bool, dry_run: bool, knowledge: Path | None, as_json: bool) -> None:
    """Bring the index in step with the knowledge folder: only new or changed files are embedded.

    \b
    Examples:
      pm-copilot reindex
      pm-copilot reindex --dry-run
      pm-copilot reindex --knowledge ./knowledge --json
    """
    copilot = copilot_for(ctx, knowledge)
    with progress_bar(sys.stderr.isatty() and not as_json) as progress:
        report = copilot.update_index(full=full, dry_run=dry_run, progress=progress)
    if as_json:
        emit(report.as_dict())
        return
    for skipped in report.skipped:
        stderr.print(f"[yellow]skipped[/yellow] {skipped.path}: {skipped.reason}")
    for warning in report.warnings:
        stderr.print(f"[yellow]warning[/yellow] {escape(warning)}")
    click.echo(report.summary())


@click.command(name="explain-error")
@click.argument("text", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as one JSON object.")
@click.pass_context
def explain_error(ctx: click.Context, text: str | None, as_json: bool) -> None:
    """Explain an API error message (OpenAI, Anthropic, Azure OpenAI, Gemini, Slack, RAG stack) in PM terms.

    With no TEXT, read JSON lines {"message": ...} from stdin and write one JSON object per line.
    Secrets in the text are redacted before anything is printed.

    \b
    Examples:
      pm-copilot explain-error "Error code: 429 - {'error': {'code': 'insufficient_quota'}}"
      pm-copilot explain-error --json not_in_channel
      echo '{"message": "openai.APITimeoutError: Request timed out."}' | pm-copilot explain-error
    """
    copilot = copilot_for(ctx)
    if text is not None:
        explanation = copilot.explain(text)
        if as_json:
            emit(explanation.model_dump(mode="json"))
        else:
            click.echo(explanation.as_markdown())
        return
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line).get("message")
            if not isinstance(message, str):
                raise ValueError
        except (ValueError, AttributeError):
            emit(
                {
                    "provider": None,
                    "code": None,
                    "http_status": None,
                    "retryable": None,
                    "title": "",
                    "meaning": "",
                    "causes": [],
                    "fixes": [],
                    "pm_impact": "",
                    "docs": [],
                    "matched": False,
                    "error": f'line {number}: expected a JSON object with a "message" string',
                }
            )
        else:
            emit(copilot.explain(message).model_dump(mode="json"))
        sys.stdout.flush()


@click.command(name="draft-evals")
@click.argument("feature")
@click.option(
    "--prd",
    "prd_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The feature's PRD: .md, .txt, .pdf, .docx or .html. Its numbers become the thresholds.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "yaml", "promptfoo"]),
    default="md",
    show_default=True,
    help="md: the full plan; yaml: the plan as data; promptfoo: a promptfoo config skeleton.",
)
@click.pass_context
def draft_evals(ctx: click.Context, feature: str, prd_file: Path | None, output_format: str) -> None:
    """Draft eval criteria for an AI feature: metrics, eval set, launch gates, guardrails, open questions.

    Without an LLM the draft comes from the playbook's metric catalog, tailored to the feature type and
    filled with the PRD's own numbers (PRD targets beat playbook defaults, and each says which it is).

    \b
    Examples:
      pm-copilot draft-evals "Summarise long support tickets for agents"
      pm-copilot draft-evals "Invoice extraction" --prd knowledge/prds/de-rechnungsdaten-extraktion.md
      pm-copilot draft-evals "Help center answers" --prd prd.docx --format yaml > eval-plan.yaml
      pm-copilot draft-evals "Ticket routing" --prd prd.pdf --format promptfoo > promptfooconfig.yaml
    """
    copilot = copilot_for(ctx)
    settings = copilot.deps.settings
    plan = copilot.plan_evals(feature, copilot.read_prd(prd_file) if prd_file else None)
    if output_format == "yaml":
        click.echo(plan.as_yaml(), nl=False)
    elif output_format == "promptfoo":
        click.echo(plan.as_promptfoo(f"openai:chat:{settings.llm_model}", settings.openai_base_url), nl=False)
    else:
        click.echo(plan.as_markdown(), nl=False)
    if plan.notice and output_format != "md":
        stderr.print(f"[dim]{plan.notice}[/dim]")
