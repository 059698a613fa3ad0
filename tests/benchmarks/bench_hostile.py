"""Hostile input: what pathological text and files cost against the same amount of ordinary input, side by side.

Run: .venv/bin/python -m tests.benchmarks.bench_hostile [--rounds N] [--helps N]

Four surfaces, each fed ordinary input and each class of pathological input at the same size, in one run:
  explain-error   the error catalog and parser on a pasted message (7,990 characters, just under the cap)
  ask             the answer pipeline, retrieval included (1,990 characters, just under MAX_QUESTION_CHARS)
  draft-evals     `--prd FILE`: the PRD read from disk and the deterministic draft (text PRDs of 40 kB, and
                  DOCX, PDF and HTML bombs against ordinary files of the same size on disk)
  Slack ack       signed `/pm error …` and `/pm …` against `pm-copilot serve --http` in a subprocess
Each cell is the median of --rounds runs; the ratio is pathological / ordinary (the goal: at most 3).
Then --helps `/pm help` acks are sent while pathological `/pm error` messages are being processed by the
same server: every one should stay under 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bot.answers.answer import answer_question
from bot.config import load_settings
from bot.evalplans import draft_evals, read_prd
from bot.exceptions import PMCopilotError
from bot.explain.catalog import ErrorCatalog
from bot.explain.explain import explain_error
from bot.wiring import build_deps
from tests.benchmarks.bench_slack_ack import _free_port, _percentile, clear_prefix, start_server, wait_ready
from tests.slack_api import SlackAPI
from tests.slack_harness import command_body, signed_headers
from tests.test_loaders import docx_bomb, make_docx, make_flate_pdf, make_pdf, nested_html

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__file__).resolve().parent / ".cache" / "hostile"
ORDINARY_SOURCE = "\n\n".join(path.read_text() for path in sorted((ROOT / "knowledge" / "prds").glob("*.md")))

# One generator per class of pathological text found in the hardening issue; each returns exactly n characters.
TEXT_CLASSES: dict[str, Callable[[int], str]] = {
    "dash runs (a-a-a-…)": lambda n: ("a-" * n)[:n],
    "heading + spaces": lambda n: ("# a" + " " * (n - 4) + "x")[:n],
    "whitespace runs": lambda n: ("a" + " " * (n - 2) + "b")[:n],
    "dotted names (a.a.a…)": lambda n: ("a." * n)[:n],
    "JWT-like (eyJ….….…)": lambda n: ("eyJ" + "aaaaaaaa." * n)[:n],
    "Slack markup (<<<…)": lambda n: ("<@" * n)[:n],
    "link brackets ([a](…)": lambda n: ("[a](" * n)[:n],
    "backticks": lambda n: ("`a" * n)[:n],
    "emphasis (*_*_…)": lambda n: ("*_" * n)[:n],
    "secret-word keys": lambda n: ("api_key-token-secret-" * n)[:n],
}


def ordinary(n: int) -> str:
    """n characters of real PRD prose."""
    return (ORDINARY_SOURCE * (n // len(ORDINARY_SOURCE) + 1))[:n]


def compare(surface: str, size: int, call: Callable[[str], object], rounds: int) -> list[tuple[str, str, float, float]]:
    """One row per pathological class: (surface, class, ordinary ms, pathological ms) at `size` characters."""
    plain = median_ms(lambda: call(ordinary(size)), rounds)
    return [
        (surface, name, plain, median_ms(lambda make=make: call(make(size)), rounds))
        for name, make in TEXT_CLASSES.items()
    ]


def median_ms(call: Callable[[], object], rounds: int) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        with contextlib.suppress(PMCopilotError):  # a refusal is an outcome too; it costs what it costs
            call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


# -- files ------------------------------------------------------------------------------------------
def _pad_to(data: bytes, size: int, make: Callable[[int], bytes]) -> bytes:
    """Grow an ordinary file (by adding text) until it is at least `size` bytes on disk, like the bomb."""
    count = 1
    while len(data) < size:
        count *= 2
        data = make(count)
    return data


def file_cases(folder: Path) -> list[tuple[str, Path, Path]]:
    """(class, bomb, ordinary file of at least the bomb's size on disk), written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)

    def words(n: int) -> list[str]:
        return ordinary(n * 4000).split()

    def lines(n: int, per_line: int) -> list[str]:
        chosen = words(n)
        return [" ".join(chosen[i : i + per_line]) for i in range(0, len(chosen), per_line)]

    cases: list[tuple[str, bytes, Callable[[int], bytes], str]] = [
        (
            "DOCX with a 150 MB part",
            docx_bomb(150),
            lambda n: make_docx(line.encode() for line in lines(n, 60)),
            ".docx",
        ),
        (
            "PDF with a 1 MB content stream",
            make_flate_pdf(b"BT /F1 1 Tf " + b"0 0 Td (a) Tj " * 70_000 + b"ET"),
            lambda n: make_pdf([line.replace("(", "").replace(")", "") for line in lines(n, 12)]),
            ".pdf",
        ),
        (
            "HTML nested 50,000 deep",
            nested_html(50_000),
            lambda n: ("<html><body>" + "".join(f"<p>{line}</p>" for line in lines(n, 30)) + "</body></html>").encode(),
            ".html",
        ),
    ]
    out = []
    for index, (name, bomb, make, suffix) in enumerate(cases):
        bomb_path = folder / f"bomb-{index}{suffix}"
        bomb_path.write_bytes(bomb)
        plain_path = folder / f"ordinary-{index}{suffix}"
        plain_path.write_bytes(_pad_to(make(1), len(bomb), make))
        out.append((name, bomb_path, plain_path))
    return out


# -- the Slack ack path -----------------------------------------------------------------------------
def ack_ms(http: httpx.Client, slack: SlackAPI, text: str, user: str = "UBENCH") -> float:
    body = command_body(text, slack.response_url(), user=user)
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    started = time.perf_counter()
    response = http.post("/slack/events", content=body, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"ack failed: {response.status_code} {response.text[:200]}")
    return elapsed


def slack_rows(rounds: int, helps: int) -> tuple[list[tuple[str, str, float, float]], list[float], float]:
    slack = SlackAPI()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    prefix = f"pmc-bench-{uuid.uuid4().hex[:8]}"
    server = start_server(slack, port, prefix)
    rows = []
    try:
        wait_ready(url, server)
        with httpx.Client(base_url=url, timeout=30) as http:
            rows += compare("Slack ack: /pm error", 7990, lambda text: ack_ms(http, slack, f"error {text}"), rounds)
            rows += compare("Slack ack: /pm ask", 1990, lambda text: ack_ms(http, slack, text), rounds)
        # /pm help acks while the workers chew on pathological /pm error messages.
        hostile_texts = [f"error {make(7990)}" for make in TEXT_CLASSES.values()] * 10
        help_acks: list[float] = []
        began = time.perf_counter()
        with httpx.Client(base_url=url, timeout=30) as flood, httpx.Client(base_url=url, timeout=30) as helper:
            stop = threading.Event()

            def flood_errors() -> None:
                for number, text in enumerate(hostile_texts):
                    if stop.is_set():
                        return
                    ack_ms(flood, slack, text, f"UF{number}")

            with ThreadPoolExecutor(1) as pool:
                flooding = pool.submit(flood_errors)
                for number in range(helps):
                    help_acks.append(ack_ms(helper, slack, "help", f"UH{number % 20}"))
                stop.set()
                flooding.result()
        return rows, help_acks, time.perf_counter() - began
    finally:
        server.terminate()
        server.wait(timeout=60)
        slack.close()
        clear_prefix(prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per cell; the median is reported")
    parser.add_argument("--helps", type=int, default=100, help="/pm help acks sent during the hostile flood")
    parser.add_argument("--skip-slack", action="store_true", help="only the in-process surfaces")
    args = parser.parse_args()

    CACHE.mkdir(parents=True, exist_ok=True)
    # No answer cache: every round must do the work, not read the first round's answer back.
    settings = load_settings(knowledge_dir=ROOT / "knowledge", data_dir=CACHE, redis_url=None, answer_cache=False)
    deps = build_deps(settings)
    if deps.index.count() == 0:
        deps.index.reindex()
    catalog = ErrorCatalog.for_knowledge(settings.knowledge_dir)
    max_bytes = int(settings.max_file_mb * 1_000_000)
    rows: list[tuple[str, str, float, float]] = []

    surfaces: list[tuple[str, int, Callable[[str], object]]] = [
        ("explain-error", 7990, lambda text: explain_error(catalog, text, None)),
        ("ask", 1990, lambda text: answer_question(deps, text)),
    ]
    for surface, size, call in surfaces:
        rows += compare(surface, size, call, args.rounds)

    prd_dir = CACHE / "prds"
    prd_dir.mkdir(parents=True, exist_ok=True)
    plain_prd = prd_dir / "ordinary.md"
    plain_prd.write_text(ordinary(40_000))

    def draft(path: Path) -> object:
        return draft_evals(deps, "AI summary of support tickets", read_prd(path, max_bytes))

    plain = median_ms(lambda: draft(plain_prd), args.rounds)
    for index, (name, make) in enumerate(TEXT_CLASSES.items()):
        hostile_prd = prd_dir / f"hostile-{index}.md"
        hostile_prd.write_text(make(40_000))
        hostile = median_ms(lambda p=hostile_prd: draft(p), args.rounds)
        rows.append(("draft-evals --prd (40 kB .md)", name, plain, hostile))
    for name, bomb, plain_file in file_cases(CACHE / "files"):
        size = f"{bomb.stat().st_size / 1000:.0f} kB"
        rows.append(
            (
                f"draft-evals --prd ({size} {bomb.suffix})",
                name,
                median_ms(lambda p=plain_file: draft(p), args.rounds),
                median_ms(lambda p=bomb: draft(p), args.rounds),
            )
        )

    help_acks: list[float] = []
    flood_s = 0.0
    if not args.skip_slack:
        slack, help_acks, flood_s = slack_rows(args.rounds, args.helps)
        rows += slack

    print(f"Hostile input vs the same amount of ordinary input; median of {args.rounds} runs per cell.\n")
    print("| surface | pathological class | ordinary ms | pathological ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for surface, name, plain, hostile in rows:
        print(f"| {surface} | {name} | {plain:.2f} | {hostile:.2f} | {hostile / plain:.2f} |")
    worst = max(rows, key=lambda row: row[3] / row[2])
    print(f"\nworst ratio: {worst[3] / worst[2]:.2f} ({worst[0]}, {worst[1]})")
    if help_acks:
        print(
            f"\n{len(help_acks)} `/pm help` acks during a flood of pathological `/pm error` messages "
            f"({flood_s:.1f} s): "
            f"p50 {statistics.median(help_acks):.1f} ms, p99 {_percentile(help_acks, 0.99):.1f} ms, "
            f"max {max(help_acks):.1f} ms, over 1 s: {sum(ms > 1000 for ms in help_acks)}"
        )


if __name__ == "__main__":
    main()
