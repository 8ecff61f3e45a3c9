"""Fetching from hostile servers on 127.0.0.1 (issue 15): a body dripped a byte at a time ends at the deadline."""

from __future__ import annotations

import http.server
import threading
import time

import pytest

from errscan import fetch


class Drip(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(100_000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the client gave up: what is wanted

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def drip():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_dripping_body_ends_at_the_deadline(drip: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A byte every 50 ms never trips the per-read timeout; the whole body's deadline (here 2 s) still holds,
    checked after every receive rather than after every 64 KiB."""
    monkeypatch.setattr(fetch, "MIN_BODY_SECONDS", 2)
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="下载过慢，已超时"):
        fetch.fetch(drip, timeout=0.5)
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(
    ("url", "addresses", "allowed"),
    [
        ("http://169.254.169.254/latest/meta-data/", None, False),  # the cloud metadata address
        ("http://[fe80::1]/", None, False),
        ("http://[::ffff:169.254.1.1]/", None, False),
        ("http://metadata.google.internal/computeMetadata/v1/", None, False),
        ("http://Metadata.Google.Internal./", None, False),
        ("http://evil.example/", ["169.254.169.254"], False),  # a name that resolves there
        ("http://www.gov.cn/", ["203.119.25.1", "fe80::2%eth0"], False),
        ("http://www.gov.cn/", ["203.119.25.1"], True),
        ("http://127.0.0.1:8080/a", None, True),
        ("https://10.1.2.3/", None, True),  # an intranet portal is where offices publish drafts
    ],
)
def test_redirect_address_policy(url: str, addresses: list[str] | None, allowed: bool) -> None:
    def resolve(host: str) -> list[str]:
        assert addresses is not None, f"{host} needs no look-up"
        return addresses

    assert fetch.redirect_allowed(url, resolve) is allowed


class ToMetadata(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirect_to_the_metadata_address_is_refused() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ToMetadata)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(fetch.FetchError, match=r"重定向到链路本地或云元数据地址（http://169\.254\.169\.254/"):
            fetch.fetch(f"http://127.0.0.1:{server.server_address[1]}/", timeout=2)
    finally:
        server.shutdown()
        server.server_close()


class DripHeaders(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10_000:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


def test_dripping_headers_end_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The status line and headers a byte every 50 ms: no single read times out, the whole request's deadline
    (here 2 s) still ends it, with the clerk's message."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DripHeaders)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(fetch, "MIN_BODY_SECONDS", 2)
    try:
        started = time.monotonic()
        with pytest.raises(fetch.FetchError, match="下载过慢，已超时"):
            fetch.fetch(f"http://127.0.0.1:{server.server_address[1]}/", timeout=0.5)
        assert time.monotonic() - started < 6
    finally:
        server.shutdown()
        server.server_close()
