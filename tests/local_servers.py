"""Real servers that a test starts, kills and restarts on loopback: `chroma run` and `redis-server`.

The failure drills need a dependency that dies mid-run and comes back, so these own their
processes (a free port each, data in the test's tmp dir) instead of sharing the machine's Redis.
`SilentServer` is the hung dependency: it accepts connections and never answers.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalServer:
    """A child process on 127.0.0.1:port that can be killed (SIGKILL, like a crash) and started again."""

    name = "server"

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def start(self, timeout_s: float = 30.0) -> None:
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT)
        finally:
            if self.log_path:
                log.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode} at start")
            if self.ready():
                return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"{self.name} on port {self.port} wasn't ready within {timeout_s} s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def hang(self) -> None:
        """SIGSTOP: the process keeps its port and its connections but answers nothing, as if hung."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)


class ChromaServer(LocalServer):
    """`chroma run`, the server the chromadb package ships, persisting under `path`."""

    name = "chroma"

    def __init__(self, path: Path, port: int | None = None, log_path: Path | None = None) -> None:
        super().__init__(port, log_path)
        self.path = path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
        if binary is None:
            raise RuntimeError("the chroma CLI (from the chromadb package) isn't installed")
        return [binary, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False


class RedisServer(LocalServer):
    """A private `redis-server` with no persistence: a restart comes back empty, like a replaced instance."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server isn't installed")
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


class SilentServer:
    """A TCP server on loopback that accepts every connection, reads what it is sent, and never answers.

    `received` counts the bytes clients sent, so a test can tell whether a call reached it at all.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._listener.getsockname()[1]
        self.connections = 0
        self.received = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, name="silent-server", daemon=True).start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}" + ("/0" if scheme == "redis" else "")

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(connection)
            threading.Thread(target=self._swallow, args=(connection,), daemon=True).start()

    def _swallow(self, connection: socket.socket) -> None:
        while True:
            try:
                data = connection.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.received += len(data)

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            sockets = [self._listener, *self._open]
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the threads blocked in accept() and recv()
            sock.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
