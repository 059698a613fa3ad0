from __future__ import annotations

import os
from pathlib import Path

import docx
import pytest

from bot.chunking import split_document
from bot.loaders import SkipFile, candidate_files, doctype_of, load_document, read_file


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page, xref offsets computed."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 700 Td ({text}) Tj ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def load(root: Path, relpath: str) -> tuple[str, str, list[tuple[str, str]]]:
    path = root / relpath
    data, sha = read_file(root, path, 1_000_000)
    document = load_document(root, path, data, sha)
    return document.title, document.doctype, [(c.section, c.text) for c in split_document(document)]


def test_markdown_keeps_title_and_section_path(tmp_path: Path) -> None:
    (tmp_path / "playbook").mkdir()
    (tmp_path / "playbook/metrics.md").write_text(
        "# AI metrics\n\nIntro line.\n\n## Quality\n\n### Hallucination rate\n\nShare of unsupported claims.\n"
    )
    title, doctype, chunks = load(tmp_path, "playbook/metrics.md")
    assert (title, doctype) == ("AI metrics", "playbook")
    assert ("Quality > Hallucination rate", "Share of unsupported claims.") in chunks
    assert chunks[0] == ("", "Intro line.")


def test_long_section_is_split_under_the_same_section(tmp_path: Path) -> None:
    body = " ".join(f"Sentence number {i} about evaluation sets." for i in range(200))
    (tmp_path / "long.md").write_text(f"# Guide\n\n## Evals\n\n{body}\n")
    _, _, chunks = load(tmp_path, "long.md")
    assert len(chunks) > 3
    assert {section for section, _ in chunks} == {"Evals"}
    assert all(len(text) <= 1000 for _, text in chunks)


def test_pdf_pages_become_sections(tmp_path: Path) -> None:
    (tmp_path / "spec.pdf").write_bytes(make_pdf(["Latency budget is two seconds", "Rollout starts in May"]))
    title, _, chunks = load(tmp_path, "spec.pdf")
    assert title == "Spec"
    assert chunks == [("Page 1", "Latency budget is two seconds"), ("Page 2", "Rollout starts in May")]


def test_docx_heading_styles_become_sections(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Search PRD", level=0)
    document.add_heading("Goals", level=1)
    document.add_paragraph("Cut time to answer by half.")
    document.save(str(tmp_path / "search.docx"))
    title, _, chunks = load(tmp_path, "search.docx")
    assert title == "Search PRD"
    assert chunks == [("Goals", "Cut time to answer by half.")]


def test_html_drops_scripts_and_keeps_headings(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><title>Trust</title><script>var secret=1;</script></head>"
        "<body><h2>Override</h2><p>Let users <b>undo</b> AI actions.</p></body></html>"
    )
    title, _, chunks = load(tmp_path, "page.html")
    assert title == "Trust"
    assert chunks == [("Override", "Let users **undo** AI actions.")]


def test_error_catalog_yaml_renders_one_section_per_error(tmp_path: Path) -> None:
    (tmp_path / "error-codes").mkdir()
    (tmp_path / "error-codes/internal.yaml").write_text(
        "provider: acme\nprovider_name: Acme gateway\nerrors:\n"
        "  - {code: E42, http_status: 503, title: Gateway overloaded, meaning: Too busy., retryable: true}\n"
    )
    title, doctype, chunks = load(tmp_path, "error-codes/internal.yaml")
    assert (title, doctype) == ("Acme gateway error codes", "error-codes")
    assert chunks[0][0] == "Acme gateway E42 (HTTP 503): Gateway overloaded"
    assert "Too busy." in chunks[0][1]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("corrupt.pdf", b"%PDF-1.4\nthis is not really a pdf", "PDF"),
        ("binary.md", b"# Title\n\x00\x01\x02\x03 binary", "binary content"),
        ("latin1.txt", "Caf\u00e9 cr\u00e8me".encode("latin-1"), "not UTF-8"),
        ("empty.md", b"", "empty file"),
        ("huge.txt", b"word " * 300_000, "size limit"),
        ("broken.docx", b"PK\x03\x04 not a zip", "corrupt DOCX"),
        ("list.yaml", b"- just\n- a list\n", "errors"),
    ],
)
def test_bad_files_are_skipped_with_a_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SkipFile, match=reason):
        data, sha = read_file(tmp_path, path, 1_000_000)
        load_document(tmp_path, path, data, sha)


def test_symlink_outside_the_folder_is_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("# Secret\n\nDo not index.\n")
    root = tmp_path / "kb"
    root.mkdir()
    os.symlink(outside, root / "link.md")
    with pytest.raises(SkipFile, match="outside"):
        read_file(root, root / "link.md", 1_000_000)


def test_candidates_skip_hidden_and_unsupported_files(tmp_path: Path) -> None:
    for name in ("a.md", ".hidden.md", "img.png", ".git/x.md", "sub/b.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in candidate_files(tmp_path)] == ["a.md", "sub/b.txt"]


@pytest.mark.parametrize(
    ("relpath", "doctype"),
    [
        ("playbook/a.md", "playbook"),
        ("prds/x/y.md", "prds"),
        ("error-codes/o.yaml", "error-codes"),
        ("notes.md", "other"),
        ("misc/n.md", "other"),
    ],
)
def test_doctype_is_the_top_folder(relpath: str, doctype: str) -> None:
    assert doctype_of(relpath) == doctype
