"""The one CSV contract: `check --format csv` and `audit`'s findings.csv, one row per finding, for Excel.

UTF-8 with a BOM (without it Excel reads the Chinese as GBK mojibake), Chinese headers, CRLF rows (the csv
module's default). Both write the same columns, built here from a finding's JSON dict (`Finding.to_dict()`, what
audit workers render from), so the same finding is the same row in both; `check` leaves “部门” empty. Text comes
from web pages, so any cell that Excel would take for a formula (it starts with = + - @, a tab, CR or LF) gets a
leading apostrophe. An input that could not be read is a row too, with level “无法检查”, so that filtering the
sheet never makes it look clean.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import IO

from errscan.model import Report, Severity, category_zh, where_zh

HEADER = ("文件", "行", "列", "级别", "类别", "问题文字", "建议", "说明", "上下文", "规则", "位置", "部门")
BOM = "\ufeff"
UNREADABLE = "无法检查"
SUGGESTION_SEP = "、"
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")
_SEVERITY_ZH = {s.label: s.zh for s in Severity}


def cell(value: object) -> str:
    """A text cell that Excel shows as text, never evaluates."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def location(where: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """Where a person finds it, in Chinese: 表1第2行第3列, 第3页第12行 (model.where_zh; "" for plain text)."""
    return where_zh(where)


def suggestions(values: Iterable[object]) -> str:
    """The suggestions as one cell's text: 部署、布置."""
    return SUGGESTION_SEP.join(str(v) for v in values)


def severity_zh(label: str) -> str:
    """错误, 警告, 提示 for a finding's "severity"."""
    return _SEVERITY_ZH.get(label) or Severity.parse(label).zh


def row(f: Mapping[str, object], department: str = "") -> list[str]:
    """One finding (its JSON dict, `Finding.to_dict()`) as a row under HEADER."""
    where = f.get("location") or {}
    found: Iterable[object] = f["suggestions"]  # type: ignore[assignment]
    return [
        cell(f["path"]), cell(f["line"]), cell(f["column"]), severity_zh(str(f["severity"])),
        cell(category_zh(str(f["category"]))), cell(f["text"]), cell(suggestions(found)), cell(f["message"]),
        cell(f["context"]), cell(f["rule"]), cell(location(where) if isinstance(where, Mapping) else ""),
        cell(department),
    ]


def error_row(path: str, message: str, department: str = "") -> list[str]:
    """An input that could not be read, as a row under HEADER."""
    return [cell(path), "", "", UNREADABLE, "", "", "", cell(message), "", "", "", cell(department)]


def lines(rows: Iterable[Iterable[object]]) -> str:
    """Rows as CSV text (excel dialect: CRLF, quotes where needed); no BOM."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def head() -> str:
    """What a CSV file starts with: the BOM and the header row."""
    return BOM + lines([HEADER])


def render(report: Report, out: IO[str]) -> None:
    out.write(head())
    writer = csv.writer(out)
    writer.writerows(row(f.to_dict()) for f in report.findings)
    writer.writerows(error_row(e.path, e.message) for e in report.errors)
