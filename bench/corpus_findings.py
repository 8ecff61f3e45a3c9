"""Findings of the built-in lists on the clean official corpus (../shared/corpus/clean).

    python bench/corpus_findings.py [--list FILE ...] [--only LIST_ID] [--show]

Prints findings per category and severity, per million characters, and with --show every finding
(file, line, rule, context): each one is a false positive to fix or a genuine slip to record in
tests/data/corpus_expectations.yaml.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from errscan import Scanner, Severity

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "clean"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="append", default=[])
    ap.add_argument("--only", help="report only this list id")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    scanner = Scanner(args.list)
    chars = 0
    counts: Counter[tuple[str, str]] = Counter()
    for path in sorted(Path(args.corpus).rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        for f in scanner.scan_text(text, str(path.relative_to(args.corpus))):
            if args.only and f.list_id != args.only:
                continue
            counts[(f.category, f.severity.label)] += 1
            if args.show:
                print(f"{f.path}:{f.line}:{f.column}\t{f.severity.label}\t{f.rule}\t{f.context}")
    per_m = 1_000_000 / max(chars, 1)
    print(f"corpus: {chars:,} characters", file=sys.stderr)
    for (cat, sev), n in sorted(counts.items()):
        print(f"{cat:10} {sev:8} {n:5}  ({n * per_m:.2f} per million chars)", file=sys.stderr)
    warn = sum(n for (_, sev), n in counts.items() if Severity.parse(sev) >= Severity.WARNING)
    print(f"warning or above: {warn} ({warn * per_m:.2f} per million chars)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
