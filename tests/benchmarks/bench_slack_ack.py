"""Slack ack latency: signed `/pm` requests against a running `pm-copilot serve --http`, at 1 and 20 in flight.

Run: .venv/bin/python -m tests.benchmarks.bench_slack_ack [--runs N] [--requests N] [--answers hit|miss]

The server is the real process (waitress, Bolt, the local model, Redis at 127.0.0.1:6379 under a
throwaway prefix), its Web API pointed at a loopback fake Slack. Each ack is timed client-side,
from send to the last byte, from a separate process (so the fake Slack's threads don't share the
timer's GIL). The answers run in the server's background workers meanwhile, as in production,
and every question must arrive at its response_url before the next load shape starts.

Three load shapes, side by side:
  steady, 1 in flight    one request at a time, the next as soon as the ack arrives
  steady, 20 in flight   20 connections, each sending its next request as soon as its ack arrives:
                         the machine's throughput limit, so latency ≈ 20 / acks per second
  bursts of 20           20 requests at the same instant, then a pause while the answers go out:
                         20 PMs running /pm together
Slack's limit is 3 s; the goal is p99 < 50 ms. The bundled knowledge is indexed once into
tests/benchmarks/.cache/slack and reused.

What runs behind the acks (`--answers`):
  hit   the timed questions repeat the warm-up's, so every answer behind an ack is an answer-cache hit
  miss  every timed question is new, so every answer behind an ack retrieves and writes afresh
`--runs N` repeats the three shapes N times against the same server, prints each run, then each
cell's median over the runs.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import redis

from tests.slack_api import SlackAPI
from tests.slack_harness import SIGNING_SECRET, command_body, signed_headers

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(__file__).resolve().parent / ".cache" / "slack"
QUESTIONS = [line.strip() for line in (ROOT / "tests" / "golden" / "answerable.txt").read_text().splitlines() if line]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BURST_PAUSE_S = 0.5

Prepared = list[tuple[bytes, dict[str, str]]]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(slack: SlackAPI, port: int, prefix: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_", "PM_", "OPENAI_"))},
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "DATA_DIR": str(CACHE),
        "REDIS_URL": REDIS_URL,
        "CACHE_PREFIX": prefix,
        "RATE_LIMIT_PER_MINUTE": "0",
        "LOG_LEVEL": "ERROR",
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http", "--port", str(port)], env=env, cwd=ROOT)


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout_s: float = 900) -> float:
    started = time.monotonic()
    with httpx.Client(base_url=url, timeout=5) as http:
        while time.monotonic() - started < timeout_s:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}")
            try:
                if http.get("/readyz").status_code == 200:
                    return time.monotonic() - started
            except httpx.TransportError:
                pass
            time.sleep(0.5)
    raise SystemExit("the server never became ready")


def send(url: str, prepared: Prepared, in_flight: int, burst: bool) -> tuple[list[float], int, float]:
    """Send the signed requests over `in_flight` keep-alive connections; ack times (ms), non-200s, seconds.

    steady: each connection sends its next request as soon as its ack arrives.
    burst: all connections send together, then pause BURST_PAUSE_S, until the requests run out.
    """
    host, port = url.removeprefix("http://").split(":")
    batches = [prepared[start : start + in_flight] for start in range(0, len(prepared), in_flight)]
    pending = iter(prepared)
    lock = threading.Lock()
    start_line = threading.Barrier(in_flight)
    timings: list[float] = []
    failures = 0

    def post(connection: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> None:
        nonlocal failures
        started = time.perf_counter()
        connection.request("POST", "/slack/events", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            timings.append(elapsed)
            failures += response.status != 200

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            if burst:
                for batch in batches:
                    start_line.wait()
                    if slot < len(batch):
                        post(connection, *batch[slot])
                    if slot == 0:
                        time.sleep(BURST_PAUSE_S)  # the others wait at the start line meanwhile
                return
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                post(connection, *item)
        finally:
            connection.close()

    began = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(in_flight)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return timings, failures, time.perf_counter() - began


def run(
    url: str, slack: SlackAPI, in_flight: int, requests: int, burst: bool, fresh: str = ""
) -> tuple[list[float], int, float]:
    """Sign `requests` /pm commands (each with its own response_url), then send them from a child process.

    fresh: when set, each question gets a unique suffix, so no answer behind the acks is a cache hit.
    """
    prepared = []
    for index in range(requests):
        question = QUESTIONS[index % len(QUESTIONS)] + (f" ({fresh} {index})" if fresh else "")
        body = command_body(question, slack.response_url(), user=f"UB{index % 50}")
        prepared.append((body, signed_headers(body, "application/x-www-form-urlencoded")))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(send, (url, prepared, in_flight, burst))


def wait_answered(slack: SlackAPI, sent: int, timeout_s: float = 900) -> None:
    """Wait until each /pm sent so far has its answer at its own response_url."""
    deadline = time.monotonic() + timeout_s
    while len({call.path for call in slack.calls("response_url")}) < sent:
        if time.monotonic() > deadline:
            raise SystemExit("not every question was answered")
        time.sleep(0.2)


def clear_prefix(prefix: str) -> None:
    """Delete what a benchmark server wrote to Redis under its throwaway prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


