"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched) for the people who read it.

Everything from the archive is escaped: the charts' labels with html.escape, the tables' data (the findings, the
files) as JSON in a <script type="application/json"> with <, > and & written as \\u escapes, and put on the page
by the script with textContent only. Personal data is named by its kind (手机号码), never by a value: the
findings' own text is masked already (138****5678), and the term counts count it by kind.

Every chart is coloured by severity (COLORS, with a legend): the counts by category, term and file are read from
findings.jsonl in one pass; the months' severities add up each file's findings under its month, which the cache
keeps (summary.json counts findings by month without severity). A count that cannot be split is drawn grey.
"""

from __future__ import annotations

import functools
import heapq
import html
import itertools
import json
import math
import os
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from errscan.model import CATEGORY_ZH, SHOWN, Severity
from errscan.reporters import csv as sheet

COLORS = {"error": "#b71c1c", "warning": "#ef6c00", "info": "#1e88e5"}
UNSPLIT = "#9e9e9e"  # a count the report cannot split by severity
SEVERITY_ZH = {s.label: s.zh for s in Severity}
RANK = {s.label: int(s) for s in Severity}
AT = {s: i for i, s in enumerate(SHOWN)}  # a severity's place in the [错误, 警告, 提示] counts
PRIVACY_ZH = {  # personal data in the term counts: its kind, never a value
    "privacy/mobile": "手机号码", "privacy/id-card": "居民身份证号码", "privacy/id-card-15": "15位身份证号码",
    "privacy/bank-card": "银行卡号", "privacy/uscc-check": "信用代码校验码",
}
FONT, TICK = 15, 13  # px, as report.html sets them: `.chart svg text`, `.chart svg .tick`
FILE_ROWS = 100  # files in the per-file table
TERM_BARS = 15
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
MAX_MONTHS = 360  # a time axis longer than this shows only the months that have findings


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def script_json(value: object) -> str:
    """JSON safe inside a <script> element, whatever the strings hold."""
    text = json.dumps(value, ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- charts ------------------------------------------------------------------------------------------------------
def text_width(text: str, size: float) -> float:
    """About how wide `text` is drawn at `size`: a CJK character a full em, anything else 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """`text`, cut short with … to fit `width`."""
    if text_width(text, size) <= width:
        return text
    room, used, out = width - size, 0.0, []
    for ch in text:
        used += text_width(ch, size)
        if used > room:
            break
        out.append(ch)
    return "".join(out) + "…"


def legend(unsplit: bool = False) -> str:
    items = [(COLORS[s], SEVERITY_ZH[s]) for s in SHOWN] + ([(UNSPLIT, "未分级")] if unsplit else [])
    return '<p class="legend">' + "".join(
        f'<span><i style="background:{color}"></i>{esc(name)}</span>' for color, name in items) + "</p>"


def segments(values: dict[str, int]) -> list[tuple[str, int, str, str]]:
    """(severity, count, colour, its name) of a bar's or a column's parts, the most severe first."""
    out = [(s, values.get(s, 0), COLORS[s], SEVERITY_ZH[s]) for s in SHOWN]
    out.append(("count", values.get("count", 0), UNSPLIT, "未分级"))
    return [part for part in out if part[1]]


def chart(title: str, body: str, note: str = "", unsplit: bool = False) -> str:
    note_html = f'<p class="note">{esc(note)}</p>' if note else ""
    return f'<div class="chart"><h2>{esc(title)}</h2>{legend(unsplit)}{body}{note_html}</div>'


def bars(title: str, items: list[tuple[str, dict[str, int]]] | list[tuple[str, dict[str, int], str]],
         note: str = "") -> str:
    """A horizontal bar chart; each bar stacked by severity ({"error": 2, …}; "count": not split, grey).
    An item's third element, if any, is its tooltip (else its label)."""
    if not items:
        return chart(title, "<p>无数据</p>", note)
    label_w, bar_w, row_h = 170, 300, 28
    top = max(sum(v.values()) for _, v, *_ in items) or 1
    parts = [f'<svg viewBox="0 0 {label_w + bar_w + 60} {row_h * len(items) + 8}" role="img" '
             f'aria-label="{esc(title)}">']
    unsplit = False
    for i, (label, values, *tip) in enumerate(items):
        full = tip[0] if tip else label
        y = 4 + i * row_h
        total = sum(values.values())
        parts.append(f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end"><title>{esc(full)}</title>'
                     f"{esc(fit(label, label_w - 12))}</text>")
        x = float(label_w)
        for sev, n, color, name in segments(values):
            unsplit = unsplit or sev == "count"
            w = max(bar_w * n / top, 1)
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{color}" '
                         f'data-severity="{sev}"><title>{esc(full)}：{name} {n} 处（共 {total} 处）</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 19}">{total}</text>')
    parts.append("</svg>")
    return chart(title, "".join(parts), note, unsplit)


