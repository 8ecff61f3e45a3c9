"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched) for the people who read it.

Everything from the archive is escaped: the charts' labels with html.escape, the table's data as JSON in a
<script type="application/json"> with <, > and & written as \\u escapes, and put on the page by the script with
textContent only.
"""

from __future__ import annotations

import functools
import heapq
import html
import json
import os
import re
import time
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from errscan.model import CATEGORY_ZH, SHOWN, Severity
from errscan.reporters import csv as sheet

COLORS = {"error": "#b71c1c", "warning": "#ef6c00", "info": "#1e88e5"}
SEVERITY_ZH = {s.label: s.zh for s in Severity}
RANK = {s.label: int(s) for s in Severity}


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def script_json(value: object) -> str:
    """JSON safe inside a <script> element, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def bars(title: str, items: list[tuple[str, dict[str, int]]], note: str = "") -> str:
    """A horizontal bar chart; each bar stacked by severity."""
    if not items:
        return f'<div class="chart"><h2>{esc(title)}</h2><p>无数据</p></div>'
    label_w, bar_w, row_h = 170, 300, 28
    top = max(sum(v.values()) for _, v in items) or 1
    parts = [f'<svg viewBox="0 0 {label_w + bar_w + 60} {row_h * len(items) + 8}" role="img" '
             f'aria-label="{esc(title)}">']
    for i, (label, values) in enumerate(items):
        y = 4 + i * row_h
        short = label if len(label) <= 12 else label[:11] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end"><title>{esc(label)}</title>'
                     f'{esc(short)}</text>')
        x = float(label_w)
        for sev in (*SHOWN, "count"):
            n = values.get(sev, 0)
            if not n:
                continue
            w = bar_w * n / top
            color = COLORS.get(sev, "#8b1a1a")
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 1):.1f}" height="{row_h - 6}" '
                         f'fill="{color}"><title>{esc(label)}：{SEVERITY_ZH.get(sev, "")}{n}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 19}">{sum(values.values())}</text>')
    parts.append("</svg>")
    note_html = f"<p>{esc(note)}</p>" if note else ""
    return f'<div class="chart"><h2>{esc(title)}</h2>{"".join(parts)}{note_html}</div>'


