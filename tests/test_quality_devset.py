"""`eval answers --devset`: a dev set in the documented JSONL format, checked line by line and scored as the README
of tests/devsets/answers defines it, through the real CLI (local model, Chroma in DATA_DIR, Redis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from bot.cli import cli
from bot.knowledge.embeddings import EmbeddingModel
from bot.quality.devset import DevQuestion, load_devsets, read_devset, read_docs
from bot.quality.devset_report import evaluate_devsets, score_answer
from bot.quality.quotes import plain, quotes_in, quotes_sentence
from tests.conftest import REDIS_URL, MakeDeps, run_cli, write
from tests.devsets import check_devset
from tests.openai_server import OpenAIServer, claims_reply

CHECKOUT = (
    "# Checkout assistant PRD\n\n## Goal\n\nThe checkout assistant answers shoppers' questions about delivery "
    "and returns while they pay.\n\n## Guardrails\n\nThe assistant never offers **discounts above 10 percent** "
    "without a human agent approving them.\n\n## Launch\n\nWe launch the checkout assistant in the Netherlands "
    "first, in March 2027.\n"
)
INVOICES = (
    "# Rechnungsassistent\n\n## Ziel\n\nDer Rechnungsassistent liest eingehende Rechnungen und erkennt Betrag, "
    "Fälligkeitsdatum und Lieferant.\n\n## Datenschutz\n\nAlle Rechnungen werden ausschließlich auf Servern in "
    "Frankfurt verarbeitet.\n"
)


def line(id: str, question: str, kind: str = "answerable", **fields: object) -> str:
    row = {
        "id": id,
        "question": question,
        "lang": "en",
        "kind": kind,
        "answerable": kind != "near-miss",
        "doc": "checkout.md",
        "answer_sentence": None,
        "attribute": None,
        **fields,
    }
    return json.dumps(row, ensure_ascii=False)


TUNE = [
    line(
        "tune-1",
        "Can the checkout assistant offer discounts above 10 percent without a human agent approving them?",
        answer_sentence="The assistant never offers **discounts above 10 percent** without a human agent approving "
        "them.",
    ),
    line(
        "tune-2",
        "In which country do we launch the checkout assistant first?",
        answer_sentence="We launch the checkout assistant in the Netherlands first, in March 2027.",
    ),
    line(
        "tune-3",
        "What is the best recipe for banana bread with walnuts?",
        "near-miss",
        doc=None,
        attribute="banana bread recipe",
    ),
]
CHECK = [
    line(
        "check-1",
        "Werden alle Rechnungen ausschließlich auf Servern in Frankfurt verarbeitet?",
        lang="de",
        doc="rechnungen.md",
        answer_sentence="Alle Rechnungen werden ausschließlich auf Servern in Frankfurt verarbeitet.",
    ),
    line(
        "check-3",
        "Are all invoices processed only on servers in Frankfurt?",
        "cross-language",
        doc="rechnungen.md",
        answer_sentence="Alle Rechnungen werden ausschließlich auf Servern in Frankfurt verarbeitet.",
    ),
    line(
        "check-2",
        "Which volcano on Iceland erupted most recently, and how tall is it?",
        "near-miss",
        doc=None,
        attribute="volcano height",
    ),
]


@pytest.fixture
def devset(tmp_path: Path) -> Path:
    """A dev set folder: docs/ with two PRDs (en, de), and tune.jsonl and check.jsonl beside it."""
    folder = tmp_path / "devset"
    write(folder, "docs/checkout.md", CHECKOUT)
    write(folder, "docs/rechnungen.md", INVOICES)
    write(folder, "tune.jsonl", "\n".join(TUNE) + "\n")
    write(folder, "check.jsonl", "\n".join(CHECK) + "\n")
    return folder


@pytest.mark.slow
def test_eval_answers_scores_each_file_of_a_devset_and_calibrates_on_one(
    devset: Path, tmp_path: Path, redis_prefix: str
) -> None:
    env = {"DATA_DIR": str(tmp_path / "data"), "REDIS_URL": REDIS_URL, "CACHE_PREFIX": redis_prefix}
    files = ("--devset", str(devset / "tune.jsonl"), "--devset", str(devset / "check.jsonl"))
    result = run_cli("eval", "answers", *files, "-k", "1", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["mode"], report["k"], report["docs"]) == ("extractive", 1, str(devset / "docs"))
    assert report["embedding_model"] == "local (all-MiniLM-L6-v2)"
    tune, check, pooled = report["files"]["tune.jsonl"], report["files"]["check.jsonl"], report["all"]
    # The two English questions are answered from the checkout PRD, quoting its sentence (bold aside); the
    # banana bread is declined.
    assert tune["answerable_answered"] == {"hits": 2, "total": 2, "rate": 1.0}
    assert tune["sentence_quoted"]["hits"] == 2
    assert tune["near_miss_declined"] == {"hits": 1, "total": 1, "rate": 1.0}
    assert tune["doc_in_sources"] == tune["doc_in_sources_answerable"] == {"hits": 2, "total": 2, "rate": 1.0}
    assert tune["doc_in_sources_near_miss"]["total"] == 0  # the near-miss names no document
    assert tune["misses"] == []
    assert tune["by_lang"]["en"] | {"answerable_answered": None, "near_miss_declined": None} == {
        "questions": 3,
        "answered": 2,
        "declined": 1,
        "answerable_answered": None,
        "near_miss_declined": None,
    }
    assert check["by_lang"]["de"]["questions"] == 1 and check["near_miss_declined"]["hits"] == 1
    assert check["doc_in_sources_answerable"] == {"hits": 1, "total": 1, "rate": 1.0}
    assert check["doc_in_sources_cross_language"]["total"] == check["by_lang"]["en"]["questions"] - 1 == 1
    # Pooled: the sum of the files.
    assert pooled["questions"] == 6 and pooled["answerable_answered"]["total"] == 4
    assert pooled["near_miss_declined"] == {"hits": 2, "total": 2, "rate": 1.0}
    for scores in (tune, check, pooled):
        assert scores["fabricated"]["citations"] == scores["fabricated"]["quotes"] == 0
    assert tune["fabricated"]["quotes_checked"] >= 2  # each answer's quote was looked up in its source
    # Asked with the answer cache off: nothing was cached under this prefix.
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(client.scan_iter(f"{redis_prefix}:answer:*")) == []
    finally:
        client.close()

    table = run_cli("eval", "answers", *files, "-k", "1", env=env)
    assert table.returncode == 0, table.stderr
    assert "| | tune.jsonl | check.jsonl | all |" in table.stdout
    assert "| answerable answered (incl. cross-language) | 2/2 | " in table.stdout
    assert "| near-miss declined | 1/1 | 1/1 | 2/2 |" in table.stdout

    calibrated = run_cli("eval", "answers", "--calibrate", "--devset", str(devset / "tune.jsonl"), env=env)
    assert calibrated.returncode == 0, calibrated.stderr
    assert "| threshold | answerable kept | unanswerable declined | accuracy |" in calibrated.stdout
    assert "2 answerable and 1 unanswerable questions" in calibrated.stdout
    assert "with EMBEDDING_MODEL=local (all-MiniLM-L6-v2)" in calibrated.stdout


@pytest.mark.slow
def test_a_generated_answer_keeps_its_proven_claim_and_no_invented_quote_reaches_the_score(
    devset: Path,
    make_deps: MakeDeps,
    local_model: EmbeddingModel,
    openai_server: OpenAIServer,
    redis_prefix: str,
) -> None:
    # Every answer the model writes holds one real claim (quoting the source) and one invented one.
    openai_server.default = claims_reply(
        ("Discounts above 10 percent need a human agent.", 1, "never offers discounts above 10 percent"),
        ("Discounts above 10 percent need a VP signature.", 1, "Discounts above 10 percent need a VP signature."),
    )
    deps = make_deps(
        devset / "docs",
        local_model,
        openai_api_key="sk-test-loopback-0000000000000000",
        openai_base_url=openai_server.base_url,
        redis_url=REDIS_URL,
        cache_prefix=redis_prefix,
    )
    deps.index.reindex()
    files = load_devsets([devset / "tune.jsonl"], read_docs(devset / "docs"))
    tune = evaluate_devsets(deps, files, k=1).as_dict()["files"]["tune.jsonl"]
    # Both answerable questions reached the model; the banana bread was declined before it.
    assert openai_server.calls == 2 and tune["near_miss_declined"]["hits"] == 1
    # The invented claim never reaches an answer, so nothing fabricated is left to count.
    assert tune["fabricated"]["citations"] == 0 and tune["fabricated"]["quotes"] == 0
    misses = {miss["id"]: miss["failed"] for miss in tune["misses"]}
    assert not any("quote not in its source" in failed for miss in misses.values() for failed in miss)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"id": "x-1", "question": "Who signs off?"\n', "line 2: not valid JSON"),
        (TUNE[0].replace(', "attribute": null', ""), "line 2 (tune-1): missing fields ['attribute']"),
        (TUNE[0].replace("checkout.md", "nope.md"), "line 2 (tune-1): doc 'nope.md' is not in the documents folder"),
        (TUNE[0].replace('"en"', '"fr"'), "lang 'fr' is not one of en, de, nl"),
        (TUNE[0].replace("10 percent", "20 percent"), "answer_sentence is not found in its document"),
        (TUNE[2].replace('"banana bread recipe"', "null"), "a near-miss needs answerable=false"),
        (TUNE[1].replace("tune-2", "tune-1"), "line 2 (tune-1): id 'tune-1' is used twice"),
    ],
)
def test_a_devset_line_that_cant_be_scored_is_named_by_its_line(
    devset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, problem: str
) -> None:
    monkeypatch.chdir(tmp_path)  # far from the checkout's golden set, which a dev set doesn't need
    (devset / "tune.jsonl").write_text(TUNE[0] + "\n" + text + "\n")
    file = read_devset(devset / "tune.jsonl", read_docs(devset / "docs"))
    assert len(file.problems) == 1 and problem in file.problems[0]
    # The CLI refuses the file before indexing anything, and says which line is wrong.
    result = CliRunner().invoke(cli, ["eval", "answers", "--devset", str(devset / "tune.jsonl")])
    assert result.exit_code == 1
    assert "the dev set has problems:\n  tune.jsonl line 2" in result.output and problem in result.output
    assert not (tmp_path / "data" / "chroma").exists()


def test_a_devset_without_a_docs_folder_asks_for_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "alone/questions.jsonl", TUNE[0] + "\n")
    result = CliRunner().invoke(cli, ["eval", "answers", "--devset", str(tmp_path / "alone/questions.jsonl")])
    assert result.exit_code == 2 and "name the documents folder with --docs" in result.output
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["eval", "answers"])
    assert result.exit_code == 2 and "no golden set at tests/golden/answers.yaml" in result.output


def test_check_devset_script_uses_the_same_checks(devset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_devset.main(["check_devset.py", str(devset)]) == 0
    paths = [str(devset / "tune.jsonl"), str(devset / "check.jsonl")]
    assert check_devset.main(["check_devset.py", str(devset), *paths]) == 0
    budget = line("tune-4", "Was kostet der Rechnungsassistent?", "near-miss", doc="rechnungen.md", attribute="price")
    (devset / "tune.jsonl").write_text(TUNE[0].replace("checkout.md", "rechnungen.md") + "\n" + budget + "\n")
    assert check_devset.main(["check_devset.py", str(devset)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM line 1 (tune-1): answer_sentence is not found in its document" in out
    assert "PROBLEM check-1: rechnungen.md also has questions in tune.jsonl" in out


QUESTION = DevQuestion(
    id="q-1",
    question="Who approves discounts?",
    lang="en",
    kind="answerable",
    answerable=True,
    doc="checkout.md",
    answer_sentence="The assistant never offers discounts above 10 percent without a human agent approving them.",
    attribute=None,
)
TEXTS = {"checkout.md": plain(CHECKOUT), "rechnungen.md": plain(INVOICES)}


def test_quotes_are_found_in_the_source_they_cite_and_fabricated_ones_are_counted() -> None:
    honest = (
        "_Generation is off, so here are the most relevant passages, quoted._\n\n"
        "*Checkout assistant PRD — Guardrails* [1]\n> The assistant never offers discounts above 10 percent "
        "without a human…\n\n"
        "*Rechnungsassistent — Datenschutz* [2]\n> Alle Rechnungen werden ausschließlich auf Servern in Frankfurt "
        "verarbeitet."
    )
    result = score_answer(QUESTION, True, honest, ["checkout.md", "rechnungen.md"], TEXTS, 1.0)
    assert (result.quotes, result.unfound, result.unlisted, result.quoted) == (2, [], 0, False)
    assert result.failures() == ["answering sentence not quoted"]  # cut off before its end

    invented = (
        "A person signs off first [1]:\n\n"
        "> The assistant never offers discounts above 10 percent without a human agent approving them.\n\n"
        "> Invoices are processed in Frankfurt only. [1]\n\n"  # cites the checkout PRD, which never says so
        'The PRD says "discounts need a VP signature" [2] and "Frankfurt verarbeitet" [2]; see also [3].'
    )
    result = score_answer(QUESTION, True, invented, ["checkout.md", "rechnungen.md"], TEXTS, 1.0)
    assert result.quoted is True and result.unlisted == 1
    assert result.unfound == ["Invoices are processed in Frankfurt only.", "discounts need a VP signature"]
    assert result.failures() == [
        "1 citation(s) to no listed source",
        "quote not in its source: “Invoices are processed in Frankfurt only.”",
        "quote not in its source: “discounts need a VP signature”",
    ]
    # A secret the reply redacted is a cut: the words around it are still checked against the source.
    redacted = "*Checkout assistant PRD* [1]\n> The assistant never offers [redacted] above 10 percent without a human"
    assert score_answer(QUESTION, True, redacted, ["checkout.md"], TEXTS, 1.0).unfound == []
    altered = "*Checkout assistant PRD* [1]\n> The assistant always offers [redacted] above 10 percent"
    assert score_answer(QUESTION, True, altered, ["checkout.md"], TEXTS, 1.0).unfound == [
        "The assistant always offers [redacted] above 10 percent"
    ]
    # A declined answer is scored as not answered, not quoted, with nothing to check.
    declined = score_answer(QUESTION, False, "I don't know: > nothing [4]", ["checkout.md"], TEXTS, 1.0)
    assert (declined.quoted, declined.unlisted, declined.unfound) == (False, 0, [])
    assert declined.failures() == ["not answered"]


@pytest.mark.parametrize(
    ("answer", "sentence", "quoted"),
    [
        ("> The **assistant** never `offers`\n> above 10 percent", "the assistant never offers above 10 percent", True),
        ("We launch in the Netherlands first,   in 2027.", "We launch in the NETHERLANDS first, in 2027.", True),
        ("We launch in the Netherlands first.", "We launch in the Netherlands first, in March 2027.", False),
        ("anything", "", False),
    ],
)
def test_the_answering_sentence_is_compared_without_markdown_case_or_spacing(
    answer: str, sentence: str, quoted: bool
) -> None:
    assert quotes_sentence(answer, sentence) is quoted


def test_a_blockquote_is_attributed_to_its_own_citation_before_the_line_above() -> None:
    answer = "*Guardrails* [1]\n> first quote\n\nText [2]\n> second quote [3]\n\n> third quote\nafter [4]"
    assert [(q.text, q.cited) for q in quotes_in(answer)] == [
        ("first quote", (1,)),
        ("second quote", (3,)),
        ("third quote", (4,)),
    ]
