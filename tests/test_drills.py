"""Failure drills: what production promises, measured against real servers that die and come back.

Every drill runs the real Bolt app behind waitress (tests/slack_harness.py), a loopback Slack Web
API, real Redis (the machine's, or a private redis-server that the drill kills) and a real Chroma
server (`chroma run` on a free port). Only the network edges are fakes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers.answer import answer_question
from bot.ops.scheduler import ReindexScheduler
from tests.conftest import REDIS_URL, HashingEmbeddings, MakeSlackHarness, run_cli, write
from tests.local_servers import ChromaServer, RedisServer, SilentServer, free_port
from tests.slack_api import Call, SlackAPI
from tests.slack_harness import SIGNING_SECRET, SlackHarness, command_body, event_body, mention, new_ts

pytestmark = pytest.mark.slow

QUESTIONS = [
    "What should we measure before launching the summarizer?",
    "How do we keep chat latency low?",
    "Which evals prove groundedness?",
    "What is the goal of the summarizer PRD?",
]
SEARCH_UNAVAILABLE = "Search is unavailable right now"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    write(root, "playbook/evals.md", "# Evals\n\n## Groundedness\n\nMeasure groundedness and citation accuracy.")
    write(root, "playbook/latency.md", "# Latency\n\n## Chat\n\nKeep chat latency low: p95 under two seconds.")
    write(root, "prds/summarizer.md", "# Summarizer PRD\n\n## Goal\n\nMeasure time saved on long support tickets.")
    return root


MakeReplica = Callable[..., SlackHarness]


@pytest.fixture
def make_replica(make_slack_harness: MakeSlackHarness, folder: Path, tmp_path: Path) -> MakeReplica:
    """One bot replica: its own DATA_DIR, process state and HTTP server; the shared services from settings."""
    model = HashingEmbeddings()
    collection = f"drill-{uuid.uuid4().hex[:8]}"
    numbers = itertools.count()

    def factory(**overrides: Any) -> SlackHarness:
        settings = {
            "chroma_collection": collection,
            "data_dir": tmp_path / f"replica-{next(numbers)}",
            "min_evidence": 0.0,
            "rate_limit_per_minute": 0,
            **overrides,
        }
        return make_slack_harness(folder, model, indexed=False, **settings)

    return factory


def ask(replica: SlackHarness, slack: SlackAPI, question: str) -> str:
    """/pm question; the text of the answer that arrives at its response_url."""
    response, response_url = replica.command(question)
    assert response.status_code == 200, response.text
    path = response_url.removeprefix(slack.url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [call for call in slack.calls("response_url") if call.path == path]
        if found:
            return reply_text(found[-1])
        time.sleep(0.05)
    raise AssertionError(f"no answer to {question!r}")


def reply_text(call: Call) -> str:
    """What the user reads: the text, each section and each context line (the Sources block is one)."""
    parts = [str(call.params.get("text", ""))]
    for block in call.json("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [
            str(element.get("text", "")) for element in block.get("elements", []) if element.get("type") == "mrkdwn"
        ]
    return "\n".join(parts)


KNOWLEDGE_PATHS = ("playbook/evals.md", "playbook/latency.md", "prds/summarizer.md")


def assert_answered(reply: str) -> None:
    """A real answer: a Sources block citing the knowledge folder, and no apology or outage message."""
    assert "*Sources*" in reply and any(f"`{path}`" in reply for path in KNOWLEDGE_PATHS), reply
    assert SEARCH_UNAVAILABLE not in reply and "something went wrong" not in reply, reply


def readyz(replica: SlackHarness) -> tuple[int, dict[str, Any]]:
    response = replica.http.get("/readyz")
    report: dict[str, Any] = response.json()
    return response.status_code, report


def deliver_concurrently(deliveries: list[Callable[[], httpx.Response]]) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(len(deliveries))

    def run(delivery: Callable[[], httpx.Response]) -> None:
        barrier.wait()
        statuses.append(delivery().status_code)

    threads = [threading.Thread(target=run, args=(delivery,)) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


# -- two replicas, one Redis ------------------------------------------------------------------


def test_two_replicas_answer_an_event_delivered_six_times_exactly_once(
    make_replica: MakeReplica, slack: SlackAPI, chroma: ChromaServer
) -> None:
    first, second = make_replica(chroma_url=chroma.url), make_replica(chroma_url=chroma.url)
    first.deps.index.reindex()
    event = mention(QUESTIONS[0])

    # Slack's first delivery and two retries, each landing on both replicas behind the load balancer.
    statuses = deliver_concurrently(
        [
            lambda replica=replica, retry=retry: replica.event(event, event_id="Ev0DRILL", retry=retry)
            for replica in (first, second)
            for retry in (None, 1, 2)
        ]
    )

    assert statuses == [200] * 6
    slack.wait_for("chat.postMessage")
    slack.settle(quiet_s=1.0)
    answers = [call for call in slack.calls("chat.postMessage") if call.params.get("thread_ts") == event["ts"]]
    assert len(answers) == 1, [call.params.get("text") for call in answers]


def test_two_replicas_run_a_scheduled_reindex_once(
    make_replica: MakeReplica, slack: SlackAPI, chroma: ChromaServer
) -> None:
    replicas = [make_replica(chroma_url=chroma.url, reindex_report_channel="C0OPS") for _ in range(2)]
    schedulers = [ReindexScheduler(replica.deps, replica=f"replica-{n}") for n, replica in enumerate(replicas)]
    slot = datetime(2026, 5, 6, 2, 0, tzinfo=UTC)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def fire(scheduler: ReindexScheduler) -> None:
        barrier.wait()
        outcomes.append(scheduler.run_slot(slot).status)

    threads = [threading.Thread(target=fire, args=(scheduler,)) for scheduler in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["done", "taken"]
    assert len(slack.calls("chat.postMessage")) == 1
    assert {replica.deps.index.version(fresh=True) for replica in replicas} == {1}


def test_no_state_another_replica_needs_lives_in_a_process(
    make_replica: MakeReplica, slack: SlackAPI, chroma: ChromaServer
) -> None:
    """The answer cache and the per-user rate limit hold across replicas, as Slack spreads requests over them."""
    first, second = (make_replica(chroma_url=chroma.url, rate_limit_per_minute=3) for _ in range(2))
    first.deps.index.reindex()

    assert not answer_question(first.deps, QUESTIONS[2]).cached
    assert answer_question(second.deps, QUESTIONS[2]).cached  # cached by the other replica

    replies = [
        ask(replica, slack, question) for replica, question in zip([first, second, first], QUESTIONS[:3], strict=True)
    ]
    assert not [reply for reply in replies if "faster than I can keep up" in reply]
    assert "at most 3 requests a minute" in ask(second, slack, QUESTIONS[3])  # the 4th, on either replica


# -- scale-out: every read and write goes to the Chroma server ----------------------------------


def test_with_chroma_url_every_replica_reads_what_one_wrote(
    make_replica: MakeReplica, chroma: ChromaServer, folder: Path
) -> None:
    writer, reader = make_replica(chroma_url=chroma.url), make_replica(chroma_url=chroma.url)
    report = writer.deps.index.reindex()
    assert report.added == 3

    hits = reader.deps.retriever.search("groundedness citation accuracy", k=3)
    assert hits and hits[0].path == "playbook/evals.md"
    assert reader.deps.index.version(fresh=True) == writer.deps.index.version(fresh=True) == 1
    first = answer_question(reader.deps, QUESTIONS[1])
    assert answer_question(reader.deps, QUESTIONS[1]).cached

    write(folder, "prds/search.md", "# Search PRD\n\n## Goal\n\nSemantic search over the help center articles.")
    assert writer.deps.index.reindex().added == 1
    time.sleep(2.1)  # replicas re-read the version at most every 2 s
    assert reader.deps.retriever.search("semantic search help center", k=1)[0].path == "prds/search.md"
    # The new version retires every replica's cached answers.
    again = answer_question(reader.deps, QUESTIONS[1])
    assert not again.cached and first.answered
    # Nothing went to an embedded store on either replica.
    for replica in (writer, reader):
        assert not (replica.deps.settings.data_dir / "chroma").exists()


# -- Redis dies mid-run -----------------------------------------------------------------------


def test_redis_dies_and_returns(
    make_replica: MakeReplica, slack: SlackAPI, tmp_path: Path, redis_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server = RedisServer(log_path=tmp_path / "redis.log")
    server.start()
    try:
        replica = make_replica(redis_url=server.url)
        replica.deps.index.reindex()
        direct = redis.Redis.from_url(server.url, decode_responses=True)
        assert_answered(ask(replica, slack, QUESTIONS[0]))
        assert direct.keys(f"{redis_prefix}:answer:*"), "answers are cached while Redis is up"
        assert readyz(replica)[1]["redis"] == "ok"

        server.kill()
        # Questions keep being answered, without the cache, and the log says why once.
        for question in QUESTIONS[1:3]:
            assert_answered(ask(replica, slack, question))
        assert sum("redis unavailable" in record.getMessage() for record in caplog.records) == 1
        status, report = readyz(replica)
        assert status == 200 and report["ready"] and report["degraded"] == ["redis"], report
        # Dedup still holds within this replica while Redis is away.
        event = mention(QUESTIONS[3])
        deliver_concurrently([lambda retry=retry: replica.event(event, "Ev0OUTAGE", retry) for retry in (None, 1, 2)])
        slack.wait_for("chat.postMessage")
        slack.settle(quiet_s=0.8)
        [answer] = [c for c in slack.calls("chat.postMessage") if c.params.get("thread_ts") == event["ts"]]
        assert_answered(reply_text(answer))

        server.start()  # back, and empty: a replaced instance
        deadline = time.monotonic() + 20
        while readyz(replica)[1]["redis"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.2)
        status, report = readyz(replica)
        assert status == 200 and report["redis"] == "ok" and "degraded" not in report
        assert_answered(ask(replica, slack, QUESTIONS[1]))
        assert direct.keys(f"{redis_prefix}:answer:*"), "caching resumed without a restart"
        event = mention(QUESTIONS[2])
        replica.event(event, "Ev0RESUMED")
        assert direct.get(f"{redis_prefix}:slack:event:Ev0RESUMED") is not None, "shared dedup resumed"
        assert any("redis is back" in record.getMessage() for record in caplog.records)
        direct.close()
    finally:
        server.kill()


# -- Chroma dies ------------------------------------------------------------------------------


def test_chroma_dies_and_returns(make_replica: MakeReplica, slack: SlackAPI, tmp_path: Path) -> None:
    server = ChromaServer(tmp_path / "chroma", log_path=tmp_path / "chroma.log")
    server.start()
    try:
        replica = make_replica(chroma_url=server.url)
        replica.deps.index.reindex()
        assert_answered(ask(replica, slack, QUESTIONS[0]))
        assert readyz(replica)[0] == 200

        server.kill()
        time.sleep(2.1)  # questions read the in-memory snapshot; Chroma is asked for the version every 2 s
        reply = ask(replica, slack, QUESTIONS[1])
        assert SEARCH_UNAVAILABLE in reply and "Traceback" not in reply
        status, report = readyz(replica)
        assert status == 503 and report["chroma"] != "ok" and not report["ready"]
        assert replica.http.get("/healthz").status_code == 200  # alive, just not ready

        server.start()  # same data directory: the index is still there
        deadline = time.monotonic() + 20
        while readyz(replica)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert readyz(replica)[0] == 200
        assert_answered(ask(replica, slack, QUESTIONS[2]))
    finally:
        server.kill()


@pytest.mark.timeout(180)
def test_chroma_hangs_and_recovers(make_replica: MakeReplica, slack: SlackAPI, tmp_path: Path) -> None:
    """A Chroma server that stops answering mid-run (SIGSTOP: connections open, no replies) is given up on after
    CHROMA_TIMEOUT_S, then skipped; questions come back when it does."""
    server = ChromaServer(tmp_path / "chroma", log_path=tmp_path / "chroma.log")
    server.start()
    try:
        replica = make_replica(chroma_url=server.url, chroma_timeout_s=1, breaker_cooldown_s=1)
        replica.deps.index.reindex()
        assert_answered(ask(replica, slack, QUESTIONS[0]))

        server.hang()
        time.sleep(2.1)  # past the version cache: the next question asks Chroma
        assert SEARCH_UNAVAILABLE in ask(replica, slack, QUESTIONS[1])
        status, report = readyz(replica)
        assert status == 503 and report["chroma"].startswith("unreachable") and not report["ready"], report
        assert replica.http.get("/healthz").status_code == 200

        server.resume()
        deadline = time.monotonic() + 30
        while readyz(replica)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert readyz(replica)[0] == 200
        assert_answered(ask(replica, slack, QUESTIONS[2]))
    finally:
        server.resume()
        server.kill()


@pytest.mark.parametrize("command", [["reindex"], ["ask", "What is a fallback rate?"]])
def test_chroma_down_at_start_is_one_clear_line(tmp_path: Path, folder: Path, command: list[str]) -> None:
    """A command run while the Chroma server is away exits 1 with a sentence, not a traceback.

    (`serve` comes up instead, unready until Chroma answers: see the hung-dependency drill.)
    """
    from click.testing import CliRunner

    from bot.cli import cli
    from tests.local_servers import free_port

    env = {
        "CHROMA_URL": f"http://127.0.0.1:{free_port()}",
        "KNOWLEDGE_DIR": str(folder),
        "DATA_DIR": str(tmp_path / "data"),
        "SLACK_BOT_TOKEN": "xoxb-unused",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    result = CliRunner().invoke(cli, command, env=env)
    assert result.exit_code == 1, result.output
    assert "Chroma server" in result.output and "can't be reached" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)  # click's clean exit


# -- a dependency that accepts connections and never answers ------------------------------------


ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def serve_process(env: dict[str, str], log_path: Path) -> Iterator[httpx.Client]:
    """`pm-copilot serve --http` in a subprocess; yields a client for it once /healthz answers."""
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "REDIS_", "CHROMA_"))},
        "PORT": str(port),
        "LOG_FORMAT": "json",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http"], env=environment, stdout=log, stderr=log, cwd=ROOT
        )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, log_path.read_text()[-3000:]
                with contextlib.suppress(httpx.TransportError):
                    if http.get("/healthz").status_code == 200:
                        break
                assert time.monotonic() < deadline, "serve never answered /healthz"
                time.sleep(0.2)
            yield http
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def timed(request: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = request()
    return response, time.monotonic() - started


@pytest.mark.timeout(300)
@pytest.mark.parametrize("hung", ["redis", "chroma"])
def test_serve_with_a_hung_dependency_comes_up_acks_and_answers_in_seconds(
    hung: str, tmp_path: Path, folder: Path, slack: SlackAPI, redis_prefix: str
) -> None:
    """Redis or Chroma accepts connections and never answers. `serve` still comes up, /healthz and /readyz answer
    at once, /pm is acked well within Slack's 3 s, and the question is answered (Redis hung: without caches) or
    apologised for (Chroma hung) within seconds. The defaults are what's tested: no timeout is tuned here."""
    data = tmp_path / "data"
    env = {
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "KNOWLEDGE_DIR": str(folder),
        "DATA_DIR": str(data),
        "MIN_EVIDENCE": "0",
        "CACHE_PREFIX": redis_prefix,
    }
    with SilentServer() as server:
        if hung == "redis":
            # Index first (the reindex lock lives in Redis, so a replica can't index while it hangs).
            indexed = run_cli("reindex", env={**env, "PYTHONPATH": str(ROOT)})
            assert indexed.returncode == 0, indexed.stderr[-2000:]
            env["REDIS_URL"] = server.url("redis")
        else:
            env.update(REDIS_URL=REDIS_URL, CHROMA_URL=server.url())
        with serve_process(env, tmp_path / "serve.log") as http:
            deadline = time.monotonic() + 120
            while True:  # /readyz answers within a second, saying what's wrong, however long the wait
                response, readyz_s = timed(lambda: http.get("/readyz"))
                report = response.json()
                assert readyz_s < 2.0, (readyz_s, report)
                if hung == "chroma" and report["chroma"] != "ok":
                    assert response.status_code == 503 and report["chroma"].startswith("unreachable"), report
                    break
                if hung == "redis" and response.status_code == 200:  # warm: the answer doesn't wait on the model
                    assert report["redis"].startswith("unreachable") and report["degraded"] == ["redis"], report
                    break
                assert time.monotonic() < deadline, report
                time.sleep(0.5)

            response_url = slack.response_url()
            body = command_body(QUESTIONS[0], response_url)
            ack, ack_s = timed(
                lambda: http.post(
                    "/slack/events", content=body, headers=signed(body, "application/x-www-form-urlencoded")
                )
            )
            assert ack.status_code == 200 and ack.json()["text"].startswith(":mag: Looking that up"), ack.text
            assert ack_s < 3.0
            acked = time.monotonic()
            [reply] = slack.wait_for("response_url", path=response_url, timeout=30)
            answer_s = time.monotonic() - acked
            text = reply_text(reply)
            print(f"\n{hung} hung: readyz {readyz_s:.2f} s, ack {ack_s:.2f} s, reply {answer_s:.2f} s after the ack")
            assert answer_s < 15.0
            if hung == "redis":
                assert_answered(text)

                event = mention(QUESTIONS[1])
                body = event_body(event)
                ack, ack_s = timed(lambda: http.post("/slack/events", content=body, headers=signed(body, JSON)))
                assert ack.status_code == 200 and ack_s < 3.0
                [posted] = slack.wait_for("chat.postMessage", timeout=15)
                assert posted.params.get("thread_ts") == event["ts"]
                assert_answered(reply_text(posted))
            else:
                assert SEARCH_UNAVAILABLE in text and "Traceback" not in text, text
            assert http.get("/healthz").status_code == 200


