"""Run a function on hostile input in a child process that is killed past a time limit and can't map past a
memory limit.

A zygote, started on first use as a clean interpreter, imports the modules it is told to preload and then
forks one child per call: a call costs a fork (a few ms), not an interpreter start plus the parsers' imports
(~600 ms), and the caller's threads never fork. The child caps its address space (RLIMIT_AS) and CPU time
(RLIMIT_CPU, so nothing outlives a killed zygote for long), runs the function and pipes back its result or
exception; the zygote kills it at the deadline. multiprocessing's forkserver would do the forking too, but
on Python 3.11 each of its children re-imports the caller's `__main__` script (~500 ms under `pm-copilot`).

    caller thread --job--> zygote --fork--> child: run function(*args)
                  <-outcome--      <-pipe--
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import pickle
import queue
import select
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0  # the zygote's imports, on a busy machine
_GRACE_S = 5.0  # past a call's deadline, the zygote itself is presumed stuck and killed
# The caller's sys.path, so the zygote imports the same `bot` (tests, editable installs) as the caller.
_ZYGOTE = "import sys; sys.path[:] = {path!r}; from bot.knowledge.sandbox import serve; serve()"


class Sandbox:
    """A few zygotes (one call at a time each) that run functions in memory- and time-limited children."""

    def __init__(self, preload: Sequence[str], processes: int = 2) -> None:
        self.preload = list(preload)
        self._idle: queue.LifoQueue[_Zygote | None] = queue.LifoQueue()
        for _ in range(processes):
            self._idle.put(None)  # started on first use
        atexit.register(self.close)

    def run(self, function: Callable[..., Any], *args: Any, seconds: float, memory_bytes: int) -> Any:
        """function(*args) in a child; its exception is re-raised here.

        Raises TimeoutError past `seconds` (waiting for a free zygote included) and ChildProcessError if
        the child dies without an answer (killed, crashed, or the memory limit hit outside Python).
        The function and its arguments must pickle: a module-level function, plain data.
        """
        deadline = time.monotonic() + seconds
        try:
            zygote = self._idle.get(timeout=seconds)
        except queue.Empty:
            raise TimeoutError(f"no parser process was free within {seconds:g} s") from None
        try:
            if zygote is not None and not zygote.alive:
                zygote.stop()
                zygote = None
            if zygote is None:
                zygote = _Zygote(self.preload)
            outcome = zygote.call(function, args, max(0.0, deadline - time.monotonic()), memory_bytes)
        finally:
            self._idle.put(zygote if zygote is not None and zygote.alive else None)
        status, value = outcome
        if status == "ok":
            return value
        if status == "raised":
            raise value
        if status == "timeout":
            raise TimeoutError(f"took over {seconds:g} s")
        raise ChildProcessError(f"the parser process died ({_describe_exit(value)})")

    def close(self) -> None:
        """Stop the idle zygotes (they would also exit with this process); a later call starts new ones."""
        stopped: list[_Zygote | None] = []
        while True:
            try:
                stopped.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for zygote in stopped:
            if zygote is not None:
                zygote.stop()
            self._idle.put(None)


def _describe_exit(code: int) -> str:
    if code == -signal.SIGXCPU:
        return "out of CPU time"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}: out of memory?"
    return f"exit code {code}"


class _Zygote:
    """One zygote process, talked to over two pipes: jobs in, outcomes out."""

    def __init__(self, preload: list[str]) -> None:
        jobs_read, jobs_write = os.pipe()
        outcomes_read, outcomes_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _ZYGOTE.format(path=sys.path), str(jobs_read), str(outcomes_write)],
            pass_fds=(jobs_read, outcomes_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,  # the pipes carry the protocol; nothing a library prints can corrupt it
        )
        os.close(jobs_read)
        os.close(outcomes_write)
        self.jobs = Connection(jobs_write, readable=False)
        self.outcomes = Connection(outcomes_read, writable=False)
        try:
            self.jobs.send(preload)
            if self.outcomes.poll(START_TIMEOUT_S):
                self.outcomes.recv()  # "ready"
                return
        except (OSError, EOFError):
            pass
        why = "timed out" if self.process.poll() is None else _describe_exit(self.process.returncode)
        self.stop()
        raise ChildProcessError(f"the parser process didn't start ({why})")

    @property
    def alive(self) -> bool:
        return not self.jobs.closed and self.process.poll() is None

    def call(self, function: Callable[..., Any], args: tuple[Any, ...], seconds: float, memory_bytes: int) -> Any:
        try:
            self.jobs.send((function, args, seconds, memory_bytes))
            if self.outcomes.poll(seconds + _GRACE_S):
                return self.outcomes.recv()
            log.warning("parser process %s stopped answering; restarting it", self.process.pid)
        except (OSError, EOFError):
            pass
        self.stop()
        return ("died", self.process.returncode)

    def stop(self) -> None:
        self.jobs.close()
        self.outcomes.close()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


# -- The zygote's side ----------------------------------------------------------------------------------


def serve() -> None:
    """The zygote: preload, then for each job fork a child, wait for it until the deadline, pass on its outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the caller's to handle; its exit ends this loop
    jobs = Connection(int(sys.argv[1]), writable=False)
    outcomes = Connection(int(sys.argv[2]), readable=False)
    preload = jobs.recv()
    for name in preload:
        __import__(name)
    outcomes.send("ready")
    while True:
        try:
            function, args, seconds, memory_bytes = jobs.recv()
        except EOFError:
            return  # the caller is gone
        except Exception as error:  # a job that doesn't unpickle here: the caller's mistake, not a reason to die
            outcome: tuple[str, Any] = ("raised", error)
        else:
            outcome = _fork_and_wait(function, args, seconds, memory_bytes, (jobs, outcomes))
        try:
            outcomes.send(outcome)
        except OSError:
            return  # the caller is gone


