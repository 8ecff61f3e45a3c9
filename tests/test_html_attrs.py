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


# 布署 (a slip in the lists: 部署) in each text, after references and across source lines
EACH = """<html><head>
<title>关于&amp;做好
布署的通知</title>
<meta name="Description" content="&#x5E03;置&amp;布署工作">
<meta content="安全生产,&#24067;署" name="keywords">
</head><body><p>正文第一段。</p>
<img src="a.png" alt="工作布
署图">
<a href="x" data-tip='title="布署甲"' title="&lt;b&gt;布署乙">链接</a>
<input type="IMAGE" src="b.png" alt="布署丙"><input type="hidden" title="布署丁">
<link rel="alternate" title="布署戊"><svg><title>布署己</title></svg>
<div hidden><img src="c.png" alt="布署庚"></div><span style="visibility: hidden" title="布署辛">x</span>
</body></html>
"""


def check_json(tmp_path: Path, page: str) -> list[dict[str, object]]:
    path = tmp_path / "p.html"
    path.write_text(page, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "errscan", "check", str(path), "-f", "json"], capture_output=True,
                         text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=120).stdout
    return json.loads(out)["findings"]  # type: ignore[no-any-return]


def test_exact_line_column_and_offset_of_each(tmp_path: Path) -> None:
    doc = read(EACH.encode("utf-8"), "p.html")
    found = [(f["line"], f["column"], f["offset"], f["text"], f["location"]) for f in check_json(tmp_path, EACH)
             if f["rule"] == "typo/布署"]
    lines = EACH.split("\n")

    def at(line: int, needle: str) -> tuple[int, int]:
        return line, lines[line - 1].index(needle) + 1

    text = doc.text
    assert found == [
        (*at(3, "布署的"), text.index("布署的"), "布署", {"part": "title"}),  # its line, after &amp; a line above
        (*at(4, "布署工作"), text.index("布署工作"), "布署", {"part": "description"}),  # after &#x5E03; and &amp;
        (*at(5, "&#24067;署"), text.index(",布署") + 1, "布署", {"part": "keywords"}),  # a reference: at its &
        (*at(7, "布"), text.index("工作布署图") + 2, "布署", {"part": "alt"}),  # 布 and 署 on two source lines
        (*at(9, "布署乙"), text.index("布署乙"), "布署", {"part": "tooltip"}),  # not the one inside data-tip
        (*at(10, "布署丙"), text.index("布署丙"), "布署", {"part": "alt"}),  # type="IMAGE"
    ]
    assert doc.metadata["title"] == "关于&做好 布署的通知" and "布署己" not in text  # an SVG's title is not the page's
    for hidden in ("布署甲", "布署丁", "布署戊", "布署庚", "布署辛"):  # another attribute, hidden, head-only
        assert hidden not in text


def test_the_terminal_says_where(tmp_path: Path) -> None:
    path = tmp_path / "p.html"
    path.write_text(EACH, encoding="utf-8")
    pretty = subprocess.run([sys.executable, "-m", "errscan", "check", str(path)], capture_output=True, text=True,
                            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}, timeout=120).stdout
    for where in ("网页标题 3:1", "页面描述 4:", "页面关键词 5:", "图片说明（alt） 7:", "提示文字（title） 9:",
                  "图片说明（alt） 10:"):
        assert f"  {where}" in pretty, where
    assert "布署庚" not in pretty and "布署辛" not in pretty


def test_body_findings_are_exactly_as_without_the_other_texts(tmp_path: Path) -> None:
    """The same page with the title, meta and attributes renamed to what is not read (same lengths, so the same
    source positions): its findings are the body's findings of the page itself, field for field."""
    page = ("<html><head><title>再接再励</title><meta name=\"description\" content=\"既使\"></head><body>\n"
            "<p title=\"中华人民共合国\">各单位要再接再励，<a href=x title=\"既使如此\">做好布署</a></p>\n"
            "<img alt=\"布署\" src=a><p>最后一段：既使如此，也要部署。</p></body></html>")
    plain = (page.replace("<title>", "<style>").replace("</title>", "</style>").replace(" title=", " titlx=")
             .replace(" alt=", " alx=").replace("\"description\"", "\"descriptiox\""))
    assert len(plain) == len(page)
    with_extras = check_json(tmp_path, page)
    body = [f for f in with_extras if not f["location"]]
    assert body == check_json(tmp_path, plain) and len(body) >= 3
    # the description 既使, the tooltip 既使如此 and the alt 布署: the body shows them already, reported there
    assert [(f["location"]["part"], f["text"]) for f in with_extras if f["location"]] == [
        ("title", "再接再励"), ("tooltip", "中华人民共合国")]
