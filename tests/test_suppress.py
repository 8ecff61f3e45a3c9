"""Inline suppressions: errscan-disable… comments in text, Markdown and HTML."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import spans

from errscan import Scanner
from errscan.config import Config
from errscan.model import Document, Severity
from errscan.readers import read
from errscan.run import Runner
from errscan.suppress import UNUSED_RULE, Directive, apply, directives, document_directives, unused_findings


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


def check(scanner: Scanner, text: str, kind: str = "text"):
    """(kept, suppressed, unused) as (rule, line, column) / (line, kind)."""
    kept, suppressed, unused = apply(scanner.scan_text(text), directives(text, kind))
    return spans(kept), spans(suppressed), [(d.line, d.kind) for d in unused]


# --- parsing -----------------------------------------------------------------------------------------------
def test_directive_forms_and_positions():
    text = (
        "标题\n"
        "# errscan-disable-next-line typo\n"
        "  // errscan-disable typo/布署, serious -- 引用原文\n"
        "正文<!-- errscan-disable-line -->\n"
        "<!--\n  errscan-enable\n-->\n"
        "#errscan-disable-file\n"
        "# errscan-disabled typo\n"  # not a directive
        "# errscan-disable-lines\n"  # not a directive
        "正文 # errscan-disable-next-line\n"  # not alone on its line
        "// errscan-disable-next-line 布署、再接再励，variant\n"
    )
    found = directives(text, "text")
    assert [(d.line, d.kind, d.rules, d.column) for d in found] == [
        (2, "disable-next-line", ("typo",), 1),
        (3, "disable", ("typo/布署", "serious"), 1),
        (4, "disable-line", (), 3),
        (5, "enable", (), 1),
        (8, "disable-file", (), 1),
        (12, "disable-next-line", ("布署", "再接再励", "variant"), 1),
    ]
    assert found[1].text == "errscan-disable typo/布署, serious -- 引用原文"
    assert found[3].end_line == 7
    assert found[0].target == 4  # line 3 is another directive: no text
    assert found[5].target is None  # nothing follows
    assert directives("no directives here", "text") == []


def test_html_reads_only_comments():
    source = "<p># errscan-disable-file</p>\n<!-- errscan-disable typo -->\n<p>x</p>\n"
    assert directives(source, "html") == [
        Directive(2, "disable", ("typo",), 1, 30, 2, 30, None, "errscan-disable typo")
    ]


# --- text and Markdown -------------------------------------------------------------------------------------
def test_next_line_plain_text_hash_and_slashes(scanner: Scanner):
    text = "# errscan-disable-next-line\n再接再励，布署\n布署\n// errscan-disable-next-line typo/布署\n\n布署，再接再励"
    kept, suppressed, unused = check(scanner, text)
    assert kept == [("typo/布署", 3, 1), ("typo/再接再励", 6, 4)]
    assert suppressed == [("typo/再接再励", 2, 1), ("typo/布署", 2, 6), ("typo/布署", 6, 1)]
    assert unused == []


def test_next_line_markdown_comment_rule_specific(scanner: Scanner):
    text = "# 标题\n\n<!-- errscan-disable-next-line serious -->\n\n中华人民共合国要再接再励。\n中华人民共合国\n"
    kept, suppressed, _ = check(scanner, text)
    assert suppressed == [("serious/中华人民共合国", 5, 1)]
    assert kept == [("typo/再接再励", 5, 9), ("serious/中华人民共合国", 6, 1)]


def test_disable_line_inline_comment(scanner: Scanner):
    text = "要再接再励 <!-- errscan-disable-line typo -->\n再接再励\n"
    assert check(scanner, text) == ([("typo/再接再励", 2, 1)], [("typo/再接再励", 1, 2)], [])


def test_disable_enable_range(scanner: Scanner):
    text = (
        "布署\n"
        "<!-- errscan-disable typo -->\n"
        "布署，再接再励，中华人民共合国\n"
        "<!-- errscan-enable typo -->\n"
        "布署\n"
    )
    kept, suppressed, unused = check(scanner, text)
    assert kept == [("typo/布署", 1, 1), ("serious/中华人民共合国", 3, 9), ("typo/布署", 5, 1)]
    assert suppressed == [("typo/布署", 3, 1), ("typo/再接再励", 3, 4)]
    assert unused == []


def test_disable_all_then_enable_one_rule(scanner: Scanner):
    text = (
        "# errscan-disable\n布署，中华人民共合国\n# errscan-enable typo/布署\n布署，中华人民共合国\n"
        "# errscan-enable\n布署\n"
    )
    kept, suppressed, _ = check(scanner, text)
    assert kept == [("typo/布署", 4, 1), ("typo/布署", 6, 1)]
    assert suppressed == [("typo/布署", 2, 1), ("serious/中华人民共合国", 2, 4), ("serious/中华人民共合国", 4, 4)]


def test_disable_without_enable_runs_to_the_end(scanner: Scanner):
    text = "布署\n// errscan-disable\n\n布署\n\n\n再接再励\n"
    assert check(scanner, text)[0] == [("typo/布署", 1, 1)]


def test_disable_file(scanner: Scanner):
    text = "布署，中华人民共合国\n\n<!-- errscan-disable-file typo -->\n再接再励\n"
    kept, suppressed, _ = check(scanner, text)
    assert kept == [("serious/中华人民共合国", 1, 4)]
    assert suppressed == [("typo/布署", 1, 1), ("typo/再接再励", 4, 1)]
    assert check(scanner, "布署\n# errscan-disable-file\n中华人民共合国\n")[0] == []


def test_directive_naming_a_term_is_not_a_finding(scanner: Scanner):
    text = "# errscan-disable-next-line typo/布署 -- 原文如此：布署\n布署\n"
    kept, suppressed, unused = check(scanner, text)
    assert (kept, suppressed, unused) == ([], [("typo/布署", 2, 1)], [])


# --- unused ------------------------------------------------------------------------------------------------
def test_unused_directives(scanner: Scanner):
    text = (
        "# errscan-disable-next-line serious\n布署\n"  # wrong rule: unused
        "# errscan-disable-file variant\n"  # nothing of that list: unused
        "<!-- errscan-disable typo -->再接再励<!-- errscan-enable -->\n"  # used; enables are never reported
        "# errscan-disable-next-line\n"  # nothing follows: unused
    )
    kept, suppressed, unused = check(scanner, text)
    assert kept == [("typo/布署", 2, 1)] and suppressed == [("typo/再接再励", 4, 30)]
    assert unused == [(1, "disable-next-line"), (3, "disable-file"), (5, "disable-next-line")]

    _, _, found = apply(scanner.scan_text(text), directives(text))
    first = unused_findings(found, "稿件.md")[0]
    assert (first.rule, first.list_id, first.category) == (UNUSED_RULE, "errscan", "meta")
    assert first.severity == Severity.WARNING
    assert (first.path, first.line, first.column, first.offset, first.text) == (
        "稿件.md", 1, 1, 0, "errscan-disable-next-line serious"
    )
    assert first.message == "豁免注释“errscan-disable-next-line serious”没有屏蔽任何问题，可以删除。"


def test_scan_with_config_reports_unused_only_when_asked():
    text = "# errscan-disable-next-line variant\n布署\n"
    config, plain, asked = Config(), Runner(), Runner(report_unused=True)
    assert spans(plain.check(Document(text), "a.txt", config=config).findings) == [("typo/布署", 2, 1)]
    both = asked.check(Document(text), "a.txt", config=config).findings
    assert spans(both) == [(UNUSED_RULE, 1, 1), ("typo/布署", 2, 1)]
    silenced = Config(disable=("errscan",))  # the config applies to these warnings too
    assert spans(asked.check(Document(text), "a.txt", config=silenced).findings) == spans(both)[1:]


# --- HTML --------------------------------------------------------------------------------------------------
PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>通知</title></head>
<body>
<!-- errscan-disable-next-line typo -->
<div class="content">
  <p>我们要再接再励，布署工作。</p>
  <p>中华人民共合国</p>
</div>
<p>再接再励<!-- errscan-disable-line --></p>
<!-- errscan-disable serious -->
<ul><li>中华人民共合国</li>
<li>布署</li></ul>
<!-- errscan-enable serious -->
<p>中华人民共合国</p>
<!-- errscan-disable-next-line privacy -->
<p>别的</p>
</body></html>
"""


