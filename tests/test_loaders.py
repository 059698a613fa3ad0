from __future__ import annotations

import io
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import docx
import pytest

from bot.knowledge.chunking import split_document
from bot.knowledge.documents import ParseLimits, SkipFile, doctype_of
from bot.knowledge.loaders import candidate_files, load_document, read_file
from tests.conftest import HashingEmbeddings, MakeDeps


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


def make_flate_pdf(content_stream: bytes) -> bytes:
    """A one-page PDF whose page content is `content_stream`, FlateDecode-compressed."""
    packed = zlib.compress(content_stream, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
    b'"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
    b'document.main+xml"/></Types>'
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)


def make_docx(paragraphs: Iterable[bytes]) -> bytes:
    """A minimal DOCX, its word/document.xml written a paragraph at a time (a bomb never sits in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w") as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                b'wordprocessingml/2006/main"><w:body>'
            )
            for text in paragraphs:
                part.write(b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>")
            part.write(b"</w:body></w:document>")
    return buffer.getvalue()


def docx_bomb(megabytes: int) -> bytes:
    """A DOCX whose document.xml unzips to `megabytes` MB of one repeated paragraph (~150 kB per 30 MB)."""
    return make_docx(b"x" * 1000 for _ in range(megabytes * 1000))


def lying_docx(megabytes: int) -> bytes:
    """A DOCX whose headers say document.xml is 1 kB while it inflates to `megabytes` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        with archive.open("word/document.xml", "w") as part:
            for _ in range(megabytes):
                part.write(bytes(1 << 20))
    data = bytearray(buffer.getvalue())
    name = b"word/document.xml"
    # (signature, offset of the name length, offset of the name, offset of the uncompressed size)
    for signature, length_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        at = data.find(signature)
        while at != -1:
            (length,) = struct.unpack_from("<H", data, at + length_at)
            if data[at + name_at : at + name_at + length] == name:
                struct.pack_into("<I", data, at + size_at, 1000)
            at = data.find(signature, at + 4)
    return bytes(data)


def prose(words: int) -> Iterable[bytes]:
    """Paragraphs of varied words, which pack about as tightly as real writing."""
    for start in range(0, words, 50):
        yield b" ".join(b"term%d" % ((n * 7919) % 100_003) for n in range(start, start + 50))


def nested_html(depth: int) -> bytes:
    return b"<html><body><h1>Deep</h1>" + b"<div>" * depth + b"buried words" + b"</div>" * depth + b"</body></html>"


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


def slow_pdf() -> bytes:
    """A page of 60,000 text operators that don't repeat: it packs like a real page and takes a second or more."""
    ops = b"".join(b"%d 0 Td (w%d) Tj " % (n, n * 7919 % 100_003) for n in range(60_000))
    return make_flate_pdf(b"BT /F1 1 Tf " + ops + b"ET")


def skip_reason(tmp_path: Path, name: str, data: bytes, limits: ParseLimits) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SkipFile) as skipped:
        load_document(tmp_path, path, data, "sha", limits)
    return str(skipped.value)


@pytest.mark.parametrize(
    ("name", "make", "limits", "reason"),
    [
        # 30 MB of XML from ~150 kB: refused from the zip's directory, before python-docx inflates anything.
        ("bomb.docx", lambda: docx_bomb(30), ParseLimits(), r"document\.xml packs \d+:1, over the 100:1 limit"),
        ("prose.docx", lambda: make_docx(prose(300_000)), ParseLimits(unpacked_bytes=1_000_000), "over the 1 MB"),
        # Headers that lie (1 kB for 64 MB): read in bounded pieces, the CRC fails long before 32 MB.
        ("liar.docx", lambda: lying_docx(64), ParseLimits(memory_bytes=32 << 20), "corrupt DOCX"),
        ("stream.pdf", lambda: make_flate_pdf(b"0 0 Td " * 3_000_000), ParseLimits(), "PDF over a parser limit"),
        # 1 MB of text operators from 2 kB: seconds per page to interpret, refused by its packing before that.
        (
            "packed.pdf",
            lambda: make_flate_pdf(b"BT /F1 1 Tf " + b"0 0 Td (a) Tj " * 70_000 + b"ET"),
            ParseLimits(),
            r"page 1 content inflates \d+:1 to 0\.98 MB, over the 100:1 limit",
        ),
        # Operators that don't repeat pack like a real page; the clock stops those.
        (
            "slow.pdf",
            slow_pdf,
            ParseLimits(seconds=0.2),
            r"over the 0\.2 s time limit",
        ),
        (
            "pages.pdf",
            lambda: make_pdf(["one", "two", "three"]),
            ParseLimits(pdf_pages=2),
            "3 pages, over the 2-page limit",
        ),
        ("wide.html", lambda: b"<p>word</p>" * 200_000, ParseLimits(memory_bytes=16 << 20), "16 MB memory limit"),
        ("deep.yaml", lambda: b"errors: " + b"[" * 50_000 + b"]" * 50_000, ParseLimits(), "nested too deeply"),
    ],
)
def test_bombs_are_skipped_naming_the_limit(
    tmp_path: Path, name: str, make: Callable[[], bytes], limits: ParseLimits, reason: str
) -> None:
    assert re.search(reason, skip_reason(tmp_path, name, make(), limits))


def test_deeply_nested_html_keeps_its_words_as_flat_text(tmp_path: Path) -> None:
    (tmp_path / "export.html").write_bytes(nested_html(20_000))
    _, _, chunks = load(tmp_path, "export.html")
    assert " ".join(" ".join(text for _, text in chunks).split()) == "Deep buried words"


def test_only_the_text_kept_is_extracted(tmp_path: Path) -> None:
    data = make_pdf([f"Page {n} says something long enough" for n in range(1, 6)])
    path = tmp_path / "long.pdf"
    document = load_document(tmp_path, path, data, "sha", ParseLimits(max_chars=50))
    assert len(document.markdown) == 50 and document.markdown.startswith("## Page 1")


def test_a_folder_of_bombs_still_indexes_its_good_files(
    tmp_path: Path, make_deps: MakeDeps, hashing_model: HashingEmbeddings
) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("# Launch\n\n## Fallback rate\n\nKeep the fallback rate under 5% at launch.\n")
    (folder / "bomb.docx").write_bytes(docx_bomb(30))
    (folder / "liar.docx").write_bytes(lying_docx(64))
    (folder / "stream.pdf").write_bytes(make_flate_pdf(b"0 0 Td " * 3_000_000))
    (folder / "deep.yaml").write_bytes(b"errors: " + b"[" * 50_000 + b"]" * 50_000)
    (folder / "deep.html").write_bytes(nested_html(20_000))
    report = make_deps(folder, hashing_model).index.reindex()
    assert report.added == 2  # good.md, and deep.html as flat text
    reasons = {skipped.path: skipped.reason for skipped in report.skipped}
    assert sorted(reasons) == ["bomb.docx", "deep.yaml", "liar.docx", "stream.pdf"]
    assert "100:1 limit" in reasons["bomb.docx"] and "nested too deeply" in reasons["deep.yaml"]
