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

import functools
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from errscan.audit.groups import Aggregate
from errscan.audit.walk import Item
from errscan.audit.worker import FileResult, Task

# A file's findings are kept as the worker rendered them (findings.jsonl lines, CSV rows, report rows, ranks,
# counts): a reused result is written out as it is, nothing parsed or serialised again. Once the file's group
# is stored (groups.py), its rendered text lives there only: `grp` names the group, jsonl/csv/report are NULL.
COLUMNS = ("path", "size", "mtime", "hash", "settings", "lexicon", "hits", "meta", "status", "department", "count",
           "jsonl", "csv", "report", "ranks", "stats", "grp")
GROUP_COLUMNS = ("signature", "counts", "jsonl", "csv", "report", "ranks")
# What plans a file, loaded for every file in one query; the rest is fetched for a few hundred files at a time
# (one query each file cost more than the rest of a fully reused run), and only for files not reused in a group.
KNOWN = ("size", "mtime", "hash", "settings", "lexicon")  # after the path
REST = ("meta", "status", "department", "count", "jsonl", "csv", "report", "ranks", "stats", "grp")
SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER, mtime, hash TEXT, settings TEXT, lexicon TEXT,
    hits TEXT, meta TEXT, status TEXT, department TEXT, count INTEGER,
    jsonl BLOB, csv BLOB, report BLOB, ranks TEXT, stats TEXT, grp TEXT
);
CREATE TABLE IF NOT EXISTS lexicons (key TEXT PRIMARY KEY, fingerprints TEXT, used REAL);
CREATE TABLE IF NOT EXISTS groups (
    signature TEXT PRIMARY KEY, counts TEXT, jsonl BLOB, csv BLOB, report BLOB, ranks TEXT
);
CREATE TABLE IF NOT EXISTS sources (key TEXT PRIMARY KEY, lexicon TEXT);
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


class CacheError(Exception):
    """The cache contradicts itself (edited by hand?): the audit stops and says to run it with --no-cache."""


