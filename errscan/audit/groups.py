"""Groups of neighbouring files, cached as one: what makes re-auditing an unchanged archive cheap.

The walk's files fall into groups: consecutive files of one folder, a group ending after a file whose name
hashes to 0 (mod GROUP_SPLIT), at GROUP_MAX files, or at the folder's end. Cut by names, not by counts, so a file
added or removed changes only its own group. Once every file of a group has its result, the group's outputs
(findings.jsonl lines, CSV rows, report rows, counts) are stored together in the cache under a signature of its
files' names, sizes and mtimes, the department, the settings and the lists. When every file of a group is
unchanged on a later run, the group is written out in one step: one query, one write per output, one merge of
counts, instead of all of that per file. Anything else goes file by file as before, and the group is stored
anew. The findings' text is kept once, in the group: each file's cache row points at its group (see cache.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from errscan.audit.walk import Item
    from errscan.audit.worker import FileResult

GROUP_MAX, GROUP_SPLIT = 256, 64


def ends_after(name: str) -> bool:
    """Does a group end after this file (whatever comes next)?"""
    return zlib.crc32(os.path.basename(name).encode("utf-8", "surrogatepass")) % GROUP_SPLIT == 0


def signature(items: list[Item], settings: str, lexicon: str) -> str:
    h = hashlib.blake2b(f"{settings}\0{lexicon}\0".encode(), digest_size=16)
    for it in items:
        h.update(f"{it.name}\0{it.size}\0{it.mtime}\0{it.department}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass
class Aggregate:
    """A group's outputs, as Outputs.add_group takes them and the cache keeps them."""

    department: str
    files: int = 0
    skipped: int = 0
    bytes: int = 0
    count: int = 0
    documents_by_month: dict[str, int] = field(default_factory=dict)  # month -> files
    by_month: dict[str, int] = field(default_factory=dict)  # month -> findings
    s: dict[str, int] = field(default_factory=dict)  # severity -> findings
    c: dict[str, int] = field(default_factory=dict)  # category -> findings
    t: list[list[object]] = field(default_factory=list)  # [term, rule, category, n]
    # [path, findings, bytes of its findings.jsonl lines, bytes of its CSV rows] of the files with findings
    members: list[list[object]] = field(default_factory=list)
    jsonl: bytes = b""
    csv: bytes = b""
    report: bytes = b""  # report rows one a line, in the order of `ranks` and `members`
    ranks: str = ""
    meta_failed: int = 0  # files whose findings fail their config's fail_on (shown or not)
    meta_hidden: dict[str, int] = field(default_factory=dict)  # findings below min_severity, by severity

    def counts_json(self) -> str:
        keys = ("department", "files", "skipped", "bytes", "count", "documents_by_month", "by_month", "s", "c", "t",
                "members", "meta_failed", "meta_hidden")
        return json.dumps({k: getattr(self, k) for k in keys}, ensure_ascii=False)

    @classmethod
    def load(cls, counts: str, jsonl: bytes, csv: bytes, report: bytes, ranks: str) -> Aggregate:
        return cls(**json.loads(counts), jsonl=jsonl, csv=csv, report=report, ranks=ranks)


def aggregate(results: list[FileResult]) -> Aggregate:
    """The group's outputs from its files' results (scanned or reused; none in error), in walk order."""
    agg = Aggregate(results[0].department)
    months: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    s: Counter[str] = Counter()
    c: Counter[str] = Counter()
    terms: dict[tuple[str, str, str], int] = {}
    jsonl, csv, report = [], [], []
    hidden: Counter[str] = Counter()
    for res in results:
        if res.status == "skipped":
            agg.skipped += 1
            continue
        agg.files += 1
        agg.bytes += res.size
        month = res.meta.get("date", "")[:7] or "未知"
        months[month] += 1
        agg.meta_failed += res.meta.get("failed") == "1"
        hidden.update(parse_hidden(res.meta.get("hidden", "")))
        if not res.count:
            continue
        stats = json.loads(res.stats)
        agg.count += res.count
        by_month[month] += res.count
        s.update(stats["s"])
        c.update(stats["c"])
        for term, rule, category, n in stats["t"]:
            terms[(term, rule, category)] = terms.get((term, rule, category), 0) + n
        agg.members.append([res.name, res.count, len(res.jsonl), len(res.csv)])
        jsonl.append(res.jsonl)
        csv.append(res.csv)
        report.append(res.report)
        agg.ranks += res.ranks
    agg.documents_by_month, agg.by_month, agg.s, agg.c = dict(months), dict(by_month), dict(s), dict(c)
    agg.t = [[*k, n] for k, n in terms.items()]
    agg.meta_hidden = dict(hidden)
    agg.jsonl, agg.csv, agg.report = b"".join(jsonl), b"".join(csv), b"\n".join(report)
    return agg


def parse_hidden(text: str) -> dict[str, int]:
    """A file's findings below min_severity as its meta keeps them: "info=2,warning=1"."""
    return {k: int(n) for k, _, n in (p.partition("=") for p in text.split(",") if p)}


@dataclass
class _Open:
    signature: str
    names: list[str]
    results: dict[str, tuple[FileResult, bool] | None] = field(default_factory=dict)  # None: unreadable


@dataclass
class Whole:
    signature: str
    aggregate: Aggregate
    members: list[tuple[FileResult, bool]]  # (result, reused) in walk order


class Builder:
    """Collects the results of the groups that go file by file, and hands each back once whole; until then
    (or until the audit stops) the results of its files are held here."""

    def __init__(self) -> None:
        self.by_name: dict[str, _Open] = {}

    def open(self, items: list[Item], sig: str) -> bool:
        """False when the group cannot be kept: the same file twice in one audit (overlapping paths given)."""
        if len({it.department for it in items}) > 1 or any(it.name in self.by_name for it in items):
            return False
        group = _Open(sig, [it.name for it in items])
        for name in group.names:
            self.by_name[name] = group
        return True

    def take(self, res: FileResult, reused: bool) -> tuple[Whole | None, list[tuple[FileResult, bool]]]:
        """One file's final result: (the group it completes, if any; results to keep file by file now)."""
        group = self.by_name.pop(res.name, None)
        if group is None:
            return None, [] if res.status == "error" else [(res, reused)]
        group.results[res.name] = None if res.status == "error" else (res, reused)
        if len(group.results) < len(group.names):
            return None, []
        members = [m for m in (group.results[n] for n in group.names) if m is not None]
        if not members:
            return None, []
        sig = group.signature
        if len(members) < len(group.names):  # kept without its unreadable files, under a signature of its own:
            sig = hashlib.blake2b(f"{sig}\0partial".encode(), digest_size=16).hexdigest()  # never reused whole
        return Whole(sig, aggregate([r for r, _ in members]), members), []

    def release(self) -> list[tuple[FileResult, bool]]:
        """The results held for groups never completed (the audit stopped): to keep file by file."""
        held = {id(g): g for g in self.by_name.values()}
        self.by_name.clear()
        return [r for g in held.values() for r in g.results.values() if r is not None]
