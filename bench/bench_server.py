"""Latency and throughput of `errscan serve` (POST /v1/check). Prints figures; asserts nothing.

    python bench/bench_server.py [--requests 3000] [--concurrency 8] [--workers 1 2] [--chars 5000]
    python bench/bench_server.py --abuse [--requests 10000] [--concurrency 16]

Starts a real server (errscan.server.serve, built-in lists) on a free 127.0.0.1 port for each worker count,
then drives it with a small asyncio load generator in this process: `concurrency` keep-alive HTTP/1.1
connections, each sending the next request as soon as its previous answer is in (closed loop). The body is
a 5,000-character page of the clean official corpus (../shared/corpus, or generated text without it) with a
miswritten word and a mobile number planted, so every answer carries findings and runs jieba and the
privacy detector. Reports p50/p90/p99 latency and requests/s after a warm-up.

`--abuse`: one server (2 workers, a 2 s time limit, a 4 MB body limit, a reload token) under a mix of valid
pages (80%), malformed JSON, bodies that are not UTF-8, bodies over the limit (413, connection closed), uploads of
a .docx whose zip headers lie about a 64 MB member, 3 MB texts dense with matches (over the time limit: 503) and
reloads, each request on a connection of its own. Reports the status codes, the connection errors (the goal: 0
outside the 413 close), p50/p99 of the valid pages, and the server's memory (main process and workers) before
and after.

The load generator shares the machine's cores with the server: on 2 cores it takes a good part of one, so
the figures are a floor for what the server does on a machine of its own. Only 127.0.0.1 is contacted;
every loop is bounded in requests and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "clean" / "national_reports"
HOST = "127.0.0.1"


def page(chars: int) -> str:
    source = CORPUS / "2015.txt"
    if source.exists():
        text = source.read_text(encoding="utf-8")
    else:
        text = "各级政府要坚持以人民为中心的发展思想，深化改革，扩大开放，推动高质量发展。\n" * (chars // 30 + 1)
    while len(text) < chars:
        text += text
    planted = "我们要再接再励，咨询电话13912345678。"
    body = text[: chars // 2] + planted + text[chars // 2 :]
    return body[:chars]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]  # type: ignore[no-any-return]


def start(port: int, workers: int, access_log: bool, extra: str = "") -> subprocess.Popen[bytes]:
    """A server in a child process, once its /healthz answers. extra: more keyword arguments of serve()."""
    code = (
        "from errscan.server import serve; "
        f"serve({HOST!r}, {port}, {workers}, access_log={access_log}{extra})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy: loopback only
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with opener.open(f"http://{HOST}:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


async def client(port: int, request: bytes, count: list[int], latencies: list[float], deadline: float) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while count[0] > 0 and time.monotonic() < deadline:
            count[0] -= 1
            t = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"HTTP {status}")
    finally:
        writer.close()


async def load(port: int, body: bytes, requests: int, concurrency: int, seconds: float) -> tuple[list[float], float]:
    request = (
        f"POST /v1/check HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    count = [requests]
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(port, request, count, latencies, deadline) for _ in range(concurrency)))
    return latencies, time.perf_counter() - started


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def lying_docx(extra: int) -> bytes:
    """A minimal .docx whose document.xml inflates to `extra` bytes more than its headers declare."""
    import io
    import struct
    import zipfile

    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.'
           b'openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body>'
           b'</w:document>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr("word/document.xml", xml + b" " * extra)
    data = bytearray(out.getvalue())
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        at = data.find(sig)
        while at >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if bytes(data[at + name_at : at + name_at + n]) == b"word/document.xml":
                struct.pack_into("<I", data, at + size_at, len(xml))
            at = data.find(sig, at + 4)
    return bytes(data)


def abuse_requests(port: int, page_body: bytes, token: str) -> list[tuple[str, bytes]]:
    """(kind, raw HTTP request) for each kind of the mix; each closes its connection."""
    def post(path: str, body: bytes, ctype: str, extra: str = "") -> bytes:
        return (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: {ctype}\r\n{extra}"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body

    boundary = "errscanbench"
    upload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bomb.docx\"\r\n"
              "Content-Type: application/octet-stream\r\n\r\n").encode() + lying_docx(64 << 20) + (
              f"\r\n--{boundary}--\r\n").encode()
    dense = json.dumps({"text": "再接再励，" * 200_000}, ensure_ascii=False).encode()  # 3 MB of UTF-8
    return [
        ("valid", post("/v1/check", page_body, "application/json")),
        ("malformed", post("/v1/check", b'{"text": "unfinished', "application/json")),
        ("not utf-8", post("/v1/check", '{"text": "再接再励"}'.encode("gbk"), "application/json")),
        ("oversized", post("/v1/check", b'{"text": "' + b"x" * (5 << 20) + b'"}', "application/json")),
        ("bomb upload", post("/v1/check/file", upload, f"multipart/form-data; boundary={boundary}")),
        ("dense 3 MB", post("/v1/check", dense, "application/json")),
        ("reload", post("/v1/reload", b"", "application/json", f"Authorization: Bearer {token}\r\n")),
    ]


MIX = {"valid": 800, "malformed": 40, "not utf-8": 40, "oversized": 30, "bomb upload": 40, "dense 3 MB": 40,
       "reload": 10}  # per 1,000 requests


async def one(port: int, request: bytes) -> tuple[int | None, float]:
    """Send one request on a connection of its own: (status, or None for a connection error; seconds)."""
    t = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            writer.write(request)
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # a 413 may close the connection before the body is sent: read its answer anyway
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
        await asyncio.wait_for(reader.read(), 60)
        writer.close()
        return int(head.split(b" ", 2)[1]), time.perf_counter() - t
    except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
        return None, time.perf_counter() - t


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), MB, from /proc."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(x) for x in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


async def abuse(port: int, kinds: list[tuple[str, bytes]], requests: int, concurrency: int, seconds: float,
                mix: dict[str, int] = MIX):  # type: ignore[no-untyped-def]
    import random
    from collections import Counter

    rng = random.Random(1)
    by_kind = dict(kinds)
    plan = [k for k, n in mix.items() for _ in range(n)]
    order = [plan[rng.randrange(len(plan))] for _ in range(requests)]
    statuses: Counter[tuple[str, int | None]] = Counter()
    valid_ms: list[float] = []
    queue = list(reversed(order))
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while queue and time.monotonic() < deadline:
            kind = queue.pop()
            status, took = await one(port, by_kind[kind])
            statuses[(kind, status)] += 1
            if kind == "valid" and status == 200:
                valid_ms.append(took * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses, sorted(valid_ms), time.perf_counter() - started


def run_abuse(args: argparse.Namespace, body: bytes) -> None:
    port, token = free_port(), "bench-token"
    proc = start(port, 2, False, f", max_body=4 << 20, time_limit=2.0, reload_token={token!r}")
    try:
        kinds = abuse_requests(port, body, token)
        asyncio.run(abuse(port, kinds, 100, 4, 60, {"valid": 1}))  # warm-up: valid pages only
        before = rss_mb(proc.pid)
        statuses, ms, elapsed = asyncio.run(abuse(port, kinds, args.requests, args.concurrency, args.seconds))
        time.sleep(3)
        after = rss_mb(proc.pid)
    finally:
        stop(proc)
    total = sum(statuses.values())
    print(f"abuse mix: {total} requests in {elapsed:.1f} s at concurrency {args.concurrency}, 2 workers, "
          f"{os.cpu_count()} cores")
    for kind in MIX:
        got = {s: n for (k, s), n in sorted(statuses.items(), key=str) if k == kind}
        print(f"  {kind:<12} " + ", ".join(f"{'connection error' if s is None else s}: {n}" for s, n in got.items()))
    errors = sum(n for (k, s), n in statuses.items() if s is None and k != "oversized")
    print(f"  connection errors outside the 413 close: {errors}")
    if ms:
        print(f"  valid pages: p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms")
    print(f"  server memory (main + workers): {before:.0f} MB before, {after:.0f} MB after")


def pct(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(p / 100 * (len(sorted_ms) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--chars", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=60, help="upper bound per run")
    ap.add_argument("--access-log", action="store_true", help="uvicorn's access log on (off by default)")
    ap.add_argument("--abuse", action="store_true", help="the abuse mix instead (see above)")
    args = ap.parse_args()

    text = page(args.chars)
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    if args.abuse:
        if args.concurrency == 8 and "--concurrency" not in sys.argv:
            args.concurrency = 16
        if args.seconds == 60 and "--seconds" not in sys.argv:
            args.seconds = 1800
        if "--requests" not in sys.argv:
            args.requests = 10_000
        run_abuse(args, body)
        return
    print(f"page: {len(text)} characters, {len(body)} bytes of JSON; concurrency {args.concurrency}; "
          f"{os.cpu_count()} cores; access log {'on' if args.access_log else 'off'}")
    for workers in args.workers:
        port = free_port()
        proc = start(port, workers, access_log=args.access_log)
        try:
            asyncio.run(load(port, body, args.warmup, args.concurrency, args.seconds))
            latencies, elapsed = asyncio.run(load(port, body, args.requests, args.concurrency, args.seconds))
        finally:
            stop(proc)
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"workers {workers}: {len(ms)} requests in {elapsed:.1f} s = {len(ms) / elapsed:.0f} req/s; "
            f"latency p50 {pct(ms, 50):.1f} ms, p90 {pct(ms, 90):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
            f"mean {statistics.fmean(ms):.1f} ms"
        )


if __name__ == "__main__":
    main()
