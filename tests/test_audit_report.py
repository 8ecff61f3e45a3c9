"""report.html of errscan audit: charts coloured by severity with a legend, month labels that do not overlap,
severity sorted 错误 first, the per-file table, personal data by kind in the top terms; and no lock file left
behind by an audit, finished or not, while a second audit of the same folder is still refused."""

from __future__ import annotations

import html
import io
import itertools
import json
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import chromium
from test_audit import CHROMIUM, make_archive, png_colors, run

from errscan.audit import AuditOptions, lock, run_audit
from errscan.audit.report import columns, text_width, write_report

ERROR, WARNING, INFO = "#b71c1c", "#ef6c00", "#1e88e5"
FILL = {"error": ERROR, "warning": WARNING, "info": INFO}
PHONE, ID_NUMBER = "13912345678", "110105198503151230"  # a valid mobile number and a valid ID number (check 0)
SCREENSHOT = Path("/tmp/audit_report.png")

# one line each, and (severity, category) of what the built-in lists find in it
TERMS = [
    ("我们要再接再励。", "warning", "typo"), ("按计划布署工作。", "warning", "typo"),
    ("看起来好象不错。", "info", "typo"), ("百废具兴。", "info", "variant"),
    ("不得称台湾政府。", "error", "usage"), ("做为示范。", "warning", "usage"), ("原村长发言。", "info", "usage"),
    ("地址在上虞市。", "warning", "outdated"), ("中华人名共和国。", "error", "serious"),
]
DEPARTMENTS = ["办公室", "财务处", "人事处", "宣传部", "信息中心"]


def realistic_archive(root: Path) -> Path:
    """Five departments, 30 months of 2023–2025 (a few without any document), every category and severity,
    personal data, an undated document."""
    arc = root / "archive"
    n = 0
    for month in range(36):
        year, mon = 2023 + month // 12, month % 12 + 1
        if month in (7, 8, 20, 27, 28, 33):
            continue  # no document these months: the time axis still has them
        dept = DEPARTMENTS[month % len(DEPARTMENTS)]
        lines = [f"关于{year}年{mon}月{5 + month % 20}日工作的通知"]
        for k in range(1 + month % 4):
            lines.append(TERMS[(month * 3 + k) % len(TERMS)][0])
        if month % 9 == 4:
            lines.append(f"联系电话 {PHONE}，身份证号 {ID_NUMBER}。")
        (arc / dept).mkdir(parents=True, exist_ok=True)
        (arc / dept / f"{year}-{mon:02d}-通知{n}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        n += 1
    (arc / "办公室" / "无日期.txt").write_text("会议纪要\n我们要再接再励。\n", encoding="utf-8")
    return arc


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The realistic archive, audited once: its output folder."""
    root = tmp_path_factory.mktemp("realistic")
    out = root / "out"
    run(realistic_archive(root), out)
    return out


def page_data(out: Path) -> dict:
    page = (out / "report.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert data is not None
    return json.loads(data.group(1))  # type: ignore[no-any-return]


def charts(page: str) -> dict[str, str]:
    """Each chart's HTML by its title."""
    return dict(re.findall(r'<div class="chart"><h2>(.*?)</h2>(.*?)</div>', page, re.S))


def segments(chart: str) -> list[tuple[str, str, str]]:
    """(bar or column label, severity, fill) of every segment, from its tooltip "label：错误 2 处（共 5 处）"."""
    found = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})" data-severity="(\w+)"><title>([^<]*)</title>', chart)
    return [(html.unescape(title).split("：")[0], sev, fill) for fill, sev, title in found]


def severities(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]