def columns(title: str, counts: dict[str, int], note: str = "") -> str:
    """A column chart over time (months)."""
    note_html = f"<p>{esc(note)}</p>" if note else ""
    if not counts:
        return f'<div class="chart"><h2>{esc(title)}</h2><p>无数据</p>{note_html}</div>'
    keys = sorted(counts)
    width, height, left, bottom = 480, 160, 40, 30
    col_w = min((width - left) / len(keys), 60)
    top = max(counts.values()) or 1
    parts = [f'<svg viewBox="0 0 {width} {height + bottom}" role="img" aria-label="{esc(title)}">',
             f'<line x1="{left}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>',
             f'<text x="{left - 4}" y="12" text-anchor="end">{top}</text>']
    step = max(1, -(-len(keys) // 6))  # at most 6 labels: "2015-02" needs ~60 of the 440 units
    for i, key in enumerate(keys):
        h = (height - 16) * counts[key] / top
        x = left + i * col_w
        parts.append(f'<rect x="{x + 1:.1f}" y="{height - h:.1f}" width="{max(col_w - 2, 1):.1f}" height="{h:.1f}" '
                     f'fill="#8b1a1a"><title>{esc(key)}：{counts[key]}</title></rect>')
        if i % step == 0:
            parts.append(f'<text x="{x + col_w / 2:.1f}" y="{height + 18}" text-anchor="middle" font-size="13">'
                         f"{esc(key)}</text>")
    parts.append("</svg>")
    return f'<div class="chart"><h2>{esc(title)}</h2>{"".join(parts)}{note_html}</div>'


def top_rows(findings_file: Path, out_dir: Path, limit: int) -> tuple[list[dict[str, object]], int]:
    """The `limit` most severe findings (then in file order), streamed from findings.jsonl."""
    heap: list[tuple[int, int, dict[str, object]]] = []
    total = 0
    with open(findings_file, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            f = json.loads(line)
            total += 1
            item = (RANK.get(f["severity"], 0), -i, f)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item[:2] > heap[0][:2]:
                heapq.heapreplace(heap, item)
    rows = [row(f, out_dir) for _, _, f in sorted(heap, key=lambda t: (-t[0], -t[1]))]
    return rows, total


def row(f: dict[str, object], out_dir: Path) -> dict[str, object]:
    return {"href": href(str(f["path"]), out_dir), **report_row(f)}


def report_row(f: dict[str, object]) -> dict[str, object]:
    """A table row, but its "href" (which depends on where the report is): rendered in the worker, cached."""
    location = f.get("location") or {}
    return {
        "path": str(f["path"]), "line": f["line"], "column": f["column"],
        "severity": f["severity"], "severity_rank": RANK.get(str(f["severity"]), 0), "category": f["category"],
        "category_zh": CATEGORY_ZH.get(str(f["category"]), f["category"]), "text": f["text"],
        "suggestions": sheet.suggestions(f["suggestions"]),  # type: ignore[arg-type]
        "message": f["message"], "context": f["context"],
        "rule": f["rule"], "department": f.get("department", ""),
        "where": sheet.location(location) if isinstance(location, dict) else "",  # the CSV's wording
    }


def rows_json(rows: list[tuple[str, str]], out_dir: Path) -> str:
    """The table's rows as script_json, from (path, script_json of report_row without its "{")."""
    heads: dict[str, str] = {}
    folders: dict[str, str] = {}  # a local file's folder -> its link (one relpath per folder, not per file)
    parts = []
    for path, rest in rows:
        head = heads.get(path)
        if head is None:
            folder, name = os.path.split(path)
            if "://" in path or not folder or name in ("", ".", ".."):
                link = href(path, out_dir)
            else:
                base = folders.get(folder)
                if base is None:
                    base = folders[folder] = href(os.path.join(folder, "x"), out_dir)[:-1]
                link = base + quote(name, safe="/")
            head = heads[path] = '{"href": ' + script_json(link) + ", "
        parts.append(head + rest)
    return "[" + ", ".join(parts) + "]"


@functools.lru_cache(maxsize=4096)
def href(path: str, out_dir: Path) -> str:
    """A link relative to the report (so the archive and its report can move together); URLs as they are."""
    if "://" in path:
        return path if re.match(r"(?i)(file|s3|gs|az|abfs)://", path) else ""
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir))
    except ValueError:  # another drive on Windows
        return Path(os.path.abspath(path)).as_uri()
    return quote(rel.replace(os.sep, "/"), safe="/")


def stat(value: object, label: str, cls: str = "") -> str:
    return f'<div class="stat {cls}"><b>{esc(value)}</b><span>{esc(label)}</span></div>'


def write_report(out_dir: Path, summary: dict[str, object], limit: int = 20000,
                 top: list[tuple[str, str]] | None = None) -> Path:
    """`top`: the rows already chosen (Outputs.top_rows); without it they are read from findings.jsonl."""
    if top is None:
        dict_rows, total = top_rows(out_dir / "findings.jsonl", out_dir, limit)
        rows_text, shown = script_json(dict_rows), len(dict_rows)
    else:
        rows_text, shown, total = rows_json(top, out_dir), len(top), int(summary["findings"])  # type: ignore[call-overload]
    sev: dict[str, int] = summary["by_severity"]  # type: ignore[assignment]
    cats: dict[str, int] = summary["by_category"]  # type: ignore[assignment]
    depts: dict[str, dict[str, int]] = summary["by_department"]  # type: ignore[assignment]
    months: dict[str, int] = dict(summary["by_month"])  # type: ignore[call-overload]
    undated = months.pop("未知", 0)
    unreadable: list[dict[str, str]] = summary["unreadable"]  # type: ignore[assignment]
    stats = "".join([
        stat(summary["files"], "已检查文件"), stat(summary["findings"], "问题总数"),
        *(stat(sev.get(s, 0), SEVERITY_ZH[s], s) for s in SHOWN),
        stat(len(unreadable), "无法读取"), stat(summary["reused"], "复用上次结果"),
        stat(summary["rescanned"], "本次重新检查"), stat(f"{summary['elapsed']} 秒", "用时"),
    ])
    dept_items = [(d, {s: c.get(s, 0) for s in SHOWN}) for d, c in list(depts.items())[:15]]
    charts = "".join([
        bars("按级别", [(SEVERITY_ZH[s], {s: sev.get(s, 0)}) for s in SHOWN]),
        bars("按类别", [(CATEGORY_ZH.get(c, c), {"count": n}) for c, n in cats.items()]),
        bars("按部门（顶层文件夹，前 15 个）", dept_items),
        columns("按文稿日期（月）", months, f"另有 {undated} 处问题所在文稿未能确定日期" if undated else ""),
    ])
    notices = []
    if summary.get("interrupted"):
        notices.append('<div class="notice">审计被中断：本报告只包含中断前已检查的文件。</div>')
    if total > shown:
        notices.append(f'<div class="notice">共 {total} 处问题，本页列出最严重的 {shown} 处；'
                       "全部问题见 findings.csv 与 findings.jsonl。</div>")
    unread_html = ""
    if unreadable:
        items = "".join(f"<li>{esc(u['path'])}：{esc(u['message'])}</li>" for u in unreadable[:1000])
        more = f"<p>另有 {len(unreadable) - 1000} 个，见 summary.json。</p>" if len(unreadable) > 1000 else ""
        head = f"<h2>无法读取的文件（{len(unreadable)}）</h2>"
        unread_html = f'<div class="unreadable">{head}<ul>{items}</ul>{more}</div>'
    data = {"truncated": total > shown, "severity_zh": SEVERITY_ZH, "category_zh": CATEGORY_ZH}
    data_text = '{"rows": ' + rows_text + ", " + script_json(data)[1:]
    values = {
        "title": esc("errscan 归档审计报告"),
        "subtitle": esc(f"生成于 {time.strftime('%Y-%m-%d %H:%M')}；检查 {summary['files']} 个文件，"
                        f"共 {summary['bytes']:,} 字节"),  # type: ignore[str-format]
        "notices": "".join(notices), "stats": stats, "charts": charts, "unreadable": unread_html,
        "footer": esc("由 errscan audit 生成。链接指向报告所在目录的相对路径。"), "data": data_text,
    }
    template = resources.files("errscan.audit").joinpath("report.html").read_text(encoding="utf-8")
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)  # one pass: no re-substitution
    target = out_dir / "report.html"
    tmp = out_dir / "report.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
