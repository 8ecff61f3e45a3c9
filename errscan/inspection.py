"""`errscan inspect`: would this site pass a national inspection of government websites?

The site is crawled as `errscan crawl` does (same politeness and limits) and every document is checked
through the run layer. From the pages read it measures the indicators the inspections use (国办秘函〔2019〕19号
and the 2015 普查 as provincial offices reproduce them) and judges each against its threshold at `as_of`:

- columns (栏目) are recognised as pages listing many same-site links each with a date on its line (a list
  item or a table row); a column's newest item is its latest date. A column is news-like (要闻, 动态 …:
  stale after 14 days) or not (通知公告, 政策文件 …: stale after 6 months) by its title;
- the home page's newest item: the latest date among its dated links (a portal without any: the newest of
  the columns it links to);
- empty columns: pages saying 暂无信息 (or the like) with no dated item;
- undated pages: article pages (neither home, nor column, nor attachment) without a publication date;
- dead links, the home page's and the inner pages' counted apart; hidden outbound links (暗链: a link to
  another site made invisible by inline style, zero size, off-screen position or the background's colour);
- serious errors (category serious at error) and personal data in pages and attachments.

A 单项否决 indicator that fails fails the site; a 扣分 indicator that fails is listed with its evidence. Each
piece of evidence names the URL, the text, when it was fetched and a saved copy under the output folder (a
page's source, an attachment's text; personal numbers masked in both). Everything is data
(`Inspection.to_dict()`): the terminal table, the JSON and the HTML report are drawn from it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from errscan.model import Document, Finding, Severity

if TYPE_CHECKING:
    from errscan.crawl import Link
    from errscan.fetch import HtmlSource
    from errscan.run import Runner

MIN_ITEMS = 5  # dated links that make a page a column
NEWS_DAYS, NOTICE_DAYS, HOME_DAYS = 14, 183, 14
STALE_NEWS_MAX, STALE_NOTICE_MAX, STALE_ANY_MAX, EMPTY_MAX = 5, 5, 10, 5
NEWS_WORDS = re.compile(r"要闻|动态|新闻|资讯|头条|图片|视频|快讯|简讯|播报|工作信息|政务信息|基层|乡镇|部门")
EMPTY_WORDS = re.compile(r"暂无(?:相关)?(?:信息|内容|数据|记录|文章|栏目内容)|没有(?:找到)?相关(?:信息|内容|数据|记录)"
                         r"|无相关(?:信息|内容|数据|记录)|栏目建设中|正在建设中")
DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?:[-/.]|\s*年\s*)(?P<m>\d{1,2})(?:[-/.]|\s*月\s*)(?P<d>\d{1,2})"
                  r"(?!\d)日?")


def _date(text: str) -> dt.date | None:
    """The last well-formed date in text (a list line: 标题 2025-03-10, or 2025年3月10日)."""
    found = None
    for m in DATE.finditer(text):
        try:
            found = dt.date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            continue
    return found


@dataclass(frozen=True)
class Item:
    url: str
    title: str
    date: dt.date


@dataclass
class Page:
    """A page read during the inspection: what the indicators need of it."""

    url: str
    fetched: str  # ISO time it was read
    title: str = ""
    date: str = ""  # its publication date, from the reader's metadata
    kind: str = "html"
    text: str = ""
    source: str = ""
    dated: list[Item] = field(default_factory=list)  # its links that have a date on their line
    links: list[str] = field(default_factory=list)  # same-site links, in order
    hidden: list[tuple[str, str, int]] = field(default_factory=list)  # (url, text, source line) hidden offsite


@dataclass
class Column:
    url: str
    title: str
    kind: str  # news, notice
    items: list[Item]
    empty: bool = False
    fetched: str = ""
    latest: dt.date | None = None  # its newest item's date, when its items are not at hand (a saved run)

    @property
    def newest(self) -> dt.date | None:
        return max((i.date for i in self.items), default=self.latest)

    def stale(self, as_of: dt.date) -> bool:
        newest = self.newest
        limit = NEWS_DAYS if self.kind == "news" else NOTICE_DAYS
        return newest is None or (as_of - newest).days > limit

    def to_dict(self) -> dict[str, object]:
        newest = self.newest
        return {"url": self.url, "title": self.title, "kind": self.kind, "empty": self.empty,
                "newest": newest.isoformat() if newest else None, "items": len(self.items),
                "fetched": self.fetched}


@dataclass
class Evidence:
    url: str
    text: str
    fetched: str = ""
    saved: str = ""  # the page's copy, relative to the output folder
    line: int = 0

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"url": self.url, "text": self.text, "fetched": self.fetched}
        if self.saved:
            out["saved"] = self.saved
        if self.line:
            out["line"] = self.line
        return out


@dataclass
class Indicator:
    id: str
    name: str
    veto: bool  # 单项否决: failing it fails the site
    threshold: str
    value: object
    passed: bool | None  # None: not measured
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "veto": self.veto, "threshold": self.threshold,
                "value": self.value, "pass": self.passed, "evidence": [e.to_dict() for e in self.evidence]}


@dataclass
class Inspection:
    start: str
    as_of: dt.date
    indicators: list[Indicator]
    columns: list[Column]
    pages: int
    attachments: int
    unvisited: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (url, message): not checked
    home_newest: dt.date | None = None

    @property
    def verdict(self) -> str:
        return "fail" if any(i.veto and i.passed is False for i in self.indicators) else "pass"

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict, "as_of": self.as_of.isoformat(), "start": self.start,
            "indicators": [i.to_dict() for i in self.indicators],
            "columns": [c.to_dict() for c in self.columns],
            "home_newest": self.home_newest.isoformat() if self.home_newest else None,
            "pages": self.pages, "attachments": self.attachments, "unvisited": self.unvisited,
            "errors": [{"url": u, "message": m} for u, m in self.errors],
        }


# --- reading a page -------------------------------------------------------------------------------------------
def dated_links(text: str, links: Iterable[Link], in_site: object) -> list[Item]:
    """The same-site links whose line of the visible text (or, in a table, the next line alone) holds a date."""
    items: list[Item] = []
    seen: set[str] = set()
    for link in links:
        if not link.length or not in_site(link.url) or link.url in seen:  # type: ignore[operator]
            continue
        start = text.rfind("\n", 0, link.offset) + 1
        end = text.find("\n", link.offset + link.length)
        end = len(text) if end == -1 else end
        line = text[start:link.offset] + text[link.offset + link.length:end]
        date = _date(line)
        if date is None and end < len(text):  # <td><a>标题</a></td><td>2025-03-10</td>: the cell after
            nxt = text.find("\n", end + 1)
            after = text[end + 1: len(text) if nxt == -1 else nxt].strip()
            if len(after) <= 16:
                date = _date(after)
        if date is not None:
            seen.add(link.url)
            items.append(Item(link.url, link.text, date))
    return items


# How 暗链 are hidden. Not opacity:0: portals lay transparent links over a banner image (gov.cn does). Hidden
# out of sight (off-screen, no size, the background's colour) a link is planted; merely not displayed
# (display:none, a menu or a share box until clicked) it is one only when its words are a spammer's.
_HIDING_SOFT = (re.compile(r"display\s*:\s*none"), re.compile(r"visibility\s*:\s*hidden"))
_SPAM = re.compile(r"娱乐城|娱乐场|博彩|彩票|棋牌|百家乐|时时彩|六合彩|赌场|赌博|网赌|老虎机|真人视讯|投注|菠菜|色情"
                   r"|成人|约炮|代孕|办证|代开发票|发票代开|私服|外挂|网赚|刷单|(?<![a-z])(?:casino|poker|slots?|porn|sex|bet365|viagra)"
                   r"(?![a-z])", re.I)
_HIDING = (
    re.compile(r"font-size\s*:\s*[01](?:px|pt)?(?![.\d])"),
    re.compile(r"(?<![-\w])(?:width|height)\s*:\s*0(?:px)?(?![.\d])"),
    re.compile(r"(?<![-\w])(?:left|top|text-indent|margin-left|margin-top)\s*:\s*-\d{3,}"),
)
_COLOR = re.compile(r"(?<![-\w])color\s*:\s*([#\w(),. ]+)")
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([#\w(),. ]+)")


def _norm_color(value: str) -> str:
    value = value.strip().lower().split(" !")[0].strip()
    named = {"white": "#ffffff", "black": "#000000", "#fff": "#ffffff", "#000": "#000000"}
    return named.get(value, value)


class _HiddenLinks(HTMLParser):
    """Links inside an element made invisible by its inline style (or the `hidden` attribute)."""

    VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int, str]] = []  # (tag, hidden: 0 no, 1 not displayed, 2 out of sight, bg)
        self.found: list[tuple[str, int, list[str], int]] = []  # (href, line, text chunks, hidden)
        self.anchor: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        style = values.get("style", "").lower()
        parent_hidden, parent_bg = (self.stack[-1][1], self.stack[-1][2]) if self.stack else (0, "")
        bg = parent_bg
        if m := _BACKGROUND.search(style):
            bg = _norm_color(m.group(1))
        color = _COLOR.search(style)
        if any(p.search(style) for p in _HIDING) or (color and bg and _norm_color(color.group(1)) == bg):
            hidden = 2
        elif "hidden" in values or any(p.search(style) for p in _HIDING_SOFT):
            hidden = max(parent_hidden, 1)
        else:
            hidden = parent_hidden
        if tag == "a" and hidden and values.get("href"):
            chunks: list[str] = []
            self.found.append((values["href"], self.getpos()[0], chunks, hidden))
            self.anchor = chunks
        if tag not in self.VOID:
            self.stack.append((tag, hidden, bg))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.anchor = None
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data: str) -> None:
        if self.anchor is not None:
            self.anchor.append(data)


def _public_sector(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host.endswith((".gov.cn", ".gov")) or host in ("gov.cn",)


def hidden_offsite_links(page_url: str, source: str, in_site: object) -> list[tuple[str, str, int]]:
    """(url, text, source line) of each hidden link that leaves the site for a non-government one and has words
    of its own: what a planted 暗链 is (keywords for a search engine). Out of sight, any such link; merely not
    displayed, one whose words are a spammer's. A hidden menu's or share box's links, icon links (no text) and
    links to other government sites are left alone."""
    from errscan.crawl import normalise

    parser = _HiddenLinks()
    parser.feed(source)
    parser.close()
    out = []
    for href, line, chunks, hidden in parser.found:
        url = normalise(href, page_url)
        words = " ".join("".join(chunks).split())
        if url is None or not words or in_site(url) or _public_sector(url):  # type: ignore[operator]
            continue
        if hidden == 2 or _SPAM.search(words):
            out.append((url, words, line))
    return out


def _title(page: Page) -> str:
    """A column's name: the page title before its site suffix (通知公告_某县人民政府 → 通知公告)."""
    title = page.title.strip()
    for sep in ("_", " - ", "－", "—", "|", "｜", "-"):
        if sep in title:
            title = title.split(sep)[0].strip()
            break
    return title or page.url