# --- charts ----------------------------------------------------------------------------------------------------
def test_every_bar_is_coloured_by_severity_with_a_legend(realistic: Path) -> None:
    page = (realistic / "report.html").read_text(encoding="utf-8")
    by_title = charts(page)
    assert set(by_title) == {"按级别", "按类别", "按部门（顶层文件夹，前 15 个）", "常见问题词（前 15 个）",
                             "按文稿日期（月）"}
    for title, chart in by_title.items():
        parts = segments(chart)
        assert parts, title
        assert all(fill == FILL[sev] for _, sev, fill in parts), title  # no grey, no dark red: split everywhere
        assert re.findall(r'<i style="background:(#\w+)"></i>(\w+)</span>', chart) == [
            (ERROR, "错误"), (WARNING, "警告"), (INFO, "提示")], title
    assert "#8b1a1a" not in "".join(by_title.values())
    found = severities(realistic)
    by_category: dict[str, Counter[str]] = {}
    for f in found:
        by_category.setdefault(f["category"], Counter())[f["severity"]] += 1
    zh = {"typo": "错别字", "variant": "异形词", "usage": "规范用语", "outdated": "过时表述", "serious": "政治性差错",
          "privacy": "个人信息"}
    cat = segments(by_title["按类别"])
    for category, counts in by_category.items():
        expected = [(zh[category], s, FILL[s]) for s in ("error", "warning", "info") if counts[s]]
        assert [p for p in cat if p[0] == zh[category]] == expected, category
    assert [p for p in cat if p[0] == "异形词"] == [("异形词", "info", INFO)]  # 提示, not an error's red
    assert [p[1] for p in cat if p[0] == "规范用语"] == ["error", "warning", "info"]  # stacked, most severe first
    # each segment's tooltip has its count: the bars add up to the findings
    tips = re.findall(r'data-severity="(\w+)"><title>异形词：提示 (\d+) 处（共 (\d+) 处）', by_title["按类别"])
    assert tips == [("info", str(by_category["variant"]["info"]), str(by_category["variant"]["info"]))]


def test_month_chart_stacked_by_severity_over_every_month(realistic: Path) -> None:
    page = (realistic / "report.html").read_text(encoding="utf-8")
    chart = charts(page)["按文稿日期（月）"]
    months = {label for label, _, _ in segments(chart)}
    summary = json.loads((realistic / "summary.json").read_text(encoding="utf-8"))
    assert months == {f"{m[:4]}年{int(m[5:])}月" for m in summary["by_month"] if m != "未知"}
    # the axis runs through the months without documents: 36 columns, 2023-01 … 2025-12
    labels = re.findall(r'<text class="tick" x="([\d.]+)" y="\d+" text-anchor="middle"><title>([^<]*)</title>([^<]*)'
                        r"</text>", chart)
    assert len(labels) >= 5 and all(re.fullmatch(r"\d{4}-\d{2}|\d{4}年", text) for _, _, text in labels)
    col_w = (520 - 44 - 34) / 36
    for x, title, _ in labels:  # each label under its month's column, counted from 2023-01
        m = re.match(r"(\d{4})年(\d+)月", title)
        assert m is not None
        at = (int(m.group(1)) - 2023) * 12 + int(m.group(2)) - 1
        assert abs(float(x) - (44 + at * col_w + col_w / 2)) < 0.1, title
    per_month: dict[str, Counter[str]] = {}
    for f in severities(realistic):
        name = Path(f["path"]).name
        if "-通知" in name:
            per_month.setdefault(name[:7], Counter())[f["severity"]] += 1
    got: dict[str, Counter[str]] = {}
    for fill, sev, title in re.findall(r'fill="(#\w+)" data-severity="(\w+)"><title>([^<]*)</title>', chart):
        m = re.match(r"(\d{4})年(\d+)月：\w+ (\d+) 处", title)
        assert m is not None and fill == FILL[sev]
        got.setdefault(f"{m.group(1)}-{int(m.group(2)):02d}", Counter())[sev] += int(m.group(3))
    assert got == per_month
    assert "另有 2 处问题所在文稿未能确定日期" not in chart and "另有 1 处问题所在文稿未能确定日期" in chart


@pytest.mark.parametrize("months", [3, 6, 7, 12, 13, 30, 36, 61, 130, 250])
def test_month_labels_never_overlap(months: int) -> None:
    """Whatever the span, the labels shown leave room between them (the old chart put 6 months' labels, at the
    page's font size, on top of each other); each names its month in full in its tooltip."""
    counts = {f"{2015 + m // 12}-{m % 12 + 1:02d}": {"error": 1 + m % 3, "info": m % 2} for m in range(months)}
    svg = columns("按文稿日期（月）", counts)
    ticks = [(float(x), html.unescape(full), text) for x, full, text in re.findall(
        r'<text class="tick" x="([\d.]+)" y="\d+" text-anchor="middle"><title>([^<]*)</title>([^<]*)</text>', svg)]
    assert ticks
    assert len(re.findall(r"<rect ", svg)) == sum(len([v for v in c.values() if v]) for c in counts.values())
    for (x1, _, a), (x2, _, b) in itertools.pairwise(ticks):
        assert x2 - x1 >= (text_width(a, 13) + text_width(b, 13)) / 2 + 6, (a, b)
    for _, full, text in ticks:
        year = text[:4]
        assert full.startswith(f"{year}年") and "：共 " in full
        assert re.fullmatch(r"\d{4}-\d{2}", text) or (re.fullmatch(r"\d{4}年", text) and full.startswith(
            f"{year}年1月"))
    if months <= 6:
        assert len(ticks) >= months // 2  # few months: most are labelled
    if months >= 61:
        assert all("年" in text for _, _, text in ticks)  # years, at each January (of every 5th year: 250)


