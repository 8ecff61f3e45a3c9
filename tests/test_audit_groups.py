"""Groups of files cached as one (errscan/audit/groups.py): an incremental run writes exactly what a fresh
audit writes, byte for byte, whatever changed in between; an unchanged archive is written group by group."""

from __future__ import annotations

import io
import json
import os
import random
import re
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from errscan.audit import AuditOptions, audit, run_audit
from errscan.audit.cache import Cache
from errscan.audit.groups import GROUP_MAX, ends_after
from errscan.audit.outputs import Outputs

PIECES = ["今天天气很好，大家都来开会。", "我们要再接再励，把工作做好。", "联系电话 13812345678。",
          "中华人名共和国成立以来。", "按装了新的设备。", "各部门认真落实。\n"]
COMPARED = ("files", "findings", "skipped", "by_severity", "by_category", "by_department", "by_month",
            "documents_by_month", "top_terms", "unreadable")


def make_archive(root: Path, files: int = 300, seed: int = 3) -> Path:
    rng = random.Random(seed)
    arc = root / "archive"
    for i in range(files):
        dept = "办公室" if i < files * 2 // 3 else "财务处"
        (arc / dept).mkdir(parents=True, exist_ok=True)
        head = f"2019年{rng.randint(1, 12)}月{rng.randint(1, 28)}日\n" if i % 3 else ""
        body = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
        (arc / dept / f"f{i:04d}.txt").write_text(head + body, encoding="utf-8")
    return arc


def run(arc: Path, out: Path, **kw: object) -> dict:
    kw.setdefault("jobs", 1)
    return audit([str(arc)], AuditOptions(out=out, progress=False, report_rows=25, **kw))  # type: ignore[arg-type]