# --- the inspection --------------------------------------------------------------------------------------------
def judge(start: str, pages: dict[str, Page], findings: list[Finding], dead: list[tuple[str, str, str]],
          as_of: dt.date, *, unreachable: str = "", attachments: int = 0, unvisited: int = 0,
          errors: list[tuple[str, str]] | None = None, saved: dict[str, str] | None = None) -> Inspection:
    """The indicators from what was read. dead: (url, referrer, message) of each dead link."""
    saved = saved or {}
    home = pages.get(start)

    def evidence(url: str, text: str, line: int = 0) -> Evidence:
        page = pages.get(url)
        return Evidence(url, text, page.fetched if page else "", saved.get(url, ""), line)

    columns: list[Column] = []
    for page in pages.values():
        if page.url == start or page.kind != "html":
            continue
        if len(page.dated) >= MIN_ITEMS or (EMPTY_WORDS.search(page.text) and not page.dated):
            title = _title(page)
            kind = "news" if NEWS_WORDS.search(title) else "notice"
            columns.append(Column(page.url, title, kind, page.dated, empty=not page.dated, fetched=page.fetched))
    column_urls = {c.url for c in columns}
    item_urls = {i.url for c in columns for i in c.items}
    indicators: list[Indicator] = []

    # 站点无法访问: the home page itself (the probes measure the rest)
    indicators.append(Indicator(
        "site_unreachable", "站点无法访问", True, "首页能打开；连续探测中超过 15 秒未打开的比例低于 5%",
        "首页无法访问" if unreachable else "首页可访问", not unreachable,
        [Evidence(start, unreachable)] if unreachable else []))

    # 首页不更新
    newest = max((i.date for i in home.dated), default=None) if home else None
    if newest is None and home:
        linked = [c.newest for c in columns if c.url in home.links and c.newest]
        newest = max(linked, default=None)
    indicators.append(home_stale(start, newest, as_of, home is not None, evidence))

    # 栏目不更新, 空白栏目
    indicators.append(columns_stale(columns, as_of, evidence))
    empty = [c for c in columns if c.empty]
    indicators.append(Indicator(
        "columns_empty", "空白栏目", True, f"少于 {EMPTY_MAX} 个", len(empty), len(empty) < EMPTY_MAX,
        [evidence(c.url, c.title + "：" + (EMPTY_WORDS.search(pages[c.url].text) or [""])[0]) for c in empty]))

    # 扣分: undated pages, dead links
    undated = [p for p in pages.values()
               if p.kind == "html" and p.url != start and p.url not in column_urls and not p.date
               and (p.url in item_urls or len(p.text) >= 200)]
    indicators.append(Indicator(
        "undated_pages", "信息无发布日期", False, "0 篇", len(undated), not undated,
        [evidence(p.url, p.title or p.url) for p in undated]))
    on_home = [d for d in dead if d[1] == start]
    inner = [d for d in dead if d[1] != start]
    indicators.append(Indicator(
        "dead_links", "不可用链接", False, "首页 0 个，其他页面 0 个",
        f"首页 {len(on_home)} 个，其他页面 {len(inner)} 个",
        not dead, [Evidence(url, f"{message}（链接所在页面：{ref}）", pages[ref].fetched if ref in pages else "",
                            saved.get(ref, "")) for url, ref, message in on_home + inner]))
    hidden = [(p.url, h) for p in pages.values() for h in p.hidden]
    indicators.append(Indicator(
        "hidden_links", "隐藏外链（暗链）", True, "0 个", len(hidden), not hidden,
        [evidence(url, f"指向 {h[0]} 的隐藏链接“{h[1]}”", h[2]) for url, h in hidden]))

    serious = [f for f in findings if f.category == "serious" and f.severity >= Severity.ERROR]
    indicators.append(Indicator(
        "serious_errors", "严重表述错误", True, "0 处", len(serious), not serious,
        [evidence(f.path, f"“{f.text}”：{f.message}", f.line) for f in serious]))
    private = [f for f in findings if f.list_id == "privacy" and f.severity >= Severity.WARNING]
    indicators.append(Indicator(
        "personal_data", "泄露个人信息", False, "0 处", len(private), not private,
        [evidence(f.path, f"{f.text}：{f.message}", f.line) for f in private]))
    html_pages = sum(1 for p in pages.values() if p.kind == "html")
    return Inspection(start, as_of, indicators, columns, html_pages, attachments, unvisited, errors or [], newest)