def month_index(key: str) -> int | None:
    m = MONTH.fullmatch(key)
    return int(m.group(1)) * 12 + int(m.group(2)) - 1 if m else None


def month_axis(keys: list[str]) -> list[str]:
    """The time axis: every month from the first to the last (none left out, so equal steps are equal times),
    then any key that is no month; only the months given if the span is too long to draw."""
    dated = sorted(k for k in keys if month_index(k) is not None)
    odd = sorted(k for k in keys if month_index(k) is None)
    if dated:
        first, last = month_index(dated[0]), month_index(dated[-1])
        assert first is not None and last is not None
        if last - first < MAX_MONTHS:
            dated = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]
    return dated + odd


def month_zh(key: str) -> str:
    m = MONTH.fullmatch(key)
    return f"{m.group(1)}年{int(m.group(2))}月" if m else key


def ticks(keys: list[str], col_w: float) -> dict[int, str]:
    """The labelled columns (index -> label): every k-th month, k the least of 1, 2, 3, 6 months, 1, 2, 5, 10
    years that leaves room between labels; on a run of months, at months a multiple of k from January (each
    quarter, each January), yearly ones named by their year."""
    at = [month_index(k) for k in keys]
    run = all(m is not None for m in at) and all(b - a == 1 for a, b in itertools.pairwise(at))  # type: ignore[operator]

    def label(key: str, yearly: bool) -> str:
        return key[:4] + "年" if yearly else key

    step = 1
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        widest = max(text_width(label(k, run and step >= 12), TICK) for k in keys)
        if step * col_w >= widest + 10:
            break
    else:
        step = math.ceil((widest + 10) / col_w)
        run = False  # no calendar step fits: every k-th column
    if run:
        shown = {i: label(k, step >= 12) for i, (k, m) in enumerate(zip(keys, at, strict=True)) if m % step == 0}  # type: ignore[operator]
    else:
        shown = {i: label(k, False) for i, k in enumerate(keys) if i % step == 0}
    return shown or {0: label(keys[0], False)}


def columns(title: str, counts: dict[str, dict[str, int]], note: str = "") -> str:
    """A column chart over time (months), each column stacked by severity."""
    if not counts:
        return chart(title, "<p>无数据</p>", note)
    keys = month_axis(list(counts))
    width, height, left, right, bottom = 520, 170, 44, 34, 34
    col_w = min((width - left - right) / len(keys), 40)
    top = max(sum(v.values()) for v in counts.values()) or 1
    parts = [f'<svg viewBox="0 0 {width} {height + bottom}" role="img" aria-label="{esc(title)}">',
             f'<line x1="{left}" y1="{height}" x2="{width - right}" y2="{height}" stroke="#999"/>',
             f'<line x1="{left}" y1="16" x2="{width - right}" y2="16" stroke="#ddd" stroke-dasharray="3 3"/>',
             f'<text class="tick" x="{left - 5}" y="20" text-anchor="end">{top}</text>',
             f'<text class="tick" x="{left - 5}" y="{height}" text-anchor="end">0</text>']
    gap = 1.0 if col_w > 4 else 0.0
    unsplit = False
    labels = ticks(keys, col_w)
    for i, key in enumerate(keys):
        values = counts.get(key, {})
        total, full, x, y = sum(values.values()), month_zh(key), left + i * col_w, float(height)
        for sev, n, color, name in segments(values):
            unsplit = unsplit or sev == "count"
            h = (height - 16) * n / top
            y -= h
            parts.append(f'<rect x="{x + gap:.1f}" y="{y:.1f}" width="{max(col_w - 2 * gap, 0.5):.1f}" '
                         f'height="{h:.1f}" fill="{color}" data-severity="{sev}">'
                         f"<title>{esc(full)}：{name} {n} 处（共 {total} 处）</title></rect>")
        if i in labels:
            parts.append(f'<text class="tick" x="{x + col_w / 2:.1f}" y="{height + 20}" text-anchor="middle">'
                         f"<title>{esc(full)}：共 {total} 处</title>{esc(labels[i])}</text>")
    parts.append("</svg>")
    return chart(title, "".join(parts), note, unsplit)


def split(counts: list[int] | None, total: int) -> dict[str, int]:
    """A count by severity, if `counts` ([错误, 警告, 提示]) adds up to it; else the count, not split."""
    if counts is not None and sum(counts) == total:
        return {s: n for s, n in zip(SHOWN, counts, strict=True) if n}
    return {"count": total} if total else {}


def term_label(term: dict[str, object]) -> tuple[str, str]:
    """A top term's label and tooltip: personal data by its kind (the term is its rule), never a value."""
    text, category = str(term["text"]), str(term["category"])
    if category == "privacy":
        kind = PRIVACY_ZH.get(text, "个人信息")
        return kind, f"{kind}（个人信息，号码不在报告中显示）"
    return text, f"{text}（{CATEGORY_ZH.get(category, category)}）"


