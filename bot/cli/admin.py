"""Running and watching the bot: eval, stats, cache, serve, manifest, doctor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.common import copilot_for, emit, progress_bar, refresh_index, settings_of, stderr


@click.group(name="eval")
def eval_group() -> None:
    """Measure retrieval, answer or eval-draft quality."""


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
    copilot = copilot_for(ctx, beir_dir)
    chosen = modes or ("hybrid", "dense", "bm25")
    with progress_bar(sys.stderr.isatty()) as progress:
        rows = copilot.measure_retrieval(beir_dir, split, chosen, progress, fusion=fusion, dense_weight=dense_weight)  # type: ignore[arg-type]
    if as_json:
        for row in rows:
            emit(row)
        return
    keys = list(rows[0])
    click.echo("| " + " | ".join(keys) + " |")
    click.echo("|" + "---|" * len(keys))
    for row in rows:
        click.echo("| " + " | ".join(str(row[key]) for key in keys) + " |")


@eval_group.command(name="drafts")
@click.option(
    "--marks",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=Path("tests/devsets/drafts/marks.yaml"),
    show_default=True,
    help="The marks file (YAML: docs with outcomes, questions, template prompts, states, metrics).",
)
@click.option("--half", type=click.Choice(["tune", "check"]), help="Only the documents of one half.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object, per half and per doc.")
@click.pass_context
def eval_drafts(ctx: click.Context, marks: Path, half: str | None, as_json: bool) -> None:
    """Eval-plan drafts against PRDs marked by hand: outcomes carried, template prompts, false gaps, metric fit.

    Deterministic offline; LLM-written when OPENAI_API_KEY (and OPENAI_BASE_URL) point at an endpoint.

    \b
    Examples:
      pm-copilot eval drafts
      pm-copilot eval drafts --half check --json
    """
    report = copilot_for(ctx).measure_drafts(marks, half)
    if as_json:
        emit(report.as_dict())
        return
    click.echo(report.table())


@eval_group.command(name="answers")
@click.option(
    "--golden",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("tests/golden/answers.yaml"),
    show_default=True,
    help="The golden set (YAML: id, question, answerable, expected_sources).",
)
@click.option(
    "--devset",
    "devsets",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Instead of the golden set, a JSONL dev set (tests/devsets/answers/README.md); repeat for several, "
    "scored side by side.",
)
@click.option(
    "--docs",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The dev set's documents, indexed into their own collection (default: docs/ beside the first --devset).",
)
@click.option("-k", "k", type=click.IntRange(1, 50), help="How many passages to retrieve (default TOP_K).")
@click.option(
    "--calibrate",
    is_flag=True,
    help="Instead, find the decline threshold that best separates answerable.txt from unanswerable.txt "
    "(beside the golden set) plus the golden questions; with --devset, its answerable questions from its near-misses.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as one JSON object.")
@click.option(
    "--knowledge",
    type=click.Path(file_okay=False, path_type=Path),
    help="Answer from this folder instead of KNOWLEDGE_DIR (golden set only; a dev set uses --docs).",
)
@click.pass_context
def eval_answers(
    ctx: click.Context,
    golden: Path,
    devsets: tuple[Path, ...],
    docs: Path | None,
    k: int | None,
    calibrate: bool,
    as_json: bool,
    knowledge: Path | None,
) -> None:
    """Answer quality on a golden set or a dev set: answers, declines, quotes, sources, fabricated citations.

    Extractive offline; generated when OPENAI_API_KEY (and OPENAI_BASE_URL) point at an endpoint.
    Every question is asked with the answer cache off.

    \b
    Examples:
      pm-copilot eval answers
      pm-copilot eval answers --json
      pm-copilot eval answers --calibrate
      pm-copilot eval answers --devset tests/devsets/answers/tune.jsonl --devset tests/devsets/answers/check.jsonl
      pm-copilot eval answers --calibrate --devset tests/devsets/answers/tune.jsonl
    """
    if devsets:
        _eval_devsets(ctx, devsets, docs, k, calibrate, as_json, knowledge)
        return
    if docs is not None:
        raise click.UsageError("--docs goes with --devset (a golden set answers from --knowledge or KNOWLEDGE_DIR)")
    if not golden.is_file():
        raise click.UsageError(f"no golden set at {golden}: name one with --golden, or a dev set with --devset")
    copilot = copilot_for(ctx, knowledge)
    refresh_index(copilot, show_progress=sys.stderr.isatty())
    if calibrate:
        summary, table = copilot.calibrate(golden, k=k)
        if as_json:
            emit(summary)
        else:
            click.echo(table)
        return
    report = copilot.measure_answers(golden, k)
    if as_json:
        emit(report)
        return
    click.echo("| metric | value |\n|---|---:|")
    for key, value in report.items():
        if key != "misses":
            click.echo(f"| {key} | {value} |")
    if report["misses"]:
        click.echo(f"\nMissed: {', '.join(report['misses'])}")


def _eval_devsets(
    ctx: click.Context,
    devsets: tuple[Path, ...],
    docs: Path | None,
    k: int | None,
    calibrate: bool,
    as_json: bool,
    knowledge: Path | None,
) -> None:
    if knowledge is not None:
        raise click.UsageError("a dev set answers from its documents: name them with --docs, not --knowledge")
    folder = docs or devsets[0].parent / "docs"
    if not folder.is_dir():
        raise click.UsageError(f"no docs/ folder beside {devsets[0]}; name the documents folder with --docs")
    copilot = copilot_for(ctx, folder)
    files = copilot.read_devsets(devsets)  # every line checked before anything is indexed
    show = sys.stderr.isatty()
    refresh_index(copilot, show_progress=show)
    if calibrate:
        summary, table = copilot.calibrate(devsets[0], files, k)
        if as_json:
            emit(summary)
        else:
            click.echo(table)
        return
    with progress_bar(show) as progress:
        report = copilot.measure_devsets(files, k, progress)
    if as_json:
        emit(report.as_dict())
    else:
        click.echo(report.table())


@click.command()
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
    copilot = copilot_for(ctx)
    if not copilot.deps.settings.redis_url:
        stderr.print("[yellow]REDIS_URL is unset: each bot process keeps its own metrics, so there is nothing here.[/]")
    if as_json:
        for window in copilot.stats_windows():
            emit(window)
        return
    click.echo(copilot.stats().markdown)


@click.group(name="cache")
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
    copilot = copilot_for(ctx)
    settings = copilot.deps.settings
    if not settings.redis_url:
        stderr.print("[yellow]REDIS_URL is unset: the cache lives inside each running process; nothing to clear.[/]")
    removed = copilot.clear_cache(answers_only=answers_only)
    click.echo(f"removed {removed} keys under {settings.cache_prefix}:")


@click.command()
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
    from bot.ops.server import serve as run_server  # deferred: the Slack app and its index (see copilot_for)

    run_server(settings_of(ctx), force_http=force_http, port=port)


@click.command()
@click.option("--url", help="Public base URL for HTTP mode (Slack posts to URL/slack/events); omit for Socket Mode.")
@click.option("--name", default="PM Copilot", show_default=True, help="The app's name in Slack.")
def manifest(url: str | None, name: str) -> None:
    """Print the Slack app manifest (YAML) to create the app from.

    \b
    Examples:
      pm-copilot manifest > manifest.yaml
      pm-copilot manifest --url https://pm-copilot.example.com
    """
    from bot.slack.manifest import manifest_yaml  # deferred: bot.slack imports the whole Slack app

    click.echo(manifest_yaml(name, url), nl=False)


@click.command()
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
    from bot.ops import doctor as checks  # deferred: the checks import every client library

    settings = ctx.obj["settings"]
    found = (
        checks.settings_failure(ctx.obj["settings_error"])
        if settings is None
        else checks.run_checks(settings, timeout_s=timeout_s)
    )
    if as_json:
        for check in found:
            emit(check.as_dict())
    else:
        click.echo(checks.render(found))
    ctx.exit(0 if checks.healthy(found) else 1)