# --- the tables ----------------------------------------------------------------------------------------------------
def test_per_file_table_counts_and_order(tmp_path: Path) -> None:
    arc = make_archive(tmp_path)
    (arc / "办公室" / "<b>x<i>.txt").write_text("不得称台湾政府。做为示范。原村长发言。百废具兴。\n", encoding="utf-8")
    out = tmp_path / "out"
    run(arc, out)
    files = page_data(out)["files"]
    got = [(Path(f["path"]).relative_to(arc).as_posix(), f["error"], f["warning"], f["info"], f["total"])
           for f in files]
    assert got == [
        ("办公室/<b>x<i>.txt", 1, 1, 2, 4),  # errors first, then warnings, then notes
        ("财务处/c.txt", 1, 0, 0, 1),
        ("财务处/d.html", 1, 0, 0, 1),
        ("人事处/e.txt", 0, 1, 0, 1),  # as many as a.txt: in the archive's order
        ("办公室/a.txt", 0, 1, 0, 1),
    ]
    assert files[0]["href"].endswith("%3Cb%3Ex%3Ci%3E.txt")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<b>x<i>" not in page and "\\u003cb\\u003ex\\u003ci\\u003e.txt" in page
    assert "有问题的文件共 5 个，按错误、警告、提示的多少排列。" in page
    # capped: the most severe files, and how many more there are
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    write_report(out, summary, file_rows=2, top=[])
    files = page_data(out)["files"]
    assert [Path(f["path"]).name for f in files] == ["<b>x<i>.txt", "c.txt"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert ("有问题的文件共 5 个，按错误、警告、提示的多少列出前 2 个，另有 3 个未列出；"
            "全部问题见 findings.csv。") in page


def test_personal_data_by_kind_never_by_value(tmp_path: Path) -> None:
    arc = make_archive(tmp_path)
    (arc / "人事处" / "名单.txt").write_text(
        f"联系电话 {PHONE}，身份证号 {ID_NUMBER}，我们要再接再励。\n", encoding="utf-8")
    out = tmp_path / "out"
    s = run(arc, out)
    assert {t["text"] for t in s["top_terms"]} >= {"privacy/mobile", "privacy/id-card"}  # summary.json: by rule
    page = (out / "report.html").read_text(encoding="utf-8")
    for raw in (PHONE, ID_NUMBER, "13812345678", "12345678", "19850315"):
        assert raw not in page, raw
    terms = charts(page)["常见问题词（前 15 个）"]
    labels = [html.unescape(t) for t in re.findall(r'text-anchor="end"><title>[^<]*</title>([^<]*)</text>', terms)]
    assert {"手机号码", "居民身份证号码", "再接再励"} <= set(labels)
    assert not any("privacy" in label or re.search(r"\d{4}", label) for label in labels)
    assert "手机号码（个人信息，号码不在报告中显示）：错误 2 处（共 2 处）" in terms  # c.txt's and 名单.txt's
    assert "个人信息按类别计数，不显示号码。" in terms
    rows = page_data(out)["rows"]
    assert {r["text"] for r in rows if r["category"] == "privacy"} == {"139****5678", "138****5678",
                                                                        "110105********1230"}


# --- in Chromium -----------------------------------------------------------------------------------------------------
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"), "1360,2000")
    try:
        yield driver
    finally:
        driver.quit()


def first_column(driver) -> list[str]:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, "#findings tbody tr td:first-child")]


RANKED = {"错误": 3, "警告": 2, "提示": 1}


