"""`errscan inspect`: a site generated here, served on 127.0.0.1, with known stale and fresh columns, empty
columns, an undated article, dead links on the home page and inside, a hidden outbound link, a page with a
serious error and an attachment with an ID number; then the same site with some of it fixed (--since)."""

from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import SHARED, needs_shared

AS_OF = "2026-06-30"
AN_ID = "11010519491231002X"  # a valid check digit


def column(title: str, items: list[tuple[str, str, str]], table: bool = False) -> str:
    """A list page: one <li> (or table row) per item, each a link and a date."""
    if table:
        rows = "".join(f'<tr><td><a href="{u}">{t}</a></td><td>{d}</td></tr>' for u, t, d in items)
        body = f"<table>{rows}</table>"
    else:
        body = "<ul>" + "".join(f'<li><a href="{u}">{t}</a><span>{d}</span></li>' for u, t, d in items) + "</ul>"
    return (f"<html><head><title>{title}_某县人民政府</title></head><body><h1>{title}</h1>{body}"
            '<p><a href="/">返回首页</a></p></body></html>')


def article(title: str, date: str | None, body: str) -> str:
    meta = f'<meta name="PubDate" content="{date}">' if date else ""
    return (f"<html><head><title>{title}_某县人民政府</title>{meta}</head><body><h1>{title}</h1>"
            f"<p>{body}</p></body></html>")


FILLER = "为进一步做好全县安全生产工作，现将有关事项通知如下。各单位要高度重视，认真组织，确保各项措施落到实处。" * 4


def xlsx_with_an_id() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "公示"
    wb.active["A1"] = "姓名"
    wb.active["B1"] = "身份证号"
    wb.active["A2"] = "张三"
    wb.active["B2"] = AN_ID
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def news_items(prefix: str, dates: list[str]) -> list[tuple[str, str, str]]:
    return [(f"{prefix}{n}.html", f"{prefix.strip('/')}第{n}条消息", d) for n, d in enumerate(dates, 1)]


