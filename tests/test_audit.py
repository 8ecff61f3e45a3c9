"""errscan audit: incremental cache, chunk edges, interruption, unreadable files, outputs, report, Dask."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from errscan.audit import AuditOptions, audit, run_audit

TYPO = "我们要再接再励，把工作做好。\n"
CLEAN = "今天天气很好，大家都来开会。\n"


def make_archive(root: Path) -> Path:
    arc = root / "archive"
    for dept, name, text in [
        ("办公室", "a.txt", "通知\n" + TYPO),
        ("办公室", "b.txt", CLEAN * 3),
        ("财务处", "c.txt", "联系电话 13812345678\n"),
        ("财务处", "d.html", "<html><body><p>2019年3月5日</p><p>中华人名共和国</p></body></html>"),
        ("人事处", "e.txt", CLEAN + "再接再励\n"),
    ]:
        (arc / dept).mkdir(parents=True, exist_ok=True)
        (arc / dept / name).write_text(text, encoding="utf-8")
    return arc


def run(arc: Path, out: Path, **kw: object) -> dict:
    kw.setdefault("jobs", 1)
    kw.setdefault("progress", False)
    return audit([str(arc)], AuditOptions(out=out, **kw))  # type: ignore[arg-type]


def findings(out: Path) -> list[tuple]:
    lines = (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    return sorted((d["path"], d["line"], d["column"], d["rule"]) for d in map(json.loads, lines))


def rows_by_path(out: Path) -> dict[str, str]:
    import sqlite3

    db = sqlite3.connect(out / "audit-cache.sqlite")
    return dict(db.execute("SELECT path, lexicon FROM files"))


def test_first_run_outputs(tmp_path: Path) -> None:
    arc = make_archive(tmp_path)
    s = run(arc, tmp_path / "out")
    assert (s["files"], s["reused"], s["rescanned"], s["interrupted"]) == (5, 0, 5, False)
    got = findings(tmp_path / "out")
    assert (str(arc / "办公室" / "a.txt"), 2, 4, "typo/再接再励") in got
    assert (str(arc / "财务处" / "d.html"), 1, 42, "serious/人名共和国") in got or any(
        r[0].endswith("d.html") and r[3] == "serious/人名共和国" for r in got
    )
    assert s["by_department"]["办公室"]["findings"] == 1
    assert s["by_department"]["财务处"]["findings"] == 2
    assert s["by_month"].get("2019-03") == 1
    assert s["top_terms"][0]["text"] == "再接再励" and s["top_terms"][0]["count"] == 2
    with open(tmp_path / "out" / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    from errscan.reporters.csv import HEADER

    assert table[0] == list(HEADER) and table[0][-1] == "部门" and len(table) == 1 + s["findings"]
    assert (tmp_path / "out" / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_incremental(tmp_path: Path) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"
    first = run(arc, out)
    before = findings(out)
    second = run(arc, out, jobs=2)
    assert (second["reused"], second["rescanned"]) == (5, 0)
    assert findings(out) == before
    # touched but unchanged: read and hashed, not rescanned
    os.utime(arc / "办公室" / "b.txt", ns=(1, 1))
    assert (run(arc, out)["reused"], run(arc, out)["rescanned"]) == (5, 0)
    # one file edited: exactly that one rescanned
    (arc / "办公室" / "b.txt").write_text(CLEAN + "再接再励\n", encoding="utf-8")
    third = run(arc, out)
    assert (third["reused"], third["rescanned"]) == (4, 1)
    assert third["findings"] == first["findings"] + 1
    # --no-cache: everything
    assert run(arc, out, reuse=False)["rescanned"] == 5


def report_rows(out: Path) -> list[dict]:
    page = (out / "report.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert data is not None
    return json.loads(data.group(1))["rows"]  # type: ignore[no-any-return]


def test_cached_run_writes_what_the_scan_wrote(tmp_path: Path) -> None:
    """A reused result is written as the scan rendered it: findings.jsonl and .csv byte for byte, same report
    rows; under another department (the archive given with another), rendered again as a fresh scan would."""
    arc, out = make_archive(tmp_path), tmp_path / "out"
    # a line separator inside a finding's context, a formula-like cell, quotes and CR LF in the CSV
    (arc / "人事处" / "f.txt").write_text('甲\u2028再接再励=SUM(A1)\n"引号",再接再励\r\n', encoding="utf-8")
    names = ("findings.jsonl", "findings.csv")
    first = run(arc, out, reuse=False)
    written = {n: (out / n).read_bytes() for n in names}
    rows = report_rows(out)
    assert first["findings"] >= 6 and len(rows) == first["findings"]
    second = run(arc, out, jobs=2)
    assert (second["reused"], second["rescanned"]) == (6, 0)
    assert {n: (out / n).read_bytes() for n in names} == written
    assert report_rows(out) == rows
    for key in ("files", "findings", "by_severity", "by_category", "by_department", "by_month", "top_terms"):
        assert second[key] == first[key], key
    more = tmp_path / "more"
    (more / "办公室").mkdir(parents=True)
    (more / "办公室" / "x.txt").write_text(TYPO, encoding="utf-8")
    both = [str(arc), str(more)]
    fresh = audit(both, AuditOptions(out=tmp_path / "fresh", jobs=1, progress=False))
    for reused in (6, 7):  # rendered again (more/ scanned), then all reused as stored
        again = audit(both, AuditOptions(out=tmp_path / "both", cache=out / "audit-cache.sqlite", jobs=1,
                                         progress=False))
        assert again["reused"] == reused and again["by_department"] == fresh["by_department"]
        assert "archive/人事处" in again["by_department"]
        for n in names:
            assert (tmp_path / "both" / n).read_bytes() == (tmp_path / "fresh" / n).read_bytes()
        assert report_rows(tmp_path / "both") == report_rows(tmp_path / "fresh")


def test_list_change_rescans_only_what_it_touches(tmp_path: Path) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"
    mine = tmp_path / "mine.tsv"
    mine.write_text("天气很好\t天气晴好\n", encoding="utf-8")
    mine_only = {"lists": (str(mine),), "builtin": False}  # the built-in lists would be recompiled each time
    run(arc, out, **mine_only)
    # an added entry: only the files that contain it (b.txt, e.txt hold 天气很好 / 开会)
    mine.write_text("天气很好\t天气晴好\n开会\t召开会议\n", encoding="utf-8")
    s = run(arc, out, **mine_only)
    assert (s["reused"], s["rescanned"]) == (3, 2)
    assert sum(1 for r in findings(out) if r[3].endswith("/开会")) == 4  # b.txt ×3, e.txt ×1
    # an edited entry (its suggestion): only the files it was met in
    mine.write_text("天气很好\t天气不错\n开会\t召开会议\n", encoding="utf-8")
    s = run(arc, out, **mine_only)
    assert (s["reused"], s["rescanned"]) == (3, 2)
    # a removed entry: the same; its findings are gone
    mine.write_text("开会\t召开会议\n", encoding="utf-8")
    s = run(arc, out, **mine_only)
    assert (s["reused"], s["rescanned"]) == (3, 2)
    assert not any("天气很好" in r[3] for r in findings(out))
    assert s["findings"] == run(arc, tmp_path / "fresh", **mine_only)["findings"]


def test_list_change_rescans_a_file_of_megabytes_it_touches(tmp_path: Path) -> None:
    """A file of over a megabyte is scanned by the long-text automaton: the entries it met are recorded all the
    same, so an edited entry rescans it, and its finding carries the new suggestion."""
    arc, out = tmp_path / "arc", tmp_path / "out"
    arc.mkdir()
    filler = "大家都来开会。" * 60_000  # 420,000 characters, 1.26 MB of UTF-8; no entry in it
    (arc / "big.txt").write_text(filler + "我们要再接再励。\n", encoding="utf-8")
    (arc / "small.txt").write_text("明天也来。\n", encoding="utf-8")
    mine = tmp_path / "mine.tsv"
    mine.write_text("再接再励\t再接再厉\n", encoding="utf-8")
    mine_only = {"lists": (str(mine),), "builtin": False}
    run(arc, out, **mine_only)
    mine.write_text("再接再励\t再接再厉、继续努力\n", encoding="utf-8")
    s = run(arc, out, **mine_only)
    assert (s["reused"], s["rescanned"]) == (1, 1)
    rows = [json.loads(x) for x in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["path"].rsplit("/", 1)[-1], r["line"], r["column"], r["suggestions"]) for r in rows] == [
        ("big.txt", 1, 420_004, ["再接再厉、继续努力"])]


def test_settings_change_rescans_all(tmp_path: Path) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"
    run(arc, out)
    s = run(arc, out, privacy=False)
    assert s["rescanned"] == 5
    assert "privacy" not in s["by_category"]


def test_chunk_edge(tmp_path: Path) -> None:
    """A match planted across every chunk edge is found once, at its exact place."""
    arc = tmp_path / "arc"
    arc.mkdir()
    size = 50
    filler = "大家都来开会" * 40  # no entry in it
    text = filler[: size - 2] + "再接再励" + filler[: size * 2] + "\n" + filler[:30] + "再接再励"
    (arc / "big.txt").write_text(text, encoding="utf-8")
    whole = run(arc, tmp_path / "whole")
    chunked = run(arc, tmp_path / "chunked", chunk_chars=size)
    assert findings(tmp_path / "whole") == findings(tmp_path / "chunked")
    got = [(r[1], r[2]) for r in findings(tmp_path / "chunked")]
    assert got == [(1, size - 1), (2, 31)]
    lines = (tmp_path / "chunked" / "findings.jsonl").read_text(encoding="utf-8").splitlines()
    contexts = {json.loads(x)["context"] for x in lines}
    whole_contexts = {json.loads(x)["context"] for x in (tmp_path / "whole" / "findings.jsonl").read_text(
        encoding="utf-8").splitlines()}
    assert contexts == whole_contexts and whole["findings"] == chunked["findings"] == 2


def test_interrupted(tmp_path: Path) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"

    def stop_after_two(state) -> None:  # type: ignore[no-untyped-def]
        if state.done == 2:
            raise KeyboardInterrupt

    code = run_audit([str(arc)], AuditOptions(out=out, jobs=2, progress=False), on_file=stop_after_two,
                     stderr=io.StringIO())
    assert code == 130
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["interrupted"] is True and s["files"] == 2
    assert "审计被中断" in (out / "report.html").read_text(encoding="utf-8")
    # resumable: the next run reuses what was done
    again = run(arc, out)
    assert (again["reused"], again["rescanned"]) == (2, 3)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its mode")
def test_permission_denied(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    arc = make_archive(tmp_path)
    (arc / "办公室" / "a.txt").chmod(0)
    s = run(arc, tmp_path / "out")
    assert s["unreadable"][0]["message"] == "没有读取权限"


def test_unreadable_listed(tmp_path: Path) -> None:
    arc = make_archive(tmp_path)
    (arc / "财务处" / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (arc / "财务处" / "gone.txt").symlink_to(arc / "nowhere.txt")
    (arc / "loop").symlink_to(arc)  # a link back to the archive: not followed
    out = tmp_path / "out"
    code = run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False),
                     stderr=io.StringIO())
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert code == 3
    names = {Path(u["path"]).name: u["message"] for u in s["unreadable"]}
    assert set(names) == {"broken.docx", "gone.txt"}
    assert "不存在" in names["gone.txt"]
    assert s["files"] == 5
    assert "broken.docx" in (out / "report.html").read_text(encoding="utf-8")


def test_csv_formula_safe(tmp_path: Path) -> None:
    arc = tmp_path / "arc"
    arc.mkdir()
    (arc / "=cmd.txt").write_text(TYPO, encoding="utf-8")
    out = tmp_path / "out"
    run(arc, out)
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        row = list(csv.reader(fh))[1]
    assert row[0].endswith("=cmd.txt") and not row[0].startswith("=")
    from errscan.reporters.csv import cell

    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and cell("@x") == "'@x" and cell(3) == "3"


HOSTILE = (
    "<html><body><p>&lt;script&gt;alert(1)&lt;/script&gt;再接再励&lt;img src=x onerror=alert(2)&gt;</p></body></html>"
)


def hostile_report(tmp_path: Path) -> Path:
    arc = make_archive(tmp_path)
    (arc / "办公室" / "<b>x<i>.html").write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out"
    run(arc, out)
    return out / "report.html"


def test_report_self_contained_and_escaped(tmp_path: Path) -> None:
    page = hostile_report(tmp_path).read_text(encoding="utf-8")
    assert not re.search(r"""(?i)(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert not re.search(r"(?i)url\(|@import|https?://", page)
    assert page.count("<script") == 2  # the data block and the page's own script
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>x<i>" not in page
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert data is not None
    rows = json.loads(data.group(1))["rows"]
    assert any("alert(1)</script>" in r["context"] for r in rows)  # raw in the data, escaped on the page
    assert any(r["path"].endswith("<b>x<i>.html") and r["href"].endswith("%3Cb%3Ex%3Ci%3E.html") for r in rows)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium (apt-get install chromium)")
def test_report_renders_in_chromium(tmp_path: Path) -> None:
    report = hostile_report(tmp_path)
    shot = tmp_path / "report.png"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,1400",
         report.resolve().as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    colors = png_colors(shot.read_bytes())
    assert len(colors) > 20  # not blank: text, bars, the header
    assert (0x8B, 0x1A, 0x1A) in colors  # the header band and the month chart


def png_colors(png: bytes) -> set[tuple[int, int, int]]:
    """Distinct colours of an 8-bit RGB/RGBA PNG (zlib + the five filters), sampled every 7th row."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width = 8, b"", 0
    while at < len(png):
        size, kind = struct.unpack(">I4s", png[at : at + 8])
        body = png[at + 8 : at + 8 + size]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        at += 12 + size
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colors, pos = bytearray(stride), set(), 0
    for y in range(height):
        ftype, line = raw[pos], bytearray(raw[pos + 1 : pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 7 == 0:
            colors.update(tuple(line[i : i + 3]) for i in range(0, stride, bpp))
    return colors


def test_usage_errors(tmp_path: Path) -> None:
    devnull = io.StringIO()
    assert run_audit([str(tmp_path / "missing")], AuditOptions(out=tmp_path / "o"), stderr=devnull) == 2
    assert run_audit([str(tmp_path)], AuditOptions(out=tmp_path / "o", as_of="2019/13"), stderr=devnull) == 2
    assert run_audit([str(tmp_path)], AuditOptions(out=tmp_path / "o", builtin=False), stderr=devnull) == 2


def test_dask_same_as_pool(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the Dask engine needs dask[distributed] (pip install 'errscan[dask]')")
    arc = make_archive(tmp_path)
    (arc / "财务处" / "broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    pool = run(arc, tmp_path / "pool", jobs=2)
    dask = run(arc, tmp_path / "dask", engine="dask", jobs=2)
    assert findings(tmp_path / "dask") == findings(tmp_path / "pool")
    for key in ("files", "findings", "by_severity", "by_category", "by_department", "by_month", "top_terms"):
        assert dask[key] == pool[key], key
    assert [u["path"] for u in dask["unreadable"]] == [u["path"] for u in pool["unreadable"]]
    assert not (tmp_path / "dask" / "parts").exists()
    assert sys.modules.get("errscan.audit.dask_engine") is not None


def test_fsspec_url_input(tmp_path: Path) -> None:
    """An archive given as an fsspec URL (file:// here; s3://, hdfs:// alike) is listed and read through fsspec:
    the same findings as the local path, in the pool and on a Dask LocalCluster, and reused the next time."""
    pytest.importorskip("fsspec", reason="URLs are read through fsspec (pip install 'errscan[dask]')")
    arc = make_archive(tmp_path)
    local = run(arc, tmp_path / "local")

    def by_url(out: Path) -> list[tuple]:
        return [(p.replace(arc.as_uri(), str(arc)), *rest) for p, *rest in findings(out)]

    engines = [{"jobs": 1}]
    try:
        import distributed  # noqa: F401
    except ImportError:
        pass
    else:
        engines.append({"engine": "dask", "jobs": 2})
    for i, kw in enumerate(engines):
        out = tmp_path / f"url{i}"
        s = audit([arc.as_uri()], AuditOptions(out=out, progress=False, **kw))  # type: ignore[arg-type]
        assert (s["files"], s["findings"], s["unreadable"]) == (5, local["findings"], [])
        assert by_url(out) == findings(tmp_path / "local")
        assert s["by_department"] == local["by_department"]
        again = audit([arc.as_uri()], AuditOptions(out=out, progress=False, **kw))  # type: ignore[arg-type]
        assert (again["reused"], again["rescanned"]) == (5, 0)


def test_file_names_that_are_no_text_in_an_audit(tmp_path: Path) -> None:
    """A name that is not UTF-8 is listed as unreadable (the cache and the outputs are UTF-8), escaped; a name
    holding an escape sequence is checked and shown escaped; no output file carries either raw."""
    import io

    from errscan.audit import AuditOptions, run_audit

    arc = tmp_path / "arc"
    arc.mkdir()
    with open(os.fsencode(arc) + b"/\xff\xfe.txt", "wb") as fh:
        fh.write("我们要再接再励。".encode())
    (arc / "\x1b[31mred.txt").write_text("我们要再接再励。", encoding="utf-8")
    out = tmp_path / "out"
    err = io.StringIO()
    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), stderr=err) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(u["path"], u["message"]) for u in summary["unreadable"]] == [
        (os.path.realpath(arc) + "/\\xff\\xfe.txt", "文件名不是有效的 UTF-8 编码，未检查；请改名后再审计"),
    ]
    rows = [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["path"], r["text"]) for r in rows] == [(os.path.realpath(arc) + "/\\u001b[31mred.txt", "再接再励")]
    for path in out.iterdir():
        if path.is_file() and path.suffix in (".csv", ".jsonl", ".json", ".html"):
            data = path.read_bytes()
            data.decode("utf-8")
            assert b"\x1b" not in data and b"\xff\xfe" not in data, path.name