@needs_chromium
def test_severity_sorts_errors_first_in_chromium(realistic: Path, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    browser.get((realistic / "report.html").resolve().as_uri())
    level = browser.find_element(By.CSS_SELECTOR, '#findings th[data-key="severity_rank"]')
    category = browser.find_element(By.CSS_SELECTOR, '#findings th[data-key="category_zh"]')

    def descending() -> bool:
        ranks = [RANKED[t] for t in first_column(browser)]
        return len(ranks) > 20 and ranks == sorted(ranks, reverse=True) and ranks[0] == 3 and ranks[-1] == 1

    assert descending() and level.get_attribute("class") == "sorted-desc"  # the default
    level.click()
    assert descending() and level.get_attribute("class") == "sorted-desc"  # the first click: 错误 first still
    level.click()
    ranks = [RANKED[t] for t in first_column(browser)]
    assert ranks == sorted(ranks) and ranks[0] == 1 and level.get_attribute("class") == "sorted-asc"
    category.click()
    assert category.get_attribute("class") == "sorted-asc"
    level.click()
    assert descending()  # coming back to 级别: 错误 first again
    # the per-file table, as the data has it, each cell text
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in browser.find_elements(By.CSS_SELECTOR, "#files tbody tr")]
    counts: dict[str, Counter[str]] = {}
    for f in severities(realistic):
        counts.setdefault(f["path"], Counter())[f["severity"]] += 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1]["error"], -kv[1]["warning"], -kv[1]["info"]))
    assert [r[1:] for r in rows] == [[str(c["error"]), str(c["warning"]), str(c["info"]), str(c.total())]
                                     for _, c in expected]
    assert {r[0] for r in rows} == set(counts)


@needs_chromium
def test_report_screenshot_labels_apart(realistic: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """The page as a reader sees it (saved as /tmp/audit_report.png): no two labels of a chart overlap, none
    runs out of its chart, and the severities' colours are on screen."""
    browser.get((realistic / "report.html").resolve().as_uri())
    boxes = browser.execute_script("""
        return Array.from(document.querySelectorAll(".chart")).map(function (c) {
          var svg = c.querySelector("svg"); if (!svg) return null;
          var s = svg.getBoundingClientRect();
          return {title: c.querySelector("h2").textContent, svg: [s.left, s.right, s.top, s.bottom],
                  texts: Array.from(svg.querySelectorAll("text")).map(function (t) {
                    var r = t.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom, t.lastChild.data];
                  })};
        }).filter(Boolean);""")
    assert len(boxes) == 5
    for chart in boxes:
        left, right, top, bottom = chart["svg"]
        texts = chart["texts"]
        for a in texts:
            assert left - 0.5 <= a[0] and a[1] <= right + 0.5 and top - 0.5 <= a[2] and a[3] <= bottom + 0.5, (
                chart["title"], a)
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                apart = a[1] <= b[0] or b[1] <= a[0] or a[3] <= b[2] or b[3] <= a[2]
                assert apart, (chart["title"], a[4], b[4])
    height = browser.execute_script("return Math.min(document.body.scrollHeight, 2600)")
    browser.set_window_size(1360, height)
    SCREENSHOT.write_bytes(browser.get_screenshot_as_png())
    colors = png_colors(SCREENSHOT.read_bytes())
    for hex_color in (ERROR, WARNING, INFO):
        assert tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5)) in colors, hex_color


@needs_chromium
def test_the_context_marks_the_occurrence_found(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """A line holding 国家海洋局 twice, the first excused (原…): the findings table marks the second, in a short line
    and past the context's 20 characters in a long one."""
    arc = tmp_path / "archive"
    arc.mkdir()
    (arc / "2024-05-通知.txt").write_text(
        "原国家海洋局职责已经划转，现由国家海洋局负责。\n"
        "按照本省二〇二四年机构改革的总体部署和各项要求，原国家海洋局职责划转后由国家海洋局负责。\n", encoding="utf-8")
    run(arc, tmp_path / "out")
    browser.get((tmp_path / "out" / "report.html").resolve().as_uri())
    marked = browser.execute_script("""
        return Array.from(document.querySelectorAll("#findings td.ctx")).map(function (td) {
          var m = td.querySelector("mark"); return [m.previousSibling.data, m.textContent, m.nextSibling.data];
        });""")
    assert sorted(marked) == [["原国家海洋局职责已经划转，现由", "国家海洋局", "负责。"],
                              ["部署和各项要求，原国家海洋局职责划转后由", "国家海洋局", "负责。"]]


# --- lock files ------------------------------------------------------------------------------------------------------
def lock_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.lock"))


def test_no_lock_file_left_behind(tmp_path: Path) -> None:
    arc, out = make_archive(tmp_path), tmp_path / "out"
    shared = tmp_path / "caches" / "site.sqlite"
    shared.parent.mkdir()
    run(arc, out)
    assert lock_files(out) == [] and (out / "report.html").exists()
    run(arc, out, cache=shared)
    assert lock_files(out, shared.parent) == []

    def fail(state) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("磁盘已满")

    with pytest.raises(RuntimeError):
        _audit_with(arc, out, fail)
    assert lock_files(out) == []

    def stop(state) -> None:  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False, cache=shared), on_file=stop,
                     stderr=io.StringIO()) == 130
    assert lock_files(out, shared.parent) == []
    # a lock file a killed audit left is taken, and then removed
    (out / ".errscan-audit.lock").touch()
    run(arc, out)
    assert lock_files(out) == []


