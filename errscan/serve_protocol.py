"""uvicorn's HTTP protocol for `errscan serve`, with a deadline for each request's head.

uvicorn closes an idle keep-alive connection, but a client that opens a connection and sends its request line
and headers a byte at a time holds it (and a file descriptor) for as long as it likes. Here a request's head
must be complete within HEAD_SECONDS of the connection's start, or of the previous response; otherwise the
connection is closed. (The body has its own deadline: server.BODY_SECONDS.) The parser is uvicorn's own choice
(httptools if installed, else h11): both start a request-response `cycle` once a head is complete.

`serve` names this class to uvicorn by its import string, so its workers (spawned processes) load it too.
"""

from __future__ import annotations

import asyncio
import json
import os

from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["HEAD_SECONDS", "HeadTimedProtocol"]

HEAD_SECONDS = 20.0  # for a request line and headers (a few hundred bytes; nginx allows 60 s, Apache 20-40 s)
CONFIG_ENV = "ERRSCAN_SERVE_CONFIG"  # server.CONFIG_ENV: `serve` may set "head_seconds" there


def _seconds() -> float:
    try:
        return float(json.loads(os.environ.get(CONFIG_ENV) or "{}").get("head_seconds", HEAD_SECONDS))
    except (ValueError, TypeError, AttributeError):
        return HEAD_SECONDS


class HeadTimedProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """A connection waiting for a request's head is closed when HEAD_SECONDS pass without it."""

    head_seconds = _seconds()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._head_seen()

    def on_response_complete(self) -> None:
        self._await_head()  # the next request's head, from now (a pipelined one may be complete already)
        super().on_response_complete()
        self._head_seen()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_timer()
        self._waiting_since = self.cycle  # a new cycle means a complete head
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_overdue)

    def _head_seen(self) -> None:
        if self._head_timer is not None and self.cycle is not self._waiting_since:
            self._cancel_head_timer()

    def _cancel_head_timer(self) -> None:
        timer = getattr(self, "_head_timer", None)
        if timer is not None:
            timer.cancel()
            self._head_timer = None

    def _head_overdue(self) -> None:
        self._head_timer = None
        if self.cycle is self._waiting_since and not self.transport.is_closing():
            self.transport.close()  # like nginx's client_header_timeout: nothing was asked, nothing is answered
