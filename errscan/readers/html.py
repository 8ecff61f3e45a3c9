"""HTML pages: the visible text, located by line and column in the page's source.

Only what a browser shows is read: script, style, template, noscript, comments and hidden elements (the
`hidden` attribute, inline display:none or visibility:hidden, Angular's ng-hide) are skipped with everything
inside them. Block elements end a line, so words from two blocks never join; inline elements join with
nothing, so 中华人民<b>共合</b>国 reads 中华人民共合国. Runs of source whitespace collapse to one space, and
a line break in the source between two Chinese characters disappears (CSS text segment-break rules).
Each character of the text keeps the offset in the source where it starts (an entity maps to its "&").

The parser (html.parser) and the element stack are iterative: no depth of nesting can overflow.

After the body come, a line each, the texts a reader sees outside it: the page's <title>, the content of
meta description and keywords, the alt of images (img, area, input type=image) and the title attribute
(a tooltip) of any shown element, never of one inside a skipped or hidden element nor of head-only ones
(link, meta, base…). Each is located at its own characters in the source and named by its part (网页标题,
页面描述, 页面关键词, 图片说明（alt）, 提示文字（title）); the body before them is exactly what it was, so
its findings keep their positions. A slip is reported once: an attribute whose whole value the body (or an
earlier one of these texts) already shows is left out, as title="通知" on a link reading 通知; one that
says more, as the full title of a link whose text is cut short, is read, and a slip in both is reported in
each, at its own place. The <title> is always read: it is what search engines and tabs show, even when the
page's first heading repeats it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import html
import re
from array import array
from html.parser import HTMLParser

from errscan.model import Document, Locator
from errscan.posmap import LineMap
from errscan.readers.text import BOMS, ReadError, decode, decode_cjk, looks_binary

SKIP = frozenset({"script", "style", "template", "noscript", "title", "iframe", "object", "svg", "math"})
VOID = frozenset(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param source track wbr".split()
)
BLOCK = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html legend li main menu nav ol option p pre section "
    "select summary table tbody td textarea tfoot th thead tr ul".split()
)
_CLOSES_P = BLOCK - {
    "body",
    "html",
    "td",
    "th",
    "tr",
    "tbody",
    "thead",
    "tfoot",
    "caption",
    "li",
    "dd",
    "dt",
    "option",
    "select",
    "textarea",
    "legend",
    "summary",
}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_WS = re.compile(r"[ \t\n\r\f]+")
# a start tag's name, then each attribute: as html.parser reads them, so that a value is found where the
# parser took it from (never inside another attribute's value)
_TAG_NAME = re.compile(r"<[a-zA-Z][^\t\n\r\f />\x00]*(?:\s|/(?!>))*")
_ATTRIBUTE = re.compile(
    r"""((?<=['"\s/])[^\s/>][^\s/=>]*)"""  # its name
    r"""(?:\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?"""  # its value, quoted or bare
    r"""(?:\s|/(?!>))*"""
)
# elements never shown, whose title attribute no one sees (script, style, title … are in SKIP)
_UNSHOWN = frozenset({"head", "base", "link", "meta", "param", "source", "track"})
_MAX_MATCH = 1000  # how deep an end tag looks for its start tag

_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})"
_META_DATE_NAMES = frozenset(
    "pubdate publishdate publish_date publishdate firstpublishedtime article:published_time og:published_time "
    "dc.date dc.date.issued dcterms.issued dcterms.created publication_date releasedate date".split()
)
_TEXT_DATE = re.compile(r"(?:发布日期|发布时间|发布于|发文日期)\s*[:：]?\s*" + _DATE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.I)
_CHARSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "cp950",
    "big5-hkscs": "big5hkscs",
    "cp950": "cp950",
    "x-x-big5": "cp950",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}


def _cjk(c: str) -> bool:
    o = ord(c)
    return 0x2E80 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF


def _iso(y: str, m: str, d: str) -> str | None:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None


