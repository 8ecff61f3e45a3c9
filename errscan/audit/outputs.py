"""Where an audit's results go as they arrive: findings.jsonl, findings.csv, and the counts for summary.json.

Memory stays flat: findings are written line by line; only counters (per category, severity, folder, month,
term) are kept.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path
from typing import IO

from errscan.model import CATEGORY_ZH, Severity

SEVERITIES = [s.label for s in sorted(Severity, reverse=True)]
CSV_HEADER = ["文件", "行", "列", "级别", "类别", "问题文字", "建议", "说明", "上下文", "规则", "位置", "部门"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")
TOP_TERMS = 30


def safe_cell(value: object) -> object:
    """A cell Excel will not run as a formula: text starting with = + - @ (or a tab/CR) gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def csv_row(f: dict[str, object], department: str) -> list[object]:
    location = f.get("location") or {}
    where = "，".join(f"{k}={v}" for k, v in location.items()) if isinstance(location, dict) else ""
    severity = Severity.parse(str(f["severity"])).zh
    row = [
        f["path"], f["line"], f["column"], severity, CATEGORY_ZH.get(str(f["category"]), f["category"]), f["text"],
        "、".join(f["suggestions"]), f["message"], f["context"], f["rule"], where, department,  # type: ignore[arg-type]
    ]
    return [safe_cell(v) for v in row]


class Outputs:
    """Opened at the start of an audit; `add` per file; `close` writes summary.json and returns the summary."""

    def __init__(self, out_dir: Path):
        self.dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        self._jsonl: IO[str] = open(out_dir / "findings.jsonl", "w", encoding="utf-8")
        self._csv_file: IO[str] = open(out_dir / "findings.csv", "w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._csv_file)
        self._csv.writerow(CSV_HEADER)
        self.files = self.reused = self.scanned = self.skipped = self.findings = 0
        self.bytes = 0
        self.by_severity: Counter[str] = Counter({s: 0 for s in SEVERITIES})
        self.by_category: Counter[str] = Counter()
        self.by_department: dict[str, Counter[str]] = {}
        self.by_month: Counter[str] = Counter()
        self.documents_by_month: Counter[str] = Counter()
        self.terms: Counter[tuple[str, str, str]] = Counter()
        self.unreadable: list[dict[str, str]] = []

    def add(self, findings: list[dict[str, object]], department: str, meta: dict[str, str], size: int,
            reused: bool) -> None:
        """One document's findings (fresh or from the cache). A findings.jsonl line is `check`'s JSON finding
        plus "department"."""
        self.files += 1
        self.bytes += size
        if reused:
            self.reused += 1
        else:
            self.scanned += 1
        month = meta.get("date", "")[:7] or "未知"
        self.documents_by_month[month] += 1
        dept = self.by_department.setdefault(department, Counter({s: 0 for s in SEVERITIES} | {"findings": 0}))
        dept["files"] += 1
        for f in findings:
            self._jsonl.write(json.dumps({**f, "department": department}, ensure_ascii=False) + "\n")
            self._csv.writerow(csv_row(f, department))
            severity, category = str(f["severity"]), str(f["category"])
            self.findings += 1
            self.by_severity[severity] += 1
            self.by_category[category] += 1
            dept[severity] += 1
            dept["findings"] += 1
            self.by_month[month] += 1
            # personal data is counted by kind, never by value (the masked values are all different)
            term = str(f["rule"]) if category == "privacy" else str(f["text"])
            self.terms[(term, str(f["rule"]) if category != "privacy" else "", category)] += 1

    def add_error(self, name: str, message: str) -> None:
        self.unreadable.append({"path": name, "message": message})

    def add_skipped(self, reused: bool = False) -> None:
        self.skipped += 1

    def close(self, **extra: object) -> dict[str, object]:
        self._jsonl.close()
        self._csv_file.close()
        elapsed = time.perf_counter() - self.started
        summary: dict[str, object] = {
            "version": 1,
            "interrupted": False,
            "files": self.files,
            "reused": self.reused,
            "rescanned": self.scanned,
            "skipped": self.skipped,
            "unreadable": self.unreadable,
            "bytes": self.bytes,
            "findings": self.findings,
            "by_severity": dict(self.by_severity),
            "by_category": dict(self.by_category.most_common()),
            "by_department": {
                d: dict(c) for d, c in sorted(self.by_department.items(), key=lambda kv: -kv[1]["findings"])
            },
            "by_month": dict(sorted(self.by_month.items())),
            "documents_by_month": dict(sorted(self.documents_by_month.items())),
            "top_terms": [
                {"text": t, "rule": r, "category": c, "count": n} for (t, r, c), n in self.terms.most_common(TOP_TERMS)
            ],
            "elapsed": round(elapsed, 3),
        }
        summary.update(extra)
        tmp = self.dir / "summary.json.tmp"
        tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.dir / "summary.json")
        return summary
