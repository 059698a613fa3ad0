"""The `pm-copilot` command line. Each verb builds its dependencies once and delegates."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.config import Settings, load_settings
from bot.exceptions import InputError, PMCopilotError

stderr = Console(stderr=True)


class CliError(click.ClickException):
    """A PMCopilotError at the CLI edge: one line on stderr, exit code 1."""


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _deps(ctx: click.Context, knowledge: Path | None = None) -> Any:
    from bot.wiring import build_deps

    return build_deps(_settings(ctx), knowledge_dir=knowledge)


def _emit(payload: dict[str, Any]) -> None:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pm-copilot")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """PM Copilot: cited answers, eval criteria and error explanations for AI product managers.

    \b
    Quick start (offline, no keys needed):
      pm-copilot reindex
      pm-copilot ask "What should we measure before launching an AI summarizer?"
    """
    from bot.core.logs import setup_logging

    try:
        settings = load_settings()
    except PMCopilotError as error:
        if ctx.invoked_subcommand == "doctor":  # doctor reports it, beside everything else it can still check
            ctx.obj = {"settings": None, "settings_error": str(error)}
            return
        raise CliError(str(error)) from error
    setup_logging(settings.log_level, settings.log_format)
    ctx.obj = {"settings": settings}


def _ensure_index(deps: Any, show_progress: bool) -> None:
    """Index new or changed files first, so an answer never sees a stale folder.

    A dry run decides: an unchanged folder keeps its index version, so answers cached by earlier
    runs stay valid (every real reindex bumps the version, which invalidates them).
    """
    planned = deps.index.reindex(dry_run=True)
    if not (planned.added or planned.updated or planned.removed or deps.index.version() == 0):
        return
    with progress_bar(show_progress) as progress:
        report = deps.index.reindex(progress=progress)
    stderr.print(f"[dim]indexed {deps.knowledge_dir}: {report.summary()}[/dim]")


def _print_answer(answer: Any, streamed: bool = False) -> None:
    """Print an answer; after a stream, only what the stream didn't already show."""
    if not streamed:
        click.echo(answer.answer)
    elif answer.mode == "generated" or answer.cached:
        click.echo()
    else:
        # Generation broke off midway: the extractive answer follows what was shown.
        click.echo("\n\n" + answer.answer)
    if answer.sources:
        click.echo("\nSources:")
        for number, source in enumerate(answer.sources, 1):
            where = f"{source.title} — {source.section}" if source.section else source.title
            click.echo(f"  [{number}] {where} ({source.path})")
    if answer.notice:
        click.echo(f"\nNote: {answer.notice}")


