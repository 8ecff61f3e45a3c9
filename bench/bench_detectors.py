"""Time and peak memory of `errscan check` with the detectors on and off, in one run. Prints figures; asserts
nothing.

    python bench/bench_detectors.py [--shared ../shared] [--mb 22] [--starts 8] [--text clean|laws]

1. `errscan check -f json` end to end on about --mb MB, with fuzzy and lm off, each alone, and both on (the
   default); time and peak RSS of the process. The text: the clean corpus (../shared/corpus/clean, 2.8 MB)
   repeated (--text clean: from the second copy on, the per-clause caches answer much of it), or the first --mb
   MB of ../shared/data/lm-corpus/laws_lawrefbook.txt, nothing repeated (--text laws: the model's own training
   text, so its search stops early more often than on a draft).
2. Start-up: a clean 1 KB excerpt of the same corpus, the median of --starts runs, both detectors off and on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETTINGS = {
    "lists only": "fuzzy: false\nlm: false\n",
    "fuzzy on": "lm: false\n",
    "lm on": "fuzzy: false\n",
    "both on (default)": "",
}


def run(folder: Path, name: str) -> float:
    """Seconds of one `errscan check` in folder."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "errscan", "check", "-f", "json", name], cwd=folder,
        stdout=subprocess.DEVNULL, check=False,
    )
    return time.perf_counter() - started


def peak_of(folder: Path, name: str) -> tuple[float, int]:
    """Seconds and peak RSS (KB) of one `errscan check`, from a fresh child (ru_maxrss of children is a running
    maximum, so each measurement needs its own parent)."""
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"subprocess.run([sys.executable, '-m', 'errscan', 'check', '-f', 'json', {name!r}],"
        " stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, check=True)
    took, peak = out.stdout.split()
    return float(took), int(peak)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--mb", type=float, default=22.0)
    ap.add_argument("--starts", type=int, default=8)
    ap.add_argument("--text", choices=("clean", "laws"), default="clean")
    a = ap.parse_args()
    base = "\n".join(p.read_text("utf-8") for p in sorted((a.shared / "corpus" / "clean").rglob("*.txt")))
    if a.text == "laws":
        with open(a.shared / "data" / "lm-corpus" / "laws_lawrefbook.txt", "rb") as fh:
            big = fh.read(int(a.mb * 1e6)).decode("utf-8", "ignore")
    else:
        big = (base + "\n") * max(1, round(a.mb * 1e6 / len(base.encode("utf-8"))))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "big.txt").write_text(big, "utf-8")
        (folder / "small.txt").write_text(base[5000:5350], "utf-8")
        size = (folder / "big.txt").stat().st_size
        print(f"{size / 1e6:.1f} MB of {'the clean corpus, repeated' if a.text == 'clean' else 'laws, not repeated'}, "
              f"`errscan check -f json` (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
        first = None
        for label, yaml in SETTINGS.items():
            (folder / ".errscan.yaml").write_text(yaml, "utf-8")
            run(folder, "small.txt")  # caches built outside the timing
            took, peak = peak_of(folder, "big.txt")
            first = first or took
            print(f"  {label:<18} {took:7.2f} s ({took / first:4.1f}×)  peak {peak / 1024:5.0f} MB")
        print(f"start-up, clean 1 KB file, median of {a.starts}:")
        for label in ("lists only", "both on (default)"):
            (folder / ".errscan.yaml").write_text(SETTINGS[label], "utf-8")
            got = [run(folder, "small.txt") for _ in range(a.starts)]
            print(f"  {label:<18} {statistics.median(got) * 1000:5.0f} ms")
        got = []
        for _ in range(a.starts):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import jieba; jieba.setLogLevel(60); jieba.initialize()"],
                           check=True, capture_output=True)
            got.append(time.perf_counter() - t)
        print(f"  {'jieba.initialize()':<18} {statistics.median(got) * 1000:5.0f} ms (for the ratio)")


if __name__ == "__main__":
    main()
