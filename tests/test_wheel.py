"""The built wheel, installed into a fresh venv and run from an empty folder, works as the checkout does.

The venv is made `--without-pip`; a path file lends it the third-party dependencies of the interpreter
running the tests (installing them again would take minutes), and the wheel alone is installed into it,
with `--ignore-installed`, by the venv's own Python. Every command then runs from an empty folder, with no
PYTHONPATH and no KNOWLEDGE_DIR, so only the package data inside the wheel can answer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.local_servers import free_port
from tests.slack_api import SlackAPI
from tests.slack_harness import SIGNING_SECRET

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], Path]]:
    """(the venv's bin folder, a clean environment, an empty working folder)."""
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy, so the checkout gets no build/ folder and nothing but what is copied can leak in.
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "bot", source / "bot", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(base), "HF_HUB_OFFLINE": "1"}
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
        "-w", base / "dist", source, cwd=base, env=clean,
    )  # fmt: skip
    (wheel,) = (base / "dist").glob("pm_copilot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for data in ("bot/data/prompts/answer.md", "bot/data/playbook/ai-metrics.md", "bot/data/error-codes/openai.yaml"):
        assert data in names

    venv = base / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base, env=clean)
    python = venv / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=base, env=clean)
    site = Path(purelib.stdout.strip())
    # Appended after the venv's own site-packages, so the wheel installed there comes first.
    (site / "deps.pth").write_text(
        "\n".join(dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])) + "\n"
    )
    run(
        python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
        "--disable-pip-version-check", "-q", wheel, cwd=base, env=clean,
    )  # fmt: skip
    empty = base / "empty"
    empty.mkdir()
    yield venv / "bin", {**clean, "DATA_DIR": str(base / "data")}, empty
    assert not any(empty.iterdir()), "a command wrote into the working folder"


def test_the_wheel_is_what_runs(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, empty = installed
    where = run(bin_dir / "python", "-c", "import bot; print(bot.__file__)", cwd=empty, env=env).stdout.strip()
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(ROOT)


def test_ask_answers_from_the_built_in_playbook(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, empty = installed
    question = "What should we measure before launching an AI summarizer?"
    answer = json.loads(run(bin_dir / "pm-copilot", "ask", question, "--json", cwd=empty, env=env).stdout)
    assert answer["answered"] is True
    assert answer["sources"] and all(source["path"].startswith("playbook/") for source in answer["sources"])


def test_explain_error_knows_the_built_in_catalog(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, empty = installed
    result = run(
        bin_dir / "pm-copilot", "explain-error", "--json", "Error code: 429 - insufficient_quota", cwd=empty, env=env
    )
    explanation = json.loads(result.stdout)
    assert (explanation["matched"], explanation["provider"], explanation["code"]) == (
        True,
        "openai",
        "insufficient_quota",
    )
    assert "error catalog" not in result.stderr  # no "no error catalog at ..." warning


def test_draft_evals_uses_the_built_in_metric_catalog(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, empty = installed
    draft = run(bin_dir / "pm-copilot", "draft-evals", "AI summary of support tickets", cwd=empty, env=env).stdout
    assert "playbook/ai-metrics.md" in draft
    assert "Hallucination rate" in draft or "Groundedness" in draft


def test_serve_comes_up(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, empty = installed
    port = free_port()
    slack = SlackAPI()
    server_env = {
        **env,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
    }
    process = subprocess.Popen(
        [str(bin_dir / "pm-copilot"), "serve", "--http", "--port", str(port)],
        cwd=empty,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
            except httpx.TransportError:
                status = None
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, process.stderr.read() if process.poll() is not None else "no /healthz within 120 s"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()
        slack.close()
