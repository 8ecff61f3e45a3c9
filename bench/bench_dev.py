"""Recall and false alarms of the whole check, per mechanism. Prints figures; asserts nothing.

    python bench/bench_dev.py [--shared ../shared] [--show 0]

1. The development set (../shared/data/dev/ecspell_odw_train.tsv: flag, as written, corrected; the training split
   of ECSpell's official-document domain, MIT — its test split is never used): of the sentences with a real
   error, the share flagged at any severity and at warning or above; the share whose first suggestions, applied,
   restore the corrected sentence exactly; of the corrected sentences, the share flagged (false alarms) at any
   severity and at warning or above. Every document goes through the run layer with the default settings, as
   `errscan check` takes it; the same figures per mechanism (the literal lists, fuzzy matching, the language
   model), and for "spelling": every finding but the outdated-name hints, which the set's old sentences draw.
2. The clean corpus (../shared/corpus/clean, text files): findings per 100,000 characters at any severity and at
   warning or above, per mechanism.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from errscan.model import Document, Finding, Severity  # noqa: E402
from errscan.run import Runner  # noqa: E402

MECHANISMS = ("lists", "fuzzy", "lm")
# "spelling": every finding but the outdated-name hints (农业部 → 农业农村部). The set's sentences predate the 2018
# reform, so on an undated sentence those hints are right for a text written today, yet the corrected sentences
# keep the old names: they count as false alarms, and applying their suggestion spoils a restored sentence.
KEYS = ("all", "spelling", *MECHANISMS)


def mechanism(f: Finding) -> str:
    return f.list_id if f.list_id in ("fuzzy", "lm") else "lists"


def selected(key: str, f: Finding) -> bool:
    if key == "all":
        return True
    if key == "spelling":
        return f.category != "outdated"
    return mechanism(f) == key


def restored(text: str, findings: list[Finding]) -> str:
    """The text with each finding's first suggestion, left to right, overlaps skipped."""
    out, at = [], 0
    for f in sorted(findings, key=lambda f: (f.offset, -f.length)):
        if not f.suggestions or f.offset < at:
            continue
        out += [text[at : f.offset], f.suggestions[0]]
        at = f.offset + f.length
    return "".join(out) + text[at:]


def dev(runner: Runner, shared: Path, show: int) -> None:
    rows = []
    with open(shared / "data" / "dev" / "ecspell_odw_train.tsv", encoding="utf-8") as fh:
        for line in fh:
            _flag, wrong, right = line.rstrip("\n").split("\t")
            rows.append((wrong, right))
    keys = KEYS
    n_err = sum(1 for w, r in rows if w != r)
    flagged, flagged_warn, fixed, fa, fa_warn = (Counter() for _ in range(5))
    started = time.perf_counter()
    shown = 0
    for wrong, right in rows:
        if wrong != right:
            found = runner.check(Document(wrong), "<dev>").findings
            for key in keys:
                mine = [f for f in found if selected(key, f)]
                flagged[key] += bool(mine)
                flagged_warn[key] += any(f.severity >= Severity.WARNING for f in mine)
                fixed[key] += bool(mine) and restored(wrong, mine) == right
            if show and shown < show and not found:
                print(f"  missed: {wrong}  →  {right}")
                shown += 1
        ok = runner.check(Document(right), "<dev>").findings
        for key in keys:
            mine = [f for f in ok if selected(key, f)]
            fa[key] += bool(mine)
            fa_warn[key] += any(f.severity >= Severity.WARNING for f in mine)
    took = time.perf_counter() - started
    print(f"development set: {len(rows)} sentences, {n_err} with a real error ({took:.1f} s)")
    print(f"{'mechanism':<10} {'flagged':>8} {'warning+':>9} {'restored':>9} {'false alarms':>13} {'warning+':>9}")
    for key in keys:
        print(f"{key:<10} {flagged[key] / n_err:8.1%} {flagged_warn[key] / n_err:9.1%} {fixed[key] / n_err:9.1%} "
              f"{fa[key] / len(rows):13.2%} {fa_warn[key] / len(rows):9.2%}")


def clean(runner: Runner, shared: Path) -> None:
    chars = 0
    by: Counter[tuple[str, bool]] = Counter()
    started = time.perf_counter()
    for path in sorted((shared / "corpus" / "clean").rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        for f in runner.check(Document(text), str(path)).findings:
            if f.list_id == "privacy":
                continue
            by[(mechanism(f), f.severity >= Severity.WARNING)] += 1
    took = time.perf_counter() - started
    print(f"clean corpus: {chars:,} characters ({took:.1f} s), findings per 100,000 characters")
    for key in MECHANISMS:
        any_ = by[(key, False)] + by[(key, True)]
        warn = by[(key, True)]
        print(f"  {key:<6} any severity {any_ / chars * 1e5:5.2f} ({any_}), "
              f"warning+ {warn / chars * 1e5:5.2f} ({warn})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--show", type=int, default=0, help="print this many missed sentences")
    a = ap.parse_args()
    runner = Runner(config=None, privacy=False)
    dev(runner, a.shared, a.show)
    clean(runner, a.shared)


if __name__ == "__main__":
    main()
