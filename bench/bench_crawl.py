"""Crawl speed: the 60 gov.cn pages of ../shared/corpus/html/state_council served on 127.0.0.1, crawled and
scanned with the built-in lists (delay 0). Prints fetch+read time alone, then with scanning.

    python bench/bench_crawl.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import http.server
import resource
import tempfile
import threading
import time
from pathlib import Path

from errscan import Scanner
from errscan.crawl import crawl, run_crawl

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "html" / "state_council"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pages = sorted(CORPUS.glob("*.html"))
        links = "".join(f'<li><a href="{p.name}">{p.stem}</a></li>\n' for p in pages)
        (root / "index.html").write_text(f'<meta charset="utf-8"><ul>\n{links}</ul>\n', encoding="utf-8")
        size = sum(p.stat().st_size for p in pages)
        for p in pages:
            (root / p.name).write_bytes(p.read_bytes())
        server, base = serve(root)
        scanner = Scanner()
        scanner.scan_text("再接再励")  # lists compiled and jieba loaded before timing
        try:
            for label, run in (
                ("fetch + read", lambda: crawl(base + "/index.html", depth=1, delay=0, on_page=lambda u, d: None)),
                ("fetch + read + scan", lambda: run_crawl(base + "/index.html", scanner, depth=1, delay=0,
                                                          progress=False)),
            ):
                best = min(_timed(run) for _ in range(args.repeat))
                n = len(pages) + 1
                print(f"{label:22s} {n} pages, {size / 1e6:.1f} MB: {best:.2f} s, {n / best:.0f} pages/s")
        finally:
            server.shutdown()
            server.server_close()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def _timed(run) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