def rows(out: Path) -> list[dict]:
    page = (out / "report.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert data is not None
    return json.loads(data.group(1))["rows"]  # type: ignore[no-any-return]


def same_as_fresh(arc: Path, out: Path, fresh: Path, summary: dict) -> None:
    """`out` (an incremental -j 1 run) holds byte for byte what a fresh -j 1 audit writes."""
    want = run(arc, fresh, reuse=False)
    for name in ("findings.jsonl", "findings.csv"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name
    assert rows(out) == rows(fresh)
    for key in COMPARED:
        assert summary[key] == want[key], key


def test_groups_incremental_equals_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"
    names = sorted(p.name for p in (arc / "办公室").iterdir())
    cuts = sum(ends_after(n) for n in names[:-1])
    assert cuts >= 2 and len(names) < GROUP_MAX  # the folder is cut into 3 groups or more by its names
    first = run(arc, out)
    assert first["findings"] > 100 and first["rescanned"] == 300
    db = sqlite3.connect(out / "audit-cache.sqlite")
    assert db.execute("SELECT count(*) FROM groups").fetchone()[0] >= 4
    # the findings' text is kept once: in the groups, not in the files' rows
    assert db.execute("SELECT count(*) FROM files WHERE jsonl IS NOT NULL AND count > 0").fetchone()[0] == 0
    db.close()

    # unchanged: every group written as stored, no file's row fetched
    fetched: list[int] = []
    real_rows = Cache.rows
    monkeypatch.setattr(Cache, "rows", lambda self, known: fetched.append(len(known)) or real_rows(self, known))
    again = run(arc, out)
    assert (again["reused"], again["rescanned"], fetched) == (300, 0, [])
    same_as_fresh(arc, out, tmp_path / "fresh0", again)

    # one file edited: it is rescanned, the rest of its group comes from the group's text, file by file
    (arc / "办公室" / names[100]).write_text("再接再励。再接再励。", encoding="utf-8")
    s = run(arc, out)
    assert (s["reused"], s["rescanned"]) == (299, 1) and sum(fetched) > 0
    same_as_fresh(arc, out, tmp_path / "fresh1", s)
    fetched.clear()
    s = run(arc, out)  # its group stored anew
    assert (s["reused"], s["rescanned"], fetched) == (300, 0, [])

    # a file added, one removed, one touched but not changed
    (arc / "办公室" / "f0100a.txt").write_text("按装了。", encoding="utf-8")
    (arc / "财务处" / "f0250.txt").unlink()
    os.utime(arc / "办公室" / names[7], ns=(10**9, 10**9))
    s = run(arc, out)
    assert (s["files"], s["reused"], s["rescanned"]) == (300, 299, 1)
    same_as_fresh(arc, out, tmp_path / "fresh2", s)

    # an unreadable file: listed, never kept in a group, tried again next time; the rest reused
    (arc / "办公室" / "f0101.docx").write_bytes(b"PK\x03\x04 not really a zip")
    for tag in ("3", "4"):
        s = run(arc, out)
        assert (s["reused"], s["rescanned"], len(s["unreadable"])) == (300, 0, 1)
        same_as_fresh(arc, out, tmp_path / f"fresh{tag}", s)

    # the same archive given as one of two paths: every department renamed, so every group stored anew
    other = tmp_path / "other"
    (other / "x").mkdir(parents=True)
    (other / "x" / "y.txt").write_text("按装。", encoding="utf-8")
    for reused in (300, 301):  # rendered again under the new names (and other/ scanned), then all as stored
        both = audit([str(arc), str(other)], AuditOptions(out=out, jobs=1, progress=False, report_rows=25))
        assert both["reused"] == reused and "archive/办公室" in both["by_department"]
    fresh = audit([str(arc), str(other)], AuditOptions(out=tmp_path / "fresh5", jobs=1, progress=False,
                                                        report_rows=25, reuse=False))
    assert both["by_department"] == fresh["by_department"]
    assert (out / "findings.jsonl").read_bytes() == (tmp_path / "fresh5" / "findings.jsonl").read_bytes()
    assert rows(out) == rows(tmp_path / "fresh5")

    # two workers: the same findings, in the order they arrived
    s = run(arc, out, jobs=2)
    assert s["rescanned"] == 0
    key = lambda line: (line["path"], line["line"], line["column"], line["rule"])  # noqa: E731
    got = sorted(map(json.loads, (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()), key=key)
    want = sorted(map(json.loads, (tmp_path / "fresh4" / "findings.jsonl").read_text(encoding="utf-8")
                      .splitlines()), key=key)
    assert got == want


def test_interrupted_keeps_what_was_done(tmp_path: Path) -> None:
    """Files of a group left open by Ctrl-C are kept one by one: the next run reuses them."""
    arc, out = make_archive(tmp_path, files=40), tmp_path / "out"

    def stop(state) -> None:  # type: ignore[no-untyped-def]
        if state.done == 25:
            raise KeyboardInterrupt

    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), on_file=stop,
                     stderr=io.StringIO()) == 130
    s = run(arc, out)
    assert (s["reused"], s["rescanned"]) == (25, 15)
    same_as_fresh(arc, out, tmp_path / "fresh", s)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 12),
    st.lists(st.lists(st.sampled_from("0123"), min_size=0, max_size=6), min_size=0, max_size=12),
    st.lists(st.integers(1, 4), min_size=12, max_size=12),
)
def test_report_keeps_the_most_severe_first(limit: int, files: list[list[str]], per_call: list[int]) -> None:
    """Report rows: the `limit` most severe findings, the earliest first among equals, whether they arrive a
    file at a time or a group at a time."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outputs = Outputs(Path(tmp), limit)
        everything, seq = [], 0
        i = 0
        calls = iter(per_call)
        while i < len(files):  # files handed over in groups of 1 to 4
            group = files[i : i + next(calls)]
            i += len(group)
            members, ranks, lines = [], "", []
            for j, file_ranks in enumerate(group):
                path = f"p{i}-{j}"
                if not file_ranks:
                    continue
                members.append([path, len(file_ranks)])
                for r in file_ranks:
                    row = f'"n": {seq}}}'
                    everything.append((int(r), seq, path, row))
                    lines.append(row)
                    seq += 1
                ranks += "".join(file_ranks)
            if members:
                outputs._keep(members, ranks, "\n".join(lines).encode("utf-8"))
        want = [(p, row) for _, _, p, row in sorted(everything, key=lambda t: (-t[0], t[1]))[:limit]]
        assert outputs.top_rows() == want
        outputs.close()


def rebuilt(arc: Path, out: Path, want: dict) -> None:
    """The audit after its cache was damaged: warned, everything (20 files) scanned anew, then reused."""
    err = io.StringIO()
    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False, report_rows=25), stderr=err) == 1
    assert "审计缓存已损坏" in err.getvalue()
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (s["reused"], s["rescanned"], s["findings"]) == (0, 20, want["findings"])
    assert run(arc, out)["reused"] == 20


def test_damaged_cache_started_anew(tmp_path: Path) -> None:
    """A cache that is not a database (a power cut while it was written, a stray file) is never trusted."""
    arc, out = make_archive(tmp_path, files=20), tmp_path / "out"
    want = run(arc, out)
    (out / "audit-cache.sqlite").write_bytes(b"\0garbage" * 600)
    rebuilt(arc, out, want)


def test_clean_groups_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most of a real archive is clean: a group without a single finding is kept and reused as a whole too."""
    arc = tmp_path / "arc"
    (arc / "clean").mkdir(parents=True)
    for i in range(40):
        (arc / "clean" / f"{i}.txt").write_text(PIECES[0] * (i + 1), encoding="utf-8")
    (arc / "clean" / "blob.txt").write_bytes(b"\x00\x01binary" * 50)  # skipped, in a group all the same
    out = tmp_path / "out"
    first = run(arc, out)
    assert (first["findings"], first["skipped"]) == (0, 1)
    fetched: list[int] = []
    real_rows = Cache.rows
    monkeypatch.setattr(Cache, "rows", lambda self, known: fetched.append(len(known)) or real_rows(self, known))
    s = run(arc, out)
    assert (s["reused"], s["rescanned"], s["skipped"], fetched) == (40, 0, 1, [])
    (arc / "clean" / "7.txt").write_text(PIECES[1], encoding="utf-8")
    s = run(arc, out)
    assert (s["reused"], s["rescanned"], s["findings"]) == (39, 1, 1) and sum(fetched) > 0  # its group: by file
    same_as_fresh(arc, out, tmp_path / "fresh", s)


