"""The built-in knowledge (package data) and the team's KNOWLEDGE_DIR laid over it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from bot import builtin
from bot.config import load_settings
from bot.core.prompts import PROMPTS_DIR
from bot.evalplans.metric_catalog import CATALOG_PATH, MetricCatalog
from bot.exceptions import KnowledgeError
from bot.explain.catalog import ErrorCatalog
from bot.ops.doctor import check_knowledge
from bot.wiring import Deps, build_deps
from tests.conftest import HashingEmbeddings, MakeDeps, write

QUOTA = "Error code: 429 - {'error': {'code': 'insufficient_quota', 'type': 'insufficient_quota'}}"


def builtin_files() -> list[str]:
    data = builtin.data_dir()
    return sorted(
        path.relative_to(data).as_posix()
        for folder in builtin.KNOWLEDGE_FOLDERS
        for path in (data / folder).rglob("*")
        if path.is_file()
    )


def indexed_paths(deps: Deps) -> dict[str, str]:
    """relpath -> the text of its chunks, as the index holds them."""
    snapshot = deps.index.snapshot()
    texts: dict[str, str] = {}
    for meta, text in zip(snapshot.metadatas, snapshot.texts, strict=True):
        texts[str(meta["path"])] = texts.get(str(meta["path"]), "") + text
    return texts


def catalog_file(provider: str, *entries: dict[str, object]) -> str:
    return yaml.safe_dump(
        {"provider": provider, "provider_name": provider.title(), "docs": "https://x.example.com", "errors": entries}
    )


def entry(code: str, title: str, **extra: object) -> dict[str, object]:
    return {
        "code": code,
        "retryable": False,
        "title": title,
        "meaning": "What it means here.",
        "causes": ["A cause."],
        "fixes": ["A fix."],
        "pm_impact": "What it costs us.",
        **extra,
    }


def test_the_package_data_is_there() -> None:
    assert (PROMPTS_DIR / "answer.md").is_file() and builtin.prompts_dir() == PROMPTS_DIR
    assert (builtin.playbook_dir() / "ai-metrics.md").is_file()
    assert sorted(path.name for path in builtin.error_codes_dir().glob("*.yaml"))[:2] == [
        "anthropic.yaml",
        "azure-openai.yaml",
    ]
    assert builtin.data_dir().is_relative_to(Path(builtin.__file__).parent)


# -- The error catalog ---------------------------------------------------------------------------


def test_without_a_team_folder_the_catalog_is_the_built_in_one(tmp_path: Path) -> None:
    catalog = ErrorCatalog.for_knowledge(tmp_path / "nowhere")
    assert len(catalog) == len(ErrorCatalog.load(builtin.error_codes_dir())) > 50
    assert catalog.explain(QUOTA).code == "insufficient_quota"
    assert len(ErrorCatalog.for_knowledge(None)) == len(catalog)


def test_team_files_override_by_provider_and_code_and_add_new_ones(tmp_path: Path) -> None:
    write(
        tmp_path,
        "error-codes/openai.yaml",
        catalog_file("openai", entry("insufficient_quota", "Our OpenAI budget is spent: ask #finops", http_status=429)),
    )
    write(tmp_path, "error-codes/acme.yaml", catalog_file("acme", entry("ACME-42", "The Acme gateway said no")))
    builtin_count = len(ErrorCatalog.for_knowledge(None))

    catalog = ErrorCatalog.for_knowledge(tmp_path)

    assert len(catalog) == builtin_count + 1
    quota = catalog.explain(QUOTA)
    assert (quota.matched, quota.title) == (True, "Our OpenAI budget is spent: ask #finops")
    assert [item.entry.title for item in catalog.items if item.entry.code == "insufficient_quota"] == [quota.title]
    assert catalog.explain("gateway error ACME-42").title == "The Acme gateway said no"
    # The rest of the built-in OpenAI file still answers, and a bare 429 still goes where it went.
    assert catalog.explain("openai.AuthenticationError: Incorrect API key provided").code == "invalid_api_key"
    assert catalog.explain("429").code == ErrorCatalog.for_knowledge(None).explain("429").code


def test_a_broken_team_file_is_skipped_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path, "error-codes/broken.yaml", "provider: acme\nerrors: [oops]\n")
    write(tmp_path, "error-codes/acme.yaml", catalog_file("acme2", entry("ACME-7", "Seven")))
    with caplog.at_level(logging.WARNING):
        catalog = ErrorCatalog.for_knowledge(tmp_path)
    assert len(catalog) == len(ErrorCatalog.for_knowledge(None)) + 1
    assert any("broken.yaml" in record.getMessage() for record in caplog.records)
    with pytest.raises(KnowledgeError, match=r"broken\.yaml"):
        ErrorCatalog.for_knowledge(tmp_path, strict=True)


def test_doctor_names_a_broken_team_catalog_file(tmp_path: Path) -> None:
    write(tmp_path, "prds/a.md", "# A\n\nText.\n")
    write(tmp_path, "error-codes/broken.yaml", "provider: acme\nerrors: [oops]\n")
    check = check_knowledge(load_settings(knowledge_dir=tmp_path))
    assert check.status == "warn" and "broken.yaml" in check.detail


# -- The metric catalog --------------------------------------------------------------------------


def test_the_metric_catalog_is_the_teams_page_when_there_is_one(tmp_path: Path) -> None:
    builtin_page = (builtin.data_dir() / CATALOG_PATH).read_text(encoding="utf-8")
    assert MetricCatalog.load(tmp_path).metrics == MetricCatalog.parse(builtin_page).metrics

    team_page = builtin_page.replace(
        "- **Typical launch threshold:** >= 90% on the golden set",
        "- **Typical launch threshold:** >= 99% on our golden set",
        1,
    )
    write(tmp_path, CATALOG_PATH, team_page)
    accuracy = MetricCatalog.load(tmp_path).get("accuracy")
    assert accuracy is not None and accuracy.threshold.startswith(">= 99% on our golden set")


# -- The index -----------------------------------------------------------------------------------


def test_an_empty_team_folder_indexes_the_built_in_playbook(
    tmp_path: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    (tmp_path / "kb").mkdir()
    deps = make_deps(tmp_path / "kb", hashing_model, builtin_playbook=True)
    report = deps.index.reindex()
    assert (report.added, report.skipped) == (len(builtin_files()), [])
    assert sorted(indexed_paths(deps)) == builtin_files()
    doctypes = {str(meta["path"]).split("/")[0]: meta["doctype"] for meta in deps.index.snapshot().metadatas}
    assert doctypes == {"playbook": "playbook", "error-codes": "error-codes"}
    assert deps.index.reindex().unchanged == len(builtin_files())  # the hash skip holds for built-in files


def test_a_team_page_with_the_same_path_wins_and_the_built_in_one_returns_when_it_goes(
    tmp_path: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    team = tmp_path / "kb"
    write(team, "playbook/user-trust.md", "# User trust, our way\n\nWe show a confidence badge on every answer.\n")
    write(team, "prds/search.md", "# Search PRD\n\nSemantic search for the help center.\n")
    deps = make_deps(team, hashing_model, builtin_playbook=True)

    report = deps.index.reindex()
    texts = indexed_paths(deps)
    assert report.added == len(builtin_files()) + 1
    assert "confidence badge" in texts["playbook/user-trust.md"]
    assert "Graceful degradation" not in texts["playbook/user-trust.md"]
    assert "prds/search.md" in texts

    (team / "playbook" / "user-trust.md").unlink()
    report = deps.index.reindex()
    assert (report.added, report.updated, report.removed) == (0, 1, 0)
    assert "confidence badge" not in indexed_paths(deps)["playbook/user-trust.md"]


def test_builtin_playbook_false_indexes_the_team_folder_alone(
    tmp_path: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    write(tmp_path / "kb", "prds/search.md", "# Search PRD\n\nSemantic search for the help center.\n")
    deps = make_deps(tmp_path / "kb", hashing_model, builtin_playbook=True)
    deps.index.reindex()
    deps = make_deps(tmp_path / "kb", hashing_model, builtin_playbook=False)
    report = deps.index.reindex()
    assert report.removed == len(builtin_files())
    assert sorted(indexed_paths(deps)) == ["prds/search.md"]
    # The catalogs are the product's own data, not knowledge: they still work.
    assert ErrorCatalog.for_knowledge(deps.knowledge_dir).explain(QUOTA).matched
    assert MetricCatalog.load(deps.knowledge_dir).get("accuracy") is not None


def test_a_missing_default_folder_answers_from_the_built_in_playbook_a_named_one_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hashing_model: HashingEmbeddings
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./knowledge here, as for a new user
    monkeypatch.delenv("BUILTIN_PLAYBOOK")
    settings = load_settings(data_dir=tmp_path / "data")
    deps = build_deps(settings, model=hashing_model)
    try:
        assert deps.index.reindex().added == len(builtin_files())
        assert check_knowledge(settings).status == "warn"
    finally:
        deps.embeddings.cache.close()

    named = load_settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "typo")
    deps = build_deps(named, model=hashing_model)
    try:
        with pytest.raises(KnowledgeError, match="knowledge folder not found"):
            deps.index.reindex()
        assert check_knowledge(named).status == "fail"
    finally:
        deps.embeddings.cache.close()
