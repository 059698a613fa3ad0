"""Answer quality on the golden set, extractive and generated (a loopback endpoint), side by side.

Run: .venv/bin/python -m tests.benchmarks.bench_answer_quality [--golden FILE]

The bundled knowledge (the repo's knowledge/ with the built-in playbook) is indexed with the real
local model into tests/benchmarks/.cache/answers (reused by later runs). The extractive column is
`pm-copilot eval answers` offline. The generated column is the same eval with the LLM at the
loopback OpenAI endpoint of tests/openai_server.py, whose scripted reply (the answer prompt's JSON
claims) quotes sources [1] and [2] and adds one claim with an invented quote for every question: it
checks the pipeline (retrieval, the decline, the prompt, the real openai client, the quote check
and citation renumbering), not a model. Set OPENAI_API_KEY and run `pm-copilot eval
answers` to measure a real model.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from bot.config import load_settings
from bot.core.llm import LLM
from bot.quality.answers import evaluate, load_golden
from bot.wiring import Deps, build_deps
from tests.openai_server import quoting, responding, running

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__file__).resolve().parent / ".cache" / "answers"
GOLDEN = ROOT / "tests" / "golden" / "answers.yaml"
# What the loopback model writes for every question: a claim quoting each of sources 1 and 2, and one
# claim whose quote source 1 doesn't hold (the quote check drops it).
INVENTED = ("The vendor agrees.", 1, "the vendor agrees with every figure on this page")
SCRIPTED = quoting([1, 2], invented=INVENTED)

ROWS = [
    ("expected source cited", "expected_source_cited"),
    ("answered when answerable", "answered_when_answerable"),
    ("declined when unanswerable", "declined_when_unanswerable"),
    ("fabricated citations in final answers", "fabricated_citations"),
    ("invented citations the filter dropped", "citations_dropped"),
]


def bundled_deps() -> Deps:
    """The bundled knowledge indexed with the local model (incrementally: a rerun embeds nothing)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=CACHE, knowledge_dir=ROOT / "knowledge", builtin_playbook=True)
    deps = build_deps(settings)
    deps.index.reindex()
    return deps


def with_llm(deps: Deps, base_url: str) -> Deps:
    """The same deps with generation on, at `base_url`."""
    settings = deps.settings.model_copy(
        update={"openai_api_key": "sk-bench-loopback-000000000000", "openai_base_url": base_url}
    )
    return dataclasses.replace(deps, settings=settings, llm=LLM(settings))


def scores(golden: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The golden-set report, extractive then generated."""
    cases = load_golden(golden)
    deps = bundled_deps()
    extractive = evaluate(deps, cases).as_dict()
    with running() as server:
        server.default = responding(SCRIPTED)
        generated = evaluate(with_llm(deps, server.base_url), cases).as_dict()
        assert server.calls, "the generated column never reached the loopback endpoint"
    return extractive, generated


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--golden", type=Path, default=GOLDEN, help="the golden set (YAML)")
    args = parser.parse_args()
    extractive, generated = scores(args.golden)
    print(
        f"{args.golden.relative_to(ROOT) if args.golden.is_relative_to(ROOT) else args.golden}: "
        f"{extractive['answerable']} answerable questions, {extractive['unanswerable']} unanswerable\n"
    )
    print("| | extractive (offline) | generated (loopback endpoint) |")
    print("|---|---:|---:|")
    for label, key in ROWS:
        print(f"| {label} | {extractive[key]} | {generated[key]} |")
    print(f"\nmisses: extractive {extractive['misses']}, generated {generated['misses']}")


if __name__ == "__main__":
    main()
