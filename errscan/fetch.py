"""Web pages and attachments over HTTP(S): one polite, bounded GET, read into a Document.

Standard library only (urllib). Every request says who it is (User-Agent), follows at most a few redirects,
gives up after `timeout` seconds without a byte and stops reading past `max_bytes` (compressed or not), so a
hostile or broken server can neither hang a check nor fill the memory. Every failure is a FetchError with the
HTTP status where there is one and a Chinese message for the clerk.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from errscan._version import __version__
from errscan.inputs import is_url  # noqa: F401 - errscan.fetch.is_url, as before
from errscan.model import Document

USER_AGENT = f"errscan/{__version__} (+website content check)"
ROBOTS_AGENT = "errscan"  # the product token robots.txt rules name
MAX_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024

# Content-Type (without parameters) -> reader kind; anything else is decided by content and extension
CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "text",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.ms-works": "doc",
    "application/vnd.ms-excel": "doc",  # OLE: the .doc reader names it an old Excel workbook
    "application/wps-office.doc": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/wps-office.docx": "docx",
    "application/wps-office.xlsx": "xlsx",
}
# Media that no reader reads: never a document, never an error
NOT_DOCUMENTS = ("image/", "audio/", "video/", "font/", "text/css", "text/javascript", "application/javascript",
                 "application/zip", "application/x-rar", "application/x-7z", "application/gzip",
                 "application/x-shockwave-flash", "application/vnd.ms-powerpoint",
                 "application/vnd.openxmlformats-officedocument.presentationml")


class FetchError(Exception):
    """A URL that could not be fetched. `status`: the HTTP status, None for network errors. `dead`: the link
    fails for every visitor (an HTTP error, an unknown host, a refused connection, a redirect loop), as opposed
    to a failure that may pass (a timeout) or that is ours (too large)."""

    def __init__(self, message: str, url: str, status: int | None = None, dead: bool = False):
        super().__init__(message)
        self.message = message
        self.url = url
        self.status = status
        self.dead = dead


class OffsiteRedirect(FetchError):
    """A redirect the caller's `follow` refused (a crawl never leaves its site)."""

    def __init__(self, url: str, location: str, status: int):
        super().__init__(f"重定向到站外：{location}", url, status)
        self.location = location


@dataclass(frozen=True)
class Fetched:
    url: str  # as requested
    final_url: str  # after redirects
    status: int
    content_type: str  # without parameters, lower case; "" when the server sent none
    data: bytes  # decompressed
    headers: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def charset(self) -> str | None:
        """The charset parameter of the Content-Type header, lower case, if any."""
        return header_charset(self.headers.get("content-type", ""))


def header_charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def _status_message(status: int) -> str:
    if status in (404, 410):
        return f"链接失效（HTTP {status}）"
    if status in (401, 403):
        return f"无权访问（HTTP {status}）"
    if status >= 500:
        return f"服务器错误（HTTP {status}）"
    return f"请求失败（HTTP {status}）"


def _network_message(reason: object) -> str:
    import socket
    import ssl

    if isinstance(reason, (socket.timeout, TimeoutError)):
        return "连接超时"
    if isinstance(reason, socket.gaierror):
        return "无法解析域名"
    if isinstance(reason, ConnectionRefusedError):
        return "连接被拒绝"
    if isinstance(reason, ConnectionResetError):
        return "连接被重置"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"网站证书无效（{reason.verify_message}）"
    if isinstance(reason, ssl.SSLError):
        return "安全连接（HTTPS）建立失败"
    if isinstance(reason, str) and "timed out" in reason:
        return "连接超时"
    return f"无法访问（{reason}）"


METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "instance-data", "metadata.tencentyun.com"})


