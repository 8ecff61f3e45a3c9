"""errscan.fuzzy on the ECSpell official-document training split (../shared/data/dev/ecspell_odw_train.tsv).

Columns: flag, sentence as written, corrected sentence. Prints sentence-level detection recall on the sentences
with an error, the share of first suggestions that restore the corrected text at the flagged place, and false
alarms on the corrected sentences; then scan speed on the clean corpus repeated to a few MB. Measurement only:
the file is never used to build lists.

    python bench/bench_fuzzy_dev.py [--shared ../shared] [--mb 4]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from errscan import fuzzy

ROOT = Path(__file__).resolve().parent.parent


def dev(path: Path) -> None:
    rows = []
    for line in path.read_text("utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) == 3 and cols[1] != cols[2]:
            rows.append((cols[1], cols[2]))
        elif len(cols) == 3:
            rows.append((cols[1], None))
    wrong = [(w, c) for w, c in rows if c is not None]
    detected = restored = 0
    by_sev: Counter[int] = Counter()
    for written, corrected in wrong:
        found = fuzzy.find(written)
        if not found:
            continue
        detected += 1
        first = found[0]
        by_sev[int(first.severity)] += 1
        fixed = written[: first.start] + first.suggest + written[first.end :]
        if len(fixed) == len(corrected) and fixed[first.start : first.start + len(first.suggest)] == corrected[
            first.start : first.start + len(first.suggest)
        ]:
            restored += 1
    clean = [c for _, c in wrong] + [w for w, c in rows if c is None]
    alarms = sum(1 for s in clean if fuzzy.find(s))
    alarms_warn = sum(1 for s in clean if any(n.severity >= 2 for n in fuzzy.find(s)))
    print(f"dev: {len(rows)} sentences, {len(wrong)} with an error")
    print(f"  detection recall (sentences with a finding): {detected}/{len(wrong)} = {detected / len(wrong):.1%}")
    print(f"  first suggestion restores the corrected text: {restored}/{max(detected, 1)} = "
          f"{restored / max(detected, 1):.1%} of detections; first finding by severity {dict(by_sev)}")
    print(f"  false alarms on correct sentences: {alarms}/{len(clean)} = {alarms / len(clean):.2%} "
          f"(warning or above: {alarms_warn})")


def speed(shared: Path, mb: float) -> None:
    files = sorted((shared / "corpus" / "clean").rglob("*.txt"))
    base = "\n".join(p.read_text("utf-8") for p in files)
    size = len(base.encode("utf-8"))
    text = base * max(1, round(mb * 1e6 / size))
    nbytes = len(text.encode("utf-8"))
    fuzzy.find("中国共产常")  # index and jieba loaded
    start = time.perf_counter()
    cands = fuzzy.candidates(text)
    mid = time.perf_counter()
    found = fuzzy.find(text)
    end = time.perf_counter()
    print(f"speed on {nbytes / 1e6:.1f} MB (clean corpus repeated): candidates {nbytes / 1e6 / (mid - start):.1f} MB/s "
          f"({len(cands)} candidates), find {nbytes / 1e6 / (end - mid):.1f} MB/s ({len(found)} findings)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--mb", type=float, default=4.0)
    args = parser.parse_args()
    start = time.perf_counter()
    fuzzy.index()
    print(f"index ready in {time.perf_counter() - start:.2f} s")
    dev(args.shared / "data" / "dev" / "ecspell_odw_train.tsv")
    speed(args.shared, args.mb)


if __name__ == "__main__":
    main()