# -- bad input at the HTTP edge ----------------------------------------------------------------


def signed(
    body: bytes, content_type: str, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature over the raw bytes (slack_sdk's helper only signs UTF-8 text)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def command_form(command: str, text: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(
        {
            "command": command,
            "text": text,
            "user_id": "UPM",
            "team_id": "T0TEAM",
            "channel_id": "C0PRD",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "t-1",
        }
    ).encode()


def event_json(event_type: str) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEAM",
            "api_app_id": "A0PMC",
            "event_id": "Ev0X",
            "event_time": int(time.time()),
            "event": {"type": event_type, "ts": new_ts()},
        }
    ).encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
Signing = dict[str, Any] | None  # None: no signature headers at all
EDGE_CASES: list[tuple[str, bytes, str, Signing, int]] = [
    ("malformed-json", b'{"type": "event_callback", "event": {', JSON, {}, 400),
    ("not-utf-8", b'{"type": "\xff\xfe"}', JSON, {}, 400),
    ("malformed-interactivity-payload", b"payload=%7Bnot+json", FORM, {}, 400),
    ("oversized-body", b"x" * 1_200_000, JSON, {}, 413),
    ("unknown-command", command_form("/deploy", "prod"), FORM, {}, 404),
    ("unknown-event-type", event_json("made_up_event"), JSON, {}, 404),
    ("missing-signature", command_form("/pm", "hi"), FORM, None, 401),
    ("invalid-signature", command_form("/pm", "hi"), FORM, {"secret": "not-the-secret"}, 401),
    ("replayed-timestamp", command_form("/pm", "hi"), FORM, {"timestamp": int(time.time()) - 6 * 60}, 401),
]