def redirect_allowed(url: str, resolve: Callable[[str], list[str]] | None = None) -> bool:
    """Whether a redirect may lead to `url`: not to a link-local address (169.254.0.0/16, fe80::/10, where
    cloud machines answer metadata requests) nor to a cloud metadata host name, whether the URL names the
    address or a name that resolves to one. `resolve(host)`: the host's addresses (the system resolver)."""
    import ipaddress

    host = (urllib.parse.urlsplit(url).hostname or "").lower().rstrip(".")
    if not host or host in METADATA_HOSTS:
        return False
    try:
        addresses = [host] if _is_ip(host) else (resolve or _resolve)(host)
    except OSError:
        return True  # not resolvable: the request itself fails and says so
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            continue
        mapped = getattr(ip, "ipv4_mapped", None)
        if ip.is_link_local or (mapped is not None and mapped.is_link_local):
            return False
    return True


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str) -> list[str]:
    import socket

    return [str(info[4][0]) for info in socket.getaddrinfo(host, None)]


class _Watch:
    """The whole request's deadline, headers included: when it passes, the request's sockets are shut, so a
    server that drips its status line or headers a byte at a time cannot hold a fetch (each read alone keeps
    within the per-read timeout)."""

    def __init__(self, seconds: float):
        import threading

        self.socks: list[object] = []
        self.expired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self.socks:
                _shut(sock)

    def add(self, sock: object) -> None:
        with self._lock:
            self.socks.append(sock)
            if self.expired:
                _shut(sock)


def _shut(sock: object) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]
    except OSError:
        pass


