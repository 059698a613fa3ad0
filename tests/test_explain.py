from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.explain.explain import NOT_FROM_CATALOG, explain_error, load_catalog
from bot.wiring import Deps
from tests.conftest import EXPLANATION_KEYS, HashingEmbeddings
from tests.openai_server import OpenAIServer, reply, server_error

UNKNOWN = "FATAL vectorgate: shard 7 rebalance stalled (code VG-1138) token=sk-proj-abcdefghijklmnopqrstuvwxyz123456"
DRAFT = {
    "provider": "unknown",
    "code": "VG-1138",
    "http_status": None,
    "retryable": True,
    "title": "Search shard stuck while rebalancing",
    "meaning": "An internal search component paused while moving data; key sk-proj-abcdefghijklmnopqrstuvwxyz123456.",
    "causes": ["A rebalance after adding capacity"],
    "fixes": ["Retry after the rebalance finishes"],
    "pm_impact": "Search answers may be slow or missing for minutes; it recurs whenever capacity changes.",
}


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    running = OpenAIServer().start()
    yield running
    running.stop()


@pytest.fixture
def llm_deps(knowledge_copy: Path, make_deps: Callable[..., Deps], server: OpenAIServer) -> Deps:
    deps = make_deps(
        knowledge_copy,
        HashingEmbeddings(),
        openai_api_key="sk-test-key",
        openai_base_url=server.base_url,
        llm_budget_s=3,
        llm_max_retries=1,
    )
    deps.index.reindex()
    return deps


def test_a_catalog_match_never_calls_the_llm(llm_deps: Deps, server: OpenAIServer) -> None:
    explanation = explain_error(
        load_catalog(llm_deps), "Error code: 429 - {'error': {'code': 'insufficient_quota'}}", llm_deps
    )
    assert explanation.matched and explanation.code == "insufficient_quota" and explanation.origin == "catalog"
    assert server.calls == 0


def test_an_unknown_error_gets_an_ai_explanation_marked_as_such(llm_deps: Deps, server: OpenAIServer) -> None:
    server.script(reply(json.dumps(DRAFT)))
    explanation = explain_error(load_catalog(llm_deps), UNKNOWN, llm_deps)
    assert not explanation.matched and explanation.origin == "llm"
    assert explanation.title == "Not in the catalog: Search shard stuck while rebalancing"
    assert NOT_FROM_CATALOG in explanation.meaning
    assert explanation.code == "VG-1138" and explanation.retryable is True
    assert explanation.docs and all(doc.startswith(("error-codes/", "playbook/")) for doc in explanation.docs)
    markdown = explanation.as_markdown()
    assert "not from the error catalog" in markdown
    dumped = json.dumps(explanation.model_dump(mode="json")) + markdown
    assert "abcdefghijklmnopqrstuvwxyz" not in dumped  # redacted in the reply...
    assert "abcdefghijklmnopqrstuvwxyz" not in json.dumps(server.requests)  # ...and never sent to the LLM
    assert set(explanation.model_dump()) == EXPLANATION_KEYS


def test_an_llm_failure_falls_back_to_the_closest_catalog_entries(llm_deps: Deps, server: OpenAIServer) -> None:
    server.default = server_error()
    explanation = explain_error(load_catalog(llm_deps), UNKNOWN, llm_deps)
    assert not explanation.matched and explanation.origin == "catalog"
    assert server.calls >= 1


def test_without_an_llm_an_unknown_error_lists_the_closest(
    knowledge_copy: Path, make_deps: Callable[..., Deps], hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(knowledge_copy, hashing_model)
    explanation = explain_error(load_catalog(deps), UNKNOWN, deps)
    assert not explanation.matched and explanation.origin == "catalog"
