"""Load: signed /pm requests against a running `pm-copilot serve`, N in flight; ack latency and memory.

Run: .venv/bin/python -m tests.benchmarks.bench_load [--requests 200] [--in-flight 20]

`serve --http` runs as a subprocess, exactly as deployed: the real local model, real Redis
(127.0.0.1:6379, a throwaway key prefix), embedded Chroma and a loopback Slack Web API that
receives every answer at its response_url. Each request comes from one of 50 users (so the
per-user rate limit stays in force) and asks a question no other request asks, so none is served
from the answer cache: every one embeds the query and retrieves. Prints a Markdown table:
errors, ack p50/p99/max, answer p50/p99, and the server's RSS before the load, after the warm-up
requests, and at the end.

An error is a non-200 ack, an ack that isn't the ephemeral "working" note, an answer that never
arrives, or an answer that apologizes. Slack gives an ack 3 s.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from tests.local_servers import free_port
from tests.slack_api import SlackAPI
from tests.slack_harness import SIGNING_SECRET, command_body, signed_headers

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = HERE / ".cache" / "load"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ACK_LIMIT_S = 3.0
FORM = "application/x-www-form-urlencoded"

QUESTIONS = [
    "What should we measure before launching an AI summarizer?",
    "How do we set a launch threshold for hallucination rate?",
    "What is a fallback rate?",
    "How should we handle 429s from the LLM provider?",
    "Who owns the eval set?",
    "What is token efficiency?",
    "How do we evaluate a RAG feature?",
    "What belongs in an AI feature PRD?",
    "How do we measure groundedness?",
    "When should a human review AI output?",
    "How do we keep p95 latency in check?",
    "What does the playbook say about cost per query?",
    "How do we run an A/B test for an AI feature?",
    "What are the risks of prompt injection?",
    "How do we build user trust in AI answers?",
    "What goes into a model card?",
    "How do we pick between two LLM providers?",
    "What is a golden dataset?",
    "How often should we re-run evals?",
    "What should an AI PM know about embeddings?",
]
FEATURES = ["support", "search", "onboarding", "billing", "sales", "HR", "legal", "marketing", "docs", "analytics"]


def question(number: int) -> str:
    """200 distinct questions (20 topics x 10 features), so every request retrieves instead of hitting the cache."""
    topic = QUESTIONS[number % len(QUESTIONS)].rstrip("?")
    return f"{topic} for the {FEATURES[number // len(QUESTIONS) % len(FEATURES)]} assistant?"


@dataclass
class LoadResult:
    requests: int
    in_flight: int
    ack_s: list[float] = field(default_factory=list)
    answer_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def slow_acks(self) -> int:
        return sum(seconds >= ACK_LIMIT_S for seconds in self.ack_s)

    def table(self) -> str:
        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

        rows = [
            ("requests", f"{self.requests} ({self.in_flight} in flight), {self.seconds:.1f} s"),
            ("errors", str(len(self.errors))),
            ("acks over 3 s", str(self.slow_acks)),
            (
                "ack p50 / p99 / max",
                f"{1000 * pct(self.ack_s, 0.5):.0f} / {1000 * pct(self.ack_s, 0.99):.0f} / "
                f"{1000 * max(self.ack_s, default=float('nan')):.0f} ms",
            ),
            ("answer p50 / p99", f"{pct(self.answer_s, 0.5):.2f} / {pct(self.answer_s, 0.99):.2f} s"),
            (
                "RSS start / warm / end",
                f"{self.rss_mb['start']:.0f} / {self.rss_mb['warm']:.0f} / "
                f"{self.rss_mb['end']:.0f} MB (peak {self.rss_mb['peak']:.0f})",
            ),
        ]
        return "\n".join(["| measure | value |", "|---|---|", *[f"| {name} | {value} |" for name, value in rows]])


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class RssSampler:
    """Samples a process's RSS every `every_s` in a thread; `now()` for a reading at a moment of interest."""

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid = pid
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)

    def _run(self, every_s: float) -> None:
        while not self._stop.wait(every_s):
            with contextlib.suppress(OSError, RuntimeError):
                self.samples.append(rss_mb(self.pid))

    def now(self) -> float:
        return rss_mb(self.pid)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


