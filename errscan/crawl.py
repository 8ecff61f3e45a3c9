"""A polite breadth-first crawl of one site: every page and attachment read into a Document, dead links kept.

Same site: the start URL's scheme and host (and those it redirects to), a www./non-www. pair counting as one.
Links come from <a href>, <area href>, <iframe src>, <frame src> and <meta http-equiv=refresh>, resolved against
<base href>; the fragment is dropped, the query kept; mailto:, javascript:, tel: and other schemes are ignored.
Attachments (.pdf .doc .docx .wps .xls .xlsx, or a Content-Type that says so) are read but not followed; media
(images, scripts, archives, slides) is never requested. robots.txt is honoured for errscan's User-Agent (a
missing one allows everything), with its Crawl-delay when longer than `delay`. Each URL is requested once.
"""

from __future__ import annotations

import functools
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, NamedTuple

from errscan.fetch import (
    MAX_BYTES,
    ROBOTS_AGENT,
    Fetched,
    FetchError,
    HtmlSource,
    OffsiteRedirect,
    fetch,
    quote_url,
    readable_url,
    to_document,
    visible_offset,
)
from errscan.model import Document, Finding, InputError, Severity
from errscan.readers import ReadError

if TYPE_CHECKING:
    from errscan.run import Runner

ATTACHMENTS = (".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".txt", ".md")
MEDIA = frozenset(
    ".jpg .jpeg .png .gif .bmp .webp .svg .ico .tif .tiff .css .js .json .xml .zip .rar .7z .gz .tgz .tar .bz2 "
    ".mp3 .mp4 .avi .flv .wmv .mov .wav .swf .exe .apk .msi .iso .dmg .ppt .pptx .dps .ofd .ceb .woff .woff2 "
    ".ttf .eot".split()
)
IMAGES = frozenset(".jpg .jpeg .png .gif .bmp .webp .tif .tiff".split())
IGNORED_SCHEMES = ("mailto:", "javascript:", "tel:", "sms:", "data:", "ftp:", "file:", "about:", "blob:")
LINK_ATTRS = {"a": "href", "area": "href", "iframe": "src", "frame": "src"}


# --- links ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    """A link as written in a page: where (source line/column, offset in the visible text) and its text."""

    url: str  # absolute, normalised
    href: str  # as written
    line: int  # 1-based, in the page source
    column: int  # 1-based, in code points
    source_offset: int  # 0-based, in the page source
    text: str = ""  # the anchor's visible text, whitespace collapsed
    offset: int = 0  # 0-based, in the page's visible text
    length: int = 0  # of the anchor's text there, when the page's visible text has it verbatim; else 0


def normalise(url: str, base: str = "") -> str | None:
    """Absolute http(s) URL without fragment, percent-encoded as sent; None for anything not to follow."""
    url = url.strip()
    if not url or (url.startswith("#") and not base):
        return None
    if url.lower().startswith(IGNORED_SCHEMES):
        return None
    try:
        absolute = urllib.parse.urljoin(base, url) if base else url
        parts = urllib.parse.urlsplit(absolute)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None
        return quote_url(absolute)
    except ValueError:  # a port out of range, a bad IPv6 literal …
        return None


class _LinkParser(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        from errscan.posmap import LineMap

        self.starts = LineMap(source).starts
        self.base: str | None = None
        self.raw: list[tuple[str, int, int, int, list[str]]] = []  # href, line, column, source offset, text
        self.anchor: list[str] | None = None  # text of the open <a>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
            return
        href = None
        if tag in LINK_ATTRS:
            href = values.get(LINK_ATTRS[tag])
        elif tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            content = values.get("content") or ""
            _, sep, target = content.partition(";")
            target = target.strip()
            if sep and target.lower().startswith("url"):
                href = target[3:].lstrip(" =").strip("'\" ")
        if tag == "a":
            self.anchor = None
        if not href:
            return
        line, col = self.getpos()
        text: list[str] = []
        self.raw.append((href, line, col + 1, self.starts[line - 1] + col, text))
        if tag == "a":
            self.anchor = text

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.anchor = None

    def handle_data(self, data: str) -> None:
        if self.anchor is not None:
            self.anchor.append(data)


MAX_PICTURES = 200  # pictures of a site read by OCR in one crawl, at most
MIN_PICTURE_SIDE = 100  # an <img> declared smaller (an icon, a button) holds no text worth reading


class _PictureParser(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        from errscan.posmap import LineMap

        self.starts = LineMap(source).starts
        self.found: list[tuple[str, int, int, int, str]] = []  # src, line, column, source offset, alt

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img":
            return
        values = {k: v or "" for k, v in attrs}
        src = values.get("src", "").strip()
        sizes = [values.get(k, "").strip().removesuffix("px") for k in ("width", "height")]
        if not src or any(s.isdigit() and int(s) < MIN_PICTURE_SIDE for s in sizes):
            return
        line, col = self.getpos()
        self.found.append((src, line, col + 1, self.starts[line - 1] + col, values.get("alt", "")))


def extract_pictures(page_url: str, source: str) -> list[Link]:
    """The pictures a page shows (<img src>), in source order, except those declared smaller than
    MIN_PICTURE_SIDE: what OCR reads of a page (a 公示 posted as a scan)."""
    parser = _PictureParser(source)
    parser.feed(source)
    parser.close()
    out = []
    for src, line, column, at, alt in parser.found:
        url = normalise(src, page_url)
        if url is not None and _extension(url) in IMAGES:
            out.append(Link(url, src, line, column, at, alt))
    return out


def extract_links(page_url: str, source: str, page: HtmlSource | None = None, text: str = "") -> list[Link]:
    """The links of a page, in source order, resolved against <base href> (itself resolved against the page).
    With the reader's `page` (source offsets) and visible `text`, each link is also placed in that text."""
    parser = _LinkParser(source)
    parser.feed(source)
    parser.close()
    base = urllib.parse.urljoin(page_url, parser.base.strip()) if parser.base else page_url
    links = []
    for href, line, column, at, chunks in parser.raw:
        url = normalise(href, base)
        if url is None:
            continue
        words = " ".join("".join(chunks).split())
        offset = visible_offset(page, at) if page else 0
        length = len(words) if words and text.startswith(words, offset) else 0
        links.append(Link(url, href, line, column, at, words, offset, length))
    return links


# --- the crawl ----------------------------------------------------------------------------------------------
def _host(url: str) -> str:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def _site_key(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port if parts.port not in (80, 443) else None
    return parts.scheme.lower(), _host(url), port


def _same_host(start: str, url: str) -> bool:
    """The start URL's redirects that keep its site: the same host (www. or not) and port, any http(s) scheme."""
    a, b = urllib.parse.urlsplit(start), urllib.parse.urlsplit(url)
    ports = {None, 80, 443}
    same_port = a.port == b.port or (a.port in ports and b.port in ports)
    return b.scheme in ("http", "https") and _host(start) == _host(url) and same_port


def _extension(url: str) -> str:
    last = urllib.parse.unquote(urllib.parse.urlsplit(url).path).rsplit("/", 1)[-1]
    dot = last.rfind(".")
    return last[dot:].lower() if dot != -1 else ""


@dataclass(frozen=True)
class CrawlError:
    """A URL that failed, with the page that links to it (None for the start URL).

    kind: "broken" (HTTP 4xx/5xx, unknown host, connection refused: dead for every visitor) or "unchecked"
    (a timeout, a reset, too large, unreadable: its content was not checked)."""

    url: str
    referrer: str | None
    status: int | None
    message: str
    kind: str = "broken"
    link: Link | None = field(default=None, compare=False)


@dataclass
class CrawlResult:
    pages: int = 0  # HTML (and plain text) pages read
    attachments: int = 0  # Word, PDF, Excel files read
    errors: list[CrawlError] = field(default_factory=list)
    skipped_robots: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)  # every URL requested, in order (robots.txt excluded)
    skipped: list[str] = field(default_factory=list)  # neither page nor attachment (an image behind a link …)
    unvisited: int = 0  # same-site links left in the queue when max_pages was reached
    documents: list[tuple[str, Document]] = field(default_factory=list)  # when no on_page was given


class _Crawler:
    def __init__(self, start: str, delay: float, timeout: float, robots: bool):
        self.delay, self.timeout = delay, timeout
        self.robots_on = robots
        self.sites = {_site_key(start)}
        self.robots: dict[str, object] = {}  # origin -> RobotFileParser, or None when all is allowed
        self.last: dict[str, float] = {}  # host -> monotonic time of the last request
        self.result = CrawlResult()

    def in_site(self, url: str) -> bool:
        return _site_key(url) in self.sites

    def wait(self, url: str, extra: float = 0.0) -> None:
        host = urllib.parse.urlsplit(url).netloc
        pause = max(self.delay, extra)
        if host in self.last and pause > 0:
            left = self.last[host] + pause - time.monotonic()
            if left > 0:
                time.sleep(left)
        self.last[host] = time.monotonic()

    def allowed(self, url: str) -> tuple[bool, float]:
        """(robots.txt allows url, its Crawl-delay or 0)."""
        if not self.robots_on:
            return True, 0.0
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self.robots:
            self.robots[origin] = self._robots(origin)
        parser = self.robots[origin]
        if parser is None:
            return True, 0.0
        delay = parser.crawl_delay(ROBOTS_AGENT) or 0.0  # type: ignore[attr-defined]
        return parser.can_fetch(ROBOTS_AGENT, url), float(delay)  # type: ignore[attr-defined]

    def _robots(self, origin: str) -> object:
        from urllib.robotparser import RobotFileParser

        parser = RobotFileParser(origin + "/robots.txt")
        self.wait(origin)
        try:
            got = fetch(origin + "/robots.txt", timeout=self.timeout, max_bytes=512 * 1024, follow=self.in_site)
        except FetchError as exc:
            if exc.status in (401, 403):  # as urllib.robotparser: a forbidden robots.txt forbids all
                parser.disallow_all = True
                return parser
            return None  # missing, or unreachable: allowed
        parser.parse(got.data.decode("utf-8", "replace").splitlines())
        return parser


class _Visit(NamedTuple):
    """A queued URL: its link level (0: the start URL), the page linking to it and the link there."""

    url: str
    level: int
    referrer: str | None = None
    link: Link | None = None
    picture: bool = False  # an <img> of a page, for OCR


class _Frontier:
    """The URLs still to request, breadth-first: each one queued once, and none read twice (after redirects)."""

    def __init__(self, start: str):
        self.queue: deque[_Visit] = deque([_Visit(start, 0)])
        self.seen = {start}  # queued, or reached through a redirect
        self.done: set[str] = set()  # final URLs read
        from errscan.readers.ocr import available

        self.ocr = available()
        self.media = MEDIA - IMAGES if self.ocr else MEDIA  # pictures are read when OCR can read them
        self.pictures = 0

    def __len__(self) -> int:
        return len(self.queue)

    def next(self) -> _Visit | None:
        """The next URL to request; None for one read already, through a redirect."""
        visit = self.queue.popleft()
        return None if visit.url in self.done else visit

    def read(self, final: str) -> bool:
        """Mark a final URL read; False when another URL redirected to a page already read."""
        if final in self.done:
            return False
        self.done.add(final)
        self.seen.add(final)
        return True

    def follow(self, links: list[Link], level: int, referrer: str, in_site: Callable[[str], bool]) -> None:
        """Queue a page's new same-site links (media never; pictures only with OCR), one level deeper."""
        for found in links:
            if found.url in self.seen or not in_site(found.url) or _extension(found.url) in self.media:
                continue
            self.seen.add(found.url)
            self.queue.append(_Visit(found.url, level + 1, referrer, found))

    def follow_pictures(self, pictures: list[Link], level: int, referrer: str,
                        in_site: Callable[[str], bool]) -> None:
        """Queue a page's same-site pictures for OCR (at most MAX_PICTURES in a crawl)."""
        for found in pictures:
            if self.pictures >= MAX_PICTURES:
                return
            if found.url in self.seen or not in_site(found.url):
                continue
            self.seen.add(found.url)
            self.pictures += 1
            self.queue.append(_Visit(found.url, level + 1, referrer, found, picture=True))


@dataclass
class _Crawl:
    """One crawl: the polite fetcher, the frontier, the limits and the callbacks; `run` fills the result."""

    crawler: _Crawler
    frontier: _Frontier
    depth: int
    max_pages: int
    timeout: float
    max_bytes: int
    on_page: Callable[[str, Document], None] | None
    on_progress: Callable[[int, int, str], None] | None
    on_links: Callable[[str, list[Link], HtmlSource], None] | None

    def run(self) -> CrawlResult:
        """Request and read URL after URL until the frontier is empty or max_pages were requested."""
        result = self.crawler.result
        while self.frontier:
            if len(result.fetched) >= self.max_pages:
                result.unvisited = len(self.frontier)
                break
            visit = self.frontier.next()
            if visit is None:
                continue
            got = self.fetch(visit)
            if got is not None:
                self.read(visit, got)
        return result

    def fetch(self, visit: _Visit) -> Fetched | None:
        """Request one URL (robots.txt and the delay permitting); None when there is nothing to read."""
        c, result = self.crawler, self.crawler.result
        ok, crawl_delay = c.allowed(visit.url)
        if not ok:
            result.skipped_robots.append(visit.url)
            return None
        if self.on_progress is not None:
            self.on_progress(len(result.fetched), len(self.frontier), visit.url)
        c.wait(visit.url, crawl_delay)
        result.fetched.append(visit.url)
        # the start URL may redirect within its host (http -> https, www., a path): that is the site; to another
        # host it ends the crawl with a message, since that host is not the site the office asked about
        follow = c.in_site if visit.level else functools.partial(_same_host, visit.url)
        try:
            return fetch(visit.url, timeout=self.timeout, max_bytes=self.max_bytes, follow=follow)
        except OffsiteRedirect as exc:
            if visit.level:
                result.skipped.append(visit.url)
            else:
                message = f"起始网址重定向到另一网站（{exc.location}），未抓取；如确属本站，请以该网址为起点"
                self.failed(visit, exc.status, message, "unchecked")
        except FetchError as exc:
            self.failed(visit, exc.status, exc.message, "broken" if exc.dead else "unchecked")
        return None

    def failed(self, visit: _Visit, status: int | None, message: str, kind: str) -> None:
        """A dead or unchecked URL, kept with the page and the link that led to it. A page's picture that
        does not come is passed over (skipped): pictures are read for their text, not judged as links."""
        if visit.picture:
            self.crawler.result.skipped.append(visit.url)
            return
        self.crawler.result.errors.append(CrawlError(visit.url, visit.referrer, status, message, kind, visit.link))

    def read(self, visit: _Visit, got: Fetched) -> None:
        """Read a response into a Document (page or attachment); a page's links are passed on and followed."""
        result = self.crawler.result
        final = normalise(got.final_url) or visit.url
        if visit.level == 0:
            self.crawler.sites.add(_site_key(final))
        if not self.frontier.read(final):
            return
        try:
            doc, page = to_document(got)
        except ReadError as exc:
            if str(exc).startswith("不是可检查的文档"):
                result.skipped.append(visit.url)
            else:
                self.failed(visit, got.status, str(exc), "unchecked")
            return
        if doc.kind in ("html", "text"):
            result.pages += 1
        else:
            result.attachments += 1
        if self.on_page is not None:
            self.on_page(final, doc)
        else:
            result.documents.append((final, doc))
        if page is not None and _extension(visit.url) not in ATTACHMENTS:
            self.links(visit, final, page, doc)

    def links(self, visit: _Visit, final: str, page: HtmlSource, doc: Document) -> None:
        """A page's links: reported to on_links, and queued while within `depth`."""
        links = extract_links(final, page.text, page, doc.text)
        if self.on_links is not None:
            self.on_links(final, links, page)
        if visit.level < self.depth:
            self.frontier.follow(links, visit.level, final, self.crawler.in_site)
        if self.frontier.ocr:  # a page's pictures are its content, whatever its depth
            pictures = extract_pictures(final, page.text)
            self.frontier.follow_pictures(pictures, visit.level, final, self.crawler.in_site)


def crawl(
    start_url: str,
    *,
    depth: int = 2,
    max_pages: int = 200,
    delay: float = 0.5,
    timeout: float = 15,
    respect_robots: bool = True,
    max_bytes: int = MAX_BYTES,
    on_page: Callable[[str, Document], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_links: Callable[[str, list[Link], HtmlSource], None] | None = None,
) -> CrawlResult:
    """Crawl the site of `start_url` breadth-first.

    depth: link levels followed (0: the start page only). max_pages: URLs requested at most (pages,
    attachments and dead links alike; robots.txt not counted). max_bytes: per response. delay: seconds between
    two requests to one host. on_page(url, doc): each page or attachment read (url: where it was finally found,
    after redirects); without it the documents are collected in result.documents. on_progress(done, queued,
    url): before each request. on_links(url, links, page): the links of each page read, and its source.
    """
    start = normalise(start_url)
    if start is None:
        raise ValueError(f"not an http(s) URL: {start_url!r}")
    return _Crawl(
        crawler=_Crawler(start, delay, timeout, respect_robots), frontier=_Frontier(start), depth=depth,
        max_pages=max_pages, timeout=timeout, max_bytes=max_bytes, on_page=on_page, on_progress=on_progress,
        on_links=on_links,
    ).run()


# --- the command line's part ----------------------------------------------------------------------------------
@contextmanager
def progress_bar(enabled: bool | None = None) -> Iterator[Callable[[int, int, str], None]]:
    """An on_progress callback drawing a rich progress bar on stderr (only when stderr is a terminal)."""
    import sys

    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda done, queued, url: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("抓取"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}", style="dim"), console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("", total=1)

        def update(done: int, queued: int, url: str) -> None:
            bar.update(task, completed=done, total=done + queued + 1, description=url[-60:])

        yield update


@dataclass
class CrawlOutcome:
    """What `errscan crawl` puts in its Report."""

    findings: list[Finding]  # the pages' findings, then each page's dead links as findings, in crawl order
    errors: list[InputError]  # URLs whose content could not be checked
    documents: list[tuple[str, dict[str, str]]]  # (url, kind + metadata) of each document read
    files: int  # documents read (pages + attachments)
    result: CrawlResult
    hidden: tuple[tuple[str, int], ...] = ()  # findings below min_severity, by severity: counted, not listed
    failed: bool = False  # the verdict: any finding (shown or not) at fail_on or above


def dead_link_finding(error: CrawlError) -> Finding:
    """A dead link as a finding of the page linking to it, at the link's tag in the page source."""
    link = error.link
    assert link is not None and error.referrer is not None
    shown = link.text or link.href
    head = error.message if error.message.startswith("链接失效") else f"链接无法访问（{error.message}）"
    return Finding(
        path=readable_url(error.referrer), offset=link.offset, length=link.length, line=link.line,
        column=link.column, text=shown,
        suggestions=(), rule="link/broken", list_id="links", category="link", severity=Severity.ERROR,
        message=f"{head}：{readable_url(error.url)}", context=shown, location=(("href", link.href),),
    )


def run_crawl(
    start_url: str,
    runner: Runner,
    *,
    depth: int = 2,
    max_pages: int = 200,
    delay: float = 0.5,
    timeout: float = 15,
    respect_robots: bool = True,
    max_bytes: int = MAX_BYTES,
    progress: bool | None = None,
) -> CrawlOutcome:
    """Crawl and check: each document through the run layer (path = its URL, the settings of the current
    directory); dead links as findings of the page that links to them (rule link/broken, severity error, the
    config's filters applied); everything not checked as an InputError."""
    from errscan.run import Checked, hidden_counts

    results: list[Checked] = []  # each document's, then the dead links'
    order: dict[str, int] = {}
    config = runner.config_for(None)

    def on_page(url: str, doc: Document) -> None:
        url = readable_url(url)  # the report names it as a person reads it: …/附件/名单.docx
        order.setdefault(url, len(order))
        results.append(runner.check(doc, url, None, config=config))
        documents.append((url, results[-1].metadata))

    documents: list[tuple[str, dict[str, str]]] = []

    with progress_bar(progress) as on_progress:
        result = crawl(
            start_url, depth=depth, max_pages=max_pages, delay=delay, timeout=timeout,
            respect_robots=respect_robots, max_bytes=max_bytes, on_page=on_page, on_progress=on_progress,
        )
    errors, dead = [], []
    for err in result.errors:
        if err.kind == "broken" and err.link is not None and err.referrer is not None:
            dead.append(dead_link_finding(err))
        else:
            where = f"（链接来自 {readable_url(err.referrer)}）" if err.referrer else ""
            errors.append(InputError(readable_url(err.url), err.message + where))
    if not result.fetched and result.skipped_robots:
        errors.append(InputError(start_url, "robots.txt 不允许抓取此网址（可用 --no-robots 忽略）"))
    if dead:  # the dead links under the same config: filtered, shown and judged like any document's findings
        results.append(Checked(start_url, tuple(config.apply(dead)), config))
    findings = sorted((f for r in results for f in r.shown), key=lambda f: (order.get(f.path, len(order)), f))
    return CrawlOutcome(
        findings, errors, documents, result.pages + result.attachments, result, hidden_counts(results),
        any(r.failed for r in results),
    )
