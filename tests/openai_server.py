"""A loopback server that speaks OpenAI chat completions (JSON and SSE), scripted per test.

The real `openai` client and langchain-openai's `ChatOpenAI` talk to it over HTTP. Queue steps
with `server.script(...)`; each request to /v1/chat/completions takes the next step, or
`server.default` (an answer quoting the first source listed) when the queue is empty. A step can
write its reply from the request (`responding`), e.g. quoting the sources the prompt listed.
Every request is recorded in `server.requests`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    """What the server does with one request."""

    kind: str  # reply | status | malformed | hang
    text: str = ""
    status: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    tokens_in: int = 120
    tokens_out: int | None = None
    # Writes the reply's text from the request (e.g. quoting the sources the prompt listed).
    respond: Callable[[dict[str, Any]], str] | None = None


def reply(text: str, *, delay_s: float = 0.0, tokens_in: int = 120, tokens_out: int | None = None) -> Step:
    """A completion whose content is `text` (streamed word by word when the client asks to stream)."""
    return Step("reply", text=text, delay_s=delay_s, tokens_in=tokens_in, tokens_out=tokens_out)


def answer_json(*claims: tuple[str, int | str, str], status: str = "answered", missing_fact: str | None = None) -> str:
    """A cited answer as the answer prompt asks for it: claims given as (text, source, quote)."""
    return json.dumps(
        {
            "answer_status": status,
            "missing_fact": missing_fact,
            "claims": [{"text": text, "source": source, "quote": quote} for text, source, quote in claims],
        }
    )


def claims_reply(
    *claims: tuple[str, int | str, str], status: str = "answered", missing_fact: str | None = None, **kwargs: Any
) -> Step:
    """A completion holding `answer_json(...)`."""
    return reply(answer_json(*claims, status=status, missing_fact=missing_fact), **kwargs)


def responding(respond: Callable[[dict[str, Any]], str], **kwargs: Any) -> Step:
    """A completion whose text `respond` writes from the request's JSON body."""
    return Step("reply", respond=respond, **kwargs)


_SOURCE_HEADER = re.compile(r"^\[(\d+)\] .*\(\S+\)$", re.M)


def prompt_sources(payload: dict[str, Any]) -> dict[int | str, str]:
    """The texts the request's user message lists: source number -> text, and "thread" -> the thread context."""
    content = payload["messages"][-1]["content"] if payload.get("messages") else ""
    prompt = content if isinstance(content, str) else ""
    found: dict[int | str, str] = {}
    thread = re.search(r'^Thread context:\n"""\n(.*?)\n"""$', prompt, re.M | re.S)
    if thread:
        found["thread"] = thread.group(1)
    end = prompt.rfind("\n\nQuestion: ")
    headers = list(_SOURCE_HEADER.finditer(prompt, 0, end if end >= 0 else len(prompt)))
    for index, header in enumerate(headers):
        stop = headers[index + 1].start() if index + 1 < len(headers) else end
        found[int(header.group(1))] = prompt[header.end() + 1 : stop].strip()
    return found


def quotable(text: str, words: int = 8) -> str:
    """A run of `words` words from `text`'s first line that has at least that many (a quote that is really there)."""
    lines = [line.split() for line in text.splitlines()]
    best = max(lines, key=len, default=[])
    for line in lines:
        if len(line) >= words:
            best = line
            break
    return " ".join(best[:words])


def quoting(sources: Sequence[int], *, invented: tuple[str, int, str] | None = None) -> Callable[[dict[str, Any]], str]:
    """A responder that makes one claim per source number in `sources`, quoting words really in that source,
    plus an `invented` claim (text, source, quote), if given, whose quote is in no source."""

    def respond(payload: dict[str, Any]) -> str:
        texts = prompt_sources(payload)
        claims: list[tuple[str, int | str, str]] = []
        for number in sources:
            if number in texts:
                quote = quotable(texts[number])
                claims.append((f"The source says: {quote.rstrip('.')}.", number, quote))
        if invented is not None:
            claims.append(invented)
        return answer_json(*claims)

    return respond


def error(status: int, code: str, message: str, *, kind: str = "error", headers: dict[str, str] | None = None) -> Step:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return Step("status", status=status, body=body, headers=headers or {})


def rate_limited(retry_after_s: float | None = None) -> Step:
    headers = {"retry-after": f"{retry_after_s:g}"} if retry_after_s is not None else {}
    return error(429, "rate_limit_exceeded", "Rate limit reached for requests", kind="requests", headers=headers)


