"""The incremental cache (SQLite): what each file gave last time, and which lists it was scanned with.

A cached result stands when the settings are the same and:
- the file's size and mtime are unchanged (nothing is read), or its content hash is (touched, not changed);
- the lists changed, but no entry the file's text met (its automaton hits, kept per file, dropped by
  verification or not) was removed or edited, and no added entry occurs in its text (a worker reads the
  file and looks for just the added entries: cheaper than a scan, and never wrong). An entry is compared by
  everything that shapes a finding (its line number and examples aside).
Any other change of settings (allowlist, severity floor, --as-of, privacy, errscan's version) rescans all.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from errscan.audit.worker import FileResult, Task

# A file's findings are kept as the worker rendered them (findings.jsonl lines, CSV rows, report rows, ranks,
# counts): a reused result is written out as it is, nothing parsed or serialised again.
COLUMNS = ("path", "size", "mtime", "hash", "settings", "lexicon", "hits", "meta", "status", "department", "count",
           "jsonl", "csv", "report", "ranks", "stats")
# What plans a file and counts it, loaded for every file in one query; the rendered findings are then fetched
# for a few hundred files at a time (one query each file cost more than the rest of a fully reused run).
LIGHT = ("path", "size", "mtime", "hash", "settings", "lexicon", "meta", "status", "department", "count", "ranks",
         "stats")
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime, hash TEXT, settings TEXT, lexicon TEXT,
    hits TEXT, meta TEXT, status TEXT, department TEXT, count INTEGER,
    jsonl BLOB, csv BLOB, report BLOB, ranks TEXT, stats TEXT
);
CREATE TABLE IF NOT EXISTS lexicons (key TEXT PRIMARY KEY, fingerprints TEXT, used REAL);
"""


def entry_fingerprints(lex) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """match -> digest of everything in the entry that shapes a finding. Generated entries are not made."""
    entries = lex.entries
    entries = getattr(entries, "_load", lambda: entries)()  # a cached lexicon's DeferredEntries
    out: dict[str, str] = {}

    def digest(value: object) -> str:
        return hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()

    def fields(entry) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
        skip = {"line", "bad", "good"}
        return tuple(getattr(entry, f) for f in entry.__dataclass_fields__ if f not in skip)

    hand = getattr(entries, "hand", None)
    if hand is None:  # a plain sequence of entries
        for e in entries:
            out[e.match] = digest(fields(e))
        return out
    for e in hand:
        out[e.match] = digest(fields(e))
    templates = [digest(fields(t)) for t in entries.templates]
    for match, t, method, position, char in entries.rows:
        out[match] = digest((templates[t], method, position, char))
    return out