class HtmlLocator(Locator):
    """line/column in the HTML source of the character at an offset of the visible text; for the texts after
    the body (title, meta description and keywords, alt and title attributes) also which one it is."""

    def __init__(self, text: str, source: str, positions: array,
                 parts: list[tuple[int, dict[str, object]]] | None = None):
        super().__init__(text)
        self.source = source  # the page as decoded: its errscan- comments are read from it (suppress.py)
        self._source_lines = LineMap(source)
        self._positions = positions
        self._n = len(source)
        self._parts = parts or []  # (offset in the text where it starts, its place), in order
        self._starts = [start for start, _ in self._parts]

    def locate(self, offset: int) -> tuple[int, int, dict[str, object]]:
        if 0 <= offset < len(self._positions):
            src = self._positions[offset]
        else:
            src = self._positions[-1] + 1 if len(self._positions) else 0
        line, column = self._source_lines.line_col(min(src, self._n))
        i = bisect.bisect_right(self._starts, offset) - 1
        return line, column, (dict(self._parts[i][1]) if i >= 0 else {})


class _Extractor(HTMLParser):
    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.src = source
        self.line_starts = LineMap(source).starts
        self.chunks: list[str] = []
        self.positions = array("q")
        self.last = "\n"  # last character emitted; "\n" at start so no break or space leads the text
        self.pending: tuple[int, bool] | None = None  # whitespace seen: (source offset, had a line break)
        self.stack: list[tuple[str, bool]] = []  # open elements: (tag, hides its content)
        self.hiding = 0  # open elements that hide
        self.pre = 0
        self.title: list[str] | None = None  # collecting the first <title>
        self.title_done = False
        self.title_at: list[tuple[str, int, bool]] = []  # its pieces: (text, source offset, one offset each)
        self.extras: list[tuple[dict[str, object], str, list[int]]] = []  # (place, text, source offsets)
        self.metadata: dict[str, str] = {}

    def _at(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    # --- output -------------------------------------------------------------------------------------------
    def emit(self, s: str, start: int, each: bool = True) -> None:
        """Append visible text s; its characters start at source offsets start, start+1 … (or all at start)."""
        if self.pending is not None:
            at, newline = self.pending
            self.pending = None
            if self.last != "\n" and not (newline and _cjk(self.last) and _cjk(s[0])):
                self.chunks.append(" ")
                self.positions.append(at)
        self.chunks.append(s)
        self.positions.extend(range(start, start + len(s)) if each else [start] * len(s))
        self.last = s[-1]

    def brk(self, at: int) -> None:
        self.pending = None
        if self.last != "\n":
            self.chunks.append("\n")
            self.positions.append(at)
            self.last = "\n"

    # --- elements -----------------------------------------------------------------------------------------
    def _pop_to(self, index: int) -> None:
        for _, hides in self.stack[index:]:
            self.hiding -= hides
        del self.stack[index:]

    def _find(self, *tags: str, stop: tuple[str, ...] = ()) -> int:
        for i in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - _MAX_MATCH), -1):
            tag = self.stack[i][0]
            if tag in tags:
                return i
            if tag in stop:
                return -1
        return -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        at = self._at()
        if tag == "meta":
            self._meta(dict(attrs))
            part = {"description": "description", "keywords": "keywords"}.get(
                (dict(attrs).get("name") or "").strip().lower())
            if part:
                self._attribute(at, "content", part)
        elif not self.hiding and tag not in SKIP and tag not in _UNSHOWN and not self._hidden(attrs):
            first: dict[str, str | None] = {}
            for name, value in attrs:
                first.setdefault(name, value)  # as a browser: the first of two attributes of one name
            kind = (first.get("type") or "").strip().lower() if tag == "input" else ""
            if first.get("alt") and (tag in ("img", "area") or kind == "image"):
                self._attribute(at, "alt", "alt")
            if first.get("title") and kind != "hidden":
                self._attribute(at, "title", "tooltip")
        if tag in VOID:
            if tag in ("br", "hr") and not self.hiding:
                self.brk(at)
            return
        # implied end tags, so that an unclosed element does not swallow (or hide) the rest of the page
        if self.stack:
            implied = -1
            if tag in _CLOSES_P:
                implied = self._find("p", stop=("div", "td", "th", "li", "table", "body"))
            elif tag == "li":
                implied = self._find("li", stop=("ul", "ol", "menu"))
            elif tag in ("dt", "dd"):
                implied = self._find("dt", "dd", stop=("dl",))
            elif tag in ("td", "th"):
                implied = self._find("td", "th", stop=("tr", "table"))
            elif tag == "tr":
                implied = self._find("tr", stop=("table",))
            elif tag == "option":
                implied = self._find("option", stop=("select",))
            if implied >= 0:
                self._pop_to(implied)
        hides = tag in SKIP or self._hidden(attrs)
        self.stack.append((tag, hides))
        self.hiding += hides
        if tag == "title" and not self.title_done and self._find("svg", "math") < 0:  # not an SVG's title
            self.title = []
        if tag == "pre":
            self.pre += 1
        if tag in BLOCK and not self.hiding:
            self.brk(at)

    def _attribute(self, at: int, name: str, part: str) -> None:
        """The value of attribute `name` of the tag starting at `at`, kept with the source offset of each of
        its characters (an entity's at its "&"), whitespace collapsed, as a text of part `part`."""
        if not part:
            return
        raw_tag = self.get_starttag_text() or ""
        head = _TAG_NAME.match(raw_tag)
        k = head.end() if head else len(raw_tag)
        while (m := _ATTRIBUTE.match(raw_tag, k)) and m.end() > k:
            k = m.end()
            if m.group(1).lower() != name:
                continue
            value, start = m.group(2) or "", m.start(2)
            if value[:1] in ("'", '"') and value[-1:] == value[:1] and len(value) > 1:
                value, start = value[1:-1], start + 1
            text, offsets = _decoded(value, at + start)
            if text:
                self.extras.append(({"part": part}, text, offsets))
            return  # the first attribute of that name is the one

    @staticmethod
    def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
        for name, value in attrs:
            if name == "hidden":
                return True
            if name == "style" and value and _HIDDEN_STYLE.search(value):
                return True
            if name == "class" and value and "ng-hide" in value.split():
                return True
        return False

    def handle_endtag(self, tag: str) -> None:
        at = self._at()
        if tag == "br":
            if not self.hiding:
                self.brk(at)
            return
        i = self._find(tag)
        if i < 0:
            return
        self._pop_to(i)
        if tag == "title" and self.title is not None:
            title = " ".join("".join(self.title).split())
            if title:
                self.metadata["title"] = title
                chars, offsets = [], []
                for piece, start, each in self.title_at:
                    chars.append(piece)
                    offsets.extend(range(start, start + len(piece)) if each else [start] * len(piece))
                text, kept = _collapse("".join(chars), offsets)
                if text:
                    self.extras.insert(0, ({"part": "title"}, text, kept))
            self.title, self.title_done = None, True
        if tag == "pre":
            self.pre -= 1
        if tag in BLOCK and not self.hiding:
            self.brk(at)

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").strip().lower()
        if key in _META_DATE_NAMES and "date" not in self.metadata:
            m = re.search(_DATE, attrs.get("content") or "")
            if m and (date := _iso(*m.groups())):
                self.metadata["date"] = date

    # --- text ---------------------------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.title is not None:
            self.title.append(data)
            self.title_at.append((data, self._at(), True))
        if self.hiding or not data:
            return
        base = self._at()
        if self.pre:
            lines = data.split("\n")
            for k, piece in enumerate(lines):
                if piece:
                    self.emit(piece, base)
                base += len(piece)
                if k < len(lines) - 1:
                    self.pending = None
                    self.chunks.append("\n")
                    self.positions.append(base)
                    self.last = "\n"
                    base += 1
            return
        pos = 0
        for m in _WS.finditer(data):
            if m.start() > pos:
                self.emit(data[pos : m.start()], base + pos)
            if self.pending is None:
                self.pending = (base + m.start(), "\n" in m.group() or "\r" in m.group())
            elif "\n" in m.group():
                self.pending = (self.pending[0], True)
            pos = m.end()
        if pos < len(data):
            self.emit(data[pos:], base + pos)

    def _ref(self, raw_start: str, name: str) -> None:
        at = self._at()
        end = at + len(raw_start) + len(name)
        raw = self.src[at : end + 1] if self.src[end : end + 1] == ";" else self.src[at:end]
        decoded = html.unescape(raw)
        if self.title is not None:
            self.title.append(decoded)
            self.title_at.append((decoded, at, decoded == raw))
        if self.hiding or not decoded:
            return
        if decoded == raw:  # not a known reference: the characters as written
            self.emit(raw, at)
        else:
            self.emit(decoded, at, each=False)

    def handle_entityref(self, name: str) -> None:
        self._ref("&", name)

    def handle_charref(self, name: str) -> None:
        self._ref("&#", name)