@contextlib.contextmanager
def serving(api: SlackAPI, knowledge: Path, data_dir: Path, log_path: Path, **env: str) -> Iterator[tuple[str, int]]:
    """`pm-copilot serve --http` in a subprocess, ready (GET /readyz is 200); yields (base URL, pid)."""
    port = free_port()
    prefix = f"pmc-load-{uuid.uuid4().hex[:8]}"
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "OPENAI_"))},
        "SLACK_BOT_TOKEN": api.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.api_url,
        "PORT": str(port),
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": prefix,
        "KNOWLEDGE_DIR": str(knowledge),
        "DATA_DIR": str(data_dir),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 600
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"serve exited with {process.returncode}: {log_path.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("serve wasn't ready within 600 s")
                time.sleep(0.25)
            yield url, process.pid
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()


def run_load(
    url: str, pid: int, api: SlackAPI, requests: int = 200, in_flight: int = 20, warmup: int = 50
) -> LoadResult:
    """Fire `requests` signed /pm commands, `in_flight` at a time; wait for every answer."""
    result = LoadResult(requests=requests, in_flight=in_flight)
    sent: dict[str, float] = {}  # response_url path -> when the request went out
    lock = threading.Lock()
    http = httpx.Client(base_url=url, timeout=30, limits=httpx.Limits(max_connections=in_flight))

    def one(number: int) -> None:
        response_url = api.response_url()
        body = command_body(question(number), response_url, user=f"U{number % 50:04d}")
        sent_at, started = time.monotonic(), time.perf_counter()
        try:
            response = http.post("/slack/events", content=body, headers=signed_headers(body, FORM))
        except httpx.HTTPError as error:
            with lock:
                result.errors.append(f"request {number}: {type(error).__name__}")
            return
        elapsed = time.perf_counter() - started
        with lock:
            result.ack_s.append(elapsed)
            sent[response_url.removeprefix(api.url)] = sent_at
            if response.status_code != 200:
                result.errors.append(f"request {number}: HTTP {response.status_code}")
            elif response.json().get("response_type") != "ephemeral":
                result.errors.append(f"request {number}: unexpected ack {response.text[:100]}")

    def answered() -> dict[str, tuple[float, str]]:
        first: dict[str, tuple[float, str]] = {}
        for call in api.calls("response_url"):
            first.setdefault(call.path, (call.at, str(call.params.get("text", ""))))
        return first

    def wait_for_answers(count: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while len(answered()) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    with RssSampler(pid) as rss, ThreadPoolExecutor(in_flight, thread_name_prefix="load") as pool:
        result.rss_mb["start"] = rss.now()
        started = time.perf_counter()
        list(pool.map(one, range(warmup)))
        wait_for_answers(warmup, 120)
        result.rss_mb["warm"] = rss.now()
        list(pool.map(one, range(warmup, requests)))
        wait_for_answers(requests, 180)
        result.seconds = time.perf_counter() - started
        result.rss_mb["end"] = rss.now()
        result.rss_mb["peak"] = max([*rss.samples, result.rss_mb["end"]])
    http.close()

    arrivals = answered()
    for path, started_at in sent.items():
        if path not in arrivals:
            result.errors.append(f"{path}: no answer")
            continue
        at, text = arrivals[path]
        result.answer_s.append(at - started_at)  # both time.monotonic()
        if "something went wrong" in text or "couldn't finish" in text:
            result.errors.append(f"{path}: {text[:120]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()

    # The bundled knowledge is indexed once into the cache (about a minute on 2 cores), then reused.
    CACHE.mkdir(parents=True, exist_ok=True)
    api = SlackAPI()
    scratch = Path(tempfile.mkdtemp(prefix="pmc-load-"))
    try:
        with serving(api, args.knowledge.resolve(), CACHE / "data", scratch / "serve.log") as (url, pid):
            result = run_load(url, pid, api, args.requests, args.in_flight, args.warmup)
    finally:
        api.close()
    print(result.table())
    for error in result.errors[:20]:
        print(f"error: {error}", file=sys.stderr)
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if result.errors or result.slow_acks else 0)


if __name__ == "__main__":
    main()