def test_cache_gives_space_back(tmp_path: Path) -> None:
    """Groups stored anew free their old pages; the file does not keep growing run after run."""
    arc = tmp_path / "arc"
    (arc / "d").mkdir(parents=True)
    for i in range(200):
        (arc / "d" / f"{i:03d}.txt").write_text(PIECES[1] * 20, encoding="utf-8")
    out = tmp_path / "out"
    run(arc, out)
    cache = out / "audit-cache.sqlite"
    size = cache.stat().st_size
    assert size > 2 << 20
    for round_ in range(2):
        for i in range(0, 200, 10):  # a file in nearly every group
            (arc / "d" / f"{i:03d}.txt").write_text(PIECES[1] * (20 + round_ + 1), encoding="utf-8")
        assert run(arc, out)["rescanned"] == 20
    db = sqlite3.connect(cache)
    assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    db.close()
    assert cache.stat().st_size < size * 1.2


def test_one_audit_at_a_time(tmp_path: Path) -> None:
    """A second audit of the same output folder, or with the same shared cache, while one runs is refused (exit
    2, in Chinese), not interleaved with it; the folder is free again once the other process is gone."""
    import subprocess
    import sys

    arc, out = make_archive(tmp_path, files=5), tmp_path / "out"
    shared_cache = tmp_path / "caches" / "site.sqlite"
    shared_cache.parent.mkdir()
    run(arc, out)
    busy = [
        (out / ".errscan-audit.lock", AuditOptions(out=out, progress=False)),
        (shared_cache.with_name("site.sqlite.lock"), AuditOptions(out=tmp_path / "b", cache=shared_cache,
                                                                  progress=False)),
    ]
    for lock, options in busy:
        with subprocess.Popen(  # another process holding the lock, as a running audit does
            [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'a+b'); "
             "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(lock)],
            stdout=subprocess.PIPE, text=True,
        ) as holder:
            try:
                assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
                err = io.StringIO()
                assert run_audit([str(arc)], options, stderr=err) == 2
                assert f"另一个 errscan audit 正在使用 {lock.parent}" in err.getvalue()
            finally:
                holder.kill()
        assert run_audit([str(arc)], options, stderr=io.StringIO()) == 1  # free again: it runs (and finds)