def html_check(scanner: Scanner, page: str):
    doc = read(page.encode("utf-8"), "page.html")
    assert doc.kind == "html"
    found = document_directives(doc, page)
    return apply(scanner.scan_document(doc, "page.html"), found), found


def test_html_directives_on_source_lines(scanner: Scanner):
    (kept, suppressed, unused), found = html_check(scanner, PAGE)
    assert [(d.line, d.kind, d.target) for d in found] == [
        (4, "disable-next-line", 6),  # line 5 is only a tag: the next line with text is 6
        (9, "disable-line", None),
        (10, "disable", None),
        (13, "enable", None),
        (15, "disable-next-line", 16),
    ]
    assert spans(suppressed) == [
        ("typo/再接再励", 6, 9), ("typo/布署", 6, 14), ("typo/再接再励", 9, 4), ("serious/中华人民共合国", 11, 9),
    ]
    assert spans(kept) == [("serious/中华人民共合国", 7, 6), ("typo/布署", 12, 5), ("serious/中华人民共合国", 14, 4)]
    assert [(d.line, d.kind) for d in unused] == [(15, "disable-next-line")]
    (first,) = unused_findings(unused, "page.html")
    assert (first.line, first.column, first.offset) == (15, 1, PAGE.index("<!-- errscan-disable-next-line privacy"))


def test_html_gbk_page_and_locator_source(scanner: Scanner, tmp_path: Path):
    page = PAGE.replace("utf-8", "gbk")
    data = page.encode("gbk")
    doc = read(data, "page.html")
    source = data.decode("gb18030")
    with_source = apply(scanner.scan_document(doc), document_directives(doc, source))[0]
    assert spans(with_source) == [
        ("serious/中华人民共合国", 7, 6), ("typo/布署", 12, 5), ("serious/中华人民共合国", 14, 4),
    ]
    if getattr(doc.locator, "source", None) is None:  # until the HTML reader keeps its source
        assert document_directives(doc) == []
    else:
        assert document_directives(doc) == document_directives(doc, source)


def test_html_text_hash_line_is_no_directive(scanner: Scanner):
    page = "<html><body>\n<p># errscan-disable-file</p>\n<p>布署</p>\n</body></html>\n"
    (kept, _, _), found = html_check(scanner, page)
    assert found == [] and spans(kept) == [("typo/布署", 3, 4)]


def test_a_document_without_directives_never_imports_the_module() -> None:
    """Run.check looks for "errscan-" where the directives would be before it imports errscan.suppress."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom errscan.model import Document\nfrom errscan.run import Runner\n"
        "r = Runner(config=None)\n"
        "print(len(r.check(Document('我们要再接再励。'), 'a.txt').findings), 'errscan.suppress' in sys.modules)\n"
        "print(len(r.check(Document('# errscan-disable-next-line\\n我们要再接再励。'), 'a.txt').findings),"
        " 'errscan.suppress' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["1 False", "0 True"]