# --- one pass over findings.jsonl ----------------------------------------------------------------------------
@dataclass
class Tally:
    """findings.jsonl counted by severity ([错误, 警告, 提示]) per category, per term (keyed as summary.json's
    top_terms are), per file (the `FILE_ROWS` with the most errors, then warnings, then notes) and per month."""

    categories: dict[str, list[int]] = field(default_factory=dict)
    terms: dict[tuple[str, str, str], list[int]] = field(default_factory=dict)
    files: list[tuple[str, list[int]]] = field(default_factory=list)
    files_with_findings: int = 0
    months: dict[str, list[int]] | None = None  # None: the cache could not say


class _Months:
    """The findings of each file added up under its month, which the cache's row of the file keeps (the audit
    that just ran wrote or confirmed it); files looked up in batches, read only."""

    def __init__(self, cache: object):
        self.db: sqlite3.Connection | None = None
        self.totals: dict[str, list[int]] = {}
        self.batch: list[tuple[str, list[int]]] = []
        if cache and os.path.isfile(str(cache)):
            try:
                self.db = sqlite3.connect(Path(str(cache)).resolve().as_uri() + "?mode=ro", uri=True)
            except sqlite3.Error:
                self.db = None

    def add(self, path: str, counts: list[int]) -> None:
        if self.db is not None:
            self.batch.append((path, counts))
            if len(self.batch) >= 500:
                self.flush()

    def flush(self) -> None:
        if self.db is None or not self.batch:
            return
        names = list(dict.fromkeys(p for p, _ in self.batch))
        try:
            metas = dict(self.db.execute(
                f"SELECT path, meta FROM files WHERE path IN ({','.join('?' * len(names))})", names))
        except sqlite3.Error:
            self.close()
            return
        for path, counts in self.batch:
            meta = metas.get(path)
            if meta is None:
                continue  # not in the cache (a name the outputs escape): its month's count stays unsplit
            try:
                month = str(json.loads(meta).get("date", ""))[:7] or "未知"
            except (ValueError, AttributeError):
                continue
            into = self.totals.setdefault(month, [0, 0, 0])
            for i, n in enumerate(counts):
                into[i] += n
        self.batch.clear()

    def result(self) -> dict[str, list[int]] | None:
        self.flush()
        ok = self.db is not None
        self.close()
        return self.totals if ok else None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None


def tally(findings_file: Path, cache: object = None, file_rows: int = FILE_ROWS) -> Tally:
    """Count findings.jsonl. A file's findings are written together: a file is a run of lines."""
    out = Tally()
    months = _Months(cache)
    heap: list[tuple[int, int, int, int, str]] = []  # (errors, warnings, notes, -order, path): the least first
    path: str | None = None
    counts = [0, 0, 0]

    def close_run() -> None:
        out.files_with_findings += 1
        item = (*counts, -out.files_with_findings, path)
        if len(heap) < file_rows:
            heapq.heappush(heap, item)  # type: ignore[arg-type]
        elif item[:4] > heap[0][:4]:
            heapq.heapreplace(heap, item)  # type: ignore[arg-type]
        months.add(path, counts)  # type: ignore[arg-type]

    try:
        with open(findings_file, encoding="utf-8") as fh:
            for line in fh:
                f = json.loads(line)
                at = AT.get(str(f["severity"]))
                if at is None:
                    continue
                if f["path"] != path:
                    if path is not None:
                        close_run()
                    path, counts = str(f["path"]), [0, 0, 0]
                counts[at] += 1
                category, rule = str(f["category"]), str(f["rule"])
                out.categories.setdefault(category, [0, 0, 0])[at] += 1
                # keyed as outputs.render keys the term counts: personal data by its kind, never by its value
                key = (rule, "", category) if category == "privacy" else (str(f["text"]), rule, category)
                out.terms.setdefault(key, [0, 0, 0])[at] += 1
    except OSError:
        months.close()
        return out
    if path is not None:
        close_run()
    merged: dict[str, list[int]] = {}  # a file met twice (given twice): one row
    for *n, order, name in heap:
        into = merged.setdefault(name, [0, 0, 0, -order])
        for i in range(3):
            into[i] += n[i]
    out.files = [(name, n[:3]) for name, n in sorted(merged.items(), key=lambda kv: (*(-v for v in kv[1][:3]),
                                                                                      kv[1][3]))]
    out.months = months.result()
    return out


def month_counts(summary: dict[str, object], months: dict[str, int], derived: dict[str, list[int]] | None
                 ) -> dict[str, dict[str, int]]:
    """The month chart's columns: summary.json's counts, split by severity where the split adds up to them."""
    given = summary.get("by_month_severity")
    if isinstance(given, dict):
        return {m: dict(given.get(m) or {"count": n}) for m, n in months.items()}
    return {m: split((derived or {}).get(m), n) for m, n in months.items()}


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