def home_stale(start: str, newest: dt.date | None, as_of: dt.date, read: bool, evidence) -> Indicator:  # type: ignore[no-untyped-def]
    """首页不更新 at `as_of`, from the date of the home page's newest item (read: the home page was read)."""
    days = (as_of - newest).days if newest else None
    ok = days is not None and days <= HOME_DAYS
    said = f"最新信息日期：{newest.isoformat()}" if newest else "首页没有带日期的信息"
    return Indicator(
        "home_stale", "首页不更新", True, f"首页最新信息不超过 {HOME_DAYS} 天",
        f"{days} 天（最新 {newest.isoformat()}）" if newest else "首页没有带日期的信息", ok if read else None,
        [] if ok or not read else [evidence(start, said)])


def columns_stale(columns: list[Column], as_of: dt.date, evidence) -> Indicator:  # type: ignore[no-untyped-def]
    """栏目不更新 at `as_of`: news-like columns after 14 days, the others after 6 months."""
    stale = [c for c in columns if not c.empty and c.stale(as_of)]
    news = [c for c in stale if c.kind == "news"]
    notice = [c for c in stale if c.kind != "news"]
    ok = len(news) < STALE_NEWS_MAX and len(notice) < STALE_NOTICE_MAX and len(stale) < STALE_ANY_MAX
    return Indicator(
        "columns_stale", "栏目不更新", True,
        f"动态类栏目 {NEWS_DAYS} 天未更新少于 {STALE_NEWS_MAX} 个，通知公告、政策文件类栏目 6 个月未更新少于 "
        f"{STALE_NOTICE_MAX} 个，应更新而未更新的栏目少于 {STALE_ANY_MAX} 个",
        f"动态类 {len(news)} 个，通知政策类 {len(notice)} 个（共识别栏目 {len(columns)} 个）", ok,
        [evidence(c.url, f"{c.title}：最新 {c.newest.isoformat() if c.newest else '无日期'}") for c in stale])


