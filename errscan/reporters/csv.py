"""`--format csv`: one row per finding, for clerks who open it in Excel.

UTF-8 with a BOM (without it Excel reads the Chinese as GBK mojibake), Chinese headers, CRLF rows (the csv
module's default). Text comes from web pages, so any cell that Excel would take for a formula (it starts with
= + - @, or a tab or CR) gets a leading apostrophe. An input that could not be read is a row too, with level
“无法检查”, so that filtering the sheet never makes it look clean.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO

from errscan.model import Finding, InputError, Report, category_zh

HEADER = ("文件", "行", "列", "级别", "类别", "原文", "建议", "说明", "上下文", "规则", "位置")
UNREADABLE = "无法检查"
LOCATION_ZH = {
    "page": "页",
    "paragraph": "段",
    "line": "行",
    "table": "表",
    "row": "行",
    "cell": "单元格",
    "sheet": "工作表",
    "part": "部分",
    "note": "注",
    "textbox": "文本框",
    "anchor": "锚定于",
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A text cell that Excel shows as text, never evaluates."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def location(f: Finding) -> str:
    """Where a person finds it, in Chinese: 表 1，行 2，单元格 3."""
    return _where(f.location)


def _where(items: Iterable[tuple[str, object]]) -> str:
    return "，".join(
        f"{LOCATION_ZH.get(k, k)} " + (f"（{_where(v.items())}）" if isinstance(v, dict) else str(v)) for k, v in items
    )


def row(f: Finding) -> list[object]:
    return [
        cell(f.path), f.line, f.column, f.severity.zh, cell(category_zh(f.category)), cell(f.text),
        cell(" / ".join(f.suggestions)), cell(f.message), cell(f.context), cell(f.rule), cell(location(f)),
    ]


def error_row(e: InputError) -> list[object]:
    return [cell(e.path), "", "", UNREADABLE, "", "", "", cell(e.message), "", "", ""]


def render(report: Report, out: IO[str]) -> None:
    out.write("\ufeff")
    writer = csv.writer(out)  # excel dialect: CRLF, quotes where needed
    writer.writerow(HEADER)
    writer.writerows(row(f) for f in report.findings)
    writer.writerows(error_row(e) for e in report.errors)