def _fork_and_wait(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    seconds: float,
    memory_bytes: int,
    inherited: tuple[Connection, Connection],
) -> tuple[str, Any]:
    deadline = time.monotonic() + seconds
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        for connection in inherited:
            os.close(connection.fileno())  # a zygote that dies must read as EOF to the caller at once
        _run_child(function, args, seconds, memory_bytes, write_fd)
    os.close(write_fd)
    chunks: list[bytes] = []
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([pipe], [], [], left)[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return ("timeout", None)
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return ("died", os.waitstatus_to_exitcode(status))
    return pickle.loads(b"".join(chunks))


def _run_child(function: Callable[..., Any], args: tuple[Any, ...], seconds: float, memory_bytes: int, fd: int) -> None:
    sent = False
    try:
        logging.disable(logging.CRITICAL)  # the caller reports the outcome, once
        warnings.simplefilter("ignore")
        out_of_memory = pickle.dumps(("raised", MemoryError("over the memory limit")))
        reserve = bytearray(256 << 10)  # given back after a failed allocation, to have room to report it
        _limit_resources(seconds, memory_bytes)
        try:
            outcome: tuple[str, Any] = ("ok", function(*args))
        except BaseException as error:  # the caller decides what an error means
            outcome = ("raised", error)
        del reserve
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = out_of_memory
        except Exception:  # some libraries' exceptions don't pickle
            payload = pickle.dumps(("raised", RuntimeError(f"{type(outcome[1]).__name__}: {outcome[1]}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        sent = True
    finally:
        os._exit(0 if sent else 1)  # no interpreter teardown: freeing a huge parse tree is wasted time


def _limit_resources(seconds: float, memory_bytes: int) -> None:
    """Cap the address space at what this process maps now plus `memory_bytes`, and CPU time near `seconds`."""
    import resource  # Unix-only, and needed only in the child process

    cpu = math.ceil(seconds) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(
        resource.RLIMIT_CPU, (cpu, cpu + 1) if hard == resource.RLIM_INFINITY else (min(cpu, hard), hard)
    )
    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return  # not Linux: the time limits still hold
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = mapped + memory_bytes if hard == resource.RLIM_INFINITY else min(mapped + memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