def _opener(limit: int, follow: Callable[[str], bool] | None, watch: _Watch | None = None):  # type: ignore[no-untyped-def]
    import http.client
    import urllib.request

    class Watched(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            if watch is not None:
                watch.add(self.sock)

    class WatchedTLS(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            if watch is not None:
                watch.add(self.sock)

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(Watched, req)

    class Secure(urllib.request.HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(WatchedTLS, req, context=getattr(self, "_context", None))

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = limit

        def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
            newurl = quote_url(urllib.parse.urljoin(req.full_url, newurl))
            if follow is not None and not follow(newurl):  # first: a host the crawl leaves is not even looked up
                raise OffsiteRedirect(req.full_url, newurl, code)
            if not redirect_allowed(newurl):
                raise FetchError(f"重定向到链路本地或云元数据地址（{newurl}），已拒绝", req.full_url, code)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(Redirects(), Plain(), Secure())


def readable_url(url: str) -> str:
    """The URL as a person reads it in a report: percent-escapes of non-ASCII text decoded (…/附件/名单.docx)
    and an IDNA host in Unicode. Escapes of ASCII characters (%20, %2F, %3F) and of anything invisible or not
    UTF-8 are kept, so it still names the same resource and pastes into a browser."""
    def decode(m: re.Match[str]) -> str:
        try:
            text = bytes.fromhex(m.group().replace("%", "")).decode("utf-8")
        except ValueError:
            return m.group()
        return text if text.isprintable() and not any(c.isspace() for c in text) else m.group()

    parts = urllib.parse.urlsplit(url)
    host = parts.netloc
    if "xn--" in host.lower():
        try:
            host = ".".join(p.encode("ascii").decode("idna") if p.lower().startswith("xn--") else p
                            for p in host.split("."))
        except UnicodeError:
            host = parts.netloc
    path = re.sub(r"(?:%[89A-Fa-f][0-9A-Fa-f])+", decode, parts.path)
    query = re.sub(r"(?:%[89A-Fa-f][0-9A-Fa-f])+", decode, parts.query)
    return urllib.parse.urlunsplit((parts.scheme, host, path, query, parts.fragment))


def quote_url(url: str) -> str:
    """The URL as urllib can send it: non-ASCII host in IDNA, path and query percent-encoded (UTF-8), no
    fragment. Existing %XX escapes are kept."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        host = host.lower()
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port is not None and (parts.scheme, parts.port) not in (("http", 80), ("https", 443)):
        netloc += f":{parts.port}"
    path = urllib.parse.quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = urllib.parse.quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def fetch(
    url: str,
    *,
    timeout: float = 15,
    max_bytes: int = MAX_BYTES,
    user_agent: str = USER_AGENT,
    max_redirects: int = MAX_REDIRECTS,
    follow: Callable[[str], bool] | None = None,
) -> Fetched:
    """GET `url`. `timeout`: seconds without progress (connect, or between reads) and, times four, for the
    whole body. `follow(url)`: whether to follow a redirect there (default: any http/https URL).
    Raises FetchError (OffsiteRedirect when `follow` refused a redirect)."""
    import urllib.error
    import urllib.request

    url = quote_url(url)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not urllib.parse.urlsplit(url).hostname:
        raise FetchError(f"不支持的链接：{url}", url)
    watch = _Watch(max(4 * timeout, MIN_BODY_SECONDS))
    opener = _opener(max_redirects, follow, watch)
    request = urllib.request.Request(url, headers={
        "User-Agent": user_agent,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "text/html,application/xhtml+xml,application/pdf,application/msword,"
                  "application/vnd.openxmlformats-officedocument.*,*/*;q=0.8",
        "Accept-Language": "zh-CN,zh;q=0.9",
    })
    with watch:
        try:
            got = _fetch(opener, request, url, timeout, max_bytes)
        except FetchError:
            if watch.expired:
                raise FetchError("下载过慢，已超时", url) from None
            raise
        if watch.expired:  # the body was cut short by the deadline: never taken as the whole page
            raise FetchError("下载过慢，已超时", url)
        return got


def _fetch(opener, request, url: str, timeout: float, max_bytes: int) -> Fetched:  # type: ignore[no-untyped-def]
    import http.client
    import socket
    import urllib.error

    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise FetchError("重定向次数过多或重定向无效", url, exc.code, dead=True) from None
        raise FetchError(_status_message(exc.code), url, exc.code, dead=True) from None
    except FetchError:
        raise
    except urllib.error.URLError as exc:
        dead = isinstance(exc.reason, (socket.gaierror, ConnectionRefusedError))
        raise FetchError(_network_message(exc.reason), url, dead=dead) from None
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:  # a timeout or a cut while
        raise FetchError(_network_message(exc), url) from None  # reading headers, a bad URL …
    with response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        data = _read_body(response, headers, url, timeout, max_bytes)
        final = response.geturl()
        status = response.status
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return Fetched(url, final, status, content_type, data, headers)


MIN_BODY_SECONDS = 30  # the whole body's deadline: four times the timeout, and at least this


def _too_big(url: str, max_bytes: int) -> FetchError:
    return FetchError(f"内容过大（超过 {max_bytes / 1048576:g} MB），未检查", url)


def _read_body(response, headers: dict[str, str], url: str, timeout: float, max_bytes: int) -> bytes:  # type: ignore[no-untyped-def]
    import http.client

    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise _too_big(url, max_bytes)
    encoding = headers.get("content-encoding", "").strip().lower()
    inflate = None
    if encoding in ("gzip", "x-gzip"):
        inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 32)  # zlib stream (or gzip: servers differ)
    deadline = time.monotonic() + max(4 * timeout, MIN_BODY_SECONDS)
    out = bytearray()
    raw_first = True
    read = getattr(response, "read1", response.read)  # read1: what one receive gave, so the deadline is
    while True:  # checked between receives (a server dripping a byte a second cannot hold a 64 KiB read)
        try:
            chunk = read(_CHUNK)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:  # IncompleteRead: cut short
            raise FetchError(_network_message(exc) + "（读取内容时）", url) from None
        if not chunk:
            break
        if time.monotonic() > deadline:
            raise FetchError("下载过慢，已超时", url)
        if inflate is None:
            out += chunk
        else:
            try:
                if raw_first and encoding == "deflate" and chunk[:1] not in (b"\x78", b"\x1f"):
                    inflate = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                raw_first = False
                out += inflate.decompress(chunk, max_bytes + 1 - len(out))
                while inflate.unconsumed_tail and len(out) <= max_bytes:
                    out += inflate.decompress(inflate.unconsumed_tail, max_bytes + 1 - len(out))
            except zlib.error:
                raise FetchError("压缩内容已损坏，无法解压", url) from None
        if len(out) > max_bytes:
            raise _too_big(url, max_bytes)
    return bytes(out)


# --- bytes -> Document ----------------------------------------------------------------------------------------
_KNOWN = ("utf-8", "utf8", "gbk", "gb2312", "gb18030", "x-gbk", "cp936", "big5", "big5-hkscs", "cp950")


def url_name(url: str) -> str:
    """The last path segment of a URL, unquoted: what sniffing by extension looks at."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def kind_of(fetched: Fetched) -> str | None:
    """The reader for a response: magic bytes first, then Content-Type, then the URL's extension.
    None: media no reader reads (images, scripts, archives, slides)."""
    from errscan.readers import sniff

    by_content = sniff(fetched.data, url_name(fetched.final_url))
    if by_content in ("doc", "docx", "xlsx", "pdf"):
        return by_content
    if by_content == "image":  # a scanned 公示 posted as a picture: read when the OCR extra is there
        from errscan.readers.ocr import available

        return "image" if available() else None
    ct = fetched.content_type
    if ct in CONTENT_TYPES:
        kind = CONTENT_TYPES[ct]
        return by_content if kind == "text" and by_content == "html" else kind
    if ct.startswith(NOT_DOCUMENTS) or by_content == "zip":
        return None
    return by_content


@dataclass(frozen=True)
class HtmlSource:
    """What a crawl needs besides the Document: the decoded source and, for each character of the visible
    text, its offset in the source."""

    text: str
    positions: array
    body: int = -1  # where the body's text ends (the title and attributes follow it); -1: all of it


def read_html(data: bytes, charset: str | None = None) -> tuple[Document, HtmlSource]:
    """The HTML reader, with the HTTP charset as a hint: BOM, then the page's <meta> charset (errscan's HTML
    reader), except that a page without one is decoded by the header's charset when that is a known Chinese
    or Unicode encoding and the bytes are valid in it. Strict UTF-8 comes first when the body is valid UTF-8
    (servers often send a default GBK header for pages converted to UTF-8)."""
    from errscan.readers.html import HtmlLocator, declared_charset, decode_html, extract
    from errscan.readers.text import BOMS

    source = encoding = None
    if charset in _KNOWN and not data.startswith(tuple(b for b, _ in BOMS)) and declared_charset(data) is None:
        codec = "gb18030" if charset in ("gbk", "gb2312", "x-gbk", "cp936") else charset
        codec = "cp950" if codec == "big5" else codec
        for enc in ("utf-8", codec):
            try:
                source, encoding = data.decode(enc), enc
                break
            except (UnicodeDecodeError, LookupError):
                continue
    if source is None:
        source, encoding = decode_html(data)
    text, positions, metadata, parts = extract(source)
    metadata["encoding"] = encoding
    body = parts[0][0] - 1 if parts else len(text)
    return (Document(text, "html", metadata, HtmlLocator(text, source, positions, parts)),
            HtmlSource(source, positions, body))


def visible_offset(page: HtmlSource, source_offset: int) -> int:
    """The offset in the visible body text of the first character at or after `source_offset` in the source
    (the body's offsets only: they rise; the title's and attributes' after it do not)."""
    hi = len(page.positions) if page.body < 0 else page.body
    return bisect_right(page.positions, source_offset - 1, 0, hi) if len(page.positions) else 0


def to_document(fetched: Fetched, kind: str | None = None) -> tuple[Document, HtmlSource | None]:
    """Read a response with errscan's readers (`kind` forces one, as `check --type`). Raises ReadError
    (unreadable, or not a document)."""
    from errscan.readers import ReadError, read

    kind = kind or kind_of(fetched)
    if kind is None:
        raise ReadError(f"不是可检查的文档（{fetched.content_type or '未知类型'}）")
    if kind == "html":
        try:
            return read_html(fetched.data, fetched.charset)
        except ReadError:
            raise
        except (RecursionError, MemoryError):
            raise ReadError("网页结构过深或过大，无法读取，未检查") from None
        except Exception as exc:  # as readers.read: a parser bug on hostile input is an error, not a crash
            raise ReadError(f"网页格式异常，无法读取（{type(exc).__name__}），未检查") from None
    return read(fetched.data, url_name(fetched.final_url), kind), None


def load_url(url: str, kind: str | None = None, *, timeout: float = 15, max_bytes: int = MAX_BYTES) -> Document:
    """`errscan check https://…`: fetch one URL and read it. Raises ReadError with a Chinese message."""
    from errscan.readers import ReadError

    try:
        fetched = fetch(url, timeout=timeout, max_bytes=max_bytes)
    except FetchError as exc:
        raise ReadError(exc.message) from None
    return to_document(fetched, kind)[0]