def rejudge(doc: dict[str, object], as_of: dt.date) -> dict[str, object]:
    """A saved inspection (its inspection.json) judged again at another date, without fetching anything: the
    indicators that depend on the date (首页不更新, 栏目不更新) measured anew from the dates it recorded."""
    known: dict[str, dict[str, object]] = {}
    for ind in doc["indicators"]:  # type: ignore[union-attr]
        for e in ind["evidence"]:
            known.setdefault(e["url"], e)

    def day(value: object) -> dt.date | None:
        return dt.date.fromisoformat(str(value)) if value else None

    columns = [Column(c["url"], c["title"], c["kind"], [], c["empty"], c.get("fetched", ""), day(c["newest"]))
               for c in doc["columns"]]  # type: ignore[union-attr]
    fetched = {c.url: c.fetched for c in columns}

    def evidence(url: str, text: str, line: int = 0) -> Evidence:
        e = known.get(url, {})
        return Evidence(url, text, str(e.get("fetched") or fetched.get(url, "")), str(e.get("saved", "")), line)

    start = str(doc["start"])
    read = any(i["id"] == "home_stale" and i["pass"] is not None for i in doc["indicators"])  # type: ignore[union-attr]
    fresh = {"home_stale": home_stale(start, day(doc.get("home_newest")), as_of, read, evidence),
             "columns_stale": columns_stale(columns, as_of, evidence)}
    out = dict(doc)
    out["indicators"] = [fresh[i["id"]].to_dict() if i["id"] in fresh else i
                         for i in doc["indicators"]]  # type: ignore[union-attr]
    out["as_of"] = as_of.isoformat()
    out["verdict"] = "fail" if any(i["veto"] and i["pass"] is False for i in out["indicators"]) else "pass"
    out.pop("since", None)
    return out


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def run_inspection(start_url: str, runner: Runner, as_of: dt.date, *, depth: int = 3, max_pages: int = 500,
                   delay: float = 0.5, timeout: float = 15, respect_robots: bool = True,
                   out: object | None = None, progress: bool | None = None) -> tuple[Inspection, list[Finding]]:
    """Crawl, check every document through the run layer, and judge. With `out` (a folder), a copy of each
    page that is evidence is saved under out/evidence/."""
    from pathlib import Path

    from errscan.crawl import _same_host, crawl, normalise, progress_bar, readable_url
    from errscan.detectors.privacy import mask_text

    fetched_start = normalise(start_url)
    if fetched_start is None:
        raise ValueError(f"not an http(s) URL: {start_url!r}")
    start = readable_url(fetched_start)  # every URL as a person reads it: …/附件/名单.docx
    pages: dict[str, Page] = {}
    findings: list[Finding] = []
    attachments = 0
    config = runner.config_for(None)
    sites = {urllib.parse.urlsplit(start).netloc}

    def in_site(url: str) -> bool:
        return urllib.parse.urlsplit(url).netloc in sites or _same_host(start, url)

    def on_page(url: str, doc: Document) -> None:
        nonlocal attachments
        url = readable_url(url)
        if not pages and url != start:  # the start page redirected: the site is where it landed
            sites.add(urllib.parse.urlsplit(url).netloc)
        checked = runner.check(doc, url, None, config=config)
        findings.extend(checked.shown)
        meta = doc.metadata
        pages[url] = Page(url, _now(), meta.get("title", ""), meta.get("date", ""), doc.kind, doc.text)
        if doc.kind != "html":
            attachments += 1

    def on_links(url: str, links: list[Link], source: HtmlSource) -> None:
        url = readable_url(url)
        page = pages.get(url)
        if page is None:
            return
        links = [dataclasses.replace(link, url=readable_url(link.url)) for link in links]
        page.source = source.text
        page.links = [link.url for link in links if in_site(link.url)]
        page.dated = dated_links(page.text, links, in_site)
        page.hidden = [(readable_url(u), t, n) for u, t, n in hidden_offsite_links(url, source.text, in_site)]

    with progress_bar(progress) as on_progress:
        result = crawl(fetched_start, depth=depth, max_pages=max_pages, delay=delay, timeout=timeout,
                       respect_robots=respect_robots, on_page=on_page, on_progress=on_progress, on_links=on_links)
    home = start if start in pages else next(iter(pages), start)
    dead, errors, unreachable = [], [], ""
    for err in result.errors:
        if err.referrer is None:
            unreachable = err.message
        elif err.kind == "broken":
            dead.append((readable_url(err.url), readable_url(err.referrer), err.message))
        else:
            errors.append((readable_url(err.url), err.message))
    inspection = judge(home, pages, findings, dead, as_of, unreachable=unreachable, attachments=attachments,
                       unvisited=result.unvisited, errors=errors)
    if out is not None:
        folder = Path(str(out)) / "evidence"
        wanted = list(dict.fromkeys(e.url for i in inspection.indicators if i.passed is False for e in i.evidence
                                    if e.url in pages))
        wanted += [ref for _, ref, _ in dead if ref in pages and ref not in wanted]
        saved: dict[str, str] = {}
        if wanted:
            folder.mkdir(parents=True, exist_ok=True)
        for n, url in enumerate(wanted, 1):  # personal numbers masked in the copies too
            page = pages[url]
            name = f"{n:04d}.html" if page.kind == "html" else f"{n:04d}.txt"  # an attachment: its text
            body = page.source if page.kind == "html" else page.text
            (folder / name).write_text("\ufeff" + mask_text(body), encoding="utf-8")  # the BOM wins over <meta>
            saved[url] = f"evidence/{name}"
        # judged again with the copies named: judging is pure and cheap, the evidence it makes is immutable
        inspection = judge(home, pages, findings, dead, as_of, unreachable=unreachable, attachments=attachments,
                           unvisited=result.unvisited, errors=errors, saved=saved)
    return inspection, findings