def file_rows_data(t: Tally, out_dir: Path) -> list[dict[str, object]]:
    return [{"path": p, "href": href(p, out_dir), **dict(zip(SHOWN, n, strict=True)), "total": sum(n)}
            for p, n in t.files]


def write_report(out_dir: Path, summary: dict[str, object], limit: int = 20000,
                 top: list[tuple[str, str]] | None = None, file_rows: int = FILE_ROWS) -> Path:
    """`top`: the rows already chosen (Outputs.top_rows); without it they are read from findings.jsonl."""
    if top is None:
        dict_rows, total = top_rows(out_dir / "findings.jsonl", out_dir, limit)
        rows_text, shown = script_json(dict_rows), len(dict_rows)
    else:
        rows_text, shown, total = rows_json(top, out_dir), len(top), int(summary["findings"])  # type: ignore[call-overload]
    t = tally(out_dir / "findings.jsonl", summary.get("cache"), file_rows)
    sev: dict[str, int] = summary["by_severity"]  # type: ignore[assignment]
    cats: dict[str, int] = summary["by_category"]  # type: ignore[assignment]
    depts: dict[str, dict[str, int]] = summary["by_department"]  # type: ignore[assignment]
    months: dict[str, int] = dict(summary["by_month"])  # type: ignore[call-overload]
    undated = months.pop("未知", 0)
    terms: list[dict[str, object]] = list(summary.get("top_terms") or [])[:TERM_BARS]  # type: ignore[call-overload]
    unreadable: list[dict[str, str]] = summary["unreadable"]  # type: ignore[assignment]
    stats = "".join([
        stat(summary["files"], "已检查文件"), stat(summary["findings"], "问题总数"),
        *(stat(sev.get(s, 0), SEVERITY_ZH[s], s) for s in SHOWN),
        stat(len(unreadable), "无法读取"), stat(summary["reused"], "复用上次结果"),
        stat(summary["rescanned"], "本次重新检查"), stat(f"{summary['elapsed']} 秒", "用时"),
    ])
    dept_items = [(d, {s: c.get(s, 0) for s in SHOWN}) for d, c in list(depts.items())[:15]]
    term_items = []
    for term in terms:
        label, tip = term_label(term)
        key = (str(term["text"]), str(term["rule"]), str(term["category"]))
        term_items.append((label, split(t.terms.get(key), int(term["count"])), tip))  # type: ignore[call-overload]
    charts = "".join([
        bars("按级别", [(SEVERITY_ZH[s], {s: sev.get(s, 0)}) for s in SHOWN]),
        bars("按类别", [(CATEGORY_ZH.get(c, c), split(t.categories.get(c), n)) for c, n in cats.items()]),
        bars("按部门（顶层文件夹，前 15 个）", dept_items),
        bars(f"常见问题词（前 {TERM_BARS} 个）", term_items, "个人信息按类别计数，不显示号码。" if any(
            str(term["category"]) == "privacy" for term in terms) else ""),
        columns("按文稿日期（月）", month_counts(summary, months, t.months),
                f"另有 {undated} 处问题所在文稿未能确定日期" if undated else ""),
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
    files = file_rows_data(t, out_dir)
    more_files = t.files_with_findings - len(t.files)
    if not files:
        files_note = "没有发现问题的文件。"
    elif more_files > 0:
        files_note = (f"有问题的文件共 {t.files_with_findings} 个，按错误、警告、提示的多少列出前 {len(files)} 个，"
                      f"另有 {more_files} 个未列出；全部问题见 findings.csv。")
    else:
        files_note = f"有问题的文件共 {len(files)} 个，按错误、警告、提示的多少排列。"
    data = {"truncated": total > shown, "severity_zh": SEVERITY_ZH, "category_zh": CATEGORY_ZH, "files": files}
    data_text = '{"rows": ' + rows_text + ", " + script_json(data)[1:]
    values = {
        "title": esc("errscan 归档审计报告"),
        "subtitle": esc(f"生成于 {time.strftime('%Y-%m-%d %H:%M')}；检查 {summary['files']} 个文件，"
                        f"共 {summary['bytes']:,} 字节"),  # type: ignore[str-format]
        "notices": "".join(notices), "stats": stats, "charts": charts, "unreadable": unread_html,
        "files_note": esc(files_note),
        "footer": esc("由 errscan audit 生成。链接指向报告所在目录的相对路径。"), "data": data_text,
    }
    template = resources.files("errscan.audit").joinpath("report.html").read_text(encoding="utf-8")
    page = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)  # one pass: no re-substitution
    target = out_dir / "report.html"
    tmp = out_dir / "report.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
