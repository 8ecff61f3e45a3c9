"""Where an audit's results go as they arrive: findings.jsonl, findings.csv, and the counts for summary.json.

Memory stays flat: each file's findings arrive rendered (by the worker, or from the cache) and are appended as
they are; only counters (per category, severity, folder, month, term) and report.html's rows are kept.
findings.csv is `check --format csv`'s contract (errscan.reporters.csv), with each finding's department filled
in; the unreadable inputs are its last rows.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING

from errscan.model import Severity
from errscan.reporters import csv as sheet

if TYPE_CHECKING:
    from errscan.audit.groups import Aggregate
    from errscan.audit.worker import FileResult

SEVERITIES = [s.label for s in sorted(Severity, reverse=True)]
TOP_TERMS = 30


def render(findings: list[dict[str, object]], department: str) -> tuple[str, str, str, str, str]:
    """One file's findings as the text the outputs take as it is (done in the worker, stored in the cache):
    (findings.jsonl lines, findings.csv rows, report rows without "href" one a line, severity ranks one digit
    each, the file's counts as JSON)."""
    from errscan.audit.report import RANK, report_row, script_json

    jsonl, rows, report, ranks = [], [], [], []
    severities: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    terms: dict[tuple[str, str, str], int] = {}
    for f in findings:
        f = {**f, "department": department}
        jsonl.append(json.dumps(f, ensure_ascii=False) + "\n")
        rows.append(sheet.row(f, department))
        report.append(script_json(report_row(f))[1:])  # without its "{": the main process puts "href" first
        severity, category = str(f["severity"]), str(f["category"])
        ranks.append(str(RANK.get(severity, 0)))
        severities[severity] += 1
        categories[category] += 1
        # personal data is counted by kind, never by value (the masked values are all different)
        term = str(f["rule"]) if category == "privacy" else str(f["text"])
        key = (term, str(f["rule"]) if category != "privacy" else "", category)
        terms[key] = terms.get(key, 0) + 1
    stats = {"s": severities, "c": categories, "t": [[*k, n] for k, n in terms.items()]} if findings else {}
    return ("".join(jsonl), sheet.lines(rows), "\n".join(report), "".join(ranks),
            json.dumps(stats, ensure_ascii=False) if stats else "")


class Outputs:
    """Opened at the start of an audit; `add` per file; `close` writes summary.json and returns the summary."""

    def __init__(self, out_dir: Path, report_rows: int = 20000):
        self.dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.started = time.perf_counter()
        # binary: the findings arrive as UTF-8 (see render), written as they are
        self._jsonl: IO[bytes] = open(out_dir / "findings.jsonl", "wb")
        self._csv_file: IO[bytes] = open(out_dir / "findings.csv", "wb")
        self._csv_file.write(sheet.head().encode("utf-8"))  # with the BOM Excel needs
        self.files = self.reused = self.scanned = self.skipped = self.findings = 0
        self.bytes = 0
        self.by_severity: Counter[str] = Counter({s: 0 for s in SEVERITIES})
        self.by_category: Counter[str] = Counter()
        self.by_department: dict[str, Counter[str]] = {}
        self.by_month: Counter[str] = Counter()
        self.documents_by_month: Counter[str] = Counter()
        self.terms: Counter[tuple[str, str, str]] = Counter()
        self.unreadable: list[dict[str, str]] = []
        # report.html's rows: the `report_rows` most severe findings, then in file order; kept per severity rank
        # (rank -> [(path, report row without "href")] in arrival order), the least severe dropped first
        self.limit = report_rows
        self.kept: dict[int, list[tuple[str, str]]] = {}
        self.kept_total = 0

    def add(self, res: FileResult, reused: bool) -> None:
        """One document's findings (fresh or from the cache), as rendered by `render`. A findings.jsonl line is
        `check`'s JSON finding plus "department"."""
        self.files += 1
        self.bytes += res.size
        if reused:
            self.reused += 1
        else:
            self.scanned += 1
        month = res.meta.get("date", "")[:7] or "未知"
        self.documents_by_month[month] += 1
        dept = self._department(res.department)
        dept["files"] += 1
        if not res.count:
            return
        self._jsonl.write(res.jsonl)
        self._csv_file.write(res.csv)
        stats = json.loads(res.stats)
        self.by_month[month] += res.count
        self._count(dept, res.count, stats["s"], stats["c"], stats["t"])
        self._keep([(res.name, res.count)], res.ranks, res.report)

    def add_group(self, agg: Aggregate) -> None:
        """A group of files reused as a whole (see groups.py): the same as `add` for each of them."""
        self.files += agg.files
        self.bytes += agg.bytes
        self.reused += agg.files
        self.skipped += agg.skipped
        for month, n in agg.documents_by_month.items():
            self.documents_by_month[month] += n
        dept = self._department(agg.department)
        dept["files"] += agg.files
        if not agg.count:
            return
        self._jsonl.write(agg.jsonl)
        self._csv_file.write(agg.csv)
        for month, n in agg.by_month.items():
            self.by_month[month] += n
        self._count(dept, agg.count, agg.s, agg.c, agg.t)
        self._keep(agg.members, agg.ranks, agg.report)  # type: ignore[arg-type]

    def _department(self, name: str) -> Counter[str]:
        dept = self.by_department.get(name)
        if dept is None:
            dept = self.by_department[name] = Counter({s: 0 for s in SEVERITIES} | {"findings": 0})
        return dept

    def _count(self, dept: Counter[str], count: int, severities: dict[str, int], categories: dict[str, int],
               terms: list[list[object]]) -> None:
        self.findings += count
        dept["findings"] += count
        by_severity, by_category, all_terms = self.by_severity, self.by_category, self.terms
        for severity, n in severities.items():  # plain loops: Counter.update's Mapping check costs more
            by_severity[severity] += n
            dept[severity] += n
        for category, n in categories.items():
            by_category[category] += n
        for term, rule, category, n in terms:
            all_terms[(term, rule, category)] += n  # type: ignore[index,operator]

    def _keep(self, members: list[tuple[str, int]] | list[list[object]], ranks: str, report: bytes) -> None:
        """Keep the rows of the `limit` most severe findings seen so far (the earliest first among equals).
        `members`: (path, number of findings, …) in the order of `ranks` and of `report`'s lines."""
        limit, kept = self.limit, self.kept
        if limit <= 0:
            return
        rows: list[str] | None = None
        paths: list[str] = []
        for digit in sorted(set(ranks), reverse=True):  # a severity at a time, the most severe first
            rank = ord(digit) - 48
            if self.kept_total >= limit and rank <= min(kept):
                continue  # outranked by every row kept, or as severe but later
            if rows is None:
                rows = report.decode("utf-8").split("\n")  # not splitlines: U+2028
                paths = [p for p, n, *_ in members for _ in range(n)]  # type: ignore[misc]
            bucket = kept.setdefault(rank, [])
            before = len(bucket)
            bucket.extend([(paths[i], rows[i]) for i, d in enumerate(ranks) if d == digit])
            self.kept_total += len(bucket) - before
            while self.kept_total > limit:  # drop the latest of the least severe
                low = min(kept)
                drop = min(self.kept_total - limit, len(kept[low]))
                del kept[low][len(kept[low]) - drop :]
                self.kept_total -= drop
                if not kept[low]:
                    del kept[low]

    def top_rows(self) -> list[tuple[str, str]]:
        """(path, report row without "href"), most severe first, then in file order."""
        return [row for rank in sorted(self.kept, reverse=True) for row in self.kept[rank]]

    def add_error(self, name: str, message: str) -> None:
        from errscan.inputs import display_name

        self.unreadable.append({"path": display_name(name), "message": message})

    def add_skipped(self) -> None:
        self.skipped += 1

    def abort(self) -> None:
        """The audit failed: close what was being written (no summary)."""
        self._jsonl.close()
        self._csv_file.close()

    def close(self, **extra: object) -> dict[str, object]:
        if self.unreadable:  # as `check` writes them: after the findings, level 无法检查
            self._csv_file.write(sheet.lines(sheet.error_row(u["path"], u["message"]) for u in self.unreadable)
                                 .encode("utf-8"))
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