def test_bad_input_gets_the_right_4xx_and_the_process_survives(make_replica: MakeReplica, slack: SlackAPI) -> None:
    replica = make_replica()
    replica.deps.index.reindex()
    for name, body, content_type, signing, expected in EDGE_CASES:
        headers = {"Content-Type": content_type} if signing is None else signed(body, content_type, **signing)
        response = replica.http.post("/slack/events", content=body, headers=headers)
        assert response.status_code == expected, (name, response.status_code, response.text[:200])
    assert replica.http.get("/slack/events").status_code == 405
    assert replica.http.get("/nowhere").status_code == 404
    # Still alive, still answering.
    assert replica.http.get("/healthz").status_code == 200
    assert_answered(ask(replica, slack, QUESTIONS[2]))
    slack.settle()
    assert not [call for call in slack.calls() if "something went wrong" in str(call.params.get("text", ""))]


# -- fuzz ---------------------------------------------------------------------------------------


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def fuzz_replica(make_replica: MakeReplica) -> SlackHarness:
    replica = make_replica()
    replica.deps.index.reindex()
    return replica


def apologies(slack: SlackAPI) -> list[str]:
    """Replies that say a handler crashed."""
    slack.settle(quiet_s=0.8, timeout=60)
    texts = [reply_text(call) for call in slack.calls() if call.method in ("response_url", "chat.postMessage")]
    return [text for text in texts if "something went wrong" in text]