# --- changes since the last run --------------------------------------------------------------------------------
def compare(now: dict[str, object], before: dict[str, object]) -> dict[str, object]:
    """What changed since a previous inspection's JSON: new problems, fixed ones (each piece of an
    indicator's evidence, by URL and text, whether or not the indicator failed), columns that became stale or
    empty, and indicators whose verdict changed."""
    def problems(doc: dict[str, object]) -> dict[tuple[str, str, str], dict[str, object]]:
        out = {}
        for ind in doc.get("indicators", []):  # type: ignore[union-attr]
            for e in ind.get("evidence", []):  # a stale column is a problem below the threshold too
                out[(ind["id"], e["url"], e["text"])] = {"indicator": ind["id"], "name": ind["name"], **e}
        return out

    def stale(doc: dict[str, object]) -> set[str]:
        ids = {"columns_stale", "columns_empty"}
        return {e["url"] for ind in doc.get("indicators", []) if ind["id"] in ids  # type: ignore[union-attr]
                for e in ind.get("evidence", [])}

    a, b = problems(before), problems(now)
    turned = [{"id": i["id"], "name": i["name"], "before": old.get("pass"), "now": i["pass"]}
              for i in now.get("indicators", [])  # type: ignore[union-attr]
              for old in before.get("indicators", []) if old["id"] == i["id"] and old.get("pass") != i["pass"]]
    return {
        "previous_as_of": before.get("as_of"), "previous_verdict": before.get("verdict"),
        "new": [v for k, v in b.items() if k not in a], "fixed": [v for k, v in a.items() if k not in b],
        "became_stale": sorted(stale(now) - stale(before)), "changed": turned,
    }


