"""Shared fixtures: a clean environment per test, real Redis, real Chroma in tmp dirs, the real model once."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import redis

from bot.builtin import KNOWLEDGE_FOLDERS, data_dir
from bot.config import Settings, load_settings
from bot.knowledge.embeddings import EmbeddingModel, LocalEmbeddingModel
from bot.wiring import Deps, build_deps
from tests.local_servers import ChromaServer
from tests.openai_server import OpenAIServer, running
from tests.slack_api import SlackAPI
from tests.slack_harness import SIGNING_SECRET, SlackHarness

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"  # the team's example PRDs; the playbook and error catalog are in BUILTIN
BUILTIN = data_dir()
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The JSON shape of an error explanation (`explain-error --json`, DESIGN.md).
EXPLANATION_KEYS = {
    "provider",
    "code",
    "http_status",
    "retryable",
    "title",
    "meaning",
    "causes",
    "fixes",
    "pm_impact",
    "docs",
    "matched",
}

_OUR_VARIABLES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell; nothing reaches a real endpoint."""
    for name in list(os.environ):
        if name.upper() in _OUR_VARIABLES:
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    # A test's knowledge folder holds exactly its own files; tests of the built-in playbook turn it back on.
    monkeypatch.setenv("BUILTIN_PLAYBOOK", "false")


class HashingEmbeddings:
    """A deterministic bag-of-words embedding, for tests where meaning doesn't matter. Counts calls."""

    name = "test-hashing"

    def __init__(self, dimensions: int = 64) -> None:
        self.dimensions = dimensions
        self.texts_embedded = 0

    def embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        self.texts_embedded += len(texts)
        vectors = []
        for text in texts:
            vector = np.zeros(self.dimensions, dtype=np.float32)
            for word in re.findall(r"\w+", text.lower()):
                vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimensions] += 1.0
            norm = float(np.linalg.norm(vector)) or 1.0
            vectors.append((vector / norm).tolist())
        return vectors


@pytest.fixture(scope="session")
def local_model() -> EmbeddingModel:
    """The real all-MiniLM-L6-v2, loaded once for the whole session."""
    model = LocalEmbeddingModel()
    model.load()
    return model


@pytest.fixture
def hashing_model() -> HashingEmbeddings:
    return HashingEmbeddings()


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix on the real Redis, removed afterwards."""
    prefix = f"pmc-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled knowledge: the repo's knowledge/ with the built-in playbook and error catalog."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    for folder in KNOWLEDGE_FOLDERS:
        shutil.copytree(BUILTIN / folder, target / folder)
    return target


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "data", "knowledge_dir": tmp_path / "knowledge"}
    values.update(overrides)
    return load_settings(**values)


MakeDeps = Callable[..., Deps]


@pytest.fixture
def make_deps(tmp_path: Path) -> Iterator[MakeDeps]:
    """Build Deps for a folder with a given model; `make_deps(folder, model, **settings)`."""
    built: list[Deps] = []

    def factory(folder: Path, model: EmbeddingModel, **overrides: object) -> Deps:
        settings = make_settings(tmp_path, knowledge_dir=folder, **overrides)
        deps = build_deps(settings, model=model)
        built.append(deps)
        return deps

    yield factory
    for deps in built:
        deps.embeddings.cache.close()


@pytest.fixture(scope="session")
def bundled_deps(tmp_path_factory: pytest.TempPathFactory, local_model: EmbeddingModel) -> Deps:
    """The bundled knowledge (the repo's knowledge/ with the built-in playbook), indexed once with the real model,
    shared read-only by answer tests."""
    base = tmp_path_factory.mktemp("bundled")
    folder = base / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    settings = load_settings(data_dir=base / "data", knowledge_dir=folder, builtin_playbook=True)
    deps = build_deps(settings, model=local_model)
    deps.index.reindex()
    return deps


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A loopback OpenAI chat-completions endpoint, scripted per test (tests/openai_server.py)."""
    with running() as server:
        yield server


def write(folder: Path, relpath: str, text: str) -> None:
    """Write a knowledge file, creating its folders."""
    path = folder / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    """A loopback Slack Web API that records every call (tests/slack_api.py)."""
    api = SlackAPI()
    yield api
    api.close()


def slack_settings(api: SlackAPI, redis_prefix: str) -> dict[str, object]:
    """Settings that point a bot at the loopback Slack API and this test's Redis prefix."""
    return {
        "slack_bot_token": api.token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api.api_url,
        "redis_url": REDIS_URL,
        "cache_prefix": redis_prefix,
    }


MakeSlackHarness = Callable[..., SlackHarness]


@pytest.fixture
def make_slack_harness(slack: SlackAPI, make_deps: MakeDeps, redis_prefix: str) -> Iterator[MakeSlackHarness]:
    """The app served for a folder: `make_slack_harness(folder, model, indexed=True, **settings)`; closed after."""
    harnesses: list[SlackHarness] = []

    def factory(folder: Path, model: EmbeddingModel, *, indexed: bool = True, **overrides: object) -> SlackHarness:
        deps = make_deps(folder, model, **{**slack_settings(slack, redis_prefix), **overrides})
        if indexed:
            deps.index.reindex()
        harnesses.append(SlackHarness(slack, deps))
        return harnesses[-1]

    yield factory
    for harness in harnesses:
        harness.close()


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """A real Chroma server on loopback, shared by a module's tests that don't kill it."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma"))
    server.start()
    yield server
    server.kill()


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def team_docs(tmp_path: Path) -> Path:
    """A small knowledge folder of one playbook page, for CLI tests."""
    write(
        tmp_path / "team-docs",
        "playbook/launch.md",
        "# Launch checklist\n\n## Fallback rate\n\nThe fallback rate is the share of requests where the AI feature "
        "hands over to the non-AI path. Keep it under 5% at launch.\n\n## Cost per query\n\nCost per query is the "
        "model spend divided by the number of requests. Our budget is one cent per query.\n",
    )
    return tmp_path / "team-docs"