_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);?")


def _collapse(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """Runs of whitespace as one space, none at the ends, and none for a line break between two Chinese
    characters (as in the body); each kept character with its offset."""
    out, kept = [], []
    broke = False  # the run of whitespace before this character held a line break
    for c, at in zip(text, offsets, strict=True):
        if c in " \t\n\r\f":
            broke = broke or c in "\n\r"
            if out and out[-1] != " ":
                out.append(" ")
                kept.append(at)
            continue
        if broke and len(out) >= 2 and out[-1] == " " and _cjk(out[-2]) and _cjk(c):
            out.pop()
            kept.pop()
        broke = False
        out.append(c)
        kept.append(at)
    while out and out[-1] == " ":
        out.pop()
        kept.pop()
    return "".join(out), kept


def _decoded(raw: str, start: int) -> tuple[str, list[int]]:
    """An attribute value as a browser reads it (character references decoded, whitespace collapsed), with the
    source offset of each character."""
    chars, offsets = [], []
    pos = 0
    for m in _ENTITY.finditer(raw):
        chars.extend(raw[pos:m.start()])
        offsets.extend(range(start + pos, start + m.start()))
        decoded = html.unescape(m.group())
        chars.extend(decoded)
        offsets.extend([start + m.start()] * len(decoded))
        pos = m.end()
    chars.extend(raw[pos:])
    offsets.extend(range(start + pos, start + len(raw)))
    return _collapse("".join(chars), offsets)


def declared_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:8192])
    if not m:
        return None
    return _CHARSETS.get(m.group(1).decode("ascii", "replace").lower())