# --- reports ------------------------------------------------------------------------------------------------
VERDICT_ZH = {"pass": "合格", "fail": "不合格"}


def _result_zh(passed: object) -> str:
    return "未测量" if passed is None else "合格" if passed else "不合格"


def render_pretty(doc: dict[str, object], out, color: bool | None = None) -> None:  # type: ignore[no-untyped-def]
    """The terminal's report: the verdict, then one row per indicator, then the evidence of each failure."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out, force_terminal=color, no_color=None if color is None else not color,
                      highlight=False, soft_wrap=True)
    verdict = str(doc["verdict"])
    console.print(Text.assemble(f"{doc['start']}（按 {doc['as_of']} 判断）：",
                                (VERDICT_ZH[verdict], "bold green" if verdict == "pass" else "bold red")))
    table = Table(show_lines=False)
    for name in ("指标", "类型", "要求", "测得", "结论"):
        table.add_column(name, overflow="fold")
    for ind in doc["indicators"]:  # type: ignore[union-attr]
        style = "red" if ind["pass"] is False else "green" if ind["pass"] else "dim"
        table.add_row(ind["name"], "单项否决" if ind["veto"] else "扣分", ind["threshold"], str(ind["value"]),
                      Text(_result_zh(ind["pass"]), style=style))
    console.print(table)
    for ind in doc["indicators"]:  # type: ignore[union-attr]
        if ind["pass"] is False and ind["evidence"]:
            console.print(Text(f"{ind['name']}（{len(ind['evidence'])} 条证据）", style="bold"))
            for e in ind["evidence"][:20]:
                extra = "，".join(x for x in (f"{e['fetched']} 抓取" if e.get("fetched") else "",
                                             f"已存 {e['saved']}" if e.get("saved") else "") if x)
                console.print(f"  {e['url']}  {e['text']}" + (f"（{extra}）" if extra else ""))
            if len(ind["evidence"]) > 20:
                console.print(f"  ……另有 {len(ind['evidence']) - 20} 条，见 JSON 或 HTML 报告")
    since = doc.get("since")
    if since:
        console.print(Text(f"与 {since['previous_as_of']} 的检查相比：", style="bold"))  # type: ignore[index]
        for key, head in (("new", "新出现"), ("fixed", "已解决")):
            rows = since[key]  # type: ignore[index]
            console.print(f"  {head} {len(rows)} 处" + ("：" if rows else ""))
            for e in rows[:20]:
                console.print(f"    {e['name']}  {e['url']}  {e['text']}")
        stale = since["became_stale"]  # type: ignore[index]
        if stale:
            console.print(f"  新近变为不更新或空白的栏目 {len(stale)} 个：" + "、".join(stale[:10]))
    if "probes" in doc:
        median = doc.get("first_byte_median")
        console.print(f"探测 {len(doc['probes'])} 次"  # type: ignore[arg-type]
                      + (f"，首字节时间中位数 {median} 秒。" if median is not None else "，均无应答。"))
        return
    console.print(f"共读取网页 {doc['pages']} 个、附件 {doc['attachments']} 个，识别栏目 {len(doc['columns'])} 个。"
                  + (f"已达页数上限，还有 {doc['unvisited']} 个链接未检查。" if doc.get("unvisited") else ""))


def render_html(doc: dict[str, object]) -> str:
    """report.html: the verdict first, then the indicators, the evidence and the columns. Everything from the
    site is escaped."""
    from html import escape

    def e(v: object) -> str:
        return escape(str(v), quote=True)

    verdict = str(doc["verdict"])
    rows = []
    for ind in doc["indicators"]:  # type: ignore[union-attr]
        cls = "bad" if ind["pass"] is False else "good" if ind["pass"] else "none"
        rows.append(f'<tr class="{cls}"><td>{e(ind["name"])}</td><td>{"单项否决" if ind["veto"] else "扣分"}</td>'
                    f'<td>{e(ind["threshold"])}</td><td>{e(ind["value"])}</td><td>{_result_zh(ind["pass"])}</td></tr>')
    proof = []
    for ind in doc["indicators"]:  # type: ignore[union-attr]
        if ind["pass"] is False and ind["evidence"]:
            items = "".join(
                f'<li><a href="{e(x["url"])}" rel="noreferrer">{e(x["url"])}</a> {e(x["text"])}'
                + (f' <span class="when">{e(x["fetched"])} 抓取</span>' if x.get("fetched") else "")
                + (f' <a class="copy" href="{e(x["saved"])}">存档</a>' if x.get("saved") else "") + "</li>"
                for x in ind["evidence"])
            proof.append(f"<h3>{e(ind['name'])}</h3><ul>{items}</ul>")
    columns = "".join(
        f'<tr><td><a href="{e(c["url"])}" rel="noreferrer">{e(c["title"])}</a></td>'
        f'<td>{"动态类" if c["kind"] == "news" else "通知政策类"}</td><td>{e(c["newest"] or "—")}</td>'
        f'<td>{c["items"]}</td></tr>' for c in doc["columns"])  # type: ignore[union-attr]
    since = doc.get("since")
    changes = ""
    if since:
        def lst(rows: list[dict[str, object]]) -> str:
            return "".join(f"<li>{e(r['name'])}：{e(r['url'])} {e(r['text'])}</li>" for r in rows) or "<li>无</li>"
        changes = (f"<section><h2>与 {e(since['previous_as_of'])} 的检查相比</h2>"  # type: ignore[index]
                   f"<h3>新出现</h3><ul>{lst(since['new'])}</ul><h3>已解决</h3><ul>{lst(since['fixed'])}</ul>"  # type: ignore[index]
                   "</section>")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>网站检查：{VERDICT_ZH[verdict]}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "WenQuanYi Zen Hei", sans-serif; margin: 2em; color: #222; }}
.verdict {{ font-size: 2em; font-weight: bold; }}
.verdict.fail {{ color: #b71c1c; }} .verdict.pass {{ color: #2e7d32; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: .3em .6em; }}
tr.bad td:last-child {{ color: #b71c1c; font-weight: bold; }} tr.good td:last-child {{ color: #2e7d32; }}
tr.none td:last-child {{ color: #888; }} .when {{ color: #777; font-size: .9em; }}
td:nth-child(1), td:nth-child(2), td:nth-child(5) {{ white-space: nowrap; }}
</style></head><body>
<p class="verdict {verdict}">{VERDICT_ZH[verdict]}</p>
<p>{e(doc["start"])}，按 {e(doc["as_of"])} 判断；读取网页 {doc["pages"]} 个、附件 {doc["attachments"]} 个。</p>
{changes}
<h2>指标</h2>
<table><tr><th>指标</th><th>类型</th><th>要求</th><th>测得</th><th>结论</th></tr>{"".join(rows)}</table>
<h2>证据</h2>{"".join(proof) or "<p>无不合格项。</p>"}
<h2>栏目</h2>
<table><tr><th>栏目</th><th>类型</th><th>最新</th><th>条目</th></tr>{columns}</table>
</body></html>
"""


