"""Segmentation for verification: the mapped blob's cut (errscan/_wordscan.c) against rjieba, same clauses, same
run. Prints figures; asserts nothing.

    python bench/bench_words.py [--shared ../shared] [--rounds 3]

Every clause (a run of two or more ideographs) of ../shared/corpus/clean is cut by each, the best of --rounds
passes timed; rjieba's start (import and first cut, a fresh process) is timed too, and from the two the number of
cuts after which rjieba's start has paid for itself (errscan/words.py SWITCH).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    from errscan.words import blob_cut, words

    w = words()
    if w._blob is None:
        sys.exit("no mapped blob (errscan/_wordscan.c not built)")
    text = "\n".join(p.read_text("utf-8") for p in sorted((a.shared / "corpus" / "clean").rglob("*.txt")))
    clauses = re.findall(r"[\u4e00-\u9fff]{2,}", text)
    import rjieba

    cutters = {"blob": lambda c: blob_cut(w._blob, c), "rjieba": lambda c: rjieba.cut(c, False)}
    best = {}
    for _ in range(a.rounds):
        for name, cut in cutters.items():
            t = time.perf_counter()
            for c in clauses:
                cut(c)
            best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
    code = "import time; t = time.perf_counter(); import rjieba; rjieba.cut('中华人民共和国', False); " \
           "print(time.perf_counter() - t)"
    starts = sorted(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout) for _ in range(5))
    start = starts[2]
    n = len(clauses)
    print(f"{n:,} clauses of the clean corpus ({sum(map(len, clauses)) / n:.1f} characters on average), "
          f"best of {a.rounds}")
    for name, t in best.items():
        print(f"  {name:<7} {t:6.2f} s  {t / n * 1e6:5.2f} µs a clause  ({t / best['rjieba']:.2f}× rjieba)")
    gain = (best["blob"] - best["rjieba"]) / n
    print(f"  rjieba's start (median of 5 fresh processes) {start * 1000:.0f} ms: it pays for itself after "
          f"{start / gain:,.0f} cuts" if gain > 0 else "  the blob is as fast as rjieba")


if __name__ == "__main__":
    main()