def decode_html(data: bytes) -> tuple[str, str]:
    """BOM, then the charset the page declares, then strict UTF-8, then GB18030/Big5 by content."""
    if not data.startswith(tuple(bom for bom, _ in BOMS)):
        if looks_binary(data):
            raise ReadError("不是网页文件（含二进制内容），未检查")
        declared = declared_charset(data)
        if declared:
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass  # pages often declare a charset they are not in
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            return decode_cjk(data)
    return decode(data)


def extract(source: str) -> tuple[str, array, dict[str, str], list[tuple[int, dict[str, object]]]]:
    """(text, the source offset of each of its characters, metadata, parts). The text is the visible body,
    then, a line each, the page's <title>, meta description and keywords, and the alt and title attributes
    of visible elements: parts says where each of those starts and what it is. An attribute whose words the
    body (or an earlier attribute) already shows is left out: title="通知" on a link reading 通知 would
    report its slip twice."""
    parser = _Extractor(source)
    parser.feed(source)
    parser.close()
    text = "".join(parser.chunks)
    positions = parser.positions
    if text.endswith("\n"):
        text = text[:-1]
        positions = positions[:-1]
    metadata = parser.metadata
    if "date" not in metadata:
        m = _TEXT_DATE.search(text)
        if m and (date := _iso(*m.groups())):
            metadata["date"] = date
    parts: list[tuple[int, dict[str, object]]] = []
    pieces, seen = [text], set()
    size = len(text)
    for place, extra, offsets in parser.extras:
        if place["part"] != "title" and (extra in seen or extra in text):
            continue
        seen.add(extra)
        pieces.append("\n" + extra)
        positions.append(offsets[0])  # the line break before it: where it starts
        positions.extend(offsets)
        parts.append((size + 1, place))
        size += 1 + len(extra)
    if parts:
        text = "".join(pieces)
    return text, positions, metadata, parts


def read(data: bytes) -> Document:
    source, encoding = decode_html(data)
    text, positions, metadata, parts = extract(source)
    metadata["encoding"] = encoding
    return Document(text, "html", metadata, HtmlLocator(text, source, positions, parts))