# --- availability probes ---------------------------------------------------------------------------------------
PROBE_LIMIT_SECONDS = 15.0  # a page not open within 15 s counts as not reachable
UNREACHABLE_SHARE = 0.05


@dataclass(frozen=True)
class Probe:
    at: str  # ISO time the probe started
    status: int | None  # HTTP status, None when no answer came
    first_byte: float | None  # seconds to the response's head
    seconds: float  # to the whole body, or until it failed
    ok: bool  # opened within the limit (an answer below 400)
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        return {"at": self.at, "status": self.status,
                "first_byte": None if self.first_byte is None else round(self.first_byte, 3),
                "seconds": round(self.seconds, 3), "ok": self.ok, "error": self.error}


def probe_once(url: str, limit: float = PROBE_LIMIT_SECONDS, max_bytes: int = 5_000_000) -> Probe:
    """One GET of `url`: the time to the response's head and to its whole body (at most max_bytes read), all
    within `limit` seconds or it failed."""
    import http.client
    import ssl
    import time

    from errscan.fetch import USER_AGENT, quote_url

    at = _now()
    parts = urllib.parse.urlsplit(quote_url(url))
    started = time.monotonic()
    deadline = started + limit

    def left() -> float:
        return max(deadline - time.monotonic(), 0.001)

    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=left(),
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=left())
    first = None
    try:
        conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                     headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"})
        if conn.sock is not None:
            conn.sock.settimeout(left())
        response = conn.getresponse()
        first = time.monotonic() - started
        read = 0
        while read < max_bytes:
            if conn.sock is not None:
                conn.sock.settimeout(left())
            chunk = response.read(65536)
            if not chunk:
                break
            read += len(chunk)
            if time.monotonic() > deadline:
                raise TimeoutError
        seconds = time.monotonic() - started
        ok = response.status < 400 and seconds <= limit
        return Probe(at, response.status, first, seconds, ok, "" if ok else
                     (f"HTTP {response.status}" if response.status >= 400 else f"超过 {limit:g} 秒"))
    except TimeoutError:
        return Probe(at, None, first, time.monotonic() - started, False, f"超过 {limit:g} 秒未打开")
    except (OSError, http.client.HTTPException) as exc:
        return Probe(at, None, first, time.monotonic() - started, False, f"无法连接（{type(exc).__name__}）")
    finally:
        conn.close()