Row = tuple[str, int, list[float], int, float]


def cells(row: Row) -> dict[str, float]:
    name, _, timings, failures, seconds = row
    return {
        "p50": statistics.median(timings),
        "p99": _percentile(timings, 0.99),
        "max": max(timings),
        "rate": float("nan") if name.startswith("bursts") else len(timings) / seconds,
        "non-200": failures,
    }


def table(title: str, rows: list[tuple[str, int, int, dict[str, float]]]) -> None:
    print(f"\n{title}\n")
    print("| load | in flight | requests | p50 | p99 | max | acks/s | non-200 |")
    print("|---|---|---|---|---|---|---|---|")
    for name, in_flight, requests, values in rows:
        rate = "—" if values["rate"] != values["rate"] else f"{values['rate']:.0f}"
        print(
            f"| {name} | {in_flight} | {requests} | {values['p50']:.1f} ms | {values['p99']:.1f} ms | "
            f"{values['max']:.1f} ms | {rate} | {values['non-200']:g} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="repeat the three load shapes this many times")
    parser.add_argument("--requests", type=int, default=600, help="timed requests per load shape")
    parser.add_argument("--warmup", type=int, default=100, help="untimed requests first (fills the answer cache)")
    parser.add_argument(
        "--answers",
        choices=["hit", "miss"],
        default="hit",
        help="hit: the answers behind the acks come from the answer cache; miss: every question is new",
    )
    args = parser.parse_args()

    CACHE.mkdir(parents=True, exist_ok=True)
    slack = SlackAPI()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    prefix = f"pmc-bench-{uuid.uuid4().hex[:8]}"
    server = start_server(slack, port, prefix)
    shapes = [("steady", 1, False), ("steady", 20, False), ("bursts of 20", 20, True)]
    runs: list[list[Row]] = []
    try:
        ready_s = wait_ready(url, server)
        run(url, slack, 4, args.warmup, burst=False)
        sent = args.warmup
        for number in range(1, args.runs + 1):
            rows: list[Row] = []
            for name, in_flight, burst in shapes:
                wait_answered(slack, sent)  # start each shape from a quiet server
                fresh = f"run {number} {name} {in_flight}" if args.answers == "miss" else ""
                rows.append((name, in_flight, *run(url, slack, in_flight, args.requests, burst, fresh)))
                sent += args.requests
            wait_answered(slack, sent)
            runs.append(rows)
    finally:
        server.terminate()
        server.wait(timeout=60)
        slack.close()
        clear_prefix(prefix)

    behind = {
        "hit": "every answer behind the acks an answer-cache hit",
        "miss": "every question new, so every answer behind the acks a cache miss",
    }[args.answers]
    print(
        f"Slack /pm ack latency: {args.requests} signed requests per load shape against `pm-copilot serve --http` "
        f"(waitress, Bolt, real model, Redis), {behind}; {os.cpu_count()} cores shared by server, load generator "
        f"and fake Slack; server ready in {ready_s:.0f} s; all {sent} questions then answered at their response_url."
    )
    for number, rows in enumerate(runs, 1):
        table(f"Run {number} of {len(runs)}:", [(row[0], row[1], len(row[2]), cells(row)) for row in rows])
    if len(runs) > 1:
        medians = []
        for index, (name, in_flight, _) in enumerate(shapes):
            per_run = [cells(rows[index]) for rows in runs]
            keys = per_run[0].keys()
            medians.append(
                (name, in_flight, args.requests, {k: statistics.median(v[k] for v in per_run) for k in keys})
            )
        table(f"Median of the {len(runs)} runs, cell by cell:", medians)
        for index, (name, in_flight, _) in enumerate(shapes):
            p99s = ", ".join(f"{cells(rows[index])['p99']:.1f}" for rows in runs)
            print(f"\n{name}, {in_flight} in flight: p99 per run {p99s} ms", end="")
        print()


if __name__ == "__main__":
    main()
