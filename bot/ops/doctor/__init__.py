"""`pm-copilot doctor`: check every setting and dependency, say what is wrong and how to fix it.

Each check is independent and bounded in time, and they run side by side, so a dead host costs
one timeout, not one per check. A check ends `ok`, `off` (an optional feature that isn't
configured), `warn` (works, with a caveat) or `fail` (something a deployment needs is broken);
any `fail` makes the command exit non-zero. Details never carry a token, a key or a password.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from datetime import datetime

from bot.config import Settings
from bot.ops.doctor.local import check_chroma, check_data_dir, check_index, check_knowledge, check_settings
from bot.ops.doctor.report import CHECK_TIMEOUT_S, Check, healthy, reason, render, safe_url, settings_failure
from bot.ops.doctor.services import check_embeddings, check_llm, check_redis, check_slack

__all__ = ["Check", "check_knowledge", "healthy", "render", "run_checks", "safe_url", "settings_failure"]


def _chroma_and_index(settings: Settings, clock: Callable[[], datetime] | None) -> list[Check]:
    chroma, client = check_chroma(settings)
    if client is None:
        return [chroma, Check("index", "fail", "unknown: Chroma can't be reached", "fix the chroma check first")]
    return [chroma, check_index(settings, client, clock)]


def run_checks(
    settings: Settings, *, timeout_s: float = CHECK_TIMEOUT_S, clock: Callable[[], datetime] | None = None
) -> list[Check]:
    """Every check, side by side, each bounded by `timeout_s` (the index check gets three times that)."""
    jobs: dict[str, tuple[Callable[[], Check | list[Check]], float]] = {
        "slack": (lambda: check_slack(settings, timeout_s), timeout_s),
        "redis": (lambda: check_redis(settings, timeout_s), timeout_s),
        "chroma": (lambda: _chroma_and_index(settings, clock), 3 * timeout_s),
        "knowledge": (lambda: check_knowledge(settings), timeout_s),
        "data dir": (lambda: check_data_dir(settings), timeout_s),
        "llm": (lambda: check_llm(settings, timeout_s), timeout_s),
        "embeddings": (lambda: check_embeddings(settings, timeout_s), timeout_s),
    }
    results: list[Check] = [check_settings(settings)]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="pmc-doctor")
    futures = {name: pool.submit(job) for name, (job, _) in jobs.items()}
    started = time.monotonic()
    for name, future in futures.items():
        budget = jobs[name][1] + 2.0 - (time.monotonic() - started)
        try:
            outcome = future.result(timeout=max(budget, 0.1))
        except concurrent.futures.TimeoutError:
            outcome = Check(name, "fail", f"no answer within {jobs[name][1]:.0f} s", "check the host and the network")
        except Exception as error:  # a check that crashes is itself a finding
            outcome = Check(name, "fail", f"the check crashed: {reason(error)}", "report this as a bug")
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    pool.shutdown(wait=False, cancel_futures=True)
    return results
