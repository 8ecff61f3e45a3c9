"""The whole pipeline as a user meets it: readers, normalisation and privacy together, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import SHARED
from readers_fixtures import make_docx
from test_cli import run

from errscan import Scanner, Severity

ID = "11010519491231002X"  # GB 11643 example: valid check character
PHONE = "13800138000"


def test_personal_data_never_leaves_unmasked(tmp_path: Path) -> None:
    (tmp_path / "公示.txt").write_text(
        f"补贴发放名单\n张三\t身份证号：{ID}\t电话：{PHONE}\t要再接再励\n", encoding="utf-8"
    )
    outputs = {
        fmt: run("check", "--no-color", "-f", fmt, "公示.txt", cwd=tmp_path) for fmt in ("pretty", "json", "jsonl")
    }
    for fmt, out in outputs.items():
        assert out.returncode == 1, fmt
        assert ID not in out.stdout and PHONE not in out.stdout, fmt
        assert ID[:6] in out.stdout and ID[-4:] in out.stdout, fmt  # masked: first 6 + last 4
    doc = json.loads(outputs["json"].stdout)
    found = {f["rule"]: (f["line"], f["column"], f["offset"], f["length"], f["text"]) for f in doc["findings"]}
    assert found["privacy/id-card"] == (2, 9, 15, 18, "110105********002X")
    assert found["privacy/mobile"] == (2, 31, 37, 11, "138****8000")
    assert found["typo/再接再励"][:2] == (2, 44)
    typo = next(f for f in doc["findings"] if f["rule"] == "typo/再接再励")
    assert ID not in typo["context"] and PHONE not in typo["context"]

    shown = run("check", "-f", "json", "--show-pii", "公示.txt", cwd=tmp_path)
    assert ID in shown.stdout and PHONE in shown.stdout
    off = run("check", "-f", "json", "--no-privacy", "公示.txt", cwd=tmp_path)
    assert [f["rule"] for f in json.loads(off.stdout)["findings"]] == ["typo/再接再励"]


@pytest.mark.parametrize(
    ("text", "span", "note"),
    [
        ("熱愛中華人民共合國。", (2, 7), "繁体"),
        ("第２行\n热爱中 华 人 民 共 合 国", (6, 13), "字间空格"),
    ],
)
def test_normalised_text_is_matched_and_reported_in_the_original(text: str, span: tuple[int, int], note: str) -> None:
    [f] = Scanner().scan_text(text)
    assert f.rule == "serious/中华人民共合国"
    assert (f.offset, f.length) == (span[0], span[1])
    assert f.text == text[f.offset : f.offset + f.length]
    assert note in f.message


def test_word_file_finding_located_in_its_cell(tmp_path: Path) -> None:
    (tmp_path / "draft.docx").write_bytes(make_docx())
    out = run("check", "-f", "json", "draft.docx", cwd=tmp_path)
    doc = json.loads(out.stdout)
    located = {(f["text"], json.dumps(f["location"], ensure_ascii=False)) for f in doc["findings"]}
    assert ("再接再励", '{"table": 1, "row": 2, "cell": 3}') in located
    assert ("中华人民共合国", '{"paragraph": 2}') in located
    assert doc["documents"]["draft.docx"]["kind"] == "docx"


def test_html_finding_at_its_source_line_and_column(tmp_path: Path) -> None:
    page = (
        "<html><head><title>通知</title><meta name=\"PubDate\" content=\"2020-05-01\">\n"
        "<script>var x = '再接再励';</script></head>\n"
        "<body><p>各单位要再接<b>再励</b>。</p>\n<p>国土资源部发布</p></body></html>\n"
    )
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    out = run("check", "-f", "json", "page.html", cwd=tmp_path)
    doc = json.loads(out.stdout)
    rows = [(f["rule"], f["line"], f["column"], f["severity"]) for f in doc["findings"]]
    # line:col in the HTML source; the date from the page's metadata makes the old ministry name a warning
    assert rows == [("typo/再接再励", 3, 14, "warning"), ("outdated/国土资源部", 4, 4, "warning")]
    lines = page.splitlines()
    assert lines[2][13:].startswith("再接")
    assert doc["documents"]["page.html"]["date"] == "2020-05-01"


def test_type_option_and_unreadable_pdf(tmp_path: Path) -> None:
    (tmp_path / "notice.dat").write_text("<p>要再接再励</p>", encoding="utf-8")
    out = run("check", "-f", "json", "--type", "html", "notice.dat", cwd=tmp_path)
    assert [f["column"] for f in json.loads(out.stdout)["findings"]] == [5]
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<>>\n")
    out = run("check", "broken.pdf", cwd=tmp_path)
    assert out.returncode == 3


@pytest.mark.skipif(not (SHARED / "corpus" / "pdf").is_dir(), reason="../shared/corpus is not beside this checkout")
def test_real_pdf_reports(tmp_path: Path) -> None:
    pdfs = sorted(str(p) for p in (SHARED / "corpus" / "pdf").glob("*.pdf"))
    out = run("check", "-f", "json", *pdfs, cwd=tmp_path)
    doc = json.loads(out.stdout)
    assert doc["summary"]["errors"] == [] and doc["summary"]["files"] == 2
    found = [
        (Path(f["path"]).name, f["rule"], f["location"])
        for f in doc["findings"] if Severity[f["severity"].upper()] >= Severity.WARNING
    ]
    # 2024 report, page 1: "全面贯彻落实党中央国务院、省委省政府…" — the two organs take a 顿号 (a genuine slip)
    assert found == [("hongze_2024_zfxxgk_annual_report.pdf", "serious/党中央国务院", {"page": 1, "line": 12})]


def test_stdin_filename_gives_type_and_path(tmp_path: Path) -> None:
    page = "<html><body>\n<p>要<b>再接</b>再励</p></body></html>"
    out = run("check", "-f", "json", "--stdin-filename", "site/page.html", "-", cwd=tmp_path, stdin=page.encode())
    doc = json.loads(out.stdout)
    assert [(f["path"], f["line"], f["column"]) for f in doc["findings"]] == [("site/page.html", 2, 8)]
    assert doc["documents"]["site/page.html"]["kind"] == "html"
