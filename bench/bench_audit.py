"""errscan audit on a generated archive: files/s and MB/s with -j 1 and -j 2, peak memory per worker, a second
(incremental) run, and the Dask LocalCluster against the process pool.

    python bench/bench_audit.py            # small: ~40 MB in ~4,000 files (a few minutes on 2 shared cores)
    python bench/bench_audit.py --full     # the issue's size: ~200 MB in 20,000 files
    python bench/bench_audit.py --mb 80 --files 8000 --no-dask
    python bench/bench_audit.py --full --error-rate 0.0002   # findings about as rare as on a real site

Each run is a child process, so its own peak memory (and its workers') is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ERRORS = ["再接再励", "中华人名共和国", "全国人大常委会委员长", "按装", "联系电话13812345678"]
DEPTS = ["办公室", "财务处", "人事处", "宣传部", "法规科", "信息中心", "档案室", "后勤处"]


def words() -> list[str]:
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    with open(path, encoding="utf-8") as fh:
        return [line.split()[0] for line, _ in zip(fh, range(60000), strict=False) if len(line.split()[0]) > 1]


def sentence(rng: random.Random, vocab: list[str]) -> str:
    return "".join(rng.choice(vocab) for _ in range(rng.randint(6, 16))) + rng.choice("，。；。！")


def make_archive(root: Path, total_mb: float, files: int, seed: int = 7, error_rate: float = 0.02) -> int:
    """Mixed sizes (mostly a few KB, some hundreds of KB), one in five HTML; by default one error per ~8 KB."""
    rng, vocab = random.Random(seed), words()
    mean = total_mb * 1048576 / files
    written = 0
    for i in range(files):
        size = int(min(rng.lognormvariate(0, 1.0) * mean / 1.65, mean * 60))
        parts, n = [], 0
        while n < size:
            s = sentence(rng, vocab)
            if rng.random() < error_rate:
                s = rng.choice(ERRORS) + s
            parts.append(s)
            n += len(s.encode("utf-8"))
            if rng.random() < 0.1:
                parts.append("\n")
        body = "".join(parts)
        year = rng.randint(2015, 2025)
        dept = DEPTS[i % len(DEPTS)]
        folder = root / dept / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        if i % 5 == 0:
            paras = "".join(f"<p>{p}</p>" for p in body.split("\n"))
            data = (f"<html><head><title>通知{i}</title></head><body><div>{year}年{rng.randint(1, 12)}月"
                    f"{rng.randint(1, 28)}日</div>{paras}</body></html>")
            path = folder / f"page{i:06d}.html"
        else:
            data = f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日\n" + body
            path = folder / f"doc{i:06d}.txt"
        path.write_text(data, encoding="utf-8")
        written += len(data.encode("utf-8"))
    return written


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from errscan.audit import AuditOptions, audit
args = json.loads(sys.argv[1])
t = time.perf_counter()
s = audit([args["arc"]], AuditOptions(out=Path(args["out"]), jobs=args["jobs"], engine=args["engine"],
          reuse=args["reuse"], progress=False))
wall = time.perf_counter() - t
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "files": s["files"], "bytes": s["bytes"], "findings": s["findings"],
                  "reused": s["reused"], "rescanned": s["rescanned"], "self_mb": self_kb / 1024,
                  "child_mb": child_kb / 1024}))
"""


def run(arc: Path, out: Path, jobs: int, engine: str = "process", reuse: bool = True) -> dict[str, float]:
    args = json.dumps({"arc": str(arc), "out": str(out), "jobs": jobs, "engine": engine, "reuse": reuse})
    done = subprocess.run([sys.executable, "-c", CHILD, args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def line(label: str, r: dict[str, float]) -> str:
    mb = r["bytes"] / 1048576
    return (f"{label:<34} {r['wall']:7.2f} s  {r['files'] / r['wall']:8.0f} files/s  {mb / r['wall']:6.2f} MB/s  "
            f"reused {r['reused']:>6}  rescanned {r['rescanned']:>6}  findings {r['findings']}  "
            f"peak main {r['self_mb']:.0f} MB, worker {r['child_mb']:.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--full", action="store_true", help="200 MB in 20,000 files")
    ap.add_argument("--mb", type=float, default=40)
    ap.add_argument("--files", type=int, default=4000)
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--keep", help="generate into (and keep) this folder")
    ap.add_argument("--error-rate", type=float, default=0.02,
                    help="share of sentences with a planted error (0.02: ~8 KB apart; 0.0002: closer to a real site)")
    a = ap.parse_args()
    if a.full:
        a.mb, a.files = 200, 20000
    base = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="errscan-bench-audit-"))
    arc = base / "archive"
    os.environ.setdefault("ERRSCAN_CACHE_DIR", str(base / "lexcache"))
    if not arc.exists():
        t = time.perf_counter()
        size = make_archive(arc, a.mb, a.files, error_rate=a.error_rate)
        print(f"archive: {a.files} files, {size / 1048576:.1f} MB, generated in {time.perf_counter() - t:.1f} s")
    for old in ("j1", "j2", "dask"):  # a kept archive's earlier outputs and caches: every run starts afresh
        shutil.rmtree(base / old, ignore_errors=True)
    run(arc, base / "warm", 1)  # compile the lists once into the lexicon cache (not timed)
    j1 = run(arc, base / "j1", 1, reuse=False)
    print(line("-j 1 (in process), full scan", j1))
    j2 = run(arc, base / "j2", 2, reuse=False)
    print(line("-j 2 (process pool), full scan", j2))
    again = run(arc, base / "j2", 2)
    print(line("-j 2, second run (incremental)", again))
    print(f"speed-up -j 2 / -j 1: {j1['wall'] / j2['wall']:.2f}x (target >= 1.8x); "
          f"incremental: {j2['wall'] / again['wall']:.1f}x faster (target >= 20x)")
    cache = base / "j2" / "audit-cache.sqlite"
    print(f"cache: {cache.stat().st_size / 1048576:.0f} MB")
    edited = sorted(arc.rglob("*.*"))[::100]  # 1% of the files, spread over the archive: most groups touched
    for path in edited:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("按装了新设备。")
    third = run(arc, base / "j2", 2)
    print(line(f"-j 2, after editing {len(edited)} files", third))
    for path in edited:  # put the archive back as it was (a kept archive is reused by the next run)
        data = path.read_bytes()
        path.write_bytes(data[: -len("按装了新设备。".encode())])
    if not a.no_dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("dask: not installed (pip install 'errscan[dask]')")
        else:
            dk = run(arc, base / "dask", 2, engine="dask", reuse=False)
            print(line("dask LocalCluster, 2 workers", dk))
            print(f"dask / pool wall time: {dk['wall'] / j2['wall']:.2f}")


if __name__ == "__main__":
    main()
