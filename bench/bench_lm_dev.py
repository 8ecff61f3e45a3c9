"""Figures for the statistical slip detector (errscan/lm.py). Prints figures; asserts nothing.

    python bench/bench_lm_dev.py [--shared ../shared] [--mb 5] [--show 0]

1. The dev set (../shared/data/dev/ecspell_odw_train.tsv: flag, as written, corrected; ECSpell's training split
   of the official-document domain, used for measuring only): share of erroneous sentences flagged, share where
   the first suggestions restore the corrected sentence exactly, share where every suspect is a real slip with
   the right suggestion; false alarms on the corrected sentences (any severity, warning and above). The same
   figures for the sentences none of whose clauses (8+ characters) occur verbatim in the model's corpus.
2. The clean corpus (../shared/corpus/clean: national_reports 1978–2018, not in the model's corpus, and
   state_council_docs): suspects per 100,000 characters, any severity and warning and above.
3. Model load time (first use, in a fresh process), throughput in MB/s on the clean corpus and on
   bench_scan's word salad, and peak memory.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from errscan import lm  # noqa: E402

SPLIT = re.compile(r"[\s，。；：、！？（）《》“”‘’\"'(),.;:!?]+")


def corpus_clauses(shared: Path) -> set[str]:
    """Clauses of 8+ characters of the model's corpus, to tell dev sentences the model has seen."""
    out: set[str] = set()
    for name in ("laws_lawrefbook.txt", "gov_work_reports_cpc_congress_wikisource.txt"):
        text = (shared / "data" / "lm-corpus" / name).read_text(encoding="utf-8")
        out.update(x for x in SPLIT.split(text) if len(x) >= 8)
    return out


def dev_figures(shared: Path, show: int) -> None:
    rows = []
    with open(shared / "data" / "dev" / "ecspell_odw_train.tsv", encoding="utf-8") as fh:
        for line in fh:
            _flag, wrong, right = line.rstrip("\n").split("\t")
            rows.append((wrong, right))
    seen = corpus_clauses(shared)
    stats = {k: dict.fromkeys(("n", "err", "flagged", "restored", "all_right", "fa", "fa_warn", "suspects",
                                "right"), 0) for k in ("all", "unseen")}
    shown = 0
    t0 = time.perf_counter()
    chars = 0
    for wrong, right in rows:
        chars += len(wrong) + len(right)
        groups = ["all"]
        if not any(x in seen for x in SPLIT.split(right) if len(x) >= 8):
            groups.append("unseen")
        found_wrong = lm.detect(wrong)
        found_right = lm.detect(right)
        for g in groups:
            st = stats[g]
            st["n"] += 1
            st["fa"] += bool(found_right)
            st["fa_warn"] += any(s.severity >= 2 for s in found_right)
            if wrong != right and len(wrong) == len(right):
                st["err"] += 1
                st["flagged"] += bool(found_wrong)
                fixed = list(wrong)
                for s in found_wrong:
                    fixed[s.start] = s.suggestion
                st["restored"] += "".join(fixed) == right
                good = [s for s in found_wrong if wrong[s.start] != right[s.start] and right[s.start] == s.suggestion]
                st["suspects"] += len(found_wrong)
                st["right"] += len(good)
                st["all_right"] += bool(found_wrong) and len(good) == len(found_wrong)
        if show and shown < show and found_right:
            shown += 1
            print("  false alarm:", right, [(s.text, s.suggestion, s.score) for s in found_right])
    elapsed = time.perf_counter() - t0
    for g, st in stats.items():
        e, n = max(st["err"], 1), max(st["n"], 1)
        label = "dev, all sentences" if g == "all" else "dev, sentences unseen by the model"
        print(f"{label}: {st['n']} sentences, {st['err']} with a slip")
        print(f"  erroneous sentences flagged            {st['flagged'] / e:6.1%}")
        print(f"  first suggestions restore the sentence {st['restored'] / e:6.1%}")
        print(f"  every suspect right (and one at least) {st['all_right'] / e:6.1%}")
        print(f"  suspects that are right                {st['right'] / max(st['suspects'], 1):6.1%}"
              f" ({st['right']}/{st['suspects']})")
        print(f"  corrected sentences flagged, any       {st['fa'] / n:6.2%} ({st['fa']})")
        print(f"  corrected sentences flagged, warning+  {st['fa_warn'] / n:6.2%} ({st['fa_warn']})")
    print(f"  dev time {elapsed:.2f} s for {chars:,} characters")


