"""Latency and throughput of `errscan serve` (POST /v1/check). Prints figures; asserts nothing.

    python bench/bench_server.py [--requests 3000] [--concurrency 8] [--workers 1 2] [--chars 5000]

Starts a real server (errscan.server.serve, built-in lists) on a free 127.0.0.1 port for each worker count,
then drives it with a small asyncio load generator in this process: `concurrency` keep-alive HTTP/1.1
connections, each sending the next request as soon as its previous answer is in (closed loop). The body is
a 5,000-character page of the clean official corpus (../shared/corpus, or generated text without it) with a
miswritten word and a mobile number planted, so every answer carries findings and runs jieba and the
privacy detector. Reports p50/p90/p99 latency and requests/s after a warm-up.

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


def start(port: int, workers: int, access_log: bool) -> subprocess.Popen[bytes]:
    code = (
        "from errscan.server import serve; "
        f"serve({HOST!r}, {port}, {workers}, access_log={access_log})"
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
    args = ap.parse_args()

    text = page(args.chars)
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    print(f"page: {len(text)} characters, {len(body)} bytes of JSON; concurrency {args.concurrency}; "
          f"{os.cpu_count()} cores; access log {'on' if args.access_log else 'off'}")
    for workers in args.workers:
        port = free_port()
        proc = start(port, workers, access_log=args.access_log)
        try:
            asyncio.run(load(port, body, args.warmup, args.concurrency, args.seconds))
            latencies, elapsed = asyncio.run(load(port, body, args.requests, args.concurrency, args.seconds))
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"workers {workers}: {len(ms)} requests in {elapsed:.1f} s = {len(ms) / elapsed:.0f} req/s; "
            f"latency p50 {pct(ms, 50):.1f} ms, p90 {pct(ms, 90):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
            f"mean {statistics.fmean(ms):.1f} ms"
        )


if __name__ == "__main__":
    main()
