"""Fresh-process answer times of `errscan check` against `import jieba; jieba.initialize()` in the same run.
Prints figures; asserts nothing.

    python bench/bench_startup.py [--runs 9] [--shared ../shared]

Each figure is the median of --runs fresh processes, the commands taking turns so that a busy moment of the
machine falls on all of them alike. The lists' cache is warmed first (a user's second run). Measured:
- the interpreter alone (`python -c pass`: site-packages' start-up files run here too);
- `import jieba; jieba.initialize()`, the yardstick of issue 19;
- rjieba's first cut (its dictionary is built when it is imported);
- `errscan check` on a clean 1 KB draft (target: ≤ 0.07 × jieba's start);
- `errscan check` on a 5,000-character draft with findings: a miswritten country name, a typo of the lists,
  a mobile number and a slip of a set phrase (target: ≤ 0.2 × jieba's start).
Bytecode must be cached for the figures to mean what a user meets (pip compiles it on install): the script
runs the children without PYTHONDONTWRITEBYTECODE and warms them once.
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
PLANTED = ["中华人民大和国", "再接再励", "联系电话13812345678", "贯切落实"]


def drafts(shared: Path) -> tuple[str, str]:
    """(clean ~1 KB, 5,000 characters with the planted slips)."""
    report = shared / "corpus" / "clean" / "national_reports" / "2018.txt"
    if report.is_file():
        text = report.read_text("utf-8")
    else:  # without ../shared: a plain official sentence repeated
        text = "各位代表：现在，我代表国务院，向大会报告政府工作，请予审议，并请全国政协委员提出意见。" * 200
    clean = text[:340]
    body = text[1000:6000]
    parts = [body[i * 1000:(i + 1) * 1000] for i in range(5)]
    draft = "".join(p + (PLANTED[i] if i < len(PLANTED) else "") for i, p in enumerate(parts))
    return clean, draft[:5000]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clean, draft = drafts(args.shared)
        (folder / "clean.txt").write_text(clean, encoding="utf-8")
        (folder / "draft.txt").write_text(draft, encoding="utf-8")
        commands = {
            "python -c pass": [py, "-c", "pass"],
            "jieba.initialize()": [py, "-c", "import logging, jieba; jieba.setLogLevel(logging.ERROR); "
                                               "jieba.initialize()"],
            "rjieba first cut": [py, "-c", "import rjieba; rjieba.cut('中华人民共和国', False)"],
            "check clean 1 KB": [py, "-m", "errscan", "check", "clean.txt"],
            "check 5,000 chars, findings": [py, "-m", "errscan", "check", "draft.txt"],
        }
        for cmd in commands.values():  # bytecode written, lists and jieba's cache built
            subprocess.run(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        found = subprocess.run([*commands["check 5,000 chars, findings"][:-1], "-f", "json", "draft.txt"],
                               cwd=folder, env=env, capture_output=True, text=True).stdout.count('"rule"')
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.runs):
            for label, cmd in commands.items():
                started = time.perf_counter()
                subprocess.run(cmd, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[label].append(time.perf_counter() - started)
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["jieba.initialize()"]
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.runs} fresh processes")
    print(f"the draft with findings has {found} findings")
    for label, value in med.items():
        print(f"{label:30s} {value * 1000:8.1f} ms   {value / base:5.2f} × jieba.initialize()")
    print("targets (issue 19): clean 1 KB ≤ 0.07 ×, 5,000 characters with findings ≤ 0.2 ×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