def lexicon_key(fingerprints: dict[str, str]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for match in sorted(fingerprints):
        h.update(f"{match}\0{fingerprints[match]}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@dataclass(frozen=True)
class Row:
    path: str
    size: int
    mtime: float | None
    hash: str
    settings: str
    lexicon: str
    hits: str
    meta: str
    status: str
    department: str
    count: int
    jsonl: bytes
    csv: bytes
    report: bytes
    ranks: str
    stats: str

    def result(self, status: str = "cached", department: str | None = None) -> FileResult:
        """The cached result (hits left out: only the planner reads them); rendered again only when the
        file now belongs to another department (the archive given differently)."""
        res = FileResult(
            self.path, status, self.size, self.mtime, self.hash, [], json.loads(self.meta), "", self.department,
            self.count, self.jsonl, self.csv, self.report, self.ranks, self.stats,
        )
        if department is not None and department != self.department:
            from errscan.audit.worker import render_into

            findings = [json.loads(line) for line in self.jsonl.split(b"\n")[:-1]]
            for f in findings:
                del f["department"]
            render_into(res, findings, department)
        return res


class Cache:
    """One SQLite file, written by the main process only; committed every few seconds and at the end."""

    def __init__(self, path: Path | str | None):
        self.path = path
        self.db = sqlite3.connect(str(path) if path else ":memory:")
        self.db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        found = [r[1] for r in self.db.execute("PRAGMA table_info(files)")]
        if found and tuple(found) != COLUMNS:  # an older errscan's cache: its results are rescanned anyway
            self.db.execute("DROP TABLE files")
        self.db.executescript(SCHEMA)
        self._last_commit = time.monotonic()

    def get(self, path: str) -> Row | None:
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (path,)).fetchone()
        return Row(*row) if row else None

    def put(self, res: FileResult, settings: str, lexicon: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (res.name, res.size, res.mtime, res.hash, settings, lexicon, json.dumps(res.hits, ensure_ascii=False),
             json.dumps(res.meta, ensure_ascii=False), res.status, res.department, res.count, res.jsonl, res.csv,
             res.report, res.ranks, res.stats),
        )
        self._maybe_commit()

    def known(self) -> dict[str, tuple]:  # type: ignore[type-arg]
        """path -> its LIGHT columns, for every file."""
        return {r[0]: r for r in self.db.execute(f"SELECT {', '.join(LIGHT)} FROM files")}

    def hits(self, path: str) -> str:
        row = self.db.execute("SELECT hits FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else "[]"  # type: ignore[no-any-return]

    def rows(self, light: list[tuple]) -> list[Row]:  # type: ignore[type-arg]
        """The full Rows (their hits left out) of rows known by their LIGHT columns, in few queries."""
        blobs: dict[str, tuple[bytes, bytes, bytes]] = {}
        names = [r[0] for r in light]
        for i in range(0, len(names), 500):
            part = names[i : i + 500]
            query = f"SELECT path, jsonl, csv, report FROM files WHERE path IN ({', '.join('?' * len(part))})"
            for path, *text in self.db.execute(query, part):
                blobs[path] = tuple(text)  # type: ignore[assignment]
        return [Row(*r[:6], "[]", *r[6:10], *blobs[r[0]], *r[10:]) for r in light]

    def confirm(self, path: str, size: int, mtime: float | None, lexicon: str) -> None:
        """A cached result found still valid: remember the file's current size/mtime and lists."""
        self.db.execute("UPDATE files SET size=?, mtime=?, lexicon=? WHERE path=?", (size, mtime, lexicon, path))
        self._maybe_commit()

    def rerendered(self, res: FileResult) -> None:
        """A reused result rendered again for another department."""
        self.db.execute("UPDATE files SET department=?, jsonl=?, csv=?, report=? WHERE path=?",
                        (res.department, res.jsonl, res.csv, res.report, res.name))
        self._maybe_commit()

    def forget(self, path: str) -> None:
        self.db.execute("DELETE FROM files WHERE path=?", (path,))
        self._maybe_commit()

    def lexicons_in_use(self) -> list[str]:
        return [k for (k,) in self.db.execute("SELECT DISTINCT lexicon FROM files")]

    def fingerprints(self, key: str) -> dict[str, str] | None:
        row = self.db.execute("SELECT fingerprints FROM lexicons WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def save_fingerprints(self, key: str, fingerprints: dict[str, str]) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO lexicons VALUES (?,?,?)",
            (key, json.dumps(fingerprints, ensure_ascii=False), time.time()),
        )
        self.db.execute("DELETE FROM lexicons WHERE key NOT IN (SELECT DISTINCT lexicon FROM files) AND key != ?",
                        (key,))
        self.commit()

    def _maybe_commit(self) -> None:
        if time.monotonic() - self._last_commit > 2.0:
            self.commit()

    def commit(self) -> None:
        self.db.commit()
        self._last_commit = time.monotonic()

    def close(self) -> None:
        self.commit()
        self.db.close()


@dataclass(frozen=True)
class Diff:
    changed: frozenset[str]  # removed or edited matches
    probe: str | None  # key of the added matches (None: nothing added)


class Planner:
    """Per file: reuse the cached result as it is, or a Task for a worker (with what it may still reuse)."""

    def __init__(self, cache: Cache, settings: str, fingerprints: dict[str, str], reuse: bool = True):
        self.cache, self.settings, self.reuse = cache, settings, reuse
        self.lexicon = lexicon_key(fingerprints)
        self.diffs: dict[str, Diff | None] = {}
        self.probes: dict[str, tuple[str, ...]] = {}  # probe key -> added matches, for the workers
        self.known = cache.known() if reuse else {}  # path -> LIGHT columns, as the run started
        if reuse:
            for old in cache.lexicons_in_use():
                if old != self.lexicon:
                    self.diffs[old] = self._diff(cache.fingerprints(old), fingerprints)
        cache.save_fingerprints(self.lexicon, fingerprints)

    def _diff(self, old: dict[str, str] | None, new: dict[str, str]) -> Diff | None:
        if old is None:
            return None  # unknown lists: rescan
        changed = frozenset(m for m, fp in old.items() if new.get(m) != fp)
        added = tuple(sorted(m for m in new if m not in old))
        key = None
        if added:
            key = hashlib.blake2b("\n".join(added).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
            self.probes[key] = added
        return Diff(changed, key)

    def plan(
        self, name: str, size: int, mtime: float | None, in_directory: bool, department: str = ""
    ) -> tuple | Task:  # type: ignore[type-arg]
        """The cached row's LIGHT columns when it stands without reading the file (Cache.rows gives the Row);
        else the Task to run."""
        fresh = Task(name, size, mtime, in_directory, department=department)
        if not self.reuse:
            return fresh
        row = self.known.get(name)
        if row is None or row[4] != self.settings:
            return fresh
        probe = None
        if row[5] != self.lexicon:
            diff = self.diffs.get(row[5])
            if diff is None or (diff.changed and not diff.changed.isdisjoint(json.loads(self.cache.hits(name)))):
                return fresh
            probe = diff.probe
        if probe is None and mtime is not None and row[1] == size and row[2] == mtime:
            return row
        return Task(name, size, mtime, in_directory, row[3], probe, department)