def clean_texts(shared: Path) -> list[tuple[Path, str]]:
    root = shared / "corpus" / "clean"
    paths = sorted((root / "national_reports").glob("*.txt")) + sorted((root / "state_council_docs").glob("*.txt"))
    return [(p, p.read_text(encoding="utf-8")) for p in paths]


def clean_figures(shared: Path, show: int) -> None:
    texts = clean_texts(shared)
    n = sum(len(t) for _, t in texts)
    found: list[tuple[Path, str, lm.Suspect]] = []
    t0 = time.perf_counter()
    for p, t in texts:
        found += [(p, t, s) for s in lm.detect(t)]
    elapsed = time.perf_counter() - t0
    mb = sum(len(t.encode("utf-8")) for _, t in texts) / 1e6
    warn = [f for f in found if f[2].severity >= 2]
    print(f"clean corpus: {len(texts)} files, {n:,} characters")
    print(f"  suspects per 100k characters, any      {len(found) / n * 1e5:6.2f} ({len(found)})")
    print(f"  suspects per 100k characters, warning+ {len(warn) / n * 1e5:6.2f} ({len(warn)})")
    print(f"  throughput {mb / elapsed:.2f} MB/s ({n / elapsed / 1e6:.2f} M chars/s)")
    for p, t, s in found[:show]:
        print(f"  {p.parent.name}/{p.name}: {t[max(0, s.start - 8) : s.start]}[{s.text}]{t[s.end : s.end + 8]}"
              f" -> {s.suggestion} {s.score} sev {s.severity}")


def salad_figures(mb: float) -> None:
    import random

    sys.path.insert(0, str(REPO / "bench"))
    import bench_scan

    rng = random.Random(7)
    words = bench_scan.dictionary()
    text = bench_scan.make_text(words, bench_scan.make_entries(words, 10000, rng), mb, rng)
    size = len(text.encode("utf-8")) / 1e6
    t0 = time.perf_counter()
    found = lm.detect(text)
    elapsed = time.perf_counter() - t0
    print(f"word salad (bench_scan's text): {size:.1f} MB, {len(text):,} characters, {len(found)} suspects")
    print(f"  throughput {size / elapsed:.2f} MB/s, {elapsed:.2f} s")


def load_time() -> None:
    """In fresh processes: importing errscan.lm (errscan itself already imported), mapping the model, and the
    first detect() on a clean 1 KB official text (all lazy tables made on first use)."""
    clean = ("国务院关于印发《国家职业教育改革实施方案》的通知。"
             "各省、自治区、直辖市人民政府，国务院各部委、各直属机构："
             "现将《国家职业教育改革实施方案》印发给你们，请认真贯彻执行。职业教育与普通教育是两种不同教育类型，"
             "具有同等重要地位。改革开放以来，职业教育为我国经济社会发展提供了有力的人才和智力支撑，现代职业教育"
             "体系框架全面建成，服务经济社会发展能力和社会吸引力不断增强，具备了基本实现现代化的诸多有利条件和"
             "良好工作基础。随着我国进入新的发展阶段，产业升级和经济结构调整不断加快，各行各业对技术技能人才的需求"
             "越来越紧迫，职业教育重要地位和作用越来越凸显。")
    code = ("import time, errscan; t0 = time.perf_counter(); from errscan import lm; t1 = time.perf_counter(); "
            "m = lm.model(); t2 = time.perf_counter(); lm.detect(TEXT); t3 = time.perf_counter(); "
            "print(f'{(t1 - t0) * 1e3:.1f} {(t2 - t1) * 1e3:.1f} {(t3 - t2) * 1e3:.1f} {m.size / 1e6:.2f}')")
    code = code.replace("TEXT", repr(clean))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(7)]
    med = [sorted(float(r[i]) for r in runs)[3] for i in range(3)]
    print(f"model: {runs[0][3]} MB; medians of 7 fresh processes: import errscan.lm {med[0]:.1f} ms, "
          f"map the model {med[1]:.1f} ms, first detect() on {len(clean.encode('utf-8'))} bytes of clean text "
          f"{med[2]:.1f} ms")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--mb", type=float, default=5.0, help="size of the word-salad text")
    ap.add_argument("--show", type=int, default=0, help="print this many false alarms")
    args = ap.parse_args()
    if not lm.available():
        print("no model: run tools/build_lm.py")
        return 1
    load_time()
    dev_figures(args.shared, args.show)
    clean_figures(args.shared, args.show)
    if args.mb:
        salad_figures(args.mb)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (this process, with jieba) {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
