from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.answers.answer import answer_question
from bot.core.breaker import Breaker
from bot.core.store import MemoryStore, RedisStore
from bot.exceptions import IndexBusy, SearchUnavailable
from bot.knowledge.index import KnowledgeIndex, open_chroma
from bot.wiring import Deps
from tests.conftest import REDIS_URL, HashingEmbeddings, write
from tests.local_servers import SilentServer

MakeDeps = Callable[..., Deps]


def page(title: str, *sections: str) -> str:
    return f"# {title}\n\n" + "\n\n".join(f"## {name}\n\n{name} matters for {title.lower()}." for name in sections)


def chunk_state(deps: Deps) -> dict[str, str]:
    snapshot = deps.index.snapshot()
    return {chunk_id: str(meta["sha256"]) for chunk_id, meta in zip(snapshot.ids, snapshot.metadatas, strict=True)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    write(root, "playbook/metrics.md", page("Metrics", "Latency", "Cost per query"))
    write(root, "playbook/trust.md", page("Trust", "Override", "Transparency"))
    write(root, "prds/search.md", page("Search PRD", "Goals", "Rollout"))
    return root


def test_first_reindex_adds_everything_and_bumps_the_version(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    report = deps.index.reindex()
    assert (report.added, report.updated, report.removed, report.unchanged) == (3, 0, 0, 0)
    assert report.embedded == 6 and report.version == 1
    assert sorted(chunk_state(deps)) == [
        "playbook/metrics.md#0",
        "playbook/metrics.md#1",
        "playbook/trust.md#0",
        "playbook/trust.md#1",
        "prds/search.md#0",
        "prds/search.md#1",
    ]


def test_no_change_reindex_embeds_nothing(folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    before = hashing_model.texts_embedded
    report = deps.index.reindex()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 3)
    assert hashing_model.texts_embedded == before
    assert report.version == 2


def test_change_embeds_only_the_changed_chunks(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    write(folder, "playbook/metrics.md", page("Metrics", "Latency", "Token efficiency", "Fallback rate"))
    before = hashing_model.texts_embedded
    report = deps.index.reindex()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, 2)
    assert hashing_model.texts_embedded - before == 2  # "Latency" is unchanged text: served from the cache
    sections = {meta["section"] for meta in deps.index.snapshot().metadatas if meta["path"] == "playbook/metrics.md"}
    assert sections == {"Latency", "Token efficiency", "Fallback rate"}


def test_shrinking_file_drops_its_stale_chunks(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    write(folder, "prds/search.md", page("Search PRD", "Goals"))
    deps.index.reindex()
    assert [i for i in chunk_state(deps) if i.startswith("prds/")] == ["prds/search.md#0"]


def test_delete_prunes_and_rename_costs_no_embedding(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    (folder / "playbook/trust.md").unlink()
    (folder / "prds/search.md").rename(folder / "prds/semantic-search.md")
    before = hashing_model.texts_embedded
    report = deps.index.reindex()
    assert (report.added, report.removed, report.unchanged) == (1, 2, 1)
    assert hashing_model.texts_embedded == before
    paths = {chunk_id.split("#")[0] for chunk_id in chunk_state(deps)}
    assert paths == {"playbook/metrics.md", "prds/semantic-search.md"}


def test_dry_run_reports_without_writing(folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    write(folder, "playbook/new.md", page("New", "Thing"))
    report = deps.index.reindex(dry_run=True)
    assert (report.added, report.unchanged, report.dry_run) == (1, 3, True)
    assert not any(i.startswith("playbook/new.md") for i in chunk_state(deps))
    assert deps.index.version(fresh=True) == 1


def test_full_reindex_rewrites_from_the_cache(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    deps.index.reindex()
    before = hashing_model.texts_embedded
    report = deps.index.reindex(full=True)
    assert report.unchanged == 3 and report.chunks == 6
    assert hashing_model.texts_embedded == before


def test_bad_files_are_skipped_and_lose_nothing(
    folder: Path,
    make_deps: MakeDeps,
    hashing_model: HashingEmbeddings,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    deps = make_deps(folder, hashing_model, max_file_mb=0.01)
    deps.index.reindex()
    indexed_before = chunk_state(deps)
    (folder / "playbook/trust.md").write_bytes(b"# Trust\n\x00\x00 now binary")  # was good, now bad
    (folder / "prds/broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "prds/latin.txt").write_bytes("Gr\u00f6\u00dfe".encode("latin-1"))
    (folder / "prds/empty.md").write_text("")
    (folder / "prds/big.md").write_text("# Big\n\n" + "x " * 10_000)
    (tmp_path / "outside.md").write_text("# Outside\n\nsecret")
    os.symlink(tmp_path / "outside.md", folder / "prds/link.md")
    write(folder, "prds/good.md", page("Good", "Part"))
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.reindex"):
        report = deps.index.reindex()
    skipped = {item.path: item.reason for item in report.skipped}
    assert set(skipped) == {
        "playbook/trust.md",
        "prds/broken.pdf",
        "prds/latin.txt",
        "prds/empty.md",
        "prds/big.md",
        "prds/link.md",
    }
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sorted(w.split(":")[0] for w in warnings) == sorted(f"skipped {path}" for path in skipped)
    assert report.added == 1
    after = chunk_state(deps)
    assert all(after.get(chunk_id) == sha for chunk_id, sha in indexed_before.items())  # nothing lost
    assert "prds/good.md#0" in after


def test_a_question_during_a_reindex_answers_from_the_version_it_started_with(
    folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    """A reindex writes its chunks before it bumps the version; questions meanwhile see the old version whole."""
    reader, writer = make_deps(folder, hashing_model), make_deps(folder, hashing_model)  # one collection
    reader.index.reindex()
    assert reader.retriever.search("ranking relevance", k=3)  # the snapshot of version 1 is loaded
    write(folder, "prds/ranking.md", page("Ranking PRD", "Relevance", "Freshness"))
    write(folder, "playbook/metrics.md", page("Metrics", "Latency"))  # its "Cost per query" chunk goes

    written, go_on = threading.Event(), threading.Event()
    bump = writer.index.bump_version

    def paused_bump() -> int:
        written.set()
        go_on.wait(30)
        return bump()

    writer.index.bump_version = paused_bump  # type: ignore[method-assign]
    reindex = threading.Thread(target=writer.index.reindex)
    reindex.start()
    try:
        assert written.wait(30)
        assert writer.index.count() == 7  # the new chunks are in Chroma, the stale one is gone, no bump yet
        hits = reader.retriever.search("ranking relevance", k=6)
        assert hits and not [hit for hit in hits if hit.path == "prds/ranking.md"]
        assert "playbook/metrics.md#1" in [hit.id for hit in reader.retriever.search("cost per query", k=3)]
        answer = answer_question(reader, "What about ranking relevance?")
        assert "prds/ranking.md" not in [source.path for source in answer.sources]
    finally:
        go_on.set()
        reindex.join(30)
    assert reader.index.version(fresh=True) == 2
    assert reader.retriever.search("ranking relevance", k=1)[0].path == "prds/ranking.md"


@pytest.mark.timeout(60)
def test_a_chroma_server_that_never_answers_fails_within_the_timeout(tmp_path: Path) -> None:
    with SilentServer() as server, pytest.raises(SearchUnavailable, match="can't be reached"):
        open_chroma(server.url(), tmp_path, timeout_s=0.3)


@pytest.mark.timeout(60)
def test_a_hung_chroma_is_waited_on_once_then_skipped(
    tmp_path: Path, folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    deps = make_deps(folder, hashing_model)
    with SilentServer() as server:
        index = KnowledgeIndex(
            folder,
            lambda: open_chroma(server.url(), tmp_path, timeout_s=0.3),
            "hung",
            deps.embeddings,
            deps.store,
            breaker=Breaker(600),
        )
        # Questions arriving together while the first connection hangs: one waits for the timeout, the
        # others fail with it rather than each trying again in turn.
        outcomes: list[BaseException | None] = []

        def ask_chroma() -> None:
            try:
                index.count()
            except SearchUnavailable as error:
                outcomes.append(error)
            else:
                outcomes.append(None)

        threads = [threading.Thread(target=ask_chroma) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(outcomes) == 4 and all(isinstance(outcome, SearchUnavailable) for outcome in outcomes)
        # And while the breaker is open, nothing waits on the server at all.
        calls: list[Any] = [index.count, index.version, index.snapshot, index.reindex, index.indexed_at]
        for call in calls:
            with pytest.raises(SearchUnavailable, match="Search is unavailable"):
                call()
        assert server.connections == 1


@pytest.mark.parametrize("backend", ["file", "redis"])
def test_two_reindexes_never_interleave(
    backend: str, folder: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings, redis_prefix: str, tmp_path: Path
) -> None:
    deps = make_deps(folder, hashing_model)
    store = MemoryStore(tmp_path / "locks") if backend == "file" else RedisStore(REDIS_URL, redis_prefix)
    other = MemoryStore(tmp_path / "locks") if backend == "file" else RedisStore(REDIS_URL, redis_prefix)
    deps.index.store = store
    with other.lock(f"reindex:{deps.index.name}", ttl_s=30), pytest.raises(IndexBusy):
        deps.index.reindex()
    assert deps.index.reindex().added == 3  # released afterwards


_PHASE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import bot.knowledge.reindex
    from bot.config import load_settings
    from bot.wiring import build_deps
    from tests.conftest import HashingEmbeddings

    class Slow(HashingEmbeddings):
        def embed_batch(self, texts):
            time.sleep(0.3)
            return super().embed_batch(texts)

    phase, root, data = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    bot.knowledge.reindex.UPSERT_BATCH = 4
    deps = build_deps(load_settings(data_dir=data, knowledge_dir=root),
                      model=Slow() if phase == "slow-reindex" else HashingEmbeddings())
    if phase == "search":
        hits = deps.retriever.search("Alpha matters", k=3)
        print(json.dumps({"version": deps.index.version(), "hits": len(hits)}))
    else:
        def progress(stage, done, total):
            if stage == "embed":
                print("embedded", done, total, flush=True)
        report = deps.index.reindex(progress=progress)
        print(json.dumps(report.as_dict()), flush=True)
        titles = {meta["title"] for meta in deps.index.snapshot().metadatas}
        print(json.dumps({"chunks": deps.index.count(), "titles": sorted(titles)}), flush=True)
    """
)


def test_a_killed_reindex_leaves_the_old_index_answering_and_the_next_run_completes(tmp_path: Path) -> None:
    # Each phase is its own process, as with a CLI reindex or ask; the middle one is killed mid-write.
    root, data = tmp_path / "kb", tmp_path / "data"
    for n in range(12):
        write(root, f"playbook/page{n}.md", page(f"Page {n}", "Alpha", "Beta", "Gamma"))
    script = tmp_path / "phase.py"
    script.write_text(_PHASE)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    def run(phase: str) -> list[dict[str, object]]:
        result = subprocess.run(
            [sys.executable, str(script), phase, str(root), str(data)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=True,
        )
        return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]

    first = run("reindex")[0]
    assert first["added"] == 12
    for n in range(12):
        write(root, f"playbook/page{n}.md", page(f"Page {n} revised", "Alpha", "Beta", "Gamma", "Delta"))

    process = subprocess.Popen(
        [sys.executable, str(script), "slow-reindex", str(root), str(data)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    with process.stdout:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("embedded") and int(line.split()[1]) >= 12:
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert '"added"' not in process.stdout.read()

    search = run("search")[0]
    assert search == {"version": first["version"], "hits": 3}  # the old version still answers

    report, state = run("reindex")
    assert report["updated"] > 0 and report["updated"] + report["unchanged"] == 12  # type: ignore[operator]
    assert report["version"] == first["version"] + 1  # type: ignore[operator]
    assert state["chunks"] == 12 * 4
    assert all(str(title).endswith("revised") for title in state["titles"])  # type: ignore[attr-defined]


def test_reindex_cli_json_contract(folder: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "cli-data"),
        "KNOWLEDGE_DIR": str(folder),
        "EMBEDDING_MODEL": "local",
        "HF_HUB_OFFLINE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "reindex", "--dry-run", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout)
    assert {"added", "updated", "removed", "unchanged", "seconds"} <= set(report)
    assert report["added"] == 3 and report["dry_run"] is True