def site(fixed: bool = False) -> dict[str, tuple[str, bytes]]:
    """The site's pages. fixed: the serious error corrected, the hidden link removed, the dead home link mended,
    one more column gone stale."""
    fresh = ["2026-06-25", "2026-06-20", "2026-06-18", "2026-06-10", "2026-06-01"]
    stale_news = ["2026-05-01", "2026-04-20", "2026-04-10", "2026-04-01", "2026-03-20"]
    pages: dict[str, str] = {
        "/xwdt/": column("新闻动态", news_items("/xwdt/", fresh)),
        "/bmdt/": column("部门动态", news_items("/bmdt/", stale_news), table=True),
        "/tzgg/": column("通知公告", news_items("/tzgg/", ["2026-03-01", "2026-02-01", "2026-01-05",
                                                            "2025-12-01", "2025-11-11"])),
        "/zcwj/": column("政策文件", news_items("/zcwj/", ["2025-10-01", "2025-09-01", "2025-08-01",
                                                            "2025-07-01", "2025-06-01"])),
        "/kzl/": "<html><head><title>专题专栏_某县人民政府</title></head><body><h1>专题专栏</h1>"
                 "<p>暂无信息</p></body></html>",
        "/rsxx/": "<html><head><title>人事信息_某县人民政府</title></head><body><h1>人事信息</h1>"
                  "<p>暂无相关内容</p></body></html>",
    }
    if fixed:  # 新闻动态 not updated since: stale at the second run
        pages["/xwdt/"] = column("新闻动态", news_items("/xwdt/", ["2026-06-01"] * 5))
    for prefix, dates in (("/xwdt/", fresh), ("/bmdt/", stale_news)):
        for n, d in enumerate(dates, 1):
            pages[f"{prefix}{n}.html"] = article(f"{prefix}第{n}条消息", d, FILLER)
    for prefix in ("/tzgg/", "/zcwj/"):
        for n in range(1, 6):
            pages[f"{prefix}{n}.html"] = article(f"{prefix}第{n}条", "2026-01-01", FILLER)
    pages["/xwdt/2.html"] = article("/xwdt/第2条消息", None, FILLER)  # no date anywhere: undated
    slip = "中华人民共和国" if fixed else "中华人民共合国"
    pages["/xwdt/3.html"] = article("/xwdt/第3条消息", "2026-06-18", f"贯彻落实{slip}安全生产法。" + FILLER)
    pages["/bmdt/1.html"] = article("/bmdt/第1条消息", "2026-05-01",
                                    FILLER + '<a href="/bmdt/gone.html">相关链接</a>'
                                    '<a href="/files/gs.xlsx">公示名单</a>')
    hidden = "" if fixed else ('<div style="position:absolute;left:-9999px"><a href="http://bocai.example.invalid/">'
                               "娱乐城</a></div>")
    dead = "" if fixed else '<li><a href="/missing.html">已删除的栏目</a></li>'
    pages["/"] = (
        "<html><head><title>某县人民政府</title></head><body><h1>某县人民政府门户网站</h1>"
        '<ul class="nav"><li><a href="/xwdt/">新闻动态</a></li><li><a href="/bmdt/">部门动态</a></li>'
        '<li><a href="/tzgg/">通知公告</a></li><li><a href="/zcwj/">政策文件</a></li>'
        f'<li><a href="/kzl/">专题专栏</a></li><li><a href="/rsxx/">人事信息</a></li>{dead}</ul>'
        '<ul class="news"><li><a href="/xwdt/1.html">县政府召开常务会议</a><span>2026-06-25</span></li>'
        '<li><a href="/xwdt/3.html">全县安全生产工作会议召开</a><span>2026-06-18</span></li></ul>'
        '<p><a href="http://www.gov.cn/" style="color:#333">中国政府网</a></p>'
        f"{hidden}</body></html>"
    )
    out = {path: ("text/html; charset=utf-8", text.encode("utf-8")) for path, text in pages.items()}
    out["/files/gs.xlsx"] = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_with_an_id())
    out["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow:\n")
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        got = self.pages.get(self.path.split("?")[0])
        if got is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", got[0])
        self.send_header("Content-Length", str(len(got[1])))
        self.end_headers()
        self.wfile.write(got[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    Handler.pages = site()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def inspect(base: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "errscan", "inspect", base + "/", "--as-of", AS_OF, "--delay", "0", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def first(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("first")
    got = inspect(server, "-f", "json", "-o", str(out / "run"), cwd=out)
    assert got.returncode == 1, got.stderr
    return {"doc": json.loads(got.stdout), "out": out / "run", "base": server, "stderr": got.stderr}


def indicator(doc: dict, ident: str) -> dict:
    [found] = [i for i in doc["indicators"] if i["id"] == ident]
    return found


def test_every_indicator_of_the_contract(first: dict) -> None:
    doc = first["doc"]
    assert doc["verdict"] == "fail" and doc["as_of"] == AS_OF
    assert [i["id"] for i in doc["indicators"]] == [
        "site_unreachable", "home_stale", "columns_stale", "columns_empty", "undated_pages", "dead_links",
        "hidden_links", "serious_errors", "personal_data"]
    assert all(set(i) == {"id", "name", "veto", "threshold", "value", "pass", "evidence"} for i in doc["indicators"])
    assert {i["id"]: i["pass"] for i in doc["indicators"]} == {
        "site_unreachable": True, "home_stale": True, "columns_stale": True, "columns_empty": True,
        "undated_pages": False, "dead_links": False, "hidden_links": False, "serious_errors": False,
        "personal_data": False}
    assert indicator(doc, "home_stale")["value"] == "5 天（最新 2026-06-25）"


def test_columns_recognised_with_their_newest_item(first: dict) -> None:
    base = first["base"]
    columns = {c["url"].removeprefix(base): (c["title"], c["kind"], c["newest"], c["items"], c["empty"])
               for c in first["doc"]["columns"]}
    assert columns == {
        "/xwdt/": ("新闻动态", "news", "2026-06-25", 5, False),
        "/bmdt/": ("部门动态", "news", "2026-05-01", 5, False),  # dates in the next table cell
        "/tzgg/": ("通知公告", "notice", "2026-03-01", 5, False),
        "/zcwj/": ("政策文件", "notice", "2025-10-01", 5, False),
        "/kzl/": ("专题专栏", "notice", None, 0, True),
        "/rsxx/": ("人事信息", "notice", None, 0, True),
    }
    stale = indicator(first["doc"], "columns_stale")
    assert [e["url"].removeprefix(base) for e in stale["evidence"]] == ["/bmdt/", "/zcwj/"]
    assert stale["value"] == "动态类 1 个，通知政策类 1 个（共识别栏目 6 个）"
    empty = indicator(first["doc"], "columns_empty")
    assert empty["value"] == 2
    assert [e["text"] for e in empty["evidence"]] == ["专题专栏：暂无信息", "人事信息：暂无相关内容"]


def test_failures_with_their_evidence(first: dict) -> None:
    base, doc = first["base"], first["doc"]
    undated = indicator(doc, "undated_pages")
    assert [e["url"].removeprefix(base) for e in undated["evidence"]] == ["/xwdt/2.html"]
    dead = indicator(doc, "dead_links")
    assert dead["value"] == "首页 1 个，其他页面 1 个"
    assert [(e["url"].removeprefix(base), e["text"]) for e in dead["evidence"]] == [
        ("/missing.html", f"链接失效（HTTP 404）（链接所在页面：{base}/）"),
        ("/bmdt/gone.html", f"链接失效（HTTP 404）（链接所在页面：{base}/bmdt/1.html）"),
    ]
    hidden = indicator(doc, "hidden_links")
    [h] = hidden["evidence"]
    assert h["url"] == base + "/" and h["text"] == "指向 http://bocai.example.invalid/ 的隐藏链接“娱乐城”"
    assert h["line"] == 1 and h["saved"].startswith("evidence/")
    serious = indicator(doc, "serious_errors")
    [s] = serious["evidence"]
    assert s["url"] == base + "/xwdt/3.html" and s["text"].startswith("“中华人民共合国”")
    personal = indicator(doc, "personal_data")
    [p] = personal["evidence"]
    assert p["url"] == base + "/files/gs.xlsx" and AN_ID not in json.dumps(doc) and "002X" in p["text"]
    copy = (first["out"] / p["saved"]).read_text(encoding="utf-8-sig")  # the attachment's text, masked
    assert p["saved"].endswith(".txt") and "张三" in copy and AN_ID not in copy and "002X" in copy
    for ind in doc["indicators"]:  # every piece of evidence says when its page was fetched
        for e in ind["evidence"]:
            assert e["fetched"].startswith("20")


def test_outputs_and_saved_copies(first: dict) -> None:
    out = first["out"]
    assert json.loads((out / "inspection.json").read_text(encoding="utf-8")) == first["doc"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.index("不合格") < report.index("<h2>指标</h2>")  # the verdict first
    assert "娱乐城" in report and "<script" not in report
    hidden = indicator(first["doc"], "hidden_links")["evidence"][0]
    copy = (out / hidden["saved"]).read_text(encoding="utf-8-sig")
    assert "bocai.example.invalid" in copy
    assert first["stderr"].startswith("检查结果已写入")


def test_terminal_summary_and_since(server: str, first: dict, tmp_path: Path) -> None:
    got = inspect(server, cwd=tmp_path)
    assert got.returncode == 1
    lines = got.stdout.splitlines()
    assert lines[0] == f"{server}/（按 {AS_OF} 判断）：不合格"
    assert any("隐藏外链（暗链）" in line and "不合格" in line for line in lines)
    Handler.pages = site(fixed=True)
    try:
        again = inspect(server, "-f", "json", "--since", str(first["out"]), "-o", str(tmp_path / "second"),
                        cwd=tmp_path)
    finally:
        Handler.pages = site()
    doc = json.loads(again.stdout)
    since = doc["since"]
    assert since["previous_as_of"] == AS_OF and since["previous_verdict"] == "fail"
    fixed = sorted((e["indicator"], e["url"].removeprefix(server)) for e in since["fixed"])
    assert fixed == [("dead_links", "/missing.html"), ("hidden_links", "/"), ("serious_errors", "/xwdt/3.html")]
    assert [(e["indicator"], e["url"].removeprefix(server)) for e in since["new"]] == [("columns_stale", "/xwdt/")]
    assert since["became_stale"] == [server + "/xwdt/"]
    assert doc["verdict"] == "pass"  # no 单项否决 left: the deductions remain listed
    assert indicator(doc, "undated_pages")["pass"] is False


def test_unreachable_home_is_exit_3(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got = inspect(f"http://127.0.0.1:{port}", "-f", "json", cwd=tmp_path)
    assert got.returncode == 3
    doc = json.loads(got.stdout)
    assert indicator(doc, "site_unreachable")["pass"] is False and doc["verdict"] == "fail"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ('<div style="display:none"><a href="http://x.example/">人民网</a></div>', 0),  # a hidden menu
        ('<div style="display:none"><a href="http://x.example/">澳门娱乐城</a></div>', 1),  # a spammer's words
        ('<div style="position:absolute;left:-9999px"><a href="http://x.example/">人民网</a></div>', 1),
        ('<a href="http://x.example/" style="font-size:0">x</a>', 1),
        ('<div style="background:#fff"><a href="http://x.example/" style="color:#FFF">链接</a></div>', 1),
        ('<a href="http://x.example/" style="opacity:0;width:100px">链接</a>', 0),  # over a banner image
        ('<div style="left:-9999px;position:absolute"><a href="http://www.beijing.gov.cn/">北京</a></div>', 0),
        ('<div style="left:-9999px;position:absolute"><a href="http://x.example/"><img src=a.png></a></div>', 0),
        ('<div style="left:-9999px;position:absolute"><a href="/local.html">本站</a></div>', 0),
        ('<p style="display:none"></p><a href="http://x.example/">可见的外链</a>', 0),
    ],
)
def test_hidden_outbound_links(source: str, found: int) -> None:
    from errscan.inspection import hidden_offsite_links

    got = hidden_offsite_links("http://www.a.gov.cn/", source, lambda u: "www.a.gov.cn" in u)
    assert len(got) == found, got


@needs_shared
def test_real_pages_no_hidden_links_and_no_column() -> None:
    """The 62 real pages of ../shared (gov.cn's, with transparent banner links and hidden menus; nfra's, with
    a hidden share box): no hidden outbound link whichever site they are taken for. The two nfra pages are
    articles (their news boxes carry no dates): no column, and their publication dates are read."""
    from errscan.crawl import extract_links
    from errscan.fetch import read_html
    from errscan.inspection import MIN_ITEMS, dated_links, hidden_offsite_links

    pages = sorted((SHARED / "corpus" / "html").rglob("*.html"))
    assert len(pages) == 62
    for path in pages:
        source = path.read_text(encoding="utf-8", errors="replace")
        for host in ("www.gov.cn", "www.nfra.gov.cn", "www.example.com"):
            assert hidden_offsite_links(f"https://{host}/a/b.html", source, lambda u, h=host: h in u) == [], path
    dates = {}
    for path in sorted((SHARED / "corpus" / "html" / "nfra").glob("*.html")):
        doc, page = read_html(path.read_bytes())
        links = extract_links("https://www.nfra.gov.cn/cn/view/pages/index/index.html", page.text, page, doc.text)
        assert len(links) == 193
        assert len(dated_links(doc.text, links, lambda u: "nfra.gov.cn" in u)) < MIN_ITEMS
        dates[path.name] = doc.metadata["date"]
    assert dates == {"merged_cells_page_source.html": "2025-06-03", "page_source_debug.html": "2024-07-12"}


class Slow(http.server.BaseHTTPRequestHandler):
    """Every third request answers only after 1.5 s."""

    served = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        import time

        with Slow.lock:
            Slow.served += 1
            slow = Slow.served % 3 == 0
        if slow:
            time.sleep(1.5)
        body = "<html><body>首页</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_probes_measure_the_share_not_opened_in_time(tmp_path: Path) -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        got = inspect(base, "--probe", "6", "--interval", "0", "--timeout", "1", "-f", "json",
                      "-o", str(tmp_path / "p"), cwd=tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert got.returncode == 1, got.stderr
    doc = json.loads(got.stdout)
    assert [p["ok"] for p in doc["probes"]] == [True, True, False, True, True, False]
    [ind] = doc["indicators"]
    assert (ind["id"], ind["pass"], ind["value"]) == ("site_unreachable", False, "6 次探测，2 次未打开（33.3%）")
    assert [e["text"] for e in ind["evidence"]] == ["超过 1 秒未打开"] * 2
    assert all(p["first_byte"] < 1 for p in doc["probes"] if p["ok"])
    assert json.loads((tmp_path / "p" / "probes.json").read_text(encoding="utf-8")) == doc


def test_probes_of_a_closed_port_and_the_bounds(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got = inspect(f"http://127.0.0.1:{port}", "--probe", "2", "--interval", "0", "-f", "json", cwd=tmp_path)
    doc = json.loads(got.stdout)
    assert got.returncode == 1 and [p["error"] for p in doc["probes"]] == ["无法连接（ConnectionRefusedError）"] * 2
    for bad, message in ((("--probe", "0"), "--probe 的值无效"), (("--probe", "10001"), "--probe 的值无效"),
                         (("--probe", "2", "--interval", "-1"), "--interval 的值无效")):
        refused = inspect(f"http://127.0.0.1:{port}", *bad, cwd=tmp_path)
        assert refused.returncode == 2 and message in refused.stderr


def test_a_saved_run_rejudged_at_another_date(first: dict, tmp_path: Path) -> None:
    """--rejudge: no request made; the dates recorded decide 首页不更新 and 栏目不更新 at the new --as-of."""
    base = first["base"]
    Handler.pages = {}  # the site is gone: nothing may be fetched
    try:
        later = subprocess.run(
            [sys.executable, "-m", "errscan", "inspect", base + "/", "--rejudge", str(first["out"]),
             "--as-of", "2026-08-01", "-f", "json"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        same = subprocess.run(
            [sys.executable, "-m", "errscan", "inspect", base + "/", "--rejudge",
             str(first["out"] / "inspection.json"), "--as-of", AS_OF, "-f", "json"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
        other = subprocess.run([sys.executable, "-m", "errscan", "inspect", "http://other.example/", "--rejudge",
                                str(first["out"])], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        Handler.pages = site()
    assert json.loads(same.stdout) == first["doc"]  # the same date: the same judgement
    doc = json.loads(later.stdout)
    assert later.returncode == 1 and doc["as_of"] == "2026-08-01"
    home = indicator(doc, "home_stale")
    assert (home["pass"], home["value"]) == (False, "37 天（最新 2026-06-25）")
    assert home["evidence"][0]["fetched"] == indicator(first["doc"], "hidden_links")["evidence"][0]["fetched"]
    stale = indicator(doc, "columns_stale")
    assert [e["url"].removeprefix(base) for e in stale["evidence"]] == ["/xwdt/", "/bmdt/", "/zcwj/"]
    # 通知公告: 153 days, not 6 months
    assert stale["value"] == "动态类 2 个，通知政策类 1 个（共识别栏目 6 个）"
    assert indicator(doc, "serious_errors") == indicator(first["doc"], "serious_errors")  # not date-dependent
    assert other.returncode == 2 and "不是 http://other.example/ 的" in other.stderr
