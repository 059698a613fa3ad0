"""The load drill, bounded for CI: 200 signed /pm requests, 20 in flight, against a running `serve`.

The full benchmark (bundled knowledge, a Markdown table) is tests/benchmarks/bench_load.py; this
runs the same code over the PRDs only, so the server is ready in seconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.benchmarks.bench_load import ACK_LIMIT_S, run_load, serving
from tests.conftest import KNOWLEDGE
from tests.slack_api import SlackAPI

pytestmark = pytest.mark.slow


@pytest.mark.timeout(420)
def test_200_requests_20_in_flight_no_errors_and_every_ack_under_3s(tmp_path: Path, slack: SlackAPI) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE / "prds", knowledge / "prds")
    with serving(slack, knowledge, tmp_path / "data", tmp_path / "serve.log") as (url, pid):
        result = run_load(url, pid, slack, requests=200, in_flight=20, warmup=50)

    print("\n" + result.table())
    assert result.errors == []
    assert len(result.ack_s) == 200 and len(result.answer_s) == 200
    assert max(result.ack_s) < ACK_LIMIT_S
    # Memory is flat once warm: the last 150 requests add under 15% to the warm footprint.
    assert result.rss_mb["end"] < 1.15 * result.rss_mb["warm"], result.rss_mb