class Known(NamedTuple):
    """A file's KNOWN columns: what planning needs, for every file in one query."""

    path: str
    size: int
    mtime: float | None
    hash: str
    settings: str
    lexicon: str


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
    grp: str | None = None

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
        self.damaged = ""  # why the cache found could not be used (it was then started anew)
        self._recent: dict[str, dict[str, tuple[bytes, bytes, bytes]]] = {}  # group -> its files' slices
        try:
            self._open()
        except sqlite3.DatabaseError as exc:  # not a database, or damaged (the machine stopped while it was written)
            if not path:
                raise
            self.db.close()
            self.damaged = str(exc)
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            self._open()

    def discard(self) -> None:
        """Close and delete the cache file (found damaged while in use): the next Cache starts anew."""
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        if self.path:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def _open(self) -> None:
        self.db = sqlite3.connect(str(self.path) if self.path else ":memory:")
        # A rollback journal writes each new page once (WAL writes it twice: to the log, then the file); no
        # fsync: a cache lost to a power cut is found damaged next time and started anew, never trusted.
        # Incremental vacuum (set before the first table, or by the VACUUM below): space freed by groups stored
        # anew is given back at close instead of the file growing to twice what it holds.
        self.db.executescript("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;")
        dropped = False
        for table, columns in (("files", COLUMNS), ("groups", GROUP_COLUMNS)):
            found = [r[1] for r in self.db.execute(f"PRAGMA table_info({table})")]
            if found and tuple(found) != columns:  # an older errscan's cache: its results are rescanned anyway
                self.db.execute(f"DROP TABLE {table}")
                dropped = True
        if dropped:
            self.db.execute("VACUUM")  # what is left is small
        self.db.executescript(SCHEMA)
        self._last_commit = time.monotonic()

    def get(self, path: str) -> Row | None:
        row = self.db.execute("SELECT * FROM files WHERE path = ?", (path,)).fetchone()
        return self._filled([Row(*row)])[0] if row else None

    def put(self, res: FileResult, settings: str, lexicon: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            self._values(res, settings, lexicon),
        )
        self._maybe_commit()

    @staticmethod
    def _values(res: FileResult, settings: str, lexicon: str, group: str | None = None) -> tuple:  # type: ignore[type-arg]
        text = (None, None, None) if group else (res.jsonl, res.csv, res.report)
        return (res.name, res.size, res.mtime, res.hash, settings, lexicon, json.dumps(res.hits, ensure_ascii=False),
                json.dumps(res.meta, ensure_ascii=False), res.status, res.department, res.count, *text, res.ranks,
                res.stats, group)

    def _by_path(self, columns: tuple[str, ...], names: list[str]) -> Iterator[tuple]:  # type: ignore[type-arg]
        """These columns (the path first) of the rows of these files, a few hundred files a query."""
        for i in range(0, len(names), 500):
            part = names[i : i + 500]
            yield from self.db.execute(
                f"SELECT path, {', '.join(columns)} FROM files WHERE path IN ({', '.join('?' * len(part))})", part
            )

    def known(self, names: list[str]) -> dict[str, Known]:
        """path -> its KNOWN columns, for these files (a group's: memory stays flat however large the archive)."""
        return {r[0]: Known(*r) for r in self._by_path(KNOWN, names)}

    def lexicons_in_use(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT DISTINCT lexicon FROM files")}

    def hits(self, path: str) -> str:
        row = self.db.execute("SELECT hits FROM files WHERE path=?", (path,)).fetchone()
        return row[0] if row else "[]"  # type: ignore[no-any-return]

    def rows(self, known: list[Known]) -> list[Row]:
        """The full Rows (their hits left out) of rows known by their KNOWN columns, in few queries."""
        rest = {path: values for path, *values in self._by_path(REST, [k.path for k in known])}
        return self._filled([Row(*k, "[]", *rest[k.path]) for k in known])

    def _filled(self, rows: list[Row]) -> list[Row]:
        """Rows whose rendered text lives in their group's: sliced out of it."""
        out = []
        for row in rows:
            if row.grp is not None and row.jsonl is None and not row.count:
                row = replace(row, jsonl=b"", csv=b"", report=b"")
            elif row.grp is not None and row.jsonl is None:
                parts = self._recent.get(row.grp)
                if parts is None:  # files arrive about in the walk's order: a few groups' slices kept at hand
                    parts = self._recent[row.grp] = self._slices(row.grp)
                    while len(self._recent) > 8:
                        del self._recent[next(iter(self._recent))]
                if row.path not in parts:
                    raise CacheError(f"审计缓存不完整（{row.path}），请加 --no-cache 重新审计")
                row = replace(row, jsonl=parts[row.path][0], csv=parts[row.path][1], report=parts[row.path][2])
            out.append(row)
        return out

    def _slices(self, signature: str) -> dict[str, tuple[bytes, bytes, bytes]]:
        """The text of each file of the group that has findings."""
        agg = self.group(signature)
        if agg is None:
            return {}
        lines = agg.report.split(b"\n")
        parts: dict[str, tuple[bytes, bytes, bytes]] = {}
        j = c = r = 0
        for path, count, jlen, clen in agg.members:  # type: ignore[misc]
            parts[path] = (agg.jsonl[j : j + jlen], agg.csv[c : c + clen], b"\n".join(lines[r : r + count]))
            j, c, r = j + jlen, c + clen, r + count
        return parts

    def group(self, signature: str) -> Aggregate | None:
        """A group's stored outputs, if they were made from the files as they are now."""
        row = self.db.execute(
            "SELECT counts, jsonl, csv, report, ranks FROM groups WHERE signature=?", (signature,)
        ).fetchone()
        return Aggregate.load(*row) if row else None

    def put_group(self, signature: str, agg: Aggregate, members: list[tuple[FileResult, bool]], settings: str,
                  lexicon: str) -> None:
        """A whole group, and its files: those scanned this run are written now (their rendered text in the
        group's only), the reused ones pointed at it."""
        self.db.execute("INSERT OR REPLACE INTO groups VALUES (?,?,?,?,?,?)",
                        (signature, agg.counts_json(), agg.jsonl, agg.csv, agg.report, agg.ranks))
        fresh = [self._values(res, settings, lexicon, signature) for res, reused in members if not reused]
        self.db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", fresh)
        moved = [(signature, res.name) for res, reused in members if reused]
        self.db.executemany("UPDATE files SET jsonl=NULL, csv=NULL, report=NULL, grp=? WHERE path=?", moved)
        self._maybe_commit()

    def forget_unseen(self, seen: set[str], roots: list[str]) -> None:
        """After a whole audit of these folders: forget the files under them whose group this audit did not
        meet (a file's row points at the group it was last stored with: its group now is another one, met or
        stored this time, unless the file is gone)."""
        under = [os.path.join(r, "") for r in roots]
        gone = [(path,) for path, grp in self.db.execute("SELECT path, grp FROM files WHERE grp IS NOT NULL")
                if grp not in seen and path.startswith(tuple(under))]
        self.db.executemany("DELETE FROM files WHERE path=?", gone)

    def prune_groups(self) -> None:
        """Forget the groups no file points at any more."""
        self.db.execute("DELETE FROM groups WHERE signature NOT IN (SELECT grp FROM files WHERE grp IS NOT NULL)")

    def lexicon_of(self, source: str) -> str | None:
        """The lexicon key of lists compiled from these sources (their compile-cache key), if known."""
        row = self.db.execute(
            "SELECT s.lexicon FROM sources s JOIN lexicons l ON l.key = s.lexicon WHERE s.key=?", (source,)
        ).fetchone()
        return row[0] if row else None

    def save_source(self, source: str, lexicon: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO sources VALUES (?,?)", (source, lexicon))
        self.db.execute("DELETE FROM sources WHERE lexicon NOT IN (SELECT key FROM lexicons)")

    def confirm(self, path: str, size: int, mtime: float | None, lexicon: str) -> None:
        """A cached result found still valid: remember the file's current size/mtime and lists."""
        self.db.execute("UPDATE files SET size=?, mtime=?, lexicon=? WHERE path=?", (size, mtime, lexicon, path))
        self._maybe_commit()

    def rerendered(self, res: FileResult) -> None:
        """A reused result rendered again for another department."""
        self.db.execute("UPDATE files SET department=?, jsonl=?, csv=?, report=?, grp=NULL WHERE path=?",
                        (res.department, res.jsonl, res.csv, res.report, res.name))
        self._maybe_commit()

    def forget(self, path: str) -> None:
        self.db.execute("DELETE FROM files WHERE path=?", (path,))
        self._maybe_commit()

    def fingerprints(self, key: str) -> dict[str, str] | None:
        row = self.db.execute("SELECT fingerprints FROM lexicons WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def save_fingerprints(self, key: str, fingerprints: dict[str, str]) -> None:
        """Lists met for the first time; the fingerprints of lists no cached file was scanned with are dropped."""
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
        free, pages = (self.db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        self.commit()
        if free > max(256, pages // 4):
            self.db.executescript("PRAGMA incremental_vacuum;")  # run to the end (a cursor would step once)
        self.db.close()


@dataclass(frozen=True)
class Diff:
    changed: frozenset[str]  # removed or edited matches
    probe: str | None  # key of the added matches (None: nothing added)


def lexicon_identity(cache: Cache, lex) -> tuple[str, Callable[[], dict[str, str]]]:  # type: ignore[no-untyped-def]
    """The lists' key, and their entry fingerprints when needed. Lists the cache has met before (by their
    compile-cache key) are known without unpickling and digesting every entry."""
    source = getattr(lex.entries, "cache_key", None)
    key = cache.lexicon_of(source) if isinstance(source, str) else None
    if key is not None:
        return key, functools.cache(lambda: cache.fingerprints(key) or entry_fingerprints(lex))
    fingerprints = entry_fingerprints(lex)
    key = lexicon_key(fingerprints)
    cache.save_fingerprints(key, fingerprints)
    if isinstance(source, str):
        cache.save_source(source, key)
    return key, lambda: fingerprints


class Planner:
    """Per file: reuse the cached result as it is, or a Task for a worker (with what it may still reuse)."""

    def __init__(self, cache: Cache, settings: str, lexicon: str, fingerprints: Callable[[], dict[str, str]],
                 reuse: bool = True, verify: bool = False):
        self.cache, self.settings, self.reuse, self.lexicon = cache, settings, reuse, lexicon
        self.verify = verify  # reuse a result only for the same content (read and hashed), not the same size and time
        self.diffs: dict[str, Diff | None] = {}
        self.probes: dict[str, tuple[str, ...]] = {}  # probe key -> added matches, for the workers
        for old in (cache.lexicons_in_use() - {lexicon}) if reuse else ():
            self.diffs[old] = self._diff(cache.fingerprints(old), fingerprints())

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

    def plan(self, items: list[Item]) -> list[Known | Task]:
        """Per file, in one query: the cached row's KNOWN columns when it stands without reading the file
        (Cache.rows gives the Row), else the Task to run."""
        rows = self.cache.known([it.name for it in items]) if self.reuse else {}
        return [self._plan(it, rows.get(it.name)) for it in items]

    def _plan(self, it: Item, row: Known | None) -> Known | Task:
        fresh = Task(it.name, it.size, it.mtime, it.in_directory, department=it.department)  # type: ignore[arg-type]
        if row is None or row.settings != (it.settings or self.settings):
            return fresh
        probe = None
        if row.lexicon != self.lexicon:
            diff = self.diffs.get(row.lexicon)
            if diff is None or (diff.changed and not diff.changed.isdisjoint(json.loads(self.cache.hits(it.name)))):
                return fresh
            probe = diff.probe
        if probe is None and not self.verify and it.mtime is not None and row.size == it.size and row.mtime == it.mtime:
            return row
        return Task(it.name, it.size, it.mtime, it.in_directory, row.hash, probe, it.department)  # type: ignore[arg-type]