def insufficient_quota() -> Step:
    return error(429, "insufficient_quota", "You exceeded your current quota.", kind="insufficient_quota")


def unauthorized() -> Step:
    return error(401, "invalid_api_key", "Incorrect API key provided: sk-test…abcd.", kind="invalid_request_error")


def server_error() -> Step:
    return error(500, "server_error", "The server had an error while processing your request.", kind="server_error")


def malformed(body: str = '{"id": "chatcmpl-1", "choices": "not a list"') -> Step:
    """A 200 whose body isn't a valid completion."""
    return Step("malformed", body=body)


def hang(seconds: float) -> Step:
    """Answer nothing for `seconds` (the client should time out first), then a reply."""
    return Step("reply", text="Too late [1].", delay_s=seconds)


class OpenAIServer:
    """A scripted, recording /v1/chat/completions endpoint on 127.0.0.1."""

    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        # A cited answer in the shape the answer prompt asks for, quoting the first source it was given.
        self.default: Step = responding(quoting([1]))
        self.requests: list[dict[str, Any]] = []
        self.embedding_requests: list[dict[str, Any]] = []
        self.request_times: list[float] = []
        self._mutex = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, a kept-alive connection
            # waits for a delayed ACK (~40 ms) on every reply, which isn't the endpoint we mean to fake.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                if self.path.rstrip("/") == "/v1/embeddings":
                    with server._mutex:
                        server.embedding_requests.append(payload)
                    self._json(200, embeddings_reply(payload))
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": f"no route {self.path}", "code": "not_found"}})
                    return
                with server._mutex:
                    server.requests.append(
                        {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": payload}
                    )
                    server.request_times.append(time.monotonic())
                    step = server.steps.popleft() if server.steps else server.default
                server._serve(self, step, payload)

            def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.handler = Handler
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *steps: Step) -> None:
        with self._mutex:
            self.steps.extend(steps)

    @property
    def calls(self) -> int:
        return len(self.requests)

    def start(self) -> OpenAIServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _serve(self, handler: Any, step: Step, payload: dict[str, Any]) -> None:
        if step.delay_s:
            self._wait(step.delay_s)
        if step.respond is not None:
            step = dataclasses.replace(step, text=step.respond(payload), respond=None)
        try:
            if step.kind == "status":
                handler._json(step.status, step.body, step.headers)
            elif step.kind == "malformed":
                handler._json(200, step.body)
            elif payload.get("stream"):
                self._stream(handler, step, payload)
            else:
                handler._json(200, completion(step, payload))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _stream(self, handler: Any, step: Step, payload: dict[str, Any]) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.close_connection = True
        model = payload.get("model", "gpt-4o-mini")

        def send(data: dict[str, Any] | str) -> None:
            text = data if isinstance(data, str) else json.dumps(data)
            handler.wfile.write(f"data: {text}\n\n".encode())
            handler.wfile.flush()

        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {
                "id": "chatcmpl-loopback",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }

        send(chunk({"role": "assistant", "content": ""}))
        for token in tokens(step.text):
            send(chunk({"content": token}))
        send(chunk({}, finish="stop"))
        if (payload.get("stream_options") or {}).get("include_usage"):
            send({**chunk({}), "choices": [], "usage": usage(step)})
        send("[DONE]")


def tokens(text: str) -> list[str]:
    """Split into word-sized deltas the way a model streams them (spaces lead the next token)."""
    parts: list[str] = []
    for index, word in enumerate(text.split(" ")):
        parts.append(word if index == 0 else " " + word)
    return [part for part in parts if part]


def usage(step: Step) -> dict[str, int]:
    out = step.tokens_out if step.tokens_out is not None else max(1, len(step.text.split()))
    return {"prompt_tokens": step.tokens_in, "completion_tokens": out, "total_tokens": step.tokens_in + out}


def completion(step: Step, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": payload.get("model", "gpt-4o-mini"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": step.text, "refusal": None},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(step),
    }


@contextmanager
def running() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


def fake_vector(text: str, dimensions: int = 8) -> list[float]:
    """A deterministic, deliberately unnormalised vector for `text`."""
    digest = hashlib.sha256(text.encode()).digest()
    return [float(byte) + 1.0 for byte in digest[:dimensions]]


def embeddings_reply(payload: dict[str, Any]) -> dict[str, Any]:
    """An /v1/embeddings reply, items in reverse order as the API allows (clients must sort by index)."""
    texts = payload["input"] if isinstance(payload["input"], list) else [payload["input"]]
    data = [{"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(texts)]
    return {
        "object": "list",
        "data": data[::-1],
        "model": payload.get("model"),
        "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
    }