def test_fuzz_slash_command_text(fuzz_replica: SlackHarness, slack: SlackAPI) -> None:
    @FUZZ
    @given(text=st.text(max_size=2500))
    def command(text: str) -> None:
        response, _ = fuzz_replica.command(text)
        assert response.status_code == 200
        assert response.json()["response_type"] == "ephemeral"

    command()
    assert apologies(slack) == []


EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["app_mention", "message", "assistant_thread_started", "reaction_added", "x"])},
    optional={
        "text": st.text(max_size=500) | json_values,
        "user": st.text(max_size=12),
        "channel": st.text(max_size=12),
        "channel_type": st.sampled_from(["im", "channel", "group", ""]),
        "subtype": st.text(max_size=20),
        "thread_ts": st.text(max_size=20),
        "bot_id": st.text(max_size=8),
        "files": st.lists(st.dictionaries(st.text(max_size=10), json_values, max_size=3), max_size=2),
        "assistant_thread": json_values,
    },
)


def test_fuzz_event_payloads(fuzz_replica: SlackHarness, slack: SlackAPI) -> None:
    @FUZZ
    @given(event=EVENTS, extra=st.dictionaries(st.text(max_size=12), json_values, max_size=3))
    def deliver(event: dict[str, Any], extra: dict[str, Any]) -> None:
        event = {"ts": new_ts(), "event_ts": new_ts(), **event}
        response = fuzz_replica.post(event_body(event, extra=extra), "application/json")
        # Every payload gets a non-5xx answer (a 5xx would make Slack retry), with no traceback in it.
        assert 200 <= response.status_code < 500 and "Traceback" not in response.text, response.text[:200]

    deliver()
    assert apologies(slack) == []
    assert fuzz_replica.http.get("/healthz").status_code == 200
    assert_answered(ask(fuzz_replica, slack, QUESTIONS[0]))