def test_files_gone_are_forgotten(tmp_path: Path) -> None:
    """A file deleted from the archive leaves the cache at the next whole audit; files of other folders that
    share the cache are left alone, and so is everything after an interrupted audit."""
    arc, out = make_archive(tmp_path, files=30), tmp_path / "out"
    other = tmp_path / "other"
    (other / "x").mkdir(parents=True)
    (other / "x" / "y.txt").write_text(PIECES[1], encoding="utf-8")
    run(arc, out)
    audit([str(other)], AuditOptions(out=tmp_path / "o2", cache=out / "audit-cache.sqlite", jobs=1, progress=False))

    def cached() -> set[str]:
        db = sqlite3.connect(out / "audit-cache.sqlite")
        names = {Path(p).name for (p,) in db.execute("SELECT path FROM files")}
        db.close()
        return names

    assert {"f0003.txt", "f0025.txt", "y.txt"} <= cached() and len(cached()) == 31
    (arc / "办公室" / "f0003.txt").unlink()

    def stop(state) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), on_file=stop, stderr=io.StringIO())
    assert "f0003.txt" in cached()  # an interrupted audit has not seen everything: nothing forgotten
    (arc / "财务处" / "f0025.txt").unlink()
    s = run(arc, out)
    assert (s["files"], s["rescanned"]) == (28, 0)
    assert "f0003.txt" not in cached() and "f0025.txt" not in cached() and len(cached()) == 29
    assert "y.txt" in cached()  # not under the archive audited


def test_inconsistent_cache_stops_with_advice(tmp_path: Path) -> None:
    """A file row pointing at a group that is not there (a cache edited by hand): the audit stops with exit 2
    and says to run it with --no-cache, rather than writing a file's findings as empty."""
    arc, out = make_archive(tmp_path, files=20), tmp_path / "out"
    run(arc, out)
    db = sqlite3.connect(out / "audit-cache.sqlite")
    db.execute("DELETE FROM groups")
    db.commit()
    db.close()
    (arc / "办公室" / "f0000.txt").write_text(PIECES[1], encoding="utf-8")  # its group now goes file by file
    err = io.StringIO()
    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), stderr=err) == 2
    assert "请加 --no-cache 重新审计" in err.getvalue()
    s = run(arc, out, reuse=False)
    assert (s["rescanned"], s["files"]) == (20, 20)


def test_cache_damaged_inside_is_rebuilt(tmp_path: Path) -> None:
    """A cache whose header is sound but whose pages are random bytes opens, then fails on the first read: the
    audit rebuilds it and scans everything, instead of failing on every run."""
    arc, out = make_archive(tmp_path, files=20), tmp_path / "out"
    want = run(arc, out)
    cache = out / "audit-cache.sqlite"
    data = bytearray(cache.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = random.Random(7).randbytes(len(data) - page)  # every page after the schema's
    cache.write_bytes(bytes(data))
    rebuilt(arc, out, want)


def test_a_cache_in_use_is_locked_for_an_audit_with_another_out(tmp_path: Path) -> None:
    """The first audit keeps its cache in its own --out; a second with another --out and --cache on that file
    waits its turn (before, they locked different files and both wrote the cache)."""
    import threading

    from errscan.audit import AuditError

    arc, out = make_archive(tmp_path, files=5), tmp_path / "out"
    scanning, release = threading.Event(), threading.Event()

    def on_file(_progress: object) -> None:
        scanning.set()
        release.wait(60)

    first = threading.Thread(
        target=audit, args=([str(arc)], AuditOptions(out=out, jobs=1, progress=False)), kwargs={"on_file": on_file}
    )
    first.start()
    try:
        assert scanning.wait(60)
        with pytest.raises(AuditError, match="另一个 errscan audit 正在使用"):
            audit([str(arc)], AuditOptions(out=tmp_path / "other", cache=out / "audit-cache.sqlite", jobs=1,
                                           progress=False))
    finally:
        release.set()
        first.join(60)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["files"] == 5


def test_verify_finds_a_change_that_kept_size_and_time(tmp_path: Path) -> None:
    """Reuse keys on size and modification time; a file rewritten to the same size with its time put back is
    taken as unchanged, unless --verify, which compares the content's hash."""
    arc = tmp_path / "arc"
    arc.mkdir()
    doc = arc / "a.txt"
    doc.write_text("我们要再接再厉，把工作做好。", encoding="utf-8")
    out = tmp_path / "out"
    assert run(arc, out)["findings"] == 0
    st = doc.stat()
    doc.write_text("我们要再接再励，把工作做好。", encoding="utf-8")  # 厉 -> 励: same length in UTF-8
    os.utime(doc, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert doc.stat().st_size == st.st_size
    s = run(arc, out)
    assert (s["reused"], s["findings"]) == (1, 0)  # the documented limit of the fast path
    s = run(arc, out, verify=True)
    assert (s["reused"], s["rescanned"], s["findings"]) == (0, 1, 1)
    s = run(arc, out, verify=True)  # the content is the cached one now: reused after hashing
    assert (s["reused"], s["rescanned"], s["findings"]) == (1, 0, 1)