def run_probes(url: str, count: int, interval: float, limit: float = PROBE_LIMIT_SECONDS,
               as_of: dt.date | None = None, on_probe: object = None) -> dict[str, object]:
    """`count` probes of the home page, `interval` seconds apart (start to start): the share not opened within
    `limit` seconds, judged against 5%, as the inspection's 站点无法访问."""
    import time

    probes: list[Probe] = []
    for n in range(count):
        started = time.monotonic()
        probes.append(probe_once(url, limit))
        if on_probe is not None:
            on_probe(n + 1, count, probes[-1])  # type: ignore[operator]
        if n + 1 < count:
            time.sleep(max(interval - (time.monotonic() - started), 0))
    failed = [p for p in probes if not p.ok]
    share = len(failed) / len(probes) if probes else 0.0
    ok = share < UNREACHABLE_SHARE
    firsts = sorted(p.first_byte for p in probes if p.first_byte is not None)
    indicator = Indicator(
        "site_unreachable", "站点无法访问", True, f"{limit:g} 秒内未打开的比例低于 {UNREACHABLE_SHARE:.0%}",
        f"{len(probes)} 次探测，{len(failed)} 次未打开（{share:.1%}）", ok,
        [Evidence(url, p.error or "未打开", p.at) for p in failed])
    return {
        "verdict": "pass" if ok else "fail", "as_of": (as_of or dt.date.today()).isoformat(), "start": url,
        "indicators": [indicator.to_dict()],
        "probes": [p.to_dict() for p in probes],
        "first_byte_median": round(firsts[len(firsts) // 2], 3) if firsts else None,
    }
