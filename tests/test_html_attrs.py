"""A web page's most visible texts outside its body: <title>, meta description and keywords, alt and title
attributes; checked, located at their characters in the source, never joined with the body."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SHARED, needs_shared

from errscan import Scanner
from errscan.readers import read

PAGE = """<html><head><title>关于做好安全生产工作布署的通知</title>
<meta name="description" content="各单位要再接再励，做好&amp;布署">
<meta name="keywords" content="安全生产,布&#32626;"></head>
<body><p>正文没有错误。</p><img src="a.png" alt="中华人民
共合国国旗"><a href="x" title="既使如此">链接</a><a href="y" title="正文没有错误。">正文没有错误。</a>
<div style="display:none"><img src="b.png" alt="再接再励"></div><p title="再接再励" hidden>隐藏</p></body></html>
"""


def position(source: str, needle: str, nth: int = 0) -> tuple[int, int]:
    at = -1
    for _ in range(nth + 1):
        at = source.index(needle, at + 1)
    line = source.count("\n", 0, at) + 1
    return line, at - (source.rfind("\n", 0, at) + 1) + 1


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def test_each_text_found_and_located_in_the_source(scanner: Scanner) -> None:
    doc = read(PAGE.encode("utf-8"), "p.html")
    found = [(f.rule, f.line, f.column, dict(f.location)) for f in scanner.scan_document(doc, "p.html")]
    assert found == [
        ("typo/布署", *position(PAGE, "布署"), {"part": "title"}),
        ("typo/再接再励", *position(PAGE, "再接再励"), {"part": "description"}),
        ("typo/布署", *position(PAGE, "布署", 1), {"part": "description"}),  # after an entity: still exact
        ("typo/布署", *position(PAGE, "布&#32626;"), {"part": "keywords"}),  # a reference at its "&"
        ("serious/中华人民共合国", *position(PAGE, "中华人民"), {"part": "alt"}),  # across a source line break
        ("typo/既使", *position(PAGE, "既使"), {"part": "tooltip"}),
    ]
    # hidden elements' alt and title are not read; a title attribute the body already shows is not repeated
    parts = [place["part"] for _, place in doc.locator._parts]  # type: ignore[attr-defined]
    assert parts == ["title", "description", "keywords", "alt", "tooltip"]
    assert doc.text.count("正文没有错误。") == 2 and "隐藏" not in doc.text  # twice in the body, not a third


def test_the_body_is_as_before_and_never_joined(scanner: Scanner) -> None:
    page = "<html><head><title>中华人民</title></head><body><p>共合国</p><img alt='布' src=a><p>署</p></body></html>"
    doc = read(page.encode("utf-8"), "p.html")
    assert doc.text == "共合国\n署\n中华人民\n布"  # the body first, each other text on its own line
    assert scanner.scan_document(doc, "p.html") == []
    plain = read(b"<html><body><p>\xe5\x86\x8d\xe6\x8e\xa5\xe5\x86\x8d\xe5\x8a\xb1</p></body></html>", "q.html")
    assert plain.text == "再接再励" and plain.locate(0)[2] == {}


def test_the_terminal_and_json_name_the_place(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    pretty = subprocess.run([sys.executable, "-m", "errscan", "check", str(page)], capture_output=True,
                            text=True, env=env, timeout=120).stdout
    line, column = position(PAGE, "布署")
    assert f"  网页标题 {line}:{column}" in pretty
    assert "  页面描述 2:" in pretty and "  页面关键词 3:" in pretty
    assert "  图片说明（alt） 4:" in pretty and "  提示文字（title） 5:" in pretty
    doc = json.loads(subprocess.run([sys.executable, "-m", "errscan", "check", str(page), "-f", "json"],
                                    capture_output=True, text=True, env=env, timeout=120).stdout)
    assert [f["location"].get("part") for f in doc["findings"]] == [
        "title", "description", "description", "keywords", "alt", "tooltip"]


def test_fix_corrects_the_title_and_attributes_in_the_source(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "errscan", "fix", "--write", str(page)], capture_output=True,
                   text=True, timeout=120)
    fixed = page.read_text(encoding="utf-8")
    assert "<title>关于做好安全生产工作部署的通知</title>" in fixed
    assert 'content="各单位要再接再厉，做好&amp;部署"' in fixed and 'title="即使如此"' in fixed
    assert "布&#32626;" in fixed  # written as a reference: left for a person


@needs_shared
def test_real_pages_raise_no_new_finding(scanner: Scanner) -> None:
    """The 62 real pages of ../shared: nothing reported in their titles and attributes."""
    pages = sorted((SHARED / "corpus" / "html").rglob("*.html"))
    assert len(pages) == 62
    for path in pages:
        doc = read(path.read_bytes(), path.name)
        for f in scanner.scan_document(doc, path.name):
            assert dict(f.location).get("part") is None, (path.name, f.rule, f.text)
        parts = [place["part"] for _, place in doc.locator._parts]  # type: ignore[attr-defined]
        if path.parent.name == "nfra":  # whole pages: their title, tooltips and alt texts were read
            assert parts == ["title", "tooltip", "tooltip", "alt"]
            assert doc.text.split("\n")[-4] == "国家金融监督管理总局"