@cli.command()
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
    from bot.answers.answer import answer_question

    try:
        deps = _deps(ctx, knowledge)
        _ensure_index(deps, show_progress=sys.stderr.isatty())
        if question is not None:
            if stream and not as_json:
                shown: list[str] = []

                def echo(text: str) -> None:
                    shown.append(text)
                    click.echo(text, nl=False)
                    sys.stdout.flush()

                answer = answer_question(deps, question, k=k, on_token=echo)
                _print_answer(answer, streamed=bool(shown))
                return
            answer = answer_question(deps, question, k=k)
            if as_json:
                _emit(answer.as_json())
            else:
                _print_answer(answer)
            return
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                _emit(answer_question(deps, line, k=k).as_json())
            except InputError as error:
                _emit(
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
    except PMCopilotError as error:
        raise CliError(str(error)) from error


@cli.command()
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
    try:
        deps = _deps(ctx, knowledge)
        with progress_bar(sys.stderr.isatty() and not as_json) as progress:
            report = deps.index.reindex(full=full, dry_run=dry_run, progress=progress)
    except PMCopilotError as error:
        raise CliError(str(error)) from error
    if as_json:
        _emit(report.as_dict())
        return
    for skipped in report.skipped:
        stderr.print(f"[yellow]skipped[/yellow] {skipped.path}: {skipped.reason}")
    click.echo(report.summary())


@cli.group(name="eval")
def eval_group() -> None:
    """Measure retrieval or answer quality."""


@eval_group.command(name="retrieval")
@click.option(
    "--beir",
    "beir_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A BEIR-format folder (corpus.jsonl[.gz], queries.jsonl, qrels/SPLIT.tsv).",
)
@click.option("--split", default="train", type=click.Choice(["train", "test", "dev"]), show_default=True)
@click.option(
    "--mode",
    "modes",
    multiple=True,
    type=click.Choice(["hybrid", "dense", "bm25"]),
    help="Retrieval mode; repeat for several (default: all three, side by side).",
)
@click.option(
    "--fusion",
    default="convex",
    type=click.Choice(["convex", "rrf"]),
    show_default=True,
    help="How hybrid mode fuses dense and BM25: convex (min-max scores) or reciprocal-rank fusion.",
)
@click.option(
    "--dense-weight",
    default=0.5,
    type=click.FloatRange(0, 1),
    show_default=True,
    help="The dense side's weight in hybrid mode (BM25 gets the rest).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per mode.")
@click.pass_context
def eval_retrieval(
    ctx: click.Context,
    beir_dir: Path,
    split: str,
    modes: tuple[str, ...],
    fusion: str,
    dense_weight: float,
    as_json: bool,
) -> None:
    """nDCG@10, recall@10/100, MRR@10 and latency on a BEIR benchmark.

    The corpus is indexed once into its own collection under DATA_DIR; later runs reuse it.
    Each mode starts with a cold query-embedding cache, so the latencies compare like for like.

    \b
    Examples:
      pm-copilot eval retrieval --beir ../shared/data/ir/scifact-dev --mode hybrid --json
      pm-copilot eval retrieval --beir ../shared/data/ir/scifact-dev --mode hybrid --fusion rrf
      pm-copilot eval retrieval --beir ../shared/data/ir/scifact-dev --mode hybrid --dense-weight 0.4
    """
    from bot.quality.beir import compare, ensure_indexed, load_benchmark

    try:
        deps = _deps(ctx, beir_dir)
        benchmark = load_benchmark(beir_dir, split)
        with progress_bar(sys.stderr.isatty()) as progress:
            ensure_indexed(deps.index, benchmark, progress)
        chosen = modes or ("hybrid", "dense", "bm25")
        rows = compare(deps.retriever, benchmark, chosen, fusion, dense_weight)  # type: ignore[arg-type]
    except PMCopilotError as error:
        raise CliError(str(error)) from error
    if as_json:
        for row in rows:
            _emit(row)
        return
    keys = list(rows[0])
    click.echo("| " + " | ".join(keys) + " |")
    click.echo("|" + "---|" * len(keys))
    for row in rows:
        click.echo("| " + " | ".join(str(row[key]) for key in keys) + " |")


@eval_group.command(name="answers")
@click.option(
    "--golden",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("tests/golden/answers.yaml"),
    show_default=True,
    help="The golden set (YAML: id, question, answerable, expected_sources).",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Instead, find the decline threshold that best separates answerable.txt from unanswerable.txt "
    "(beside the golden set) plus the golden questions.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object.")
@click.option(
    "--knowledge",
    type=click.Path(file_okay=False, path_type=Path),
    help="Answer from this folder instead of KNOWLEDGE_DIR.",
)
@click.pass_context
def eval_answers(ctx: click.Context, golden: Path, calibrate: bool, as_json: bool, knowledge: Path | None) -> None:
    """Answer quality on a golden set: expected source cited, declines, fabricated citations.

    Extractive offline; generated when OPENAI_API_KEY (and OPENAI_BASE_URL) point at an endpoint.

    \b
    Examples:
      pm-copilot eval answers
      pm-copilot eval answers --json
      pm-copilot eval answers --calibrate
    """
    from bot.answers.answer import min_evidence
    from bot.quality import answers as answer_eval

    try:
        deps = _deps(ctx, knowledge)
        _ensure_index(deps, show_progress=sys.stderr.isatty())
        if calibrate:
            answerable, unanswerable = answer_eval.golden_questions(golden.parent, golden)
            calibration = answer_eval.calibrate(deps, answerable, unanswerable)
            if as_json:
                best, accuracy = calibration.best(0)
                cosine, cosine_accuracy = calibration.best(1)
                _emit(
                    {
                        "answerable": len(answerable),
                        "unanswerable": len(unanswerable),
                        "best_evidence_threshold": best,
                        "evidence_accuracy": round(accuracy, 3),
                        "best_cosine_threshold": cosine,
                        "cosine_accuracy": round(cosine_accuracy, 3),
                        "current": min_evidence(deps),
                    }
                )
            else:
                click.echo(answer_eval.calibration_table(calibration, min_evidence(deps)))
            return
        report = answer_eval.evaluate(deps, answer_eval.load_golden(golden)).as_dict()
    except PMCopilotError as error:
        raise CliError(str(error)) from error
    if as_json:
        _emit(report)
        return
    click.echo("| metric | value |\n|---|---:|")
    for key, value in report.items():
        if key != "misses":
            click.echo(f"| {key} | {value} |")
    if report["misses"]:
        click.echo(f"\nMissed: {', '.join(report['misses'])}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per window (24h, 7d, 30d).")
@click.pass_context
def stats(ctx: click.Context, as_json: bool) -> None:
    """The bot's own AI metrics over 24 h, 7 d and 30 d (the same as /pm stats).

    Questions, p50/p95 latency, cost per query, cache hit, fallback and decline rates, and the
    human override rate (👎 share). Counts every replica when REDIS_URL is set.

    \b
    Examples:
      pm-copilot stats
      pm-copilot stats --json
    """
    from bot.core.metrics import all_windows, stats_report
    from bot.core.store import open_store

    settings = _settings(ctx)
    store = open_store(settings.redis_url, settings.data_dir, settings.cache_prefix)
    if not settings.redis_url:
        stderr.print("[yellow]REDIS_URL is unset: each bot process keeps its own metrics, so there is nothing here.[/]")
    if as_json:
        for window in all_windows(store):
            _emit(window.as_dict())
        return
    click.echo(stats_report(store))


@cli.group(name="cache")
def cache_group() -> None:
    """Manage what PM Copilot keeps in REDIS_URL (or this process) under CACHE_PREFIX."""


@cache_group.command(name="clear")
@click.option("--answers-only", is_flag=True, help="Clear only cached answers; keep metrics, feedback and dedup.")
@click.pass_context
def cache_clear(ctx: click.Context, answers_only: bool) -> None:
    """Delete everything stored under CACHE_PREFIX (answers, metrics, feedback, dedup keys).

    \b
    Examples:
      pm-copilot cache clear
      pm-copilot cache clear --answers-only
    """
    from bot.core.store import open_store

    settings = _settings(ctx)
    store = open_store(settings.redis_url, settings.data_dir, settings.cache_prefix)
    if not settings.redis_url:
        stderr.print("[yellow]REDIS_URL is unset: the cache lives inside each running process; nothing to clear.[/]")
    removed = store.clear("answer:*" if answers_only else "*")
    click.echo(f"removed {removed} keys under {settings.cache_prefix}:")


@cli.command(name="explain-error")
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
    from bot.explain.catalog import ErrorCatalog
    from bot.explain.explain import explain_error as explain

    catalog = ErrorCatalog.for_knowledge(_settings(ctx).knowledge_dir, strict=False)
    # Unknown errors get an AI-written explanation only when an LLM is configured; the catalog needs no index.
    deps = _deps(ctx) if _settings(ctx).llm_enabled else None
    if text is not None:
        explanation = explain(catalog, text, deps)
        if as_json:
            _emit(explanation.model_dump(mode="json"))
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
            _emit(
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
            _emit(explain(catalog, message, deps).model_dump(mode="json"))
        sys.stdout.flush()


@cli.command(name="draft-evals")
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
    from bot.evalplans.draft import draft_evals as draft
    from bot.evalplans.draft import read_prd

    settings = _settings(ctx)
    try:
        prd = read_prd(prd_file, int(settings.max_file_mb * 1_000_000)) if prd_file else None
        plan = draft(_deps(ctx), feature, prd)
    except PMCopilotError as error:
        raise CliError(str(error)) from error
    if output_format == "yaml":
        click.echo(plan.as_yaml(), nl=False)
    elif output_format == "promptfoo":
        click.echo(plan.as_promptfoo(f"openai:chat:{settings.llm_model}", settings.openai_base_url), nl=False)
    else:
        click.echo(plan.as_markdown(), nl=False)
    if plan.notice and output_format != "md":
        stderr.print(f"[dim]{plan.notice}[/dim]")


@cli.command()
@click.option("--http", "force_http", is_flag=True, help="Serve HTTP even when SLACK_APP_TOKEN is set.")
@click.option("--port", type=click.IntRange(1, 65535), help="HTTP port (default: PORT, 3000).")
@click.pass_context
def serve(ctx: click.Context, force_http: bool, port: int | None) -> None:
    """Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT.

    HTTP mode serves POST /slack/events, GET /healthz, /readyz and /metrics.

    \b
    Examples:
      SLACK_BOT_TOKEN=xoxb-… SLACK_APP_TOKEN=xapp-… pm-copilot serve
      SLACK_BOT_TOKEN=xoxb-… SLACK_SIGNING_SECRET=… pm-copilot serve --http --port 8080
    """
    from bot.ops.server import serve as run_server

    try:
        run_server(_settings(ctx), force_http=force_http, port=port)
    except PMCopilotError as error:
        raise CliError(str(error)) from error


@cli.command()
@click.option("--url", help="Public base URL for HTTP mode (Slack posts to URL/slack/events); omit for Socket Mode.")
@click.option("--name", default="PM Copilot", show_default=True, help="The app's name in Slack.")
def manifest(url: str | None, name: str) -> None:
    """Print the Slack app manifest (YAML) to create the app from.

    \b
    Examples:
      pm-copilot manifest > manifest.yaml
      pm-copilot manifest --url https://pm-copilot.example.com
    """
    from bot.slack.manifest import manifest_yaml

    click.echo(manifest_yaml(name, url), nl=False)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check: name, status, detail, fix.")
@click.option("--timeout", "timeout_s", default=10.0, show_default=True, help="Seconds each check may take.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool, timeout_s: float) -> None:
    """Check every setting and dependency; say what is wrong and how to fix it.

    Slack (auth.test), Redis, Chroma, the index and its freshness, the knowledge folder, DATA_DIR,
    the LLM endpoint and the embedding model. Exits 1 if anything needs fixing.

    \b
    Examples:
      pm-copilot doctor
      docker compose exec bot pm-copilot doctor --json
    """
    from bot.ops import doctor as checks

    settings = ctx.obj["settings"]
    found = (
        checks.settings_failure(ctx.obj["settings_error"])
        if settings is None
        else checks.run_checks(settings, timeout_s=timeout_s)
    )
    if as_json:
        for check in found:
            _emit(check.as_dict())
    else:
        click.echo(checks.render(found))
    ctx.exit(0 if checks.healthy(found) else 1)


def main() -> None:
    cli(prog_name="pm-copilot")