@pytest.mark.parametrize(
    "event",
    [
        {"type": "assistant_thread_started"},
        {"type": "assistant_thread_started", "assistant_thread": "not a dict"},
        {"type": "assistant_thread_started", "assistant_thread": {"channel_id": "D1"}},
        {"type": "app_mention", "text": ["<@UPMC>", "hi"], "channel": "C1", "ts": "1.1", "user": "U1"},
        {"type": "app_mention", "text": "<@UPMC> hi", "channel": {"id": "C1"}, "ts": "1.1", "user": "U1"},
        {"type": "message", "channel_type": "im", "text": 42, "channel": "D1", "ts": "1.1", "user": "U1"},
        ["not", "an", "event"],
    ],
    ids=[
        "no-thread",
        "thread-not-a-dict",
        "thread-without-ts",
        "text-a-list",
        "channel-a-dict",
        "text-a-number",
        "event-a-list",
    ],
)
def test_an_event_no_listener_could_read_is_acked_not_retried(
    fuzz_replica: SlackHarness, slack: SlackAPI, event: Any
) -> None:
    if isinstance(event, dict):
        event = {"event_ts": new_ts(), **event}
    response = fuzz_replica.post(event_body(event), "application/json")
    assert response.status_code == 200
    assert apologies(slack) == []