def _audit_with(arc: Path, out: Path, on_file) -> None:  # type: ignore[no-untyped-def]
    from errscan.audit import audit

    audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), on_file)


HOLDING_AUDIT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from errscan.audit import AuditOptions, audit

    def wait(state):
        if state.done == 1:
            print("running", flush=True)
            while not Path(sys.argv[3]).exists():
                time.sleep(0.05)

    audit([sys.argv[1]], AuditOptions(out=Path(sys.argv[2]), jobs=1, progress=False), wait)
    print("done", flush=True)
""")


def test_second_audit_refused_while_one_runs(tmp_path: Path) -> None:
    """Two real audits of one output folder: the second, started while the first runs, is refused (exit 2, in
    Chinese) and leaves the first's lock alone; once the first is done no lock file is left, and it runs."""
    arc, out, go = make_archive(tmp_path), tmp_path / "out", tmp_path / "go"
    with subprocess.Popen([sys.executable, "-c", HOLDING_AUDIT, str(arc), str(out), str(go)],
                          stdout=subprocess.PIPE, text=True) as first:
        try:
            assert first.stdout is not None and first.stdout.readline().strip() == "running"
            assert (out / ".errscan-audit.lock").exists()
            err = io.StringIO()
            assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), stderr=err) == 2
            assert f"另一个 errscan audit 正在使用 {out}" in err.getvalue()
            assert (out / ".errscan-audit.lock").exists()  # still the first's
            go.touch()
            assert first.stdout.readline().strip() == "done"
        finally:
            go.touch()
            first.wait(timeout=120)
    assert first.returncode == 0
    assert lock_files(out) == []
    assert run_audit([str(arc)], AuditOptions(out=out, jobs=1, progress=False), stderr=io.StringIO()) == 1
    assert lock_files(out) == []


def test_refused_audit_removes_only_its_own_locks(tmp_path: Path) -> None:
    """The output folder is free but the shared cache is held: refused; the folder's lock it took is removed,
    the cache's (another process's) stays."""
    arc, out = make_archive(tmp_path), tmp_path / "out"
    shared = tmp_path / "caches" / "site.sqlite"
    shared.parent.mkdir()
    held = lock.acquire(shared.with_name("site.sqlite.lock"))
    try:
        err = io.StringIO()
        assert run_audit([str(arc)], AuditOptions(out=out, cache=shared, progress=False), stderr=err) == 2
        assert lock_files(out) == [] and lock_files(shared.parent) == [shared.with_name("site.sqlite.lock")]
    finally:
        lock.release(held, shared.with_name("site.sqlite.lock"))
    assert lock_files(shared.parent) == []


def test_lock_taken_on_a_file_removed_meanwhile_is_retaken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race of removing a locked file: an audit opens the lock file; before it locks it, the audit holding it
    finishes (removes it) and a third starts (a new file by that name, locked). Locking the old file succeeds,
    but it is no longer the folder's lock: the audit looks again, and finds the third one's: Busy."""
    path = tmp_path / ".errscan-audit.lock"
    holder = lock.acquire(path)
    with pytest.raises(lock.Busy):
        lock.acquire(path)
    real, third = lock._lock, []

    def late(fh) -> None:  # type: ignore[no-untyped-def]
        if not third:
            third.append(None)
            lock.release(holder, path)
            assert not path.exists()
            third[0] = lock.acquire(path)
        real(fh)

    monkeypatch.setattr(lock, "_lock", late)
    with pytest.raises(lock.Busy):
        lock.acquire(path)
    monkeypatch.setattr(lock, "_lock", real)
    assert path.exists()
    lock.release(third[0], path)
    assert not path.exists()
    with lock.exclusive([path, path]):
        assert path.exists()
        with pytest.raises(lock.Busy), lock.exclusive([path]):
            pass
        assert path.exists()  # the refused one did not remove it
    assert not path.exists()
